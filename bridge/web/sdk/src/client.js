// The public client. Owns what outlives one connection: subscriptions and their resume
// positions, the reconnect loop (backoff with full jitter), lane selection, JWT refresh and
// the liveness ping. Each connection is a Session (session.js) over one lane.
import { Backoff } from './backoff.js';
import { Emitter } from './emitter.js';
import {
  BadRequestError,
  ClosedError,
  ConnectionError,
  ForbiddenError,
  LaneUnavailableError,
  TimeoutError,
  TokenExpiredError,
  TooLargeError,
  UnauthorizedError,
  UnavailableError,
} from './errors.js';
import { GroupEnvelope_Reason } from './gen/laneway_pb.js';
import { fetchInfo, planLanes, runtimeLanes, selectLane, LANE_KINDS } from './lane_select.js';
import { SseLane } from './lanes/sse.js';
import { WebSocketLane } from './lanes/websocket.js';
import { WebTransportLane } from './lanes/webtransport.js';
import { Message, RpcReply, presenceEntry, toBytes } from './message.js';
import { refreshDelayMs } from './refresh.js';
import { Observed, ResumePositions, normalizeSince } from './resume.js';
import { Session, systemClock } from './session.js';
import { isValidFilter, isValidTopic, topicMatches } from './topic_filter.js';
import { DEFAULT_MAX_FRAME_BYTES } from './codec.js';

export const SDK_VERSION = '0.1.0';
const CLIENT_NAME = `laneway-js/${SDK_VERSION}`;
// The bridge enforces an RPC's timeout itself; our local deadline waits this much longer so
// its TIMEOUT error (typed) arrives before our own.
const RPC_GRACE_MS = 2_000;
// Frames arriving between ConnectResult and the moment the client adopts the session
// (history replay) are held, up to this many.
const MAX_EARLY_FRAMES = 10_000;

export const States = Object.freeze({
  CONNECTING: 'connecting',
  CONNECTED: 'connected',
  RECONNECTING: 'reconnecting',
  CLOSED: 'closed',
});

const DEFAULTS = Object.freeze({
  transport: 'auto',
  connectTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  pingIntervalMs: 15_000,
  refreshLeadMs: 30_000,
  reconnectBaseMs: 250,
  reconnectMaxMs: 30_000,
  stableAfterMs: 10_000,
  authRetries: 3,
  maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
  maxQueuedRequests: 256,
});

/**
 * Creates a client and starts connecting at once. See docs/sdk.md for every option.
 * @returns {LanewayClient}
 */
export function initialize(options) {
  return new LanewayClient(options);
}

