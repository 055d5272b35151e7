// The SSE + POST lane over HTTP/2 in headless Debian chromium (playwright-core), against a
// real laneway-bridge with `tls.http2: true` reached through a TCP pass-through, so the test
// can cut the connection (TLS stays end to end). What it shows (docs/bridge.md "HTTP/2"):
// libwebsockets 4.1.6 drops request headers it does not know on h2 streams, so the
// EventSource's own Last-Event-ID never reaches the bridge over h2; the SDK reopens its
// stream itself with `?lastEventId=`, which does.
//
// usage: node http2.mjs <config.json> <scenario>
//   sdk       the JS SDK (served by the bridge) on the SSE lane over h2: delivery, publish,
//             a short cut (the SDK reopens the stream on its session, resuming from its
//             last event id) and a cut longer than sse.resume_window_ms (the SDK
//             reconnects and resumes with recovered=true)
//   inflight  the SDK loses the connection while an event is on the wire to it; run with
//             cfg.protocol 'h2' or 'http/1.1': replayed on both
//   native    a standalone native EventSource reconnects; 'h2': a fresh session, what was
//             published meanwhile is lost; 'http/1.1': resumed with recovered=true. Then
//             on both, `?lastEventId=` in the URL resumes with recovered=true
//   ws        the WebSocket lane inside the h2 connection (RFC 8441)
// Exit 0 when every check passed; otherwise prints `FAIL: <why>` and exits 1.
import { readFileSync } from 'node:fs';
import { createHash, X509Certificate } from 'node:crypto';
import https from 'node:https';
import mqtt from 'mqtt';
import protobuf from 'protobufjs';
import { chromium } from 'playwright-core';
import { brokerClients } from '../../support/broker_clients.mjs';
import { check, retryUntil, runScenario, scenarioLog, sleep, waitFor } from '../../support/scenario.mjs';
import { startProxy } from '../../support/tcp_proxy.mjs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const scenario = process.argv[3];
const protocol = cfg.protocol ?? 'h2';
const log = scenarioLog(`${scenario} ${protocol}`);
const root = await protobuf.load(cfg.protoPath);
const Frame = root.lookupType('laneway.v1.Frame');
const decode = (b64) => Frame.toObject(Frame.decode(Buffer.from(b64, 'base64')), { longs: Number, bytes: String, defaults: true });
const text = (envelope) => Buffer.from(envelope.payload, 'base64').toString();

const { publish, cmdTopic, setupMqtt } = brokerClients(mqtt, cfg);
const telemetry = `devices/${cfg.device.id}/telemetry`;
// Connects and subscribes are answered once the broker holds the subscription, so the
// scenarios publish right after the answer. Probes on their own topic are only the writes
// that make the bridge notice a dead connection (see scenarioInflight).
const probeTopic = `devices/${cfg.device.id}/probe`;

// ---- the bridge's /metrics, straight to its admin listener over HTTP/1.1 (not through the
// proxy).
function metrics() {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port: cfg.adminPort, path: '/metrics', rejectUnauthorized: false, agent: false, timeout: 5000 }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve(body));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('/metrics timed out')));
  });
}
async function metric(line) {
  const m = (await metrics()).split('\n').find((l) => l.startsWith(`${line} `));
  check(m, `/metrics has no ${line}`);
  return Number(m.slice(line.length + 1));
}
const RESUMES = 'laneway_bridge_resumes_total{recovered="true"}';
const RESUMES_GAP = 'laneway_bridge_resumes_total{recovered="false"}';
const SSE_SESSIONS = 'laneway_bridge_connections{lane="sse"}';
const QUEUED = 'laneway_bridge_queue_frames';

