// Browser scenarios against a real laneway-bridge, mosquitto + plugin, driven through
// Debian's headless chromium (playwright-core). The page uses the native WebSocket and
// EventSource; frames are encoded and decoded here in Node from proto/laneway.proto. A
// device and a wire observer connect to the broker over MQTT v5 with their own
// certificates. All traffic goes to loopback; every wait is bounded.
//
// usage: node lanes.mjs <config.json> <scenario>   (scenarios: ws, sse, refusals, restart, rpc,
// sdk-sse)
// Exit 0 when every check passed; otherwise prints `FAIL: <why>` and exits 1.
import { existsSync, readFileSync } from 'node:fs';
import { createHash, X509Certificate } from 'node:crypto';
import tls from 'node:tls';
import https from 'node:https';
import mqtt from 'mqtt';
import protobuf from 'protobufjs';
import { chromium } from 'playwright-core';
import { brokerClients } from '../../support/broker_clients.mjs';
import { check, retryUntil, runScenario, scenarioLog, sleep, waitFor } from '../../support/scenario.mjs';
import { startProxy } from '../../support/tcp_proxy.mjs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const scenario = process.argv[3];
const root = await protobuf.load(cfg.protoPath);
const Frame = root.lookupType('laneway.v1.Frame');
const ErrorCode = root.lookupEnum('laneway.v1.ErrorCode').values;

const log = scenarioLog(scenario);

const encode = (obj) => Buffer.from(Frame.encode(Frame.fromObject(obj)).finish()).toString('base64');
const decode = (b64) => Frame.toObject(Frame.decode(Buffer.from(b64, 'base64')), { longs: Number, bytes: String, defaults: true });
const b64 = (s) => Buffer.from(s).toString('base64');

// ---- MQTT clients with their own certificates
const { publish, cmdTopic, setupMqtt } = brokerClients(mqtt, cfg);

// ---- the browser
const spki = createHash('sha256').update(new X509Certificate(readFileSync(cfg.serverCert)).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
const browser = await chromium.launch({
  executablePath: cfg.chromium || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', `--ignore-certificate-errors-spki-list=${spki}`],
  timeout: 30000,
});

const PAGE_HELPERS = `
  window.lw = {
    frames: [], events: [], opens: 0, errors: 0, closed: null,
    b64(buf) { let s = ''; const a = new Uint8Array(buf); for (let i = 0; i < a.length; i++) s += String.fromCharCode(a[i]); return btoa(s); },
    unb64(t) { const s = atob(t); const a = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i); return a; },
    openWs(url) {
      return new Promise((resolve, reject) => {
        const ws = new WebSocket(url);
        ws.binaryType = 'arraybuffer';
        lw.closed = null;
        ws.onopen = () => resolve(true);
        ws.onerror = () => reject(new Error('websocket error'));
        ws.onmessage = (e) => lw.frames.push(typeof e.data === 'string' ? 'TEXT:' + e.data : lw.b64(e.data));
        ws.onclose = (e) => { lw.closed = { code: e.code }; };
        lw.ws = ws;
      });
    },
    send(b) { lw.ws.send(lw.unb64(b)); },
    openSse(url) {
      const es = new EventSource(url);
      es.onmessage = (e) => lw.events.push({ id: e.lastEventId, data: e.data });
      es.onopen = () => { lw.opens++; };
      es.onerror = () => { lw.errors++; };
      lw.es = es;
    },
    sseState() { return lw.es ? lw.es.readyState : -1; },
    async post(url, b, session, token) {
      const headers = { 'content-type': 'application/x-protobuf' };
      if (session) headers['x-laneway-session'] = session;
      if (session && token) headers.authorization = 'Bearer ' + token;
      const r = await fetch(url, { method: 'POST', headers, body: lw.unb64(b) });
      return { status: r.status, body: lw.b64(await r.arrayBuffer()) };
    },
  };`;

async function newPage(originPort) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  await page.goto(`https://127.0.0.1:${originPort}/api/info`, { timeout: 15000 });
  await page.evaluate(PAGE_HELPERS);
  return page;
}

const probeTopic = `devices/${cfg.device.id}/probe`;
const isProbe = (f) => f.envelope?.topic === probeTopic || (f.group?.envelopes?.length > 0 && f.group.envelopes.every((e) => e.topic === probeTopic));

