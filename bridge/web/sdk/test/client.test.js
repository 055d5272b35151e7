import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialize } from '../src/index.js';
import { callFrame } from '../src/codec.js';
import { ErrorCode } from '../src/gen/laneway_pb.js';
import {
  ClosedError,
  ConnectionError,
  ForbiddenError,
  LaneUnavailableError,
  RateLimitedError,
  TimeoutError,
  UnauthorizedError,
} from '../src/errors.js';
import { FakeBridge, FakeClock, envelopeFrame, flush, groupFrame } from './fakes.js';

const BASE = 'https://bridge.test:8443';

function infoFetch(info) {
  const calls = [];
  const fetch = async (url) => {
    calls.push(url);
    if (info === null) throw new TypeError('connection refused');
    return { ok: true, status: 200, text: async () => JSON.stringify(info) };
  };
  fetch.calls = calls;
  return fetch;
}

function makeClient({ info = { transports: ['wt', 'ws', 'sse'] }, runtime = ['wt', 'ws', 'sse'], getUserJwt, ...options } = {}) {
  const clock = new FakeClock();
  const bridge = new FakeBridge({ clock });
  let tokens = 0;
  const events = [];
  const fetch = infoFetch(info);
  const client = initialize({
    appId: 'dash',
    getUserJwt: getUserJwt ?? (async () => `jwt-${++tokens}`),
    url: BASE,
    fetch,
    runtimeLanes: new Set(runtime),
    clock,
    createLane: bridge.createLane,
    random: () => 0.5,
    ...options,
  });
  for (const ev of ['state', 'lane', 'error', 'resume', 'gap', 'rtt', 'refresh']) client.on(ev, (...args) => events.push([ev, ...args]));
  const of = (name) => events.filter((e) => e[0] === name).map((e) => e.slice(1));
  return { client, clock, bridge, events, of, fetch, tokens: () => tokens };
}

test('auto connects on the first lane both sides have and reports it', async () => {
  const { client, bridge, of, fetch } = makeClient({ runtime: ['ws', 'sse'] });
  await flush();
  assert.deepEqual(fetch.calls, [`${BASE}/api/info`]);
  assert.equal(client.state, 'connected');
  assert.equal(client.lane, 'ws');
  assert.equal(client.sessionId, 's1');
  assert.deepEqual(bridge.opened, ['ws']);
  assert.deepEqual(of('state').map((s) => s[0]), ['connecting', 'connected']);
  const [lane] = of('lane');
  assert.equal(lane[0].lane, 'ws');
  assert.deepEqual(lane[0].skipped, [{ kind: 'wt', reason: 'not available in this runtime' }]);
  await client.close();
  assert.equal(client.state, 'closed');
});

test('auto falls back from an unreachable WebTransport to WebSocket, and from a refused WebSocket to SSE', async () => {
  const a = makeClient();
  a.bridge.laneBehaviour.wt = 'refuse';
  await flush();
  assert.equal(a.client.lane, 'ws');
  assert.deepEqual(a.bridge.opened, ['wt', 'ws']);
  assert.deepEqual(a.of('lane')[0][0].attempts.map((x) => [x.lane, x.ok]), [['wt', false], ['ws', true]]);
  await a.client.close();

  const b = makeClient({ info: { transports: ['ws', 'sse'] } });
  b.bridge.laneBehaviour.ws = 'refuse';
  await flush();
  assert.equal(b.client.lane, 'sse');
  await b.client.close();
});

test('auto abandons a hanging lane after connectTimeoutMs', async () => {
  const { client, bridge, clock } = makeClient({ connectTimeoutMs: 4000 });
  bridge.laneBehaviour.wt = 'hang';
  await flush();
  assert.equal(client.state, 'connecting');
  await clock.advance(4000);
  assert.equal(client.lane, 'ws');
  await client.close();
});

test('a forced lane never switches: it retries the same lane with backoff', async () => {
  const { client, bridge, clock, of } = makeClient({ transport: 'ws', reconnectBaseMs: 100, reconnectMaxMs: 1000 });
  bridge.laneBehaviour.ws = 'refuse';
  await flush();
  for (let i = 0; i < 5; i++) await clock.advance(1000);
  assert.ok(bridge.opened.length >= 5);
  assert.ok(bridge.opened.every((k) => k === 'ws'), bridge.opened.join());
  assert.equal(client.lane, null);
  assert.ok(of('error').every(([e]) => e instanceof ConnectionError));
  assert.equal(client.state, 'connecting', 'never connected yet');
  bridge.laneBehaviour.ws = 'ok';
  await clock.advance(1000);
  assert.equal(client.lane, 'ws');
  await client.close();
});