function deferred() {
  let resolve;
  let reject;
  const promise = new Promise((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => {}); // an ignored subscribe() confirmation is not an unhandled rejection
  return { promise, resolve, reject, settled: false };
}

function settle(d, ok, value) {
  if (d.settled) return;
  d.settled = true;
  if (ok) d.resolve(value);
  else d.reject(value);
}

export class LanewayClient {
  #o;
  #env;
  #runtime;
  #clock;
  #emitter = new Emitter();
  #backoff;
  #subs = new Map();
  #session = null;
  #state = null;
  #closed = false;
  #waiters = new Set();
  #sleepTimer = null;
  #wake = null;
  #pingTimer = null;
  #refreshTimer = null;
  #everConnected = false;
  #urls = [];
  #urlIndex = 0;
  // The bridge told the current session to move (it drains): go to the next replica at
  // once, and report it as a lane change, not as an error.
  #moving = false;
  // Resume results that said recovered=false whose (possibly empty) replay has not arrived.
  #lossAlreadyReported = 0;

  constructor(options = {}) {
    const o = { ...DEFAULTS, ...options };
    if (typeof o.appId !== 'string' || o.appId === '') throw new TypeError('initialize: appId is required');
    if (typeof o.getUserJwt !== 'function') throw new TypeError('initialize: getUserJwt must be a function');
    if (o.transport !== 'auto' && !LANE_KINDS.includes(o.transport)) {
      throw new TypeError(`initialize: transport must be 'auto', ${LANE_KINDS.map((k) => `'${k}'`).join(', ')}`);
    }
    const urls = Array.isArray(o.url) ? o.url : [o.url ?? globalThis.location?.origin];
    if (urls.length === 0 || urls.some((u) => !u)) throw new TypeError('initialize: url is required outside a browser page');
    // Base URLs of the bridge replicas to move between, in order (throws on a malformed one).
    this.#urls = urls.map((u) => new URL(u).origin);
    o.url = this.#urls[0];
    this.#o = o;
    this.#env = {
      fetch: o.fetch ?? (globalThis.fetch ? globalThis.fetch.bind(globalThis) : undefined),
      WebSocket: o.WebSocket ?? globalThis.WebSocket,
      EventSource: o.EventSource ?? globalThis.EventSource,
      WebTransport: o.WebTransport ?? globalThis.WebTransport,
    };
    this.#runtime = o.runtimeLanes ?? runtimeLanes(this.#env);
    this.#clock = o.clock ?? systemClock;
    this.#backoff = new Backoff({ baseMs: o.reconnectBaseMs, maxMs: o.reconnectMaxMs, random: o.random });
    /** Lane in use ('wt' | 'ws' | 'sse') or null while disconnected. */
    this.lane = null;
    /** Last measured round-trip time, milliseconds. */
    this.rtt = null;
    this.sessionId = null;
    this.subject = null;
    this.serverVersion = null;
    // Start after the caller had a chance to subscribe and attach listeners.
    Promise.resolve().then(() => this.#run());
  }

  get state() {
    return this.#state;
  }

  /** Listen to 'state' | 'lane' | 'error' | 'resume' | 'gap' | 'rtt'; returns an unsubscribe function. */
  on(event, listener) {
    return this.#emitter.on(event, listener);
  }

  off(event, listener) {
    this.#emitter.off(event, listener);
  }

  /** Resolves once connected (at most `timeoutMs`). */
  async connected({ timeoutMs = this.#o.connectTimeoutMs * 4 } = {}) {
    await this.#whenConnected(timeoutMs);
  }

  /**
   * Subscribes `handler(message)` to an MQTT topic filter. Resolves `{ filter, recovered }`
   * once the bridge confirmed it (immediately queued while disconnected; sent with the next
   * connect). `since`: positions to resume from (array of { topic, epoch, seq }, or a map
   * topic → { epoch, seq }).
   */
  subscribe(filter, handler, { since, datagrams = false } = {}) {
    if (this.#closed) return Promise.reject(new ClosedError('client is closed'));
    if (!isValidFilter(filter)) return Promise.reject(new BadRequestError(`invalid topic filter '${filter}'`));
    if (typeof handler !== 'function') return Promise.reject(new TypeError('subscribe: handler must be a function'));
    const positions = normalizeSince(since);
    let sub = this.#subs.get(filter);
    if (sub) {
      sub.handlers.add(handler);
      sub.positions.seed(positions);
      return sub.confirmed.promise;
    }
    sub = { filter, handlers: new Set([handler]), positions: new ResumePositions(), datagrams, confirmed: deferred() };
    sub.positions.seed(positions);
    this.#subs.set(filter, sub);
    if (this.#state === States.CONNECTED) this.#sendSubscribe(this.#session, sub);
    return sub.confirmed.promise;
  }

  /** Removes `handler` (or every handler) from `filter`; the bridge subscription goes with the last one. */
  async unsubscribe(filter, handler) {
    const sub = this.#subs.get(filter);
    if (!sub) return;
    if (handler) {
      sub.handlers.delete(handler);
      if (sub.handlers.size > 0) return;
    }
    this.#subs.delete(filter);
    settle(sub.confirmed, true, { filter, recovered: false, unsubscribed: true });
    const session = this.#session;
    if (this.#state !== States.CONNECTED || !session) return;
    try {
      await session.request('unsubscribe', { filter }, { timeoutMs: this.#o.requestTimeoutMs });
    } catch (err) {
      if (!(err instanceof ConnectionError) && !(err instanceof ClosedError)) throw err;
    }
  }

  /** The exact resume positions of a subscription, for persisting across page loads. */
  positions(filter) {
    return this.#subs.get(filter)?.positions.positions() ?? [];
  }

  /** Publishes to an application topic; resolves when the bridge accepted it. */
  async publish(topic, data, { qos = 0, retain = false, contentType = '', timeoutMs = this.#o.requestTimeoutMs } = {}) {
    if (!isValidTopic(topic)) throw new BadRequestError(`invalid publish topic '${topic}'`);
    if (qos !== 0 && qos !== 1) throw new BadRequestError('publish: qos must be 0 or 1');
    const payload = toBytes(data);
    await this.#request('publish', { topic, payload, qos, retain, contentType }, timeoutMs);
  }

  /** RPC to one device (`devices/<id>/rpc/<method>`); resolves its reply. */
  async call(deviceId, method, payload, { timeoutMs = this.#o.requestTimeoutMs, contentType = '' } = {}) {
    if (typeof deviceId !== 'string' || deviceId === '') throw new BadRequestError('call: deviceId is required');
    if (typeof method !== 'string' || method === '' || /[/+#]/.test(method)) throw new BadRequestError('call: invalid method');
    const reply = await this.#request(
      'rpc',
      { deviceId, method, payload: toBytes(payload), timeoutMs, contentType },
      timeoutMs + RPC_GRACE_MS,
    );
    return new RpcReply(reply.value);
  }

  /**
   * Online state of the devices this session may see; `filter` is `+` (all) or one device id.
   * Reads the listing page by page (docs/bridge.md "Presence"), at most `maxPages` of them.
   */
  async presence(filter = '', { timeoutMs = this.#o.requestTimeoutMs, maxPages = 1000 } = {}) {
    const devices = [];
    let after = '';
    for (let page = 0; page < maxPages; page++) {
      const { clients, next } = await this.presencePage(filter, { after, timeoutMs });
      devices.push(...clients);
      if (next === '') return devices;
      after = next;
    }
    throw new Error(`presence: the listing did not end within ${maxPages} pages`);
  }

  /**
   * One page of presence: devices after `after` in id order, at most `limit` (0: the bridge's
   * page size). Pass `next` as the following page's `after`; it is '' once the listing ends.
   */
  async presencePage(filter = '', { after = '', limit = 0, timeoutMs = this.#o.requestTimeoutMs } = {}) {
    const reply = await this.#request('presence', { filter, after, limit }, timeoutMs);
    return { clients: reply.value.clients.map(presenceEntry), next: reply.value.next };
  }

  /** Envelopes of one topic after `since` ({ epoch, seq }), at most `limit`. */
  async history(topic, { since, limit = 0, timeoutMs = this.#o.requestTimeoutMs } = {}) {
    if (!isValidTopic(topic)) throw new BadRequestError(`invalid history topic '${topic}'`);
    const position = since ? normalizeSince([{ topic, ...since }])[0] : undefined;
    const reply = await this.#request('history', { topic, since: position, limit }, timeoutMs);
    const group = reply.value.group;
    return { messages: (group?.envelopes ?? []).map((e) => new Message(e)), recovered: group?.recovered ?? false };
  }

  /** Measures one round trip now; resolves milliseconds. */
  async ping({ timeoutMs = this.#o.requestTimeoutMs } = {}) {
    const session = await this.#whenConnected(timeoutMs);
    const rtt = await session.ping({ timeoutMs });
    this.#recordRtt(rtt);
    return rtt;
  }

  /** Closes the client for good: pending requests reject with ClosedError. */
  async close() {
    this.#shutdown(new ClosedError('client closed'));
  }

  // ---- connection loop -------------------------------------------------------------------

  #setState(state, detail = {}) {
    if (this.#state === state) return;
    this.#state = state;
    this.#emitter.emit('state', state, detail);
  }

  #emitError(err) {
    this.#emitter.emit('error', err);
  }

  async #run() {
    if (this.#o.transport !== 'auto' && !this.#runtime.has(this.#o.transport)) {
      this.#fail(new LaneUnavailableError(`this runtime cannot open the '${this.#o.transport}' lane`));
      return;
    }
    let authFailures = 0;
    while (!this.#closed) {
      this.#setState(this.#everConnected ? States.RECONNECTING : States.CONNECTING);
      let retryAfterMs = 0;
      try {
        const opened = await this.#connectOnce();
        if (this.#closed) {
          opened.session.close();
          break;
        }
        authFailures = 0;
        const connectedAt = this.#clock.now();
        this.#moving = false;
        const reason = await this.#adopt(opened);
        if (this.#closed) break;
        this.#nextReplica();
        this.#setState(States.RECONNECTING, { error: reason });
        if (this.#moving && this.#urls.length > 1) continue;  // drained: straight to another
        if (this.#clock.now() - connectedAt >= this.#o.stableAfterMs) this.#backoff.reset();
        this.#emitError(reason);
        retryAfterMs = reason.retryAfterMs ?? 0;
      } catch (err) {
        if (this.#closed) break;
        const auth = err instanceof UnauthorizedError || err instanceof TokenExpiredError;
        if (auth) authFailures += 1;
        if (isFatal(err) || (auth && authFailures > this.#o.authRetries)) {
          this.#fail(err);
          break;
        }
        this.#emitError(err);
        this.#nextReplica();
        // A replica that says "later" is not waited for while another may answer now.
        retryAfterMs = this.#urls.length > 1 ? 0 : err.retryAfterMs ?? 0;
      }
      await this.#sleep(Math.max(retryAfterMs, this.#backoff.next()));
    }
  }

  /** The next replica in order (round robin); with one URL, the same one again. */
  #nextReplica() {
    this.#urlIndex = (this.#urlIndex + 1) % this.#urls.length;
  }

  /** Replicas /api/info names that the client does not know yet join the end of the list. */
  #learnReplicas(info) {
    for (const url of info?.replicas ?? []) {
      if (this.#urls.length >= 64) break;
      if (!this.#urls.includes(url)) this.#urls.push(url);
    }
  }

  async #connectOnce() {
    const token = await this.#token();
    const baseUrl = this.#urls[this.#urlIndex];
    let info = null;
    if (this.#env.fetch) {
      try {
        info = await fetchInfo(baseUrl, this.#env.fetch, { timeoutMs: this.#o.connectTimeoutMs });
        this.#learnReplicas(info);
      } catch (err) {
        // `auto` falls back to the default WebSocket and SSE paths; report why.
        this.#emitError(err);
      }
    }
    if (this.#closed) throw new ClosedError('client closed');
    const { lanes, skipped } = planLanes({ transport: this.#o.transport, info, runtime: this.#runtime, baseUrl });
    const requested = [...this.#subs.values()];
    const { result, lane, attempts } = await selectLane(lanes, (spec, signal) => this.#openSession(spec, token, requested, signal), {
      timeoutMs: this.#o.connectTimeoutMs,
      setTimer: this.#clock.setTimeout,
      clearTimer: this.#clock.clearTimeout,
    });
    return { ...result, spec: lane, attempts, skipped, requested, token, info };
  }

  #createLane(spec) {
    if (this.#o.createLane) return this.#o.createLane(spec, this.#env);
    const maxFrameBytes = this.#o.maxFrameBytes;
    if (spec.kind === 'ws') return new WebSocketLane({ url: spec.url, WebSocket: this.#env.WebSocket });
    if (spec.kind === 'sse') {
      return new SseLane({ url: spec.url, callUrl: spec.callUrl, EventSource: this.#env.EventSource, fetch: this.#env.fetch, maxFrameBytes });
    }
    return new WebTransportLane({ url: spec.url, serverCertificateHashes: spec.serverCertificateHashes, WebTransport: this.#env.WebTransport, maxFrameBytes });
  }

  async #openSession(spec, token, requested, signal) {
    const lane = this.#createLane(spec);
    const early = [];
    const session = new Session(lane, {
      clock: this.#clock,
      maxFrameBytes: this.#o.maxFrameBytes,
      onMessage: (frame) => {
        if (this.#session === session) this.#dispatch(frame);
        else if (early.length < MAX_EARLY_FRAMES) early.push(frame);
      },
      onPushError: (err) => {
        // The bridge drains: its final UNAVAILABLE says "move", which the client does.
        if (err instanceof UnavailableError && this.#session === session && this.#urls.length > 1) {
          this.#moving = true;
          return;
        }
        this.#emitError(err);
      },
    });
    session.early = early;
    const abort = () => session.close(signal.reason ?? new ConnectionError('aborted'));
    signal.addEventListener('abort', abort, { once: true });
    try {
      await lane.open(signal);
      const subscriptions = requested.map((s) => ({ filter: s.filter, since: s.positions.positions(), datagrams: s.datagrams }));
      const result = await session.connect(
        { appId: this.#o.appId, token, subscriptions, client: CLIENT_NAME },
        { timeoutMs: this.#o.connectTimeoutMs },
      );
      return { session, result, close: (why) => session.close(why) };
    } catch (err) {
      session.close(err);
      throw err;
    } finally {
      signal.removeEventListener('abort', abort);
    }
  }

  /** Makes an opened session the current one; resolves with the reason it ended. */
  #adopt({ session, result, spec, attempts, skipped, requested, token, info }) {
    this.#session = session;
    this.#everConnected = true;
    this.lane = spec.kind;
    this.sessionId = result.sessionId;
    this.subject = result.subject;
    this.serverVersion = result.serverVersion || info?.version || null;
    this.#emitter.emit('lane', {
      lane: spec.kind,
      url: spec.url,
      attempts: attempts.map((a) => ({ lane: a.kind, ok: a.ok, error: a.error })),
      skipped,
    });
    this.#setState(States.CONNECTED, { lane: spec.kind, sessionId: result.sessionId });

    // Subscriptions that went with the connect, in request order.
    this.#lossAlreadyReported = 0;
    requested.forEach((sub, i) => {
      const r = result.subscriptions[i];
      this.#confirm(sub, r ? r.recovered : true, r?.epoch, sub.positions.positions().length > 0);
    });
    for (const frame of session.early.splice(0)) this.#dispatch(frame);
    // Changes made while the connect was in flight.
    for (const sub of this.#subs.values()) if (!requested.includes(sub)) this.#sendSubscribe(session, sub);
    for (const sub of requested) {
      if (this.#subs.get(sub.filter) !== sub) {
        session.request('unsubscribe', { filter: sub.filter }, { timeoutMs: this.#o.requestTimeoutMs }).catch(() => {});
      }
    }

    this.#scheduleRefresh(session, result.expiresAtS);
    this.#schedulePing(session, result.pingIntervalMs || this.#o.pingIntervalMs);
    for (const w of [...this.#waiters]) w.resolve(session);

    return session.dropped.then((reason) => {
      this.#clock.clearTimeout(this.#pingTimer);
      this.#clock.clearTimeout(this.#refreshTimer);
      if (this.#session === session) {
        this.#session = null;
        this.lane = null;
        this.sessionId = null;
      }
      return reason;
    });
  }

  #confirm(sub, recovered, epoch, resumed) {
    settle(sub.confirmed, true, { filter: sub.filter, recovered });
    if (!resumed) return;
    this.#emitter.emit('resume', { filter: sub.filter, recovered, epoch: epoch === undefined ? undefined : Number(epoch) });
    if (!recovered) this.#lossAlreadyReported += 1;
  }

  #sendSubscribe(session, sub) {
    const since = sub.positions.positions();
    session
      .request('subscribe', { subscription: { filter: sub.filter, since, datagrams: sub.datagrams } }, { timeoutMs: this.#o.requestTimeoutMs })
      .then(
        (reply) => {
          if (this.#subs.get(sub.filter) === sub) this.#confirm(sub, reply.value.recovered, reply.value.epoch, since.length > 0);
        },
        (err) => {
          // Lost with the lane: it goes out again with the next connect.
          if (err instanceof ConnectionError || err instanceof ClosedError) return;
          if (this.#subs.get(sub.filter) === sub) this.#subs.delete(sub.filter);
          settle(sub.confirmed, false, err);
          this.#emitError(err);
        },
      );
  }

  #fail(err) {
    this.#emitError(err);
    this.#shutdown(err);
  }

  #shutdown(reason) {
    if (this.#closed) return;
    this.#closed = true;
    this.#clock.clearTimeout(this.#pingTimer);
    this.#clock.clearTimeout(this.#refreshTimer);
    this.#clock.clearTimeout(this.#sleepTimer);
    this.#wake?.();
    const closedError = reason instanceof ClosedError ? reason : new ClosedError(`client closed: ${reason.message}`, { cause: reason });
    this.#session?.close(closedError);
    this.#session = null;
    this.lane = null;
    for (const w of [...this.#waiters]) w.reject(closedError);
    for (const sub of this.#subs.values()) settle(sub.confirmed, false, closedError);
    this.#setState(States.CLOSED, { error: reason instanceof ClosedError ? undefined : reason });
  }

  #sleep(ms) {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#wake = resolve;
      this.#sleepTimer = this.#clock.setTimeout(resolve, ms);
    });
  }

  async #token() {
    let token;
    try {
      token = await this.#o.getUserJwt();
    } catch (err) {
      throw new ConnectionError(`getUserJwt failed: ${err?.message ?? err}`, { cause: err });
    }
    if (typeof token !== 'string' || token === '') throw new UnauthorizedError('getUserJwt returned no token');
    return token;
  }

  // ---- requests, refresh, ping ------------------------------------------------------------

  #whenConnected(timeoutMs) {
    if (this.#closed) return Promise.reject(new ClosedError('client is closed'));
    if (this.#state === States.CONNECTED && this.#session?.open) return Promise.resolve(this.#session);
    if (this.#waiters.size >= this.#o.maxQueuedRequests) {
      return Promise.reject(new UnavailableError(`${this.#waiters.size} requests already waiting for a connection`));
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (s) => {
          this.#waiters.delete(waiter);
          this.#clock.clearTimeout(waiter.timer);
          resolve(s);
        },
        reject: (e) => {
          this.#waiters.delete(waiter);
          this.#clock.clearTimeout(waiter.timer);
          reject(e);
        },
      };
      waiter.timer = this.#clock.setTimeout(() => waiter.reject(new TimeoutError(`not connected within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  async #request(bodyCase, value, timeoutMs) {
    const deadline = this.#clock.now() + timeoutMs;
    const session = await this.#whenConnected(timeoutMs);
    return session.request(bodyCase, value, { timeoutMs: Math.max(1, deadline - this.#clock.now()) });
  }

  #scheduleRefresh(session, expiresAtS) {
    this.#clock.clearTimeout(this.#refreshTimer);
    const delay = refreshDelayMs(Number(expiresAtS), this.#clock.now(), { leadMs: this.#o.refreshLeadMs });
    if (delay === null) return;
    this.#refreshTimer = this.#clock.setTimeout(() => this.#refresh(session, Number(expiresAtS)), delay);
  }

  async #refresh(session, expiresAtS) {
    if (this.#session !== session || !session.open) return;
    try {
      const token = await this.#token();
      const reply = await session.request('refresh', { token }, { timeoutMs: this.#o.requestTimeoutMs });
      if (this.#session !== session) return;
      session.setToken(token);
      this.#emitter.emit('refresh', { expiresAtS: Number(reply.value.expiresAtS) });
      this.#scheduleRefresh(session, reply.value.expiresAtS);
    } catch (err) {
      if (this.#session !== session) return;
      this.#emitError(err);
      // Try again while the old token is still valid; past `exp` the bridge ends the
      // session (TOKEN_EXPIRED) and the reconnect fetches a fresh token anyway.
      const remaining = expiresAtS * 1000 - this.#clock.now();
      if (remaining > 1_000) {
        this.#clock.clearTimeout(this.#refreshTimer);
        this.#refreshTimer = this.#clock.setTimeout(() => this.#refresh(session, expiresAtS), Math.min(5_000, remaining / 2));
      }
    }
  }

  // A ping every interval measures RTT and detects a dead peer that never closed the lane.
  #schedulePing(session, intervalMs) {
    this.#clock.clearTimeout(this.#pingTimer);
    this.#pingTimer = this.#clock.setTimeout(async () => {
      if (this.#session !== session || !session.open) return;
      try {
        this.#recordRtt(await session.ping({ timeoutMs: intervalMs }));
        this.#schedulePing(session, intervalMs);
      } catch (err) {
        if (this.#session === session && !(err instanceof ClosedError)) {
          session.abort(new ConnectionError(`ping failed: ${err.message}`, { cause: err }));
        }
      }
    }, intervalMs);
  }

  #recordRtt(rtt) {
    this.rtt = rtt;
    this.#emitter.emit('rtt', rtt);
  }

  // ---- delivery ---------------------------------------------------------------------------

  #dispatch(frame) {
    if (frame.kind.case === 'envelope') {
      this.#lossAlreadyReported = 0;
      this.#deliver(frame.kind.value);
      return;
    }
    const group = frame.kind.value;
    if (group.reason !== GroupEnvelope_Reason.HISTORY) this.#lossAlreadyReported = 0;
    // What a subscription missed shows in the positions of the envelopes themselves
    // (`gap`, from #deliver); `resume` comes only from connect and subscribe results.
    for (const envelope of group.envelopes) this.#deliver(envelope);
    if (group.reason === GroupEnvelope_Reason.HISTORY && !group.recovered && group.envelopes.length === 0) {
      this.#emptyReplayLost();
    }
  }

  // An empty replay with recovered=false carries no position to compare. Right after a
  // resume result said recovered=false it is that replay, already reported; otherwise the
  // lane reattached (SSE) past the bridge's window, and every subscription that had
  // positions may have missed something.
  #emptyReplayLost() {
    if (this.#lossAlreadyReported > 0) {
      this.#lossAlreadyReported -= 1;
      return;
    }
    for (const sub of this.#subs.values()) {
      if (sub.positions.positions().length > 0) this.#emitter.emit('gap', { filter: sub.filter, reason: 'replay' });
    }
  }

  #deliver(envelope) {
    let message = null;
    for (const sub of this.#subs.values()) {
      if (!topicMatches(sub.filter, envelope.topic)) continue;
      const before = sub.positions.get(envelope.topic);
      const verdict = sub.positions.observe(envelope.topic, envelope.epoch, envelope.seq);
      if (verdict === Observed.DUPLICATE) continue;
      if (verdict === Observed.GAP || verdict === Observed.EPOCH) {
        this.#emitter.emit('gap', {
          filter: sub.filter,
          topic: envelope.topic,
          reason: verdict === Observed.GAP ? 'seq' : 'epoch',
          last: { epoch: Number(before.epoch), seq: Number(before.seq) },
          received: { epoch: Number(envelope.epoch), seq: Number(envelope.seq) },
        });
      }
      message ??= new Message(envelope);
      for (const handler of [...sub.handlers]) {
        try {
          handler(message);
        } catch (err) {
          console.error(`laneway: handler for '${sub.filter}' threw`, err);
        }
      }
    }
  }
}

/** Refusals that retrying cannot fix: the client closes and reports them. */
function isFatal(err) {
  return err instanceof ForbiddenError || err instanceof BadRequestError || err instanceof TooLargeError || err instanceof TypeError;
}