// Frames a page received on its WebSocket (decoded), upstream probes (upstreamReady) left
// out, from index `from` of what is left.
async function allWsFrames(page) {
  const raw = await page.evaluate(() => lw.frames);
  return raw.map((r) => (r.startsWith('TEXT:') ? { text: r } : { ...decode(r), raw: r }));
}
async function wsFrames(page, from = 0) {
  return (await allWsFrames(page)).filter((f) => !isProbe(f)).slice(from);
}
// The same for the page's SSE events.
async function allSseEvents(page) {
  const raw = await page.evaluate(() => lw.events);
  return raw.map((e) => ({ ...decode(e.data), id: e.id, raw: e.data }));
}
async function sseEvents(page, from = 0) {
  return (await allSseEvents(page)).filter((f) => !isProbe(f)).slice(from);
}
async function waitFrames(page, n, what, getter = wsFrames) {
  return waitFor(what, async () => {
    const f = await getter(page);
    return f.length >= n ? f : null;
  });
}

function connectFrame(id, token, subs, app = cfg.appId) {
  return encode({ call: { id, connect: { appId: app, token, client: 'lanes.mjs', subscriptions: subs } } });
}
const errorOf = (f) => f?.call?.error?.code ?? 0;

// Publishes `n` messages as the device and waits until the observer saw them on $lw/env.
// Only `topic`'s envelopes count: a late probe envelope (upstreamReady) must not stand in.
async function devicePublish(device, observer, topic, payloads) {
  const onTopic = () => observer.messages.filter((m) => m.topic === `$lw/env/${topic}`);
  const before = onTopic().length;
  for (const p of payloads) await publish(device, topic, p);
  await waitFor('observer to see the envelopes', () => onTopic().length >= before + payloads.length);
  await sleep(300);  // the bridge is a sibling subscriber: give it the same moment
  return onTopic().slice(before);
}

const envelopeTopic = `devices/${cfg.device.id}/telemetry`;

// A connect or subscribe is answered once the broker holds the bridge's subscription, so the
// scenarios publish right after the answer. A bridge that just got back to a restarted broker
// subscribes again with no request to answer: nothing tells the page when the broker holds
// it. Probes on their own topic, until the page has one, prove it; the getters above leave
// them out.
async function upstreamReady(page, device, allFrames) {
  const probes = async () => (await allFrames(page)).filter(isProbe).length;
  const before = await probes();
  await retryUntil('a probe envelope to reach the page',
    (i) => publish(device, probeTopic, `probe-${i}`),
    async () => (await probes()) > before);
}