test('a forced lane the runtime lacks closes the client with LaneUnavailableError', async () => {
  const { client, bridge, of } = makeClient({ transport: 'wt', runtime: ['ws', 'sse'] });
  await flush();
  assert.equal(client.state, 'closed');
  assert.ok(of('error')[0][0] instanceof LaneUnavailableError);
  assert.deepEqual(bridge.opened, []);
});

test('without /api/info auto still reaches the default WebSocket lane', async () => {
  const { client, of } = makeClient({ info: null });
  await flush();
  assert.equal(client.lane, 'ws');
  assert.match(of('error')[0][0].message, /api\/info/);
  await client.close();
});

test('subscriptions made before connecting travel with the connect; duplicates are dropped', async () => {
  const { client, bridge } = makeClient();
  const got = [];
  const confirmed = client.subscribe('devices/+/telemetry', (m) => got.push([m.topic, m.seq, m.text()]));
  await flush();
  const [connect] = bridge.current.calls('connect');
  assert.deepEqual(connect.body.value.subscriptions.map((s) => s.filter), ['devices/+/telemetry']);
  assert.deepEqual(await confirmed, { filter: 'devices/+/telemetry', recovered: true });
  const lane = bridge.current;
  lane.push(envelopeFrame({ topic: 'devices/d1/telemetry', seq: 1, payload: 'a' }));
  lane.push(envelopeFrame({ topic: 'devices/d1/telemetry', seq: 2, payload: 'b' }));
  lane.push(envelopeFrame({ topic: 'devices/d1/telemetry', seq: 2, payload: 'b' }));
  lane.push(envelopeFrame({ topic: 'devices/d1/status', seq: 1, payload: 'not mine' }));
  assert.deepEqual(got, [
    ['devices/d1/telemetry', 1, 'a'],
    ['devices/d1/telemetry', 2, 'b'],
  ]);
  await client.close();
});

test('after a drop the client reconnects with backoff and resumes every subscription from its last position', async () => {
  const { client, bridge, clock, of } = makeClient({ reconnectBaseMs: 200, reconnectMaxMs: 5000 });
  const got = [];
  client.subscribe('devices/#', (m) => got.push(m.seq));
  client.subscribe('fleet/g1/#', () => {});
  await flush();
  const first = bridge.current;
  for (const seq of [1, 2, 3]) first.push(envelopeFrame({ topic: 'devices/d1/t', seq }));
  first.push(envelopeFrame({ topic: 'devices/d2/t', seq: 10 }));
  first.drop();
  await flush();
  assert.equal(client.state, 'reconnecting');
  assert.ok(of('error').at(-1)[0] instanceof ConnectionError);
  // random() = 0.5 with full jitter: the first retry waits half the base delay.
  assert.deepEqual(clock.pendingDelays(), [100]);
  await clock.advance(100);
  const second = bridge.current;
  assert.notEqual(second, first);
  const subs = second.calls('connect')[0].body.value.subscriptions;
  assert.deepEqual(
    subs.map((s) => [s.filter, s.since.map((p) => [p.topic, p.epoch, p.seq])]),
    [
      ['devices/#', [['devices/d1/t', 7n, 3n], ['devices/d2/t', 7n, 10n]]],
      ['fleet/g1/#', []],
    ],
  );
  assert.deepEqual(of('resume').map(([r]) => [r.filter, r.recovered]), [['devices/#', true]]);
  // The replay overlaps what was delivered: only the missed envelopes reach the handler.
  second.push(groupFrame({ envelopes: [{ topic: 'devices/d1/t', seq: 3 }, { topic: 'devices/d1/t', seq: 4 }], recovered: true }));
  assert.deepEqual(got, [1, 2, 3, 10, 4]);
  assert.equal(client.state, 'connected');
  await client.close();
});

