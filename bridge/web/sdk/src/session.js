// One live session over one lane: the connect handshake, CallFrame id correlation with a
// deadline per request, typed errors, answering the bridge's pings and measuring our own
// round trips. Lane-independent: every lane hands it whole Frame byte strings. When the lane
// drops, every pending request fails with ConnectionError and `dropped` resolves; the client
// (client.js) then reconnects with a new Session.
import { callFrame, decodeFrame, encodeFrame, DEFAULT_MAX_FRAME_BYTES } from './codec.js';
import { BadRequestError, ClosedError, ConnectionError, TimeoutError, TooLargeError, UnavailableError, errorFromWire } from './errors.js';

export const DEFAULT_MAX_PENDING = 1024;
const MAX_CALL_ID = 0xffffffff;

/** The reply body case each request body expects (bufbuild names oneof cases in camelCase). */
export function replyCaseFor(requestCase) {
  return requestCase === 'ping' ? 'pong' : `${requestCase}Result`;
}

export const systemClock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (t) => clearTimeout(t),
});

export class Session {
  /**
   * @param {object} lane a lane (lanes/lane.js)
   * @param {{ clock?: object, maxPending?: number, maxFrameBytes?: number,
   *           onMessage?: (frame) => void, onPushError?: (err) => void }} [options]
   *   onMessage: Envelope and GroupEnvelope frames; onPushError: errors the bridge pushed
   *   (id 0) and frames that could not be decoded.
   */
  constructor(lane, { clock = systemClock, maxPending = DEFAULT_MAX_PENDING, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES, onMessage = () => {}, onPushError = () => {} } = {}) {
    this.lane = lane;
    this.clock = clock;
    this.maxPending = maxPending;
    this.maxFrameBytes = maxFrameBytes;
    this.maxOutboundBytes = maxFrameBytes;
    this.onMessage = onMessage;
    this.onPushError = onPushError;
    this.sessionId = '';
    this.closedWith = null;
    this.pending = new Map();
    this.nextId = 1;
    this.dropped = new Promise((resolve) => {
      this.resolveDropped = resolve;
    });
    lane.onFrame = (bytes) => this.#receive(bytes);
    lane.onClose = (err) => this.#end(new ConnectionError(`lane '${lane.kind}' dropped: ${err.message}`, { cause: err }), true);
  }

  get open() {
    return this.closedWith === null;
  }

  /**
   * Sends ConnectRequest and waits for ConnectResult; then lets the lane finish setting up
   * (the SSE lane opens its event stream). Typed refusals reject with the LanewayError.
   */
  async connect({ appId, token, subscriptions, client }, { timeoutMs }) {
    const reply = await this.request('connect', { appId, token, subscriptions, client }, { timeoutMs });
    const result = reply.value;
    this.sessionId = result.sessionId;
    // One frame limit both ways (docs/wire.md "Frame limit"): the bridge keeps to the one it
    // announced, and a frame over it is refused here as it would be there.
    if (result.maxFrameBytes > 0) {
      this.maxOutboundBytes = result.maxFrameBytes;
      this.maxFrameBytes = Math.min(this.maxFrameBytes, result.maxFrameBytes);
    }
    await this.lane.established({ sessionId: result.sessionId, token, attachTicket: result.attachTicket });
    return result;
  }

  /**
   * Sends one request and resolves with the reply body `{ case, value }`, or rejects with the
   * typed error the bridge answered, TimeoutError after `timeoutMs`, or ConnectionError if the
   * lane drops first.
   */
  request(bodyCase, value, { timeoutMs = 10_000 } = {}) {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (this.pending.size >= this.maxPending) {
      return Promise.reject(new UnavailableError(`${this.pending.size} requests already in flight`));
    }
    const id = this.#allocateId();
    const bytes = encodeFrame(callFrame(id, bodyCase, value));
    if (bytes.byteLength > this.maxOutboundBytes) {
      return Promise.reject(new TooLargeError(`${bodyCase} frame of ${bytes.byteLength} bytes exceeds the bridge's ${this.maxOutboundBytes}-byte limit`));
    }
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.#settle(id, new TimeoutError(`${bodyCase} got no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer, expect: replyCaseFor(bodyCase) });
      try {
        const sent = this.lane.send(bytes);
        if (sent && typeof sent.then === 'function') sent.then(undefined, (err) => this.#settle(id, err));
      } catch (err) {
        this.#settle(id, err);
      }
    });
  }

  /** Round-trip time of one Ping/Pong, milliseconds. */
  async ping({ timeoutMs = 10_000 } = {}) {
    const start = this.clock.now();
    await this.request('ping', { sentAtUs: BigInt(Math.floor(start * 1000)) }, { timeoutMs });
    return this.clock.now() - start;
  }

  setToken(token) {
    this.lane.setToken(token);
  }

  /** Ends the session from our side (no drop report); pending requests get `reason`. */
  close(reason = new ClosedError('session closed')) {
    this.#end(reason, false);
  }

  /** Ends the session as if the lane dropped (dead-peer detection): `dropped` resolves. */
  abort(reason) {
    this.#end(reason, true);
  }

  #end(reason, report) {
    if (this.closedWith) return;
    this.closedWith = reason;
    this.lane.close();
    for (const [id] of this.pending) this.#settle(id, reason);
    if (report) this.resolveDropped(reason);
  }

  #allocateId() {
    // Ids stay > 0 and unique among outstanding requests; wrap after 2^32 - 1.
    for (;;) {
      const id = this.nextId;
      this.nextId = id >= MAX_CALL_ID ? 1 : id + 1;
      if (!this.pending.has(id)) return id;
    }
  }

  #settle(id, error, body) {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.clock.clearTimeout(p.timer);
    if (error) p.reject(error);
    else p.resolve(body);
  }

  #receive(bytes) {
    if (this.closedWith) return;
    let frame;
    try {
      frame = decodeFrame(bytes, this.maxFrameBytes);
    } catch (err) {
      this.onPushError(err);
      return;
    }
    if (frame.kind.case !== 'call') {
      this.onMessage(frame);
      return;
    }
    const call = frame.kind.value;
    if (call.id === 0) {
      this.#push(call.body);
      return;
    }
    const p = this.pending.get(call.id);
    if (!p) return; // a reply after its request timed out
    if (call.body.case === 'error') this.#settle(call.id, errorFromWire(call.body.value));
    else if (call.body.case !== p.expect) {
      this.#settle(call.id, new BadRequestError(`expected ${p.expect}, bridge answered ${call.body.case ?? 'nothing'}`));
    } else this.#settle(call.id, null, call.body);
  }

  // Unsolicited frames from the bridge (id 0).
  #push(body) {
    if (body.case === 'ping') {
      try {
        const sent = this.lane.send(encodeFrame(callFrame(0, 'pong', { sentAtUs: body.value.sentAtUs })));
        if (sent && typeof sent.then === 'function') sent.then(undefined, () => {});
      } catch {
        // the lane is going down; its drop is reported separately
      }
    } else if (body.case === 'error') {
      this.onPushError(errorFromWire(body.value));
    }
  }
}