// ---------------------------------------------------------------- WebSocket lane
async function scenarioWs() {
  const { observer, device } = await setupMqtt();
  const proxy = await startProxy(cfg.bridgePort, cfg.proxyPort);
  const page = await newPage(proxy.port);
  const wsUrl = `wss://127.0.0.1:${proxy.port}/v1/ws`;
  await page.evaluate((u) => lw.openWs(u), wsUrl);
  await page.evaluate((b) => lw.send(b), connectFrame(1, cfg.tokens.valid, [{ filter: `devices/${cfg.device.id}/#` }]));
  let frames = await waitFrames(page, 1, 'connect result');
  check(frames[0].call?.connectResult?.sessionId, `no connect result: ${JSON.stringify(frames[0])}`);
  log('connected', frames[0].call.connectResult.sessionId);

  // A device publish reaches the page with the exact bytes of the $lw/env payload.
  const seen = await devicePublish(device, observer, envelopeTopic, ['t1']);
  frames = await waitFrames(page, 2, 'the device envelope');
  check(frames[1].raw === seen[0].payload.toString('base64'), 'WebSocket frame bytes differ from the $lw/env payload');
  const first = frames[1].envelope;
  check(first.topic === envelopeTopic && Buffer.from(first.payload, 'base64').toString() === 't1', 'wrong envelope');
  log('device envelope byte-identical, seq', first.seq, 'epoch', first.epoch);

  // Browser publish → the device receives the raw payload; the envelope carries the origin.
  const devBefore = device.messages.length;
  await page.evaluate((b) => lw.send(b), encode({ call: { id: 2, publish: { topic: cmdTopic, payload: b64('on'), qos: 1 } } }));
  await waitFor('device to receive the browser publish', () => device.messages.length > devBefore);
  check(device.messages[devBefore].payload.toString() === 'on', 'device did not get the raw payload');
  const cmdEnv = await waitFor('the cmd envelope on the wire', () => observer.messages.find((m) => m.topic === `$lw/env/${cmdTopic}`));
  check(decode(cmdEnv.payload.toString('base64')).envelope.origin === `app:${cfg.appId}:alice`, 'origin is not app:<app>:<sub>');
  frames = await waitFor('publish result', async () => (await wsFrames(page)).find((f) => f.call?.id === 2));
  check(frames.call.publishResult, `publish refused: ${JSON.stringify(frames.call)}`);
  log('browser publish delivered raw to the device');

  // Disconnect, miss three, resume: recovered=true with exactly the missed ones, in order.
  let last = first;
  proxy.cut();
  await waitFor('the page to see the close', () => page.evaluate(() => lw.closed !== null));
  const missed = await devicePublish(device, observer, envelopeTopic, ['m1', 'm2', 'm3']);
  check(missed.length === 3, 'observer missed');
  proxy.resume();
  let mark = (await wsFrames(page)).length;
  await page.evaluate((u) => lw.openWs(u), wsUrl);
  await page.evaluate((b) => lw.send(b), connectFrame(1, cfg.tokens.valid, [{ filter: `devices/${cfg.device.id}/#`, since: [{ topic: envelopeTopic, epoch: last.epoch, seq: last.seq }] }]));
  frames = await waitFrames(page, mark + 2, 'connect result and replay');
  const resumed = frames.slice(mark);
  check(resumed[0].call?.connectResult?.subscriptions?.[0]?.recovered === true, 'connect result not recovered');
  check(resumed[1].group?.recovered === true, 'replay group not recovered');
  const seqs = resumed[1].group.envelopes.map((e) => e.seq);
  check(JSON.stringify(seqs) === JSON.stringify([last.seq + 1, last.seq + 2, last.seq + 3]), `replayed seqs ${seqs}`);
  check(resumed[1].group.envelopes.map((e) => Buffer.from(e.payload, 'base64').toString()).join() === 'm1,m2,m3', 'replayed payloads');
  log('resumed over WebSocket with recovered=true', seqs);
  // Live again after the replay.
  await devicePublish(device, observer, envelopeTopic, ['live']);
  frames = await waitFrames(page, mark + 3, 'live envelope after replay');
  check(frames[mark + 2].envelope?.seq === last.seq + 4, 'live envelope out of order');
  last = frames[mark + 2].envelope;

  // Past the history window: recovered=false, never a silent skip.
  proxy.cut();
  await waitFor('the page to see the close', () => page.evaluate(() => lw.closed !== null));
  const many = Array.from({ length: cfg.historyMessages + 3 }, (_, i) => `x${i}`);
  await devicePublish(device, observer, envelopeTopic, many);
  proxy.resume();
  mark = (await wsFrames(page)).length;
  await page.evaluate((u) => lw.openWs(u), wsUrl);
  await page.evaluate((b) => lw.send(b), connectFrame(1, cfg.tokens.valid, [{ filter: `devices/${cfg.device.id}/#`, since: [{ topic: envelopeTopic, epoch: last.epoch, seq: last.seq }] }]));
  frames = await waitFrames(page, mark + 2, 'connect result and gap replay');
  check(frames[mark].call?.connectResult?.subscriptions?.[0]?.recovered === false, 'gap reported as recovered');
  check(frames[mark + 1].group?.recovered === false, 'gap group not flagged');
  log('past the window: recovered=false with', frames[mark + 1].group.envelopes.length, 'kept envelopes');
  await proxy.close();
  observer.end(true);
  device.end(true);
}