test('recovered=false reaches the application once, from the connect result; the live stream reports gaps', async () => {
  const { client, bridge, clock, of } = makeClient();
  client.subscribe('devices/#', () => {}, { since: [{ topic: 'devices/d1/t', epoch: 7, seq: 40 }] });
  bridge.on('connect', (_, call) =>
    callFrame(call.id, 'connectResult', {
      sessionId: 's',
      subscriptions: [{ filter: 'devices/#', recovered: false, epoch: 8n }],
    }),
  );
  await flush();
  assert.deepEqual(of('resume'), [[{ filter: 'devices/#', recovered: false, epoch: 8 }]]);
  // The connect's own (empty) replay says nothing new.
  bridge.current.push(groupFrame({ recovered: false }));
  assert.equal(of('resume').length, 1);
  assert.equal(of('gap').length, 0);
  // A new epoch and a seq jump on the live stream are reported as gaps.
  bridge.current.push(envelopeFrame({ topic: 'devices/d1/t', seq: 1, epoch: 8 }));
  bridge.current.push(envelopeFrame({ topic: 'devices/d1/t', seq: 5, epoch: 8 }));
  assert.deepEqual(of('gap').map(([g]) => [g.reason, g.last.seq, g.received.seq]), [['epoch', 40, 1], ['seq', 1, 5]]);
  // Later, an empty replay that lost something (an SSE stream reattached past the window).
  bridge.current.push(groupFrame({ recovered: false }));
  assert.deepEqual(of('gap').at(-1)[0], { filter: 'devices/#', reason: 'replay' });
  assert.equal(of('resume').length, 1);
  await clock.advance(0);
  await client.close();
});

test('a fresh subscription sees no resume and no gap, whatever history groups and answers arrive', async () => {
  const { client, bridge, clock, of } = makeClient();
  const got = [];
  client.subscribe('devices/+/telemetry', (m) => got.push(m.seq));
  bridge.on('connect', (_, call) =>
    callFrame(call.id, 'connectResult', { sessionId: 's', subscriptions: [{ filter: 'devices/+/telemetry', recovered: true, epoch: 8n }] }),
  );
  bridge.on('history', (_, call) =>
    callFrame(call.id, 'historyResult', {
      group: { reason: 2, recovered: false, envelopes: [], spans: [{ topic: 'devices/d1/telemetry', epoch: 8n, fromSeq: 30n, toSeq: 31n }] },
    }),
  );
  await flush();
  // The bridge itself missed envelopes of a topic it serves again: a one-envelope gap group.
  bridge.current.push(groupFrame({ envelopes: [{ topic: 'devices/d1/telemetry', seq: 30 }], recovered: false }));
  bridge.current.push(groupFrame({ envelopes: [{ topic: 'devices/d2/telemetry', seq: 9 }], recovered: false }));
  const answer = await client.history('devices/d1/telemetry', { limit: 500 });
  assert.equal(answer.recovered, false);
  bridge.current.push(envelopeFrame({ topic: 'devices/d1/telemetry', seq: 31 }));
  assert.deepEqual(got, [30, 9, 31]);
  assert.deepEqual(of('resume'), []);
  assert.deepEqual(of('gap'), []);
  await clock.advance(0);
  await client.close();
});

test('reconnect delays grow with full jitter and stay under the cap', async () => {
  const { client, bridge, clock } = makeClient({ transport: 'ws', reconnectBaseMs: 100, reconnectMaxMs: 1600, random: () => 0.999 });
  bridge.laneBehaviour.ws = 'refuse';
  await flush();
  const delays = [];
  for (let i = 0; i < 7; i++) {
    const [d] = clock.pendingDelays();
    delays.push(d);
    await clock.advance(d);
  }
  assert.deepEqual(delays, [99, 199, 399, 799, 1598, 1598, 1598]);
  await client.close();
  assert.deepEqual(clock.pendingDelays(), [], 'close() leaves no timer behind');
});

test('a RATE_LIMITED refusal on connect waits at least retry_after_ms', async () => {
  const { client, bridge, clock } = makeClient({ reconnectBaseMs: 10 });
  let n = 0;
  bridge.on('connect', (_, call) => (n++ === 0 ? callFrame(call.id, 'error', { code: ErrorCode.RATE_LIMITED, retryAfterMs: 3000 }) : undefined));
  await flush();
  assert.deepEqual(clock.pendingDelays(), [3000]);
  await clock.advance(3000);
  assert.equal(client.state, 'connected');
  await client.close();
});

