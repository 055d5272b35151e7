import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultLane, fetchInfo, parseInfo, planLanes, runtimeLanes, selectLane } from '../src/lane_select.js';
import { ConnectionError, LaneUnavailableError, TimeoutError, UnauthorizedError } from '../src/errors.js';
import { FakeClock, flush } from './fakes.js';

const BASE = 'https://bridge.test:8443';
const INFO = {
  version: '0.1.0',
  transports: [
    { name: 'wt', url: 'https://bridge.test:8443/v1/wt', serverCertificateHashes: ['AAECAw=='] },
    { name: 'ws', url: 'wss://bridge.test:8443/v1/ws' },
    { name: 'sse', url: '/v1/sse', call: '/v1/call' },
  ],
};
const fn = function () {};

test('runtime lanes come from the constructors the runtime has', () => {
  assert.deepEqual([...runtimeLanes({ WebTransport: fn, WebSocket: fn, EventSource: fn, fetch: fn })], ['wt', 'ws', 'sse']);
  assert.deepEqual([...runtimeLanes({ WebSocket: fn })], ['ws']);
  // SSE needs both EventSource (receive) and fetch (POST /v1/call).
  assert.deepEqual([...runtimeLanes({ EventSource: fn })], []);
  assert.deepEqual([...runtimeLanes({})], []);
});

test('/api/info parses into lanes in the bridge order with absolute URLs and hashes', () => {
  const info = parseInfo(INFO, BASE);
  assert.equal(info.version, '0.1.0');
  assert.deepEqual(info.transports.map((t) => t.kind), ['wt', 'ws', 'sse']);
  assert.deepEqual(info.transports[0].serverCertificateHashes, [Uint8Array.of(0, 1, 2, 3)]);
  assert.equal(info.transports[2].url, 'https://bridge.test:8443/v1/sse');
  assert.equal(info.transports[2].callUrl, 'https://bridge.test:8443/v1/call');
});

test('/api/info tolerates name lists, keyed objects and unknown kinds', () => {
  assert.deepEqual(parseInfo({ transports: ['ws', 'carrier-pigeon', 'sse', 'ws'] }, BASE).transports.map((t) => t.kind), ['ws', 'sse']);
  const keyed = parseInfo({ transports: { ws: { url: 'wss://other/v1/ws' }, sse: {} } }, BASE);
  assert.equal(keyed.transports[0].url, 'wss://other/v1/ws');
  assert.equal(keyed.transports[1].callUrl, `${BASE}/v1/call`);
  assert.throws(() => parseInfo({}, BASE), TypeError);
  assert.throws(() => parseInfo('nope', BASE), TypeError);
});

test('/api/info replicas become origins; entries that are not URLs are left out', () => {
  const info = parseInfo({ transports: ['ws'], replicas: ['https://b2.test:8443/', 42, 'http://[bad', 'https://b3.test:9443/x'] }, BASE);
  assert.deepEqual(info.replicas, ['https://b2.test:8443', 'https://b3.test:9443']);
  assert.deepEqual(parseInfo({ transports: ['ws'] }, BASE).replicas, []);
});

test('default lane URLs follow the base URL scheme', () => {
  assert.equal(defaultLane('ws', BASE).url, 'wss://bridge.test:8443/v1/ws');
  assert.equal(defaultLane('ws', 'http://127.0.0.1:9').url, 'ws://127.0.0.1:9/v1/ws');
  assert.equal(defaultLane('sse', BASE).callUrl, `${BASE}/v1/call`);
});

test('auto intersects the bridge list with the runtime, keeping the bridge order', () => {
  const info = parseInfo(INFO, BASE);
  const plan = planLanes({ transport: 'auto', info, runtime: new Set(['sse', 'ws']), baseUrl: BASE });
  assert.deepEqual(plan.lanes.map((l) => l.kind), ['ws', 'sse']);
  assert.deepEqual(plan.skipped, [{ kind: 'wt', reason: 'not available in this runtime' }]);
});

test('auto without WebSocket on the bridge lands on SSE', () => {
  const info = parseInfo({ transports: ['sse'] }, BASE);
  const plan = planLanes({ transport: 'auto', info, runtime: new Set(['wt', 'ws', 'sse']), baseUrl: BASE });
  assert.deepEqual(plan.lanes.map((l) => l.kind), ['sse']);
});

test('auto without /api/info tries WebSocket then SSE at default paths', () => {
  const plan = planLanes({ transport: 'auto', info: null, runtime: new Set(['wt', 'ws', 'sse']), baseUrl: BASE });
  assert.deepEqual(plan.lanes.map((l) => [l.kind, l.url]), [
    ['ws', 'wss://bridge.test:8443/v1/ws'],
    ['sse', 'https://bridge.test:8443/v1/sse'],
  ]);
});