// ---------------------------------------------------------------- SSE + POST lane
async function scenarioSse() {
  const { observer, device } = await setupMqtt();
  const proxy = await startProxy(cfg.bridgePort, cfg.proxyPort);
  const page = await newPage(proxy.port);
  const base = `https://127.0.0.1:${proxy.port}`;
  const q = new URLSearchParams({ app: cfg.appId, token: cfg.tokens.valid, sub: `devices/${cfg.device.id}/#` });
  await page.evaluate((u) => lw.openSse(u), `${base}/v1/sse?${q}`);
  let events = await waitFrames(page, 1, 'SSE connect result', sseEvents);
  const sessionId = events[0].call?.connectResult?.sessionId;
  check(sessionId, `no connect result: ${JSON.stringify(events[0])}`);
  check(/^[0-9a-f]+\.\d+$/.test(events[0].id), `bad resume token ${events[0].id}`);

  const seen = await devicePublish(device, observer, envelopeTopic, ['s1']);
  events = await waitFrames(page, 2, 'SSE envelope', sseEvents);
  check(events[1].raw === seen[0].payload.toString('base64'), 'SSE data differs from the $lw/env payload');
  let last = events[1].envelope;
  log('SSE envelope byte-identical, id', events[1].id);

  // POST /v1/call publish on the SSE session.
  const devBefore = device.messages.length;
  const res = await page.evaluate(([u, b, s, t]) => lw.post(u, b, s, t), [`${base}/v1/call`, encode({ call: { id: 7, publish: { topic: cmdTopic, payload: b64('sse-on') } } }), sessionId, cfg.tokens.valid]);
  check(res.status === 200 && decode(res.body).call?.publishResult, `POST publish: ${res.status} ${JSON.stringify(decode(res.body || ''))}`);
  await waitFor('device to receive the SSE publish', () => device.messages.length > devBefore);
  check(device.messages[devBefore].payload.toString() === 'sse-on', 'device payload');
  log('POST /v1/call publish delivered');
  await waitFrames(page, 3, 'the cmd envelope on SSE', sseEvents);

  // Cut the network under the EventSource; it reconnects by itself with Last-Event-ID.
  const opens = await page.evaluate(() => lw.opens);
  let mark = (await sseEvents(page)).length;
  proxy.cut();
  await waitFor('EventSource to notice', () => page.evaluate(() => lw.errors > 0));
  await devicePublish(device, observer, envelopeTopic, ['r1', 'r2', 'r3']);
  proxy.resume();
  await waitFor('EventSource to reconnect', () => page.evaluate((o) => lw.opens > o, opens), 15000);
  events = await waitFrames(page, mark + 2, 'SSE resume', sseEvents);
  const group = events.slice(mark).find((e) => e.group);
  check(group, `no replay after reconnect: ${JSON.stringify(events.slice(mark).map((e) => Object.keys(e)))}`);
  check(group.group.recovered === true, 'SSE resume not recovered');
  const got = group.group.envelopes.filter((e) => e.topic === envelopeTopic).map((e) => Buffer.from(e.payload, 'base64').toString());
  check(got.join() === 'r1,r2,r3', `SSE replay ${got}`);
  last = group.group.envelopes.at(-1);
  log('native EventSource reconnect resumed with recovered=true', got);

  // Past the window.
  mark = (await sseEvents(page)).length;
  const opens2 = await page.evaluate(() => lw.opens);
  proxy.cut();
  await waitFor('EventSource to notice', () => page.evaluate((e) => lw.errors > e, 1));
  await devicePublish(device, observer, envelopeTopic, Array.from({ length: cfg.historyMessages + 3 }, (_, i) => `y${i}`));
  proxy.resume();
  await waitFor('EventSource to reconnect', () => page.evaluate((o) => lw.opens > o, opens2), 15000);
  events = await waitFrames(page, mark + 2, 'SSE gap replay', sseEvents);
  const gap = events.slice(mark).find((e) => e.group);
  check(gap && gap.group.recovered === false, 'SSE gap not flagged recovered=false');
  log('SSE past the window: recovered=false');
  void last;
  await proxy.close();
  observer.end(true);
  device.end(true);
}