// ---- chromium; over HTTP/1.1 only when the scenario asks for the contrast.
const spki = createHash('sha256').update(new X509Certificate(readFileSync(cfg.serverCert)).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
const browser = await chromium.launch({
  executablePath: cfg.chromium || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--ignore-certificate-errors-spki-list=${spki}`,
    ...(protocol === 'h2' ? [] : ['--disable-http2'])],
  timeout: 30000,
});

// A page on the proxy's origin whose network requests are recorded from the browser's side
// (DevTools protocol): the protocol each response came over, and the headers each request
// was sent with.
async function newPage(base) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => log('page exception:', e.message));
  const traffic = { responses: [], requests: [], sent: [] };
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  cdp.on('Network.responseReceived', (e) => traffic.responses.push({ url: e.response.url, protocol: e.response.protocol, status: e.response.status }));
  cdp.on('Network.requestWillBeSent', (e) => traffic.requests.push({ id: e.requestId, url: e.request.url, headers: e.request.headers }));
  // The headers as sent, which the network stack completes after requestWillBeSent.
  cdp.on('Network.requestWillBeSentExtraInfo', (e) => traffic.sent.push({ id: e.requestId, headers: e.headers }));
  await page.goto(`${base}/api/info`, { timeout: 15000 });
  return { page, traffic };
}

const pathOf = (url) => new URL(url).pathname;
function checkProtocol(traffic, path, what) {
  const seen = traffic.responses.filter((r) => pathOf(r.url) === path);
  check(seen.length > 0, `no response for ${path} recorded`);
  const wrong = seen.filter((r) => r.protocol !== protocol);
  check(wrong.length === 0, `${what} went over ${wrong.map((r) => r.protocol)}, expected ${protocol}`);
  return seen.length;
}
// The Last-Event-ID chromium put on the wire for the last request to /v1/sse.
function lastEventIdSent(traffic) {
  const request = traffic.requests.filter((r) => pathOf(r.url) === '/v1/sse').at(-1);
  const sent = traffic.sent.find((x) => x.id === request?.id);
  return sent && Object.entries(sent.headers).find(([k]) => k.toLowerCase() === 'last-event-id')?.[1];
}
// The `lastEventId` query argument of the last request to /v1/sse (the SDK's reopen).
function lastEventIdInUrl(traffic) {
  const request = traffic.requests.filter((r) => pathOf(r.url) === '/v1/sse').at(-1);
  return request && new URL(request.url).searchParams.get('lastEventId');
}

// Publishes as the device and waits until the wire observer saw each envelope on $lw/env;
// returns those envelopes' payloads (the exact bytes the bridge forwards).
async function devicePublish(device, observer, payloads) {
  const onTopic = () => observer.messages.filter((m) => m.topic === `$lw/env/${telemetry}`);
  const before = onTopic().length;
  for (const p of payloads) await publish(device, telemetry, p);
  await waitFor('the observer to see the envelopes', () => onTopic().length >= before + payloads.length);
  await sleep(300); // the bridge is a sibling subscriber: give it the same moment
  return onTopic().slice(before);
}

// ---- the SDK in the page, on the SSE lane. Its EventSource is a subclass that records
// every event's data (the base64 of the frame) and id, and the opens and errors.
async function sdkPage(base) {
  const { page, traffic } = await newPage(base);
  await page.evaluate(async ({ token, appId, url, filter }) => {
    const lw = await import('/sdk/laneway.js');
    const t = { msgs: [], gaps: [], resumes: [], errors: [], events: [], opens: 0, esErrors: 0 };
    window.t = t;
    class RecordingEventSource extends EventSource {
      constructor(u) {
        super(u);
        this.addEventListener('message', (e) => t.events.push({ id: e.lastEventId, data: e.data }));
        this.addEventListener('open', () => { t.opens += 1; });
        this.addEventListener('error', () => { t.esErrors += 1; });
      }
    }
    // No liveness pings: a POST failing during a cut would end the session on purpose
    // there, and each scenario decides when the lane may drop.
    const client = lw.initialize({ appId, getUserJwt: () => token, transport: 'sse', url, EventSource: RecordingEventSource, pingIntervalMs: 3_600_000, reconnectMaxMs: 1000 });
    window.client = client;
    client.on('gap', (g) => t.gaps.push(g));
    client.on('resume', (r) => t.resumes.push(r));
    client.on('error', (e) => t.errors.push(`${e.code}: ${e.message}`));
    await client.connected({ timeoutMs: 20000 });
    await client.subscribe(filter, (m) => t.msgs.push({ topic: m.topic, seq: m.seq, epoch: m.epoch, text: m.text() }));
  }, { token: cfg.tokens.valid, appId: cfg.appId, url: base, filter: `devices/${cfg.device.id}/#` });
  const state = () => page.evaluate(() => ({ ...window.t, sessionId: window.client.sessionId, lane: window.client.lane }));
  const messages = async () => (await state()).msgs.filter((m) => m.topic === telemetry);
  return { page, traffic, state, messages };
}

// ---------------------------------------------------------------- the SDK over h2
async function scenarioSdk() {
  check(protocol === 'h2', 'the sdk scenario is about h2');
  const { observer, device } = await setupMqtt();
  const proxy = await startProxy(cfg.bridgePort, cfg.proxyPort);
  const base = `https://127.0.0.1:${proxy.port}`;
  const sdk = await sdkPage(base);
  const first = await sdk.state();
  check(first.lane === 'sse' && first.sessionId, `not on the SSE lane: ${JSON.stringify(first)}`);

  // A device publish: the frame the page's EventSource got is byte for byte the $lw/env payload.
  const seen = await devicePublish(device, observer, ['t1']);
  await waitFor('the SDK to deliver t1', async () => (await sdk.messages()).length >= 1);
  const wire = seen[0].payload.toString('base64');
  const events = (await sdk.state()).events;
  check(events.some((e) => e.data === wire), 'no SSE event carried the $lw/env payload byte for byte');
  check((await sdk.messages())[0].text === 't1', 'the SDK delivered another payload');
  log('device envelope byte-identical on the event stream of session', first.sessionId);

  // The page publishes; the device receives the raw payload.
  const devBefore = device.messages.length;
  await sdk.page.evaluate((topic) => window.client.publish(topic, 'h2-on', { qos: 1 }), cmdTopic);
  await waitFor('the device to receive the page publish', () => device.messages.length > devBefore);
  check(device.messages[devBefore].payload.toString() === 'h2-on', 'the device did not get the raw payload');
  log('page publish delivered raw to the device');

  // Both halves of the lane went over h2, as the browser saw them.
  const sse = checkProtocol(sdk.traffic, '/v1/sse', 'the event stream');
  const calls = checkProtocol(sdk.traffic, '/v1/call', 'POST /v1/call');
  const timing = await sdk.page.evaluate(() => performance.getEntriesByType('resource').filter((e) => new URL(e.name).pathname === '/v1/call').map((e) => e.nextHopProtocol));
  check(timing.length > 0 && timing.every((p) => p === protocol), `Resource Timing of /v1/call: ${timing}`);
  log(`browser saw ${sse} /v1/sse and ${calls} /v1/call responses, all ${protocol}`);

  // A short cut: the SDK reopens its event stream on the same session with the id of the
  // last event it got in the query (the browser's own reconnect would send it as a header,
  // which does not reach the bridge over h2), and the bridge replays from there. c1..c3 are
  // published only once a probe got queued, i.e. the bridge has detached the dead stream.
  const opens = (await sdk.state()).opens;
  const resumesBefore = await metric(RESUMES);
  proxy.cut();
  await waitFor('the EventSource to notice the cut', async () => (await sdk.state()).esErrors > 0);
  // Read only now: an event may still arrive until the cut, and none can while the proxy
  // refuses connections, so this is the last one the page got before the SDK reopens.
  const lastSeen = (await sdk.state()).events.at(-1)?.id;
  await retryUntil('the bridge to detach the dead stream', (i) => publish(device, probeTopic, `cut-${i}`), async () => (await metric(QUEUED)) > 0);
  await devicePublish(device, observer, ['c1', 'c2', 'c3']);
  proxy.resume();
  await waitFor('the EventSource to reconnect', async () => (await sdk.state()).opens > opens, 20000);
  await waitFor('c1..c3 after the reconnect', async () => (await sdk.messages()).length >= 4);
  let after = await sdk.state();
  check(after.sessionId === first.sessionId, 'the short cut replaced the session');
  check(after.msgs.filter((m) => m.topic === telemetry).map((m) => m.text).join() === 't1,c1,c2,c3', `delivered ${after.msgs.map((m) => m.text)}`);
  check(after.gaps.filter((g) => g.topic === telemetry).length === 0, `gaps after the short cut: ${JSON.stringify(after.gaps)}`);
  check((await metric(RESUMES)) === resumesBefore + 1, 'the bridge did not resume the reopened stream from its offset');
  const reopenedFrom = lastEventIdInUrl(sdk.traffic);
  check(reopenedFrom && reopenedFrom === lastSeen, `the SDK reopened from ${reopenedFrom}, its last event was ${lastSeen}`);
  log('short cut: same session, reopened with lastEventId', reopenedFrom, '; c1..c3 replayed, no gap');

  // A cut longer than sse.resume_window_ms: the bridge ends the session, the reconnecting
  // EventSource is refused (404), the SDK reconnects and resumes from its positions.
  // (no other SSE client uses this bridge meanwhile, so one fewer is ours)
  const sessions = await metric(SSE_SESSIONS);
  proxy.cut();
  await waitFor('the bridge to end the detached session', async () => (await metric(SSE_SESSIONS)) < sessions, 30000);
  await devicePublish(device, observer, ['l1', 'l2', 'l3']);
  proxy.resume();
  await waitFor('the SDK to resume', async () => (await sdk.state()).resumes.length > 0, 30000);
  await waitFor('l1..l3 after the resume', async () => (await sdk.messages()).length >= 7, 15000);
  after = await sdk.state();
  check(after.sessionId && after.sessionId !== first.sessionId, 'the SDK did not open a new session');
  const resume = after.resumes.find((r) => r.filter === `devices/${cfg.device.id}/#`);
  check(resume?.recovered === true, `resume: ${JSON.stringify(after.resumes)}`);
  const got = after.msgs.filter((m) => m.topic === telemetry);
  check(got.map((m) => m.text).join() === 't1,c1,c2,c3,l1,l2,l3', `delivered ${got.map((m) => m.text)}`);
  for (let i = 1; i < got.length; i++) check(got[i].epoch === got[0].epoch && got[i].seq === got[i - 1].seq + 1, `seq ${got[i - 1].seq} → ${got[i].seq}`);
  check(after.gaps.filter((g) => g.topic === telemetry).length === 0, `gaps: ${JSON.stringify(after.gaps)}`);
  checkProtocol(sdk.traffic, '/v1/sse', 'the new event stream');
  checkProtocol(sdk.traffic, '/v1/call', 'the reconnect POSTs');
  log('long cut: new session', after.sessionId, 'resumed with recovered=true, l1..l3 replayed, seqs contiguous');

  await sdk.page.evaluate(() => window.client.close());
  await proxy.close();
  observer.end(true);
  device.end(true);
}

// ---------------------------------------------------------------- an event lost in flight
// The connection dies with an event on the wire (written by the bridge, never received):
// only the last event id the client names can tell the bridge to send it again. The SDK
// names it in the query, which reaches the bridge over h2 and HTTP/1.1 alike.
async function scenarioInflight() {
  const { observer, device } = await setupMqtt();
  const proxy = await startProxy(cfg.bridgePort, cfg.proxyPort);
  const base = `https://127.0.0.1:${proxy.port}`;
  const sdk = await sdkPage(base);
  const sessionId = (await sdk.state()).sessionId;
  await devicePublish(device, observer, ['f1']);
  await waitFor('f1', async () => (await sdk.messages()).length >= 1);
  checkProtocol(sdk.traffic, '/v1/sse', 'the event stream');

  const resumesBefore = await metric(RESUMES);
  const opens = (await sdk.state()).opens;
  proxy.freeze();
  const [f2] = await devicePublish(device, observer, ['f2']);
  // At least the event's base64 data line: f2 itself went into the frozen connection.
  const eventBytes = 4 * Math.ceil(f2.payload.length / 3);
  await waitFor('the bridge to write f2 into the frozen connection', () => proxy.stats.swallowedFromBridge >= eventBytes);
  proxy.cut();
  // Let the bridge see the old stream die before the EventSource comes back. Over HTTP/1.1
  // lws notices a vanished peer only when a write fails (it does not read an SSE stream),
  // and a stream still attached makes the reattach a 404. Probes (their own topic) are
  // those writes; one that gets queued proves the stream is detached.
  await retryUntil('the bridge to detach the dead stream', (i) => publish(device, probeTopic, `cut-${i}`), async () => (await metric(QUEUED)) > 0);
  proxy.resume();
  await waitFor('the EventSource to reconnect', async () => (await sdk.state()).opens > opens, 20000);
  await devicePublish(device, observer, ['f3']);
  await waitFor('f3', async () => (await sdk.messages()).some((m) => m.text === 'f3'));
  const s = await sdk.state();
  check(s.sessionId === sessionId, `the session changed: ${JSON.stringify({ errors: s.errors, sse: sdk.traffic.responses.filter((r) => pathOf(r.url) === '/v1/sse') })}`);
  check(lastEventIdInUrl(sdk.traffic), 'the SDK reopened its stream without lastEventId');
  const got = s.msgs.filter((m) => m.topic === telemetry).map((m) => m.text).join();
  const resumed = (await metric(RESUMES)) - resumesBefore;
  check(resumed === 1, `the bridge resumed ${resumed} times from the reopened stream's lastEventId over ${protocol}`);
  check(got === 'f1,f2,f3', `over ${protocol} delivered ${got}`);
  check(s.gaps.length === 0, `gap events ${JSON.stringify(s.gaps)}`);
  log(`${protocol}: the SDK reopened with lastEventId, f2 replayed, no gap`);
  await sdk.page.evaluate(() => window.client.close());
  await proxy.close();
  observer.end(true);
  device.end(true);
}

// ---------------------------------------------------------------- a native EventSource
// Standalone stream (everything in the URL): its session lives as long as the stream, and
// only Last-Event-ID lets the next one pick up where it stopped.
async function scenarioNative() {
  const { observer, device } = await setupMqtt();
  const proxy = await startProxy(cfg.bridgePort, cfg.proxyPort);
  const base = `https://127.0.0.1:${proxy.port}`;
  const { page, traffic } = await newPage(base);
  const q = new URLSearchParams({ app: cfg.appId, token: cfg.tokens.valid, sub: `devices/${cfg.device.id}/#` });
  await page.evaluate(() => {
    const t = { events: [], opens: 0, errors: 0 };
    window.t = t;
    window.openSse = (url) => {
      const es = new EventSource(url);
      es.onmessage = (e) => t.events.push({ id: e.lastEventId, data: e.data });
      es.onopen = () => { t.opens += 1; };
      es.onerror = () => { t.errors += 1; };
      window.es = es;
    };
  });
  await page.evaluate((url) => window.openSse(url), `${base}/v1/sse?${q}`);
  const frames = async () => (await page.evaluate(() => window.t.events)).map((e) => ({ ...decode(e.data), id: e.id, raw: e.data }));
  const connects = async () => (await frames()).filter((f) => f.call?.connectResult).map((f) => f.call.connectResult.sessionId);
  const delivered = async () => (await frames()).flatMap((f) => (f.envelope ? [f.envelope] : f.group?.envelopes ?? [])).filter((e) => e.topic === telemetry).map(text);
  await waitFor('the connect result', async () => (await connects()).length === 1);
  const [firstSession] = await connects();
  const seen = await devicePublish(device, observer, ['n1']);
  await waitFor('n1', async () => (await delivered()).includes('n1'));
  check((await frames()).some((f) => f.raw === seen[0].payload.toString('base64')), 'no event carried the $lw/env payload byte for byte');
  checkProtocol(traffic, '/v1/sse', 'the event stream');

  const resumesBefore = (await metric(RESUMES)) + (await metric(RESUMES_GAP));
  const opens = await page.evaluate(() => window.t.opens);
  proxy.cut();
  await waitFor('the EventSource to notice the cut', () => page.evaluate(() => window.t.errors > 0));
  await devicePublish(device, observer, ['r1', 'r2']);
  proxy.resume();
  await waitFor('the EventSource to reconnect', () => page.evaluate((o) => window.t.opens > o, opens), 20000);
  const sentId = lastEventIdSent(traffic);
  check(sentId, 'chromium sent no Last-Event-ID on the reconnect');
  await devicePublish(device, observer, ['n2']);
  await waitFor('n2', async () => (await delivered()).includes('n2'));
  const sessions = await connects();
  const got = (await delivered()).join();
  const resumed = (await metric(RESUMES)) + (await metric(RESUMES_GAP)) - resumesBefore;
  if (protocol === 'h2') {
    // Documented: the reconnect is a new session from now on; r1, r2 are gone without a word.
    check(resumed === 0, 'the bridge resumed: a Last-Event-ID reached it over h2');
    check(sessions.length === 2 && sessions[1] !== firstSession, `sessions ${sessions}`);
    check(!(await frames()).some((f) => f.group), 'a replay group arrived over h2');
    check(got === 'n1,n2', `over h2 delivered ${got}`);
    log('h2: the reconnect opened session', sessions[1], 'with no replay; r1, r2 lost (Last-Event-ID', sentId, 'sent, dropped by lws)');
  } else {
    check(resumed === 1, `the bridge resumed ${resumed} times over HTTP/1.1`);
    const group = (await frames()).find((f) => f.group);
    check(group?.group.recovered === true, 'no recovered replay group over HTTP/1.1');
    check(got === 'n1,r1,r2,n2', `over HTTP/1.1 delivered ${got}`);
    log('http/1.1: the reconnect resumed with recovered=true, r1, r2 replayed');
  }

  // The query-string twin of Last-Event-ID, after the JWT in the URL (it once went unread
  // there): a new EventSource naming the last id it saw gets what it missed, on both
  // protocols. This is what a client must do itself over h2.
  const lastId = (await frames()).at(-1).id;
  await page.evaluate(() => window.es.close());
  const resumesBeforeQuery = await metric(RESUMES);
  await devicePublish(device, observer, ['q1', 'q2']);
  await page.evaluate((url) => window.openSse(url), `${base}/v1/sse?${q}&lastEventId=${encodeURIComponent(lastId)}`);
  await waitFor('q1, q2 replayed', async () => (await delivered()).includes('q2'));
  check((await metric(RESUMES)) === resumesBeforeQuery + 1, 'the bridge did not resume from ?lastEventId=');
  const replay = (await frames()).filter((f) => f.group).at(-1);
  check(replay?.group.recovered === true && replay.group.envelopes.map(text).join() === 'q1,q2', `?lastEventId= replay: ${JSON.stringify(replay?.group)}`);
  checkProtocol(traffic, '/v1/sse', 'the ?lastEventId= stream');
  log('?lastEventId= resumed with recovered=true: q1, q2 replayed');
  await page.evaluate(() => window.es.close());
  await proxy.close();
  observer.end(true);
  device.end(true);
}

// ---------------------------------------------------------------- WebSocket over h2
// lws 4.1.6 offers RFC 8441 (SETTINGS_ENABLE_CONNECT_PROTOCOL), so chromium runs the
// WebSocket lane inside the h2 connection it already has: the handshake answers 200, not 101.
async function scenarioWs() {
  check(protocol === 'h2', 'the ws scenario is about h2');
  const { observer, device } = await setupMqtt();
  const proxy = await startProxy(cfg.bridgePort, cfg.proxyPort);
  const base = `https://127.0.0.1:${proxy.port}`;
  const { page } = await newPage(base);
  const handshakes = [];
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  cdp.on('Network.webSocketHandshakeResponseReceived', (e) => handshakes.push(e.response.status));
  const connect = Buffer.from(Frame.encode(Frame.fromObject({ call: { id: 1, connect: { appId: cfg.appId, token: cfg.tokens.valid, client: 'http2.mjs', subscriptions: [{ filter: `devices/${cfg.device.id}/#` }] } } })).finish()).toString('base64');
  await page.evaluate((c) => new Promise((resolve, reject) => {
    const t = { frames: [] };
    window.t = t;
    const ws = new WebSocket(`${location.origin.replace('https', 'wss')}/v1/ws`);
    ws.binaryType = 'arraybuffer';
    ws.onopen = () => { ws.send(Uint8Array.from(atob(c), (x) => x.charCodeAt(0))); resolve(); };
    ws.onmessage = (m) => t.frames.push(btoa(String.fromCharCode(...new Uint8Array(m.data))));
    ws.onerror = () => reject(new Error('WebSocket error'));
  }), connect);
  const frames = async () => (await page.evaluate(() => window.t.frames)).map((raw) => ({ ...decode(raw), raw }));
  await waitFor('the connect result', async () => (await frames()).some((f) => f.call?.connectResult));
  check(handshakes.length === 1 && handshakes[0] === 200, `WebSocket handshake statuses ${handshakes} (200 = over h2, 101 = HTTP/1.1)`);
  const [w1] = await devicePublish(device, observer, ['w1']);
  await waitFor('w1 on the WebSocket', async () => (await frames()).some((f) => f.raw === w1.payload.toString('base64')));
  log('WebSocket lane inside the h2 connection (handshake 200): connect result and a byte-identical envelope');
  await proxy.close();
  observer.end(true);
  device.end(true);
}

const scenarios = { sdk: scenarioSdk, inflight: scenarioInflight, native: scenarioNative, ws: scenarioWs };
await runScenario(scenarios, scenario, { cleanup: () => browser.close() });
