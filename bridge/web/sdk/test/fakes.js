// Test doubles for the SDK's unit tests: a manual clock and an in-memory lane with a scripted
// bridge behind it. They stand in for the network only; the SDK code under test is real, and
// every frame crossing the fake lane is encoded and decoded with the real codec.
import { create } from '@bufbuild/protobuf';
import { FrameSchema } from '../src/gen/laneway_pb.js';
import { callFrame, decodeFrame, encodeFrame } from '../src/codec.js';
import { LaneBase } from '../src/lanes/lane.js';
import { ConnectionError } from '../src/errors.js';

/** Lets pending promise chains and timers of 0 ms run. */
export async function flush(rounds = 10) {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

/** A clock whose time only moves when the test says so. */
export class FakeClock {
  constructor(start = 1_700_000_000_000) {
    this.t = start;
    this.timers = new Map();
    this.nextId = 1;
    this.now = () => this.t;
    this.setTimeout = (fn, ms) => {
      const id = this.nextId++;
      this.timers.set(id, { at: this.t + Math.max(0, ms), fn });
      return id;
    };
    this.clearTimeout = (id) => {
      this.timers.delete(id);
    };
  }

  /** Moves time forward, firing due timers in order and letting their promise chains settle. */
  async advance(ms) {
    const end = this.t + ms;
    for (let guard = 0; guard < 10_000; guard++) {
      let next = null;
      for (const [id, timer] of this.timers) if (timer.at <= end && (!next || timer.at < next[1].at)) next = [id, timer];
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
      await flush();
    }
    this.t = end;
    await flush();
  }

  /** Delays of the pending timers, relative to now, sorted. */
  pendingDelays() {
    return [...this.timers.values()].map((t) => t.at - this.t).sort((a, b) => a - b);
  }
}

export function envelopeFrame({ topic, seq, epoch = 7n, payload = 'x' }) {
  return create(FrameSchema, {
    kind: { case: 'envelope', value: { topic, seq: BigInt(seq), epoch: BigInt(epoch), payload: new TextEncoder().encode(payload), qos: 0 } },
  });
}

export function groupFrame({ envelopes = [], reason = 2, recovered = true, spans = [] }) {
  return create(FrameSchema, {
    kind: {
      case: 'group',
      value: {
        envelopes: envelopes.map((e) => envelopeFrame(e).kind.value),
        reason,
        recovered,
        spans,
      },
    },
  });
}

/** An in-memory lane connected to a FakeBridge. */
export class FakeLane extends LaneBase {
  constructor(spec, bridge) {
    super(spec.kind);
    this.spec = spec;
    this.bridge = bridge;
    this.sent = [];
    this.establishedWith = null;
    this.token = null;
  }

  async open(signal) {
    this.bridge.opened.push(this.kind);
    const behaviour = this.bridge.laneBehaviour[this.kind] ?? 'ok';
    if (behaviour === 'refuse') throw new ConnectionError(`${this.kind} refused`);
    if (behaviour === 'hang') {
      await new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
    }
    this.bridge.lanes.push(this);
  }

  async established(info) {
    this.establishedWith = info;
    this.token = info.token;
  }

  setToken(token) {
    this.token = token;
  }

  send(bytes) {
    if (this.closed) throw new ConnectionError('closed');
    const frame = decodeFrame(bytes);
    this.sent.push(frame);
    Promise.resolve().then(() => this.bridge.handle(this, frame));
  }

  /** The bridge pushes a frame to the client. */
  push(frame) {
    if (!this.closed) this.onFrame(encodeFrame(frame));
  }

  /** The bridge drops the connection. */
  drop(message = 'bridge went away') {
    this.dropped(new ConnectionError(message));
  }

  /** Sent CallFrames of one body case. */
  calls(bodyCase) {
    return this.sent.filter((f) => f.kind.case === 'call' && f.kind.value.body.case === bodyCase).map((f) => f.kind.value);
  }
}

/**
 * A scripted bridge: answers every request with a plausible reply unless `on(case, fn)` says
 * otherwise. fn(lane, call) returns a reply Frame, undefined for the default, or null for none.
 */
export class FakeBridge {
  constructor({ clock } = {}) {
    this.clock = clock;
    this.lanes = [];
    this.opened = [];
    this.laneBehaviour = {};
    this.overrides = new Map();
    this.sessions = 0;
    this.expiresInS = 3600;
    this.pingIntervalMs = 15_000;
  }

  on(bodyCase, fn) {
    this.overrides.set(bodyCase, fn);
  }

  get current() {
    return this.lanes[this.lanes.length - 1];
  }

  createLane = (spec) => new FakeLane(spec, this);

  handle(lane, frame) {
    if (frame.kind.case !== 'call') return;
    const call = frame.kind.value;
    const override = this.overrides.get(call.body.case);
    let reply = override ? override(lane, call) : undefined;
    if (reply === undefined) reply = this.defaultReply(call);
    if (reply) lane.push(reply);
  }

  defaultReply(call) {
    const { id, body } = call;
    const nowS = Math.floor((this.clock ? this.clock.now() : Date.now()) / 1000);
    switch (body.case) {
      case 'connect':
        this.sessions += 1;
        return callFrame(id, 'connectResult', {
          sessionId: `s${this.sessions}`,
          subject: 'alice',
          expiresAtS: BigInt(nowS + this.expiresInS),
          pingIntervalMs: this.pingIntervalMs,
          maxFrameBytes: 65536,
          subscriptions: body.value.subscriptions.map((s) => ({ filter: s.filter, recovered: true, epoch: 7n })),
        });
      case 'subscribe':
        return callFrame(id, 'subscribeResult', { filter: body.value.subscription.filter, recovered: true, epoch: 7n });
      case 'unsubscribe':
        return callFrame(id, 'unsubscribeResult', { filter: body.value.filter });
      case 'publish':
        return callFrame(id, 'publishResult', {});
      case 'ping':
        return callFrame(id, 'pong', { sentAtUs: body.value.sentAtUs });
      case 'refresh':
        return callFrame(id, 'refreshResult', { expiresAtS: BigInt(nowS + this.expiresInS) });
      case 'rpc':
        return callFrame(id, 'rpcResult', { payload: body.value.payload, contentType: 'application/octet-stream' });
      case 'presence':
        return callFrame(id, 'presenceResult', { clients: [{ clientId: 'd-0001', role: 'device', online: true, sinceUs: 5n, groups: ['g1'] }] });
      default:
        return null;
    }
  }
}