test('the JWT is refreshed in-band before it expires', async () => {
  const { client, bridge, clock, of, tokens } = makeClient({ refreshLeadMs: 30_000 });
  bridge.expiresInS = 120;
  bridge.pingIntervalMs = 1_000_000;
  await flush();
  assert.equal(tokens(), 1);
  await clock.advance(89_999);
  assert.equal(bridge.current.calls('refresh').length, 0);
  await clock.advance(1);
  const [refresh] = bridge.current.calls('refresh');
  assert.equal(refresh.body.value.token, 'jwt-2');
  assert.equal(bridge.current.token, 'jwt-2', 'the lane knows the new token (SSE query string)');
  assert.equal(of('refresh').length, 1);
  // The next refresh is scheduled from the new expiry.
  await clock.advance(90_000);
  assert.equal(bridge.current.calls('refresh').length, 2);
  assert.equal(client.sessionId, 's1', 'refresh keeps the session');
  await client.close();
});

test('a failed refresh is retried while the token is still valid', async () => {
  const { client, bridge, clock, of } = makeClient({ refreshLeadMs: 30_000 });
  bridge.expiresInS = 120;
  bridge.pingIntervalMs = 1_000_000;
  let n = 0;
  bridge.on('refresh', (_, call) => (n++ === 0 ? callFrame(call.id, 'error', { code: ErrorCode.UNAVAILABLE }) : undefined));
  await flush();
  await clock.advance(90_000);
  assert.equal(of('error').length, 1);
  await clock.advance(5_000);
  assert.equal(bridge.current.calls('refresh').length, 2);
  assert.equal(of('refresh').length, 1);
  await client.close();
});

test('bad credentials are retried a bounded number of times, then the client closes', async () => {
  const { client, bridge, clock, of } = makeClient({ authRetries: 2, reconnectBaseMs: 10, reconnectMaxMs: 10 });
  bridge.on('connect', (_, call) => callFrame(call.id, 'error', { code: ErrorCode.UNAUTHORIZED, message: 'bad signature' }));
  await flush();
  for (let i = 0; i < 5; i++) await clock.advance(10);
  assert.equal(client.state, 'closed');
  assert.equal(bridge.opened.length, 3);
  assert.ok(of('error').every(([e]) => e instanceof UnauthorizedError));
  // Auth refusals do not make auto try another lane.
  assert.deepEqual(bridge.opened, ['wt', 'wt', 'wt']);
});

test('FORBIDDEN on connect closes the client at once with the typed error', async () => {
  const { client, bridge, of } = makeClient();
  client.subscribe('secret/#', () => {});
  bridge.on('connect', (_, call) => callFrame(call.id, 'error', { code: ErrorCode.FORBIDDEN, message: 'filter not allowed' }));
  await flush();
  assert.equal(client.state, 'closed');
  assert.ok(of('error')[0][0] instanceof ForbiddenError);
  assert.deepEqual(of('state').at(-1)[1].error.code, 'FORBIDDEN');
});

test('publish, call and presence round-trip and surface typed errors', async () => {
  const { client, bridge } = makeClient();
  await client.connected();
  await client.publish('devices/d1/cmd', 'hello', { qos: 1 });
  const [pub] = bridge.current.calls('publish');
  assert.equal(new TextDecoder().decode(pub.body.value.payload), 'hello');
  assert.equal(pub.body.value.qos, 1);

  const reply = await client.call('d-0001', 'reboot', JSON.stringify({ delay: 1 }), { timeoutMs: 5000 });
  assert.deepEqual(reply.json(), { delay: 1 });
  assert.equal(bridge.current.calls('rpc')[0].body.value.timeoutMs, 5000);

  assert.deepEqual(await client.presence('+'), [{ clientId: 'd-0001', role: 'device', online: true, sinceUs: 5, groups: ['g1'] }]);

  // A listing in pages: presence() follows `next` until it is empty.
  const devices = ['d-0001', 'd-0002', 'd-0003', 'd-0004', 'd-0005'];
  bridge.on('presence', (_, call) => {
    const { after, limit } = call.body.value;
    const rest = devices.filter((d) => d > after).slice(0, limit || 2);
    const next = rest.length && rest.at(-1) !== devices.at(-1) ? rest.at(-1) : '';
    return callFrame(call.id, 'presenceResult', { clients: rest.map((clientId) => ({ clientId, role: 'device', online: true })), next });
  });
  assert.deepEqual((await client.presence('+')).map((p) => p.clientId), devices);
  assert.deepEqual(await client.presencePage('+', { after: 'd-0001', limit: 1 }).then((p) => [p.clients.map((c) => c.clientId), p.next]), [['d-0002'], 'd-0002']);
  await assert.rejects(client.presence('+', { maxPages: 2 }), /did not end within 2 pages/);

  bridge.on('publish', (_, call) => callFrame(call.id, 'error', { code: ErrorCode.RATE_LIMITED, retryAfterMs: 200 }));
  const err = await client.publish('devices/d1/cmd', new Uint8Array([1])).catch((e) => e);
  assert.ok(err instanceof RateLimitedError);
  assert.equal(err.retryAfterMs, 200);

  await assert.rejects(client.publish('devices/+/cmd', 'x'), /invalid publish topic/);
  await assert.rejects(client.publish('a', 'x', { qos: 2 }), /qos must be 0 or 1/);
  await client.close();
});