test('auto with nothing in common is a LaneUnavailableError', () => {
  const info = parseInfo({ transports: ['wt'] }, BASE);
  assert.throws(() => planLanes({ transport: 'auto', info, runtime: new Set(['ws']), baseUrl: BASE }), LaneUnavailableError);
});

test('a forced lane is the only lane planned, and never replaced', () => {
  const info = parseInfo(INFO, BASE);
  const plan = planLanes({ transport: 'sse', info, runtime: new Set(['wt', 'ws', 'sse']), baseUrl: BASE });
  assert.deepEqual(plan.lanes.map((l) => l.kind), ['sse']);
  // Not in the runtime, or not offered by the bridge: refused, not swapped for another lane.
  assert.throws(() => planLanes({ transport: 'wt', info, runtime: new Set(['ws']), baseUrl: BASE }), LaneUnavailableError);
  const noWt = parseInfo({ transports: ['ws', 'sse'] }, BASE);
  assert.throws(() => planLanes({ transport: 'wt', info: noWt, runtime: new Set(['wt', 'ws']), baseUrl: BASE }), /does not offer/);
  assert.throws(() => planLanes({ transport: 'carrier', info, runtime: new Set(), baseUrl: BASE }), TypeError);
});

test('selection falls back in order and reports every attempt', async () => {
  const tried = [];
  const lanes = ['wt', 'ws', 'sse'].map((k) => defaultLane(k, BASE));
  const { result, lane, attempts } = await selectLane(lanes, async (l) => {
    tried.push(l.kind);
    if (l.kind === 'wt') throw new ConnectionError('udp blocked');
    return `session over ${l.kind}`;
  });
  assert.deepEqual(tried, ['wt', 'ws']);
  assert.equal(lane.kind, 'ws');
  assert.equal(result, 'session over ws');
  assert.deepEqual(attempts.map((a) => [a.kind, a.ok]), [['wt', false], ['ws', true]]);
});

test('a lane that hangs is abandoned after the per-lane timeout and closed if it opens late', async () => {
  const clock = new FakeClock();
  const lanes = ['wt', 'ws'].map((k) => defaultLane(k, BASE));
  let releaseWt;
  let lateClosed = null;
  let wtSignal;
  const pending = selectLane(
    lanes,
    (l, signal) => {
      if (l.kind === 'wt') {
        wtSignal = signal;
        return new Promise((resolve) => {
          releaseWt = () => resolve({ close: (why) => (lateClosed = why) });
        });
      }
      return 'ws-session';
    },
    { timeoutMs: 3000, setTimer: clock.setTimeout, clearTimer: clock.clearTimeout },
  );
  await flush();
  assert.deepEqual(clock.pendingDelays(), [3000]);
  await clock.advance(2999);
  assert.equal(wtSignal.aborted, false);
  await clock.advance(1);
  const { lane, attempts } = await pending;
  assert.equal(lane.kind, 'ws');
  assert.ok(attempts[0].error instanceof TimeoutError);
  assert.ok(wtSignal.aborted);
  releaseWt();
  await flush();
  assert.ok(lateClosed instanceof TimeoutError, 'the late WebTransport session is closed, not leaked');
});

test('a bridge verdict stops the search: another lane cannot fix a bad token', async () => {
  const tried = [];
  const lanes = ['ws', 'sse'].map((k) => defaultLane(k, BASE));
  await assert.rejects(
    selectLane(lanes, async (l) => {
      tried.push(l.kind);
      throw new UnauthorizedError('jwt expired');
    }),
    UnauthorizedError,
  );
  assert.deepEqual(tried, ['ws']);
});

test('when every lane fails the error lists each one', async () => {
  const lanes = ['ws', 'sse'].map((k) => defaultLane(k, BASE));
  const err = await selectLane(lanes, async (l) => {
    throw new ConnectionError(`${l.kind} down`);
  }).catch((e) => e);
  assert.ok(err instanceof ConnectionError);
  assert.match(err.message, /ws: ws down; sse: sse down/);
  assert.equal(err.attempts.length, 2);
});

test('fetchInfo reads /api/info through the given fetch and refuses bad answers', async () => {
  const seen = [];
  const ok = async (url) => {
    seen.push(url);
    return { ok: true, status: 200, text: async () => JSON.stringify(INFO) };
  };
  const info = await fetchInfo(BASE, ok);
  assert.deepEqual(seen, [`${BASE}/api/info`]);
  assert.equal(info.transports.length, 3);
  await assert.rejects(fetchInfo(BASE, async () => ({ ok: false, status: 503, text: async () => '' })), /HTTP 503/);
  await assert.rejects(fetchInfo(BASE, async () => ({ ok: true, status: 200, text: async () => '{' })), ConnectionError);
  await assert.rejects(fetchInfo(BASE, async () => ({ ok: true, status: 200, text: async () => ' '.repeat(70_000) })), /too large/);
  await assert.rejects(
    fetchInfo(BASE, async () => {
      throw new TypeError('fetch failed');
    }),
    /cannot read \/api\/info: fetch failed/,
  );
});
