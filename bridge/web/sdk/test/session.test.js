import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Session, replyCaseFor } from '../src/session.js';
import { callFrame } from '../src/codec.js';
import { ErrorCode } from '../src/gen/laneway_pb.js';
import {
  BadRequestError,
  ConnectionError,
  ForbiddenError,
  LanewayError,
  RateLimitedError,
  SlowConsumerError,
  TimeoutError,
  TokenExpiredError,
  TooLargeError,
  UnauthorizedError,
  UnavailableError,
  errorFromWire,
} from '../src/errors.js';
import { FakeBridge, FakeClock, envelopeFrame, flush } from './fakes.js';

async function openSession({ clock = new FakeClock(), bridge = new FakeBridge({ clock }), ...options } = {}) {
  const lane = bridge.createLane({ kind: 'ws' });
  await lane.open();
  const pushed = [];
  const messages = [];
  const session = new Session(lane, { clock, onMessage: (f) => messages.push(f), onPushError: (e) => pushed.push(e), ...options });
  return { clock, bridge, lane, session, pushed, messages };
}

test('reply cases follow the wire naming', () => {
  assert.equal(replyCaseFor('connect'), 'connectResult');
  assert.equal(replyCaseFor('ping'), 'pong');
});

test('connect sends app, token and subscriptions, then lets the lane finish with the session id', async () => {
  const { session, lane } = await openSession();
  const result = await session.connect(
    { appId: 'dash', token: 'jwt-1', subscriptions: [{ filter: 'devices/#', since: [{ topic: 'devices/d1/t', epoch: 7n, seq: 3n }] }], client: 'x' },
    { timeoutMs: 1000 },
  );
  assert.equal(result.sessionId, 's1');
  const [connect] = lane.calls('connect');
  assert.equal(connect.id, 1);
  assert.equal(connect.body.value.appId, 'dash');
  assert.equal(connect.body.value.token, 'jwt-1');
  assert.equal(connect.body.value.subscriptions[0].since[0].seq, 3n);
  assert.deepEqual(lane.establishedWith, { sessionId: 's1', token: 'jwt-1', attachTicket: '' });
  assert.equal(session.maxOutboundBytes, 65536);
});

test('replies are matched by id even when they arrive out of order', async () => {
  const { session, lane, bridge } = await openSession();
  const held = [];
  bridge.on('rpc', (_, call) => {
    held.push(call);
    return null;
  });
  const a = session.request('rpc', { deviceId: 'd1', method: 'a' });
  const b = session.request('rpc', { deviceId: 'd2', method: 'b' });
  await flush();
  assert.deepEqual(held.map((c) => c.id), [1, 2]);
  lane.push(callFrame(2, 'rpcResult', { payload: Uint8Array.of(2) }));
  lane.push(callFrame(1, 'rpcResult', { payload: Uint8Array.of(1) }));
  assert.deepEqual((await a).value.payload, Uint8Array.of(1));
  assert.deepEqual((await b).value.payload, Uint8Array.of(2));
  assert.equal(session.pending.size, 0);
});

test('every wire ErrorCode reaches the caller as its typed error', async () => {
  const expected = [
    [ErrorCode.UNAUTHORIZED, UnauthorizedError, 'UNAUTHORIZED'],
    [ErrorCode.FORBIDDEN, ForbiddenError, 'FORBIDDEN'],
    [ErrorCode.BAD_REQUEST, BadRequestError, 'BAD_REQUEST'],
    [ErrorCode.TOO_LARGE, TooLargeError, 'TOO_LARGE'],
    [ErrorCode.RATE_LIMITED, RateLimitedError, 'RATE_LIMITED'],
    [ErrorCode.UNAVAILABLE, UnavailableError, 'UNAVAILABLE'],
    [ErrorCode.SLOW_CONSUMER, SlowConsumerError, 'SLOW_CONSUMER'],
    [ErrorCode.TIMEOUT, TimeoutError, 'TIMEOUT'],
    [ErrorCode.TOKEN_EXPIRED, TokenExpiredError, 'TOKEN_EXPIRED'],
  ];
  const { session, bridge } = await openSession();
  let next = 0;
  bridge.on('publish', (_, call) => {
    const [code] = expected[next++];
    return callFrame(call.id, 'error', { code, message: `refused ${code}`, retryAfterMs: 250 });
  });
  for (const [code, Type, name] of expected) {
    const err = await session.request('publish', { topic: 't' }).catch((e) => e);
    assert.ok(err instanceof Type, `${name}: got ${err?.name}`);
    assert.ok(err instanceof LanewayError);
    assert.equal(err.code, name);
    assert.equal(err.message, `refused ${code}`);
    assert.equal(err.retryAfterMs, 250);
  }
});

test('an unknown future error code is still a LanewayError', () => {
  const err = errorFromWire({ code: 42, message: '', retryAfterMs: 0 });
  assert.equal(err.constructor, LanewayError);
  assert.equal(err.code, 'CODE_42');
});