test('an RPC with no reply fails with TimeoutError after its timeout plus grace', async () => {
  const { client, bridge, clock } = makeClient();
  await client.connected();
  bridge.on('rpc', () => null);
  const outcome = client.call('d-0001', 'slow', '', { timeoutMs: 1000 }).catch((e) => e);
  await clock.advance(2999);
  assert.equal(await Promise.race([outcome, Promise.resolve('pending')]), 'pending');
  await clock.advance(1);
  assert.ok((await outcome) instanceof TimeoutError);
  await client.close();
});

test('requests made while reconnecting wait for the next session', async () => {
  const { client, bridge, clock } = makeClient({ reconnectBaseMs: 1000 });
  await client.connected();
  bridge.current.drop();
  await flush();
  const done = client.publish('devices/d1/cmd', 'later');
  await clock.advance(1000);
  await done;
  assert.equal(bridge.current.calls('publish').length, 1);
  assert.equal(bridge.lanes.length, 2);
  await client.close();
});

test('a peer that stops answering pings is declared dead and replaced', async () => {
  const { client, bridge, clock, of } = makeClient();
  bridge.pingIntervalMs = 5000;
  await client.connected();
  await clock.advance(5000);
  assert.equal(typeof client.rtt, 'number');
  assert.equal(of('rtt').length, 1);
  bridge.on('ping', () => null);
  await clock.advance(5000); // ping sent, no pong
  await clock.advance(5000); // ping times out
  assert.ok(of('error').some(([e]) => /ping failed/.test(e.message)));
  await clock.advance(1000);
  assert.equal(client.sessionId, 's2');
  await client.close();
});

test('unsubscribe drops a handler, and the bridge subscription with the last one', async () => {
  const { client, bridge } = makeClient();
  const a = [];
  const b = [];
  const ha = (m) => a.push(m.seq);
  client.subscribe('x/#', ha);
  client.subscribe('x/#', (m) => b.push(m.seq));
  await client.connected();
  bridge.current.push(envelopeFrame({ topic: 'x/1', seq: 1 }));
  await client.unsubscribe('x/#', ha);
  bridge.current.push(envelopeFrame({ topic: 'x/1', seq: 2 }));
  assert.deepEqual([a, b], [[1], [1, 2]]);
  assert.equal(bridge.current.calls('unsubscribe').length, 0);
  await client.unsubscribe('x/#');
  assert.equal(bridge.current.calls('unsubscribe').length, 1);
  bridge.current.push(envelopeFrame({ topic: 'x/1', seq: 3 }));
  assert.deepEqual(b, [1, 2]);
  await client.close();
});

test('a subscription refused by the bridge rejects its promise and leaves the others', async () => {
  const { client, bridge } = makeClient();
  await client.connected();
  bridge.on('subscribe', (_, call) =>
    call.body.value.subscription.filter === 'secret/#' ? callFrame(call.id, 'error', { code: ErrorCode.FORBIDDEN }) : undefined,
  );
  await assert.rejects(client.subscribe('secret/#', () => {}), ForbiddenError);
  assert.deepEqual(await client.subscribe('devices/#', () => {}), { filter: 'devices/#', recovered: true });
  assert.deepEqual(client.positions('secret/#'), []);
  await client.close();
});

test('close() rejects waiting requests and stops reconnecting', async () => {
  const { client, bridge, clock } = makeClient({ transport: 'ws' });
  bridge.laneBehaviour.ws = 'refuse';
  await flush();
  const waiting = client.presence().catch((e) => e);
  await client.close();
  assert.ok((await waiting) instanceof ClosedError);
  const opened = bridge.opened.length;
  await clock.advance(60_000);
  assert.equal(bridge.opened.length, opened);
  await assert.rejects(client.subscribe('a', () => {}), ClosedError);
});

test('initialize validates its options', () => {
  assert.throws(() => initialize({ getUserJwt: () => 't', url: BASE }), /appId/);
  assert.throws(() => initialize({ appId: 'a', url: BASE }), /getUserJwt/);
  assert.throws(() => initialize({ appId: 'a', getUserJwt: () => 't', url: BASE, transport: 'mqtt' }), /transport/);
  assert.throws(() => initialize({ appId: 'a', getUserJwt: () => 't' }), /url is required/);
});