// ---------------------------------------------------------------- refusals
function rawTls(port, bytes) {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => s.write(bytes));
    let out = '';
    s.on('data', (d) => { out += d.toString('latin1'); });
    s.on('close', () => resolve(out));
    s.on('error', () => resolve(out));
    s.setTimeout(5000, () => s.destroy());
  });
}
function httpsRequest(path, method = 'GET', body = null, headers = {}, port = cfg.bridgePort) {
  if (body) headers = { ...headers, 'content-length': body.length };
  return new Promise((resolve) => {
    // agent: false: a fresh connection per request, never an idle one lws is about to close
    // after its 5 s keepalive_timeout (Node's default agent keeps them as long).
    const req = https.request({ host: '127.0.0.1', port, path, method, headers, rejectUnauthorized: false, timeout: 5000, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', (e) => resolve({ status: 0, error: e.message }));
    req.on('timeout', () => req.destroy());
    if (body) req.write(body);
    req.end();
  });
}

async function scenarioRefusals() {
  const { observer, device } = await setupMqtt();
  const proxy = await startProxy(cfg.bridgePort, cfg.proxyPort);
  const foreign = await startProxy(cfg.bridgePort, cfg.foreignPort);  // another origin
  const wsUrl = `wss://127.0.0.1:${proxy.port}/v1/ws`;

  // A healthy session that must keep receiving through all of this.
  const watcher = await newPage(proxy.port);
  await watcher.evaluate((u) => lw.openWs(u), wsUrl);
  await watcher.evaluate((b) => lw.send(b), connectFrame(1, cfg.tokens.valid, [{ filter: `devices/${cfg.device.id}/#` }]));
  await waitFrames(watcher, 1, 'watcher connect');

  const page = await newPage(proxy.port);
  async function wsAttempt(token, subs, app, origin = proxy.port) {
    const p = origin === proxy.port ? page : await newPage(origin);
    const mark = (await wsFrames(p)).length;
    await p.evaluate((u) => lw.openWs(u), wsUrl);
    await p.evaluate((b) => lw.send(b), connectFrame(1, token, subs, app));
    const frames = await waitFrames(p, mark + 1, 'a reply', wsFrames);
    await waitFor('the bridge to close the refused session', () => p.evaluate(() => lw.closed !== null));
    return frames[mark];
  }
  const sub = [{ filter: `devices/${cfg.device.id}/#` }];
  check(errorOf(await wsAttempt(cfg.tokens.valid, sub, cfg.appId, foreign.port)) === ErrorCode.ERROR_CODE_FORBIDDEN, 'foreign origin not refused');
  check(errorOf(await wsAttempt(cfg.tokens.expired, sub)) === ErrorCode.ERROR_CODE_UNAUTHORIZED, 'expired JWT not refused');
  check(errorOf(await wsAttempt(cfg.tokens.forged, sub)) === ErrorCode.ERROR_CODE_UNAUTHORIZED, 'forged JWT not refused');
  check(errorOf(await wsAttempt(cfg.tokens.otherApp, sub)) === ErrorCode.ERROR_CODE_UNAUTHORIZED, 'other-app JWT not refused');
  check(errorOf(await wsAttempt(cfg.tokens.valid, [{ filter: 'fleet/#' }])) === ErrorCode.ERROR_CODE_FORBIDDEN, 'cross-app subscribe not refused');
  check(errorOf(await wsAttempt(cfg.tokens.otherAppValid, [{ filter: `devices/${cfg.device.id}/#` }], cfg.otherAppId)) === ErrorCode.ERROR_CODE_FORBIDDEN, 'other app reached devices/');
  log('WebSocket refusals typed: origin, expired, forged, other app, cross-app subscribe');

  // SSE refusals: the EventSource fails for good (no reconnect loop).
  for (const [why, token, originPort] of [['expired', cfg.tokens.expired, proxy.port], ['forged', cfg.tokens.forged, proxy.port], ['foreign origin', cfg.tokens.valid, foreign.port]]) {
    const p = await newPage(originPort);
    const q = new URLSearchParams({ app: cfg.appId, token, sub: `devices/${cfg.device.id}/#` });
    await p.evaluate((u) => lw.openSse(u), `https://127.0.0.1:${proxy.port}/v1/sse?${q}`);
    await waitFor(`SSE ${why} refused`, () => p.evaluate(() => lw.sseState() === 2));
    check((await p.evaluate(() => lw.events.length)) === 0, `SSE ${why} got events`);
  }
  log('SSE refusals close the EventSource');

  // Oversized, garbage and text frames: typed errors, the session stays usable.
  const mark = (await wsFrames(page)).length;
  await page.evaluate((u) => lw.openWs(u), wsUrl);
  await page.evaluate((b) => lw.send(b), connectFrame(1, cfg.tokens.valid, sub));
  await waitFrames(page, mark + 1, 'connect');
  await page.evaluate((n) => lw.ws.send(new Uint8Array(n).fill(10)), cfg.maxFrameBytes + 100);
  await page.evaluate(() => lw.ws.send(new Uint8Array([0xff, 0xff, 0xff, 0x01])));
  await page.evaluate(() => lw.ws.send('hello?'));
  await page.evaluate((b) => lw.send(b), encode({ call: { id: 42, ping: { sentAtUs: 5 } } }));
  const frames = await waitFrames(page, mark + 5, 'error replies and pong');
  const codes = frames.slice(mark + 1).map((f) => errorOf(f));
  check(codes[0] === ErrorCode.ERROR_CODE_TOO_LARGE, `oversized: ${codes}`);
  check(codes[1] === ErrorCode.ERROR_CODE_BAD_REQUEST && codes[2] === ErrorCode.ERROR_CODE_BAD_REQUEST, `garbage: ${codes}`);
  check(frames[mark + 4].call?.id === 42 && frames[mark + 4].call.pong, 'no pong after the bad frames');
  log('oversized / garbage / text frames answered with typed errors; session alive');

  // Garbage HTTP.
  const raw = await rawTls(cfg.bridgePort, 'GARBAGE \x00\x01 NOT HTTP\r\n\r\n');
  check(!raw.startsWith('HTTP/1.1 2'), `garbage HTTP got ${raw.slice(0, 40)}`);
  let r = await httpsRequest('/v1/call', 'POST', Buffer.from([1, 2, 3, 4]), { 'content-type': 'application/x-protobuf' });
  check(r.status === 400 && errorOf(decode(r.body.toString('base64'))) === ErrorCode.ERROR_CODE_BAD_REQUEST, `garbage POST: ${r.status}`);
  r = await httpsRequest('/v1/call', 'POST', Buffer.alloc(cfg.maxFrameBytes + 10, 1), { 'content-type': 'application/x-protobuf' });
  check(r.status === 413, `oversized POST: ${r.status}`);
  r = await httpsRequest('/v1/sse');
  check(r.status === 401, `SSE without token: ${r.status}`);
  r = await httpsRequest('/nope');
  check(r.status === 404, `unknown path: ${r.status}`);
  r = await httpsRequest('/v1/call', 'POST', Buffer.from(connectFrame(1, cfg.tokens.valid, []), 'base64'), { 'x-laneway-session': 'deadbeef' });
  check(r.status === 401, `unknown session: ${r.status}`);
  log('garbage HTTP answered with errors');

  // The watcher kept receiving throughout.
  const before = (await wsFrames(watcher)).length;
  await devicePublish(device, observer, envelopeTopic, ['still-here']);
  const wf = await waitFrames(watcher, before + 1, 'watcher still receiving');
  check(Buffer.from(wf[before].envelope.payload, 'base64').toString() === 'still-here', 'watcher stalled');
  log('the healthy session kept receiving');

  // /api/info on the public port; /metrics only on the admin listener (404 here).
  r = await httpsRequest('/api/info');
  const info = JSON.parse(r.body.toString());
  check(info.transports.map((t) => t.name).join() === 'ws,sse', `transports ${JSON.stringify(info.transports)}`);
  r = await httpsRequest('/metrics');
  check(r.status === 404, `/metrics on the public port answered ${r.status}`);
  r = await httpsRequest('/metrics', 'GET', null, {}, cfg.adminPort);
  check(/laneway_bridge_connections\{lane="ws"\} \d+/.test(r.body.toString()), 'metrics');
  await proxy.close();
  await foreign.close();
  observer.end(true);
  device.end(true);
}

// ---------------------------------------------------------------- RPC to a simulated device
// cfg.simDevice is a `laneway-fleet simulate` device (the test driver runs it); it answers
// JSON {"id","method","ok","result"|"error"} on the v5 response topic.
async function scenarioRpc() {
  const page = await newPage(cfg.bridgePort);
  const base = `https://127.0.0.1:${cfg.bridgePort}`;
  const rpcFrame = (id, deviceId, method, timeoutMs = 5000, payload = '{}') =>
    encode({ call: { id, rpc: { deviceId, method, payload: b64(payload), timeoutMs } } });
  const parse = (f) => JSON.parse(Buffer.from(f.call.rpcResult.payload, 'base64').toString());

  // WebSocket.
  await page.evaluate((u) => lw.openWs(u), `wss://127.0.0.1:${cfg.bridgePort}/v1/ws`);
  await page.evaluate((b) => lw.send(b), connectFrame(1, cfg.tokens.valid, []));
  await waitFrames(page, 1, 'connect result');
  await page.evaluate((b) => lw.send(b), rpcFrame(2, cfg.simDevice, 'get_state'));
  let f = await waitFor('the get_state reply', async () => (await wsFrames(page)).find((x) => x.call?.id === 2));
  check(f.call.rpcResult, `get_state over WebSocket: ${JSON.stringify(f.call)}`);
  let body = parse(f);
  check(body.ok === true && body.id === cfg.simDevice && body.method === 'get_state' && 'telemetry_seq' in body.result, `get_state reply ${JSON.stringify(body)}`);
  await page.evaluate((b) => lw.send(b), rpcFrame(3, cfg.simDevice, 'no_such_method'));
  f = await waitFor('the unknown-method reply', async () => (await wsFrames(page)).find((x) => x.call?.id === 3));
  body = parse(f);
  check(body.ok === false && body.error === 'unknown method', `device-level error passes through: ${JSON.stringify(body)}`);
  log('RPC over WebSocket: reply and device-level error from', cfg.simDevice);

  // An offline device: TIMEOUT after the requested time, saying it looked offline.
  await page.evaluate((b) => lw.send(b), rpcFrame(4, cfg.offlineDevice, 'ping', 700));
  f = await waitFor('the timeout', async () => (await wsFrames(page)).find((x) => x.call?.id === 4), 15000);
  check(errorOf(f) === ErrorCode.ERROR_CODE_TIMEOUT, `offline device: ${JSON.stringify(f.call)}`);
  check(/offline/.test(f.call.error.message), `timeout message: ${f.call.error.message}`);
  log('offline device answered TIMEOUT:', f.call.error.message);

  // A token whose rpc claim does not cover the method: FORBIDDEN, nothing published.
  const mark = (await wsFrames(page)).length;
  await page.evaluate((u) => lw.openWs(u), `wss://127.0.0.1:${cfg.bridgePort}/v1/ws`);
  await page.evaluate((b) => lw.send(b), connectFrame(1, cfg.tokens.pingOnly, []));
  await waitFrames(page, mark + 1, 'second connect');
  await page.evaluate((b) => lw.send(b), rpcFrame(5, cfg.simDevice, 'reboot'));
  f = await waitFor('the refusal', async () => (await wsFrames(page, mark)).find((x) => x.call?.id === 5));
  check(errorOf(f) === ErrorCode.ERROR_CODE_FORBIDDEN, `reboot with a ping-only token: ${JSON.stringify(f.call)}`);
  log('rpc claim narrows: reboot FORBIDDEN for a ping-only token');

  // POST /v1/call (the SDK's SSE binding): the reply comes on the session's event stream.
  const { sessionId, post } = await sdkSseSession(page, base, []);
  const r = await post(rpcFrame(6, cfg.simDevice, 'ping'));
  check(r.status === 202, `POST rpc answered ${r.status}`);
  const ev = await waitFor('the ping reply on the event stream', async () => (await sseEvents(page)).find((e) => e.call?.id === 6));
  check(ev.call.rpcResult && parse(ev).result.pong === true, `ping over POST: ${JSON.stringify(ev.call)}`);
  log('RPC over POST /v1/call, reply on the SSE stream of session', sessionId);
}

// POST connect without a session → session_id and an attach ticket; GET
// /v1/sse?session=…&attach=… attaches the event stream (a native EventSource); later POSTs
// name the session with X-Laneway-Session and carry its JWT in Authorization.
async function sdkSseSession(page, base, subs) {
  const res = await page.evaluate(([u, b]) => lw.post(u, b), [`${base}/v1/call`, connectFrame(1, cfg.tokens.valid, subs)]);
  check(res.status === 200, `POST connect answered ${res.status}`);
  const connected = decode(res.body);
  const sessionId = connected.call?.connectResult?.sessionId;
  check(sessionId, `POST connect: ${JSON.stringify(connected)}`);
  const q = new URLSearchParams({ session: sessionId, attach: connected.call.connectResult.attachTicket });
  await page.evaluate((u) => lw.openSse(u), `${base}/v1/sse?${q}`);
  await waitFor('the event stream to open', () => page.evaluate(() => lw.opens > 0));
  const post = (b) => page.evaluate(([u, body, s, t]) => lw.post(u, body, s, t), [`${base}/v1/call`, b, sessionId, cfg.tokens.valid]);
  return { sessionId, post, connected };
}

// ---------------------------------------------------------------- SDK-style SSE flow
async function scenarioSdkSse() {
  const { observer, device } = await setupMqtt();
  const page = await newPage(cfg.bridgePort);
  const base = `https://127.0.0.1:${cfg.bridgePort}`;
  const { post } = await sdkSseSession(page, base, []);
  const r = await post(encode({ call: { id: 2, subscribe: { subscription: { filter: `devices/${cfg.device.id}/#` } } } }));
  check(r.status === 200 && decode(r.body).call?.subscribeResult?.filter === `devices/${cfg.device.id}/#`, `POST subscribe: ${r.status} ${JSON.stringify(decode(r.body || ''))}`);
  const seen = await devicePublish(device, observer, envelopeTopic, ['sdk-1']);
  const ev = await waitFor('the envelope on the attached stream', async () => (await sseEvents(page)).find((e) => e.envelope));
  check(ev.raw === seen[0].payload.toString('base64'), 'SSE data differs from the $lw/env payload');
  check(/^[0-9a-f]+\.\d+$/.test(ev.id), `bad resume token ${ev.id}`);
  log('POST connect → attach → POST subscribe → envelope received, id', ev.id);
  // A POST naming no session, or an unknown one, is refused; the stream is unaffected.
  const bad = await page.evaluate(([u, b]) => lw.post(u, b, 'f'.repeat(32)), [`${base}/v1/call`, encode({ call: { id: 3, ping: {} } })]);
  check(bad.status === 401, `unknown session: ${bad.status}`);
  observer.end(true);
  device.end(true);
}

// ---------------------------------------------------------------- a lane switched off
// cfg.altBridgePort: a bridge with lanes.ws = false.
async function scenarioWsOff() {
  const port = cfg.altBridgePort;
  let r = await httpsRequest('/api/info', 'GET', null, {}, port);
  const names = JSON.parse(r.body.toString()).transports.map((t) => t.name);
  check(names.join() === 'sse', `transports with ws off: ${names}`);
  // A WebSocket upgrade gets a plain 404 with the reason, not a 101.
  r = await httpsRequest('/v1/ws', 'GET', null, { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' }, port);
  check(r.status === 404, `upgrade on a disabled lane answered ${r.status}`);
  const page = await newPage(port);
  const opened = await page.evaluate((u) => lw.openWs(u).then(() => 'open', () => 'refused'), `wss://127.0.0.1:${port}/v1/ws`);
  check(opened === 'refused', `browser WebSocket on a disabled lane: ${opened}`);
  log('ws off: not in /api/info, upgrade answered 404, browser WebSocket refused');
  // The SSE + POST lane of the same bridge works.
  const { sessionId } = await sdkSseSession(page, `https://127.0.0.1:${port}`, [{ filter: `devices/${cfg.device.id}/#` }]);
  check(sessionId, 'no SSE session on the bridge with ws off');
  log('SSE + POST lane still serves');
}

// ---------------------------------------------------------------- broker restart
// The test driver restarts mosquitto when this prints READY_FOR_RESTART, and creates
// cfg.restartedFlag once the bridge is back on the broker.
async function scenarioRestart() {
  let { observer, device } = await setupMqtt();
  const page = await newPage(cfg.bridgePort);
  await page.evaluate((u) => lw.openWs(u), `wss://127.0.0.1:${cfg.bridgePort}/v1/ws`);
  await page.evaluate((b) => lw.send(b), connectFrame(1, cfg.tokens.valid, [{ filter: `devices/${cfg.device.id}/#` }]));
  await waitFrames(page, 1, 'connect');
  await devicePublish(device, observer, envelopeTopic, ['before']);
  const frames = await waitFrames(page, 2, 'envelope before the restart');
  const before = frames[1].envelope;
  observer.end(true);
  device.end(true);
  console.log('READY_FOR_RESTART');
  await waitFor('the broker restart', () => existsSync(cfg.restartedFlag), 60000);
  ({ observer, device } = await setupMqtt());
  const mark = (await wsFrames(page)).length;
  // The bridge subscribes again once back on the broker; no answer says when that is done.
  await upstreamReady(page, device, allWsFrames);
  await devicePublish(device, observer, envelopeTopic, ['after']);
  const after = (await waitFrames(page, mark + 1, 'a frame after the restart'))[mark];
  check((await page.evaluate(() => lw.closed)) === null, 'the session did not survive the broker restart');
  if (after.envelope) {
    // Delivered plainly only when nothing was missed in between.
    check(after.envelope.epoch === before.epoch && after.envelope.seq === before.seq + 1, `silent skip: ${before.seq} -> ${after.envelope.seq}`);
    log('session survived; contiguous envelope after the restart');
  } else {
    check(after.group && after.group.recovered === false, `unexpected frame ${JSON.stringify(after)}`);
    log('session survived; the gap was announced with recovered=false');
  }
  check(Buffer.from((after.envelope ?? after.group.envelopes.at(-1)).payload, 'base64').toString() === 'after', 'wrong payload');
  observer.end(true);
  device.end(true);
}

const scenarios = { ws: scenarioWs, sse: scenarioSse, refusals: scenarioRefusals, restart: scenarioRestart, rpc: scenarioRpc, 'sdk-sse': scenarioSdkSse, 'ws-off': scenarioWsOff };
await runScenario(scenarios, scenario, { cleanup: () => browser.close() });