test('a request without a reply times out, and its late reply is ignored', async () => {
  const { session, bridge, clock, lane } = await openSession();
  bridge.on('presence', () => null);
  const outcome = session.request('presence', { filter: '' }, { timeoutMs: 2000 }).catch((e) => e);
  await flush();
  await clock.advance(1999);
  assert.equal(session.pending.size, 1);
  await clock.advance(1);
  assert.ok((await outcome) instanceof TimeoutError);
  lane.push(callFrame(1, 'presenceResult', {})); // late: no crash, nothing pending
  assert.equal(session.pending.size, 0);
});

test('a reply of the wrong kind is refused', async () => {
  const { session, bridge } = await openSession();
  bridge.on('publish', (_, call) => callFrame(call.id, 'pong', {}));
  await assert.rejects(session.request('publish', { topic: 't' }), /expected publishResult, bridge answered pong/);
});

test('a lane drop fails every pending request and resolves dropped', async () => {
  const { session, bridge, lane } = await openSession();
  bridge.on('rpc', () => null);
  const a = session.request('rpc', { deviceId: 'd', method: 'm' });
  const b = session.request('rpc', { deviceId: 'd', method: 'm' });
  await flush();
  lane.drop('reset by peer');
  await assert.rejects(a, ConnectionError);
  await assert.rejects(b, /reset by peer/);
  const reason = await session.dropped;
  assert.ok(reason instanceof ConnectionError);
  await assert.rejects(session.request('publish', { topic: 't' }), ConnectionError);
});

test('outstanding requests are bounded', async () => {
  const { session, bridge } = await openSession({ maxPending: 3 });
  bridge.on('rpc', () => null);
  for (let i = 0; i < 3; i++) session.request('rpc', { deviceId: 'd', method: 'm' }).catch(() => {});
  await assert.rejects(session.request('rpc', { deviceId: 'd', method: 'm' }), UnavailableError);
  session.close();
});

test('frames over the bridge limit are refused before sending', async () => {
  const { session, lane } = await openSession();
  await session.connect({ appId: 'a', token: 't', subscriptions: [] }, { timeoutMs: 1000 });
  const before = lane.sent.length;
  await assert.rejects(session.request('publish', { topic: 't', payload: new Uint8Array(70_000) }), TooLargeError);
  assert.equal(lane.sent.length, before);
});

test('the bridge ping is answered with a pong echoing its timestamp', async () => {
  const { lane } = await openSession();
  lane.push(callFrame(0, 'ping', { sentAtUs: 123456789n }));
  await flush();
  const [pong] = lane.calls('pong');
  assert.equal(pong.id, 0);
  assert.equal(pong.body.value.sentAtUs, 123456789n);
});

test('our ping measures the round trip on the session clock', async () => {
  const { session, bridge, clock, lane } = await openSession();
  bridge.on('ping', () => null);
  const rtt = session.ping();
  await flush();
  await clock.advance(42);
  const [ping] = lane.calls('ping');
  lane.push(callFrame(ping.id, 'pong', { sentAtUs: ping.body.value.sentAtUs }));
  assert.equal(await rtt, 42);
});

test('pushed errors and undecodable frames are reported, envelopes are passed on', async () => {
  const { lane, pushed, messages } = await openSession();
  lane.push(callFrame(0, 'error', { code: ErrorCode.SLOW_CONSUMER, message: 'queue overflow' }));
  lane.onFrame(Uint8Array.of(0xff, 0xff));
  lane.push(envelopeFrame({ topic: 'a', seq: 1 }));
  assert.ok(pushed[0] instanceof SlowConsumerError);
  assert.ok(pushed[1] instanceof BadRequestError);
  assert.equal(messages.length, 1);
});

test('call ids stay positive and skip ids still in flight when they wrap', async () => {
  const { session, bridge, lane } = await openSession();
  bridge.on('rpc', () => null);
  session.request('rpc', { deviceId: 'd', method: 'm' }).catch(() => {}); // id 1 stays pending
  session.nextId = 0xffffffff;
  session.request('rpc', { deviceId: 'd', method: 'm' }).catch(() => {});
  session.request('rpc', { deviceId: 'd', method: 'm' }).catch(() => {});
  await flush();
  assert.deepEqual(lane.calls('rpc').map((c) => c.id), [1, 0xffffffff, 2]);
  session.close();
});

test('after connect, frames over the limit the bridge announced are refused, not delivered', async () => {
  const { session, lane, bridge, pushed, messages } = await openSession();
  bridge.on('connect', (_, call) => callFrame(call.id, 'connectResult', { sessionId: 's1', maxFrameBytes: 64 }));
  await session.connect({ appId: 'dash', token: 'jwt-1', subscriptions: [] }, { timeoutMs: 1000 });
  assert.equal(session.maxOutboundBytes, 64);
  lane.push(envelopeFrame({ topic: 'devices/d1/t', seq: 1, payload: 'small' }));
  lane.push(envelopeFrame({ topic: 'devices/d1/t', seq: 2, payload: 'x'.repeat(100) }));
  await flush();
  assert.equal(messages.length, 1);
  assert.equal(messages[0].kind.value.seq, 1n);
  assert.equal(pushed.length, 1);
  assert.ok(pushed[0] instanceof TooLargeError, String(pushed[0]));
});