test('with several replicas a dropped lane moves to the next one and resumes there, with no duplicate', async () => {
  const OTHER = 'https://replica-2.test:8443';
  const { client, bridge, clock, of, fetch } = makeClient({ url: [BASE, OTHER], reconnectBaseMs: 200 });
  const got = [];
  client.subscribe('devices/#', (m) => got.push(m.seq));
  await flush();
  assert.equal(new URL(of('lane').at(-1)[0].url).host, 'bridge.test:8443');
  const first = bridge.current;
  for (const seq of [1, 2]) first.push(envelopeFrame({ topic: 'devices/d1/t', seq }));
  first.drop();
  await flush();
  await clock.advance(100);
  assert.equal(fetch.calls.at(-1), `${OTHER}/api/info`);
  assert.equal(new URL(of('lane').at(-1)[0].url).host, 'replica-2.test:8443');
  const since = bridge.current.calls('connect')[0].body.value.subscriptions[0].since;
  assert.deepEqual(since.map((p) => [p.topic, p.seq]), [['devices/d1/t', 2n]]);
  // The new replica's replay overlaps what was delivered: delivered once.
  bridge.current.push(groupFrame({ envelopes: [{ topic: 'devices/d1/t', seq: 2 }, { topic: 'devices/d1/t', seq: 3 }], recovered: true }));
  assert.deepEqual(got, [1, 2, 3]);
  await client.close();
});

test('after a move the JWT refresh follows the new session, and nothing in flight is lost silently', async () => {
  const OTHER = 'https://replica-2.test:8443';
  const { client, bridge, clock, of, tokens } = makeClient({ url: [BASE, OTHER], reconnectBaseMs: 200, refreshLeadMs: 30_000 });
  bridge.expiresInS = 120;
  bridge.pingIntervalMs = 1_000_000;
  await flush();
  const first = bridge.current;
  // A publish and an RPC in flight when the replica dies (it never answers them) reject
  // with a typed error.
  bridge.on('publish', () => null);
  bridge.on('rpc', () => null);
  const publish = client.publish('devices/d1/cmd', 'x', { qos: 1 }).then(() => 'ok', (e) => e.code);
  const call = client.call('d1', 'ping', '{}').then(() => 'ok', (e) => e.code);
  await flush();
  first.drop();
  assert.deepEqual(await Promise.all([publish, call]), ['CONNECTION', 'CONNECTION']);
  await clock.advance(100);
  const second = bridge.current;
  assert.notEqual(second, first);
  assert.equal(new URL(of('lane').at(-1)[0].url).host, 'replica-2.test:8443');
  const tokensAtMove = tokens();
  // The old session's refresh timer is gone; the new one refreshes on the new replica.
  await clock.advance(90_000);
  assert.equal(first.calls('refresh').length, 0);
  assert.equal(second.calls('refresh').length, 1);
  assert.equal(tokens(), tokensAtMove + 1);
  await client.close();
});

test('a draining replica (final UNAVAILABLE) is left at once for the next, with no error event', async () => {
  const OTHER = 'https://replica-2.test:8443';
  const { client, bridge, of } = makeClient({ url: [BASE, OTHER] });
  client.subscribe('devices/#', () => {});
  await flush();
  const errorsBefore = of('error').length;
  const first = bridge.current;
  first.push(callFrame(0, 'error', { code: ErrorCode.UNAVAILABLE, message: 'bridge draining', retryAfterMs: 3000 }));
  first.drop();
  await flush();
  assert.notEqual(bridge.current, first);  // no backoff wait, no retry_after wait
  assert.equal(client.state, 'connected');
  assert.equal(new URL(of('lane').at(-1)[0].url).host, 'replica-2.test:8443');
  assert.equal(of('error').length, errorsBefore);
  await client.close();
});

test('replicas listed in /api/info join the list the client moves along', async () => {
  const { client, bridge, clock, fetch } = makeClient({ info: { transports: ['ws'], replicas: [BASE, 'https://replica-3.test:8443'] }, reconnectBaseMs: 200 });
  await flush();
  bridge.current.drop();
  await flush();
  await clock.advance(100);
  assert.equal(fetch.calls.at(-1), 'https://replica-3.test:8443/api/info');
  await client.close();
});
