// Session-lifecycle scenarios against a real laneway-bridge, mosquitto + plugin: in-band
// token refresh, TOKEN_EXPIRED, the slow-consumer policy, WebSocket keepalive, and an IPv6
// listener. The clients
// are Node-side: a small RFC 6455 WebSocket client over node:tls (so a test can stop reading
// its socket at will, which a browser cannot) and an SSE stream + POST /v1/call over
// node:https. Tokens are minted here, right before they are used, so a short lifetime is
// not eaten by process start-up. Every wait is bounded; nothing asserts on a duration.
//
// usage: node sessions.mjs <config.json> <scenario>
//   scenarios: cors, refresh-ws, refresh-sse, expire, slow, keepalive, ipv6, fresh-ws, fresh-sse
// Exit 0 when every check passed; otherwise prints `FAIL: <why>` and exits 1.
import { readFileSync } from 'node:fs';
import { createHmac, randomBytes } from 'node:crypto';
import tls from 'node:tls';
import https from 'node:https';
import mqtt from 'mqtt';
import protobuf from 'protobufjs';
import { Fail, check, runScenario, scenarioLog, sleep, waitFor as waitForBounded } from '../../support/scenario.mjs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const scenario = process.argv[3];
const root = await protobuf.load(cfg.protoPath);
const Frame = root.lookupType('laneway.v1.Frame');
const ErrorCode = root.lookupEnum('laneway.v1.ErrorCode').values;
const host = cfg.bridgeHost || '127.0.0.1';
const ca = readFileSync(cfg.caFile);
// The chain is verified against the test CA; the name is not (the certificate names
// 127.0.0.1, and the IPv6 scenario talks to ::1).
const tlsTrust = { ca, checkServerIdentity: () => undefined };
// A fresh connection per request: Node's default agent keeps idle connections 5 s, as long
// as lws keeps them (keepalive_timeout), so a request sent on one ~5 s after the previous
// could meet the server's close ("socket hang up"; 3 in 40 requests at a 4.96-5.0 s gap).
const noReuse = { agent: false };

const log = scenarioLog(scenario);
// Longer than the shared default: these scenarios wait out token lifetimes.
const waitFor = (what, fn, timeoutMs = 20000) => waitForBounded(what, fn, timeoutMs);

const encodeFrame = (obj) => Buffer.from(Frame.encode(Frame.fromObject(obj)).finish());
const decodeFrame = (buf) => Frame.toObject(Frame.decode(buf), { longs: Number, bytes: String, defaults: true });
const nowS = () => Math.floor(Date.now() / 1000);
const b64url = (b) => Buffer.from(b).toString('base64url');
function mintToken(expS, sub = 'alice', app = cfg.appId) {
  const head = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
  const body = b64url(JSON.stringify({ sub, app, exp: expS }));
  const sig = createHmac('sha256', cfg.secret).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}
const errorOf = (f) => f?.call?.error?.code ?? 0;
// Envelopes of a frame list, live batches flattened.
const allEnvelopesOf = (frames) => frames.flatMap((f) => (f.envelope?.topic ? [f.envelope] : f.group?.envelopes?.length ? f.group.envelopes : []));
const payloadText = (e) => Buffer.from(e.payload, 'base64').toString();

// ---------------------------------------------------------------- WebSocket client
// Client frames are masked (RFC 6455 5.3); server frames are parsed as they arrive.
function wsFrameBytes(opcode, payload) {
  const mask = randomBytes(4);
  let head;
  if (payload.length < 126) {
    head = Buffer.from([0x80 | opcode, 0x80 | payload.length]);
  } else if (payload.length < 65536) {
    head = Buffer.alloc(4);
    head[0] = 0x80 | opcode;
    head[1] = 0x80 | 126;
    head.writeUInt16BE(payload.length, 2);
  } else {
    head = Buffer.alloc(10);
    head[0] = 0x80 | opcode;
    head[1] = 0x80 | 127;
    head.writeBigUInt64BE(BigInt(payload.length), 2);
  }
  const body = Buffer.from(payload);
  for (let i = 0; i < body.length; i++) body[i] ^= mask[i & 3];
  return Buffer.concat([head, mask, body]);
}

// `autoPong: false` makes a client that never answers the bridge's pings (they are still
// recorded in `pings`, as arrival times).
function openWs(port = cfg.bridgePort, h = host, { autoPong = true } = {}) {
  return new Promise((resolve, reject) => {
    // onFrame, when set, sees each frame as it is parsed (to act on it without a poll's delay).
    const ws = { frames: [], pings: [], closed: false, closedAt: 0, closeFrame: false, socket: null, onFrame: null };
    let buf = Buffer.alloc(0);
    let upgraded = false;
    const s = tls.connect({ host: h, port, ALPNProtocols: ['http/1.1'], ...tlsTrust }, () => {
      const key = randomBytes(16).toString('base64');
      s.write(`GET /v1/ws HTTP/1.1\r\nHost: ${h.includes(':') ? `[${h}]` : h}:${port}\r\nUpgrade: websocket\r\n` +
        `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    ws.socket = s;
    ws.send = (obj) => s.write(wsFrameBytes(2, encodeFrame(obj)));
    ws.close = () => s.destroy();
    const parse = () => {
      for (;;) {
        if (buf.length < 2) return;
        const opcode = buf[0] & 0x0f;
        let len = buf[1] & 0x7f;
        let off = 2;
        if (len === 126) {
          if (buf.length < 4) return;
          len = buf.readUInt16BE(2);
          off = 4;
        } else if (len === 127) {
          if (buf.length < 10) return;
          len = Number(buf.readBigUInt64BE(2));
          off = 10;
        }
        if (buf.length < off + len) return;
        const payload = buf.subarray(off, off + len);
        buf = buf.subarray(off + len);
        if (opcode === 2) {
          ws.frames.push(decodeFrame(payload));
          ws.onFrame?.(ws.frames.at(-1));
        }
        else if (opcode === 8) ws.closeFrame = true;
        else if (opcode === 9) {
          ws.pings.push(Date.now());
          if (autoPong) s.write(wsFrameBytes(10, payload));
        }
      }
    };
    s.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buf.subarray(0, end).toString('latin1');
        buf = buf.subarray(end + 4);
        if (!/^HTTP\/1\.1 101/.test(head)) {
          s.destroy();
          return reject(new Fail(`WebSocket upgrade refused: ${head.split('\r\n')[0]}`));
        }
        upgraded = true;
        resolve(ws);
      }
      parse();
    });
    s.on('close', () => {
      ws.closed = true;
      ws.closedAt = Date.now();
      if (!upgraded) reject(new Fail('connection closed before the upgrade'));
    });
    s.on('error', (e) => {
      if (!upgraded) reject(new Fail(`WebSocket: ${e.message}`));
    });
  });
}

async function wsSession(token, filter, port, h, options) {
  const ws = await openWs(port, h, options);
  ws.sentAt = Date.now();  // the client's last traffic, unless it sends more
  ws.send({ call: { id: 1, connect: { appId: cfg.appId, token, client: 'sessions.mjs', subscriptions: [{ filter }] } } });
  const first = await waitFor('connect result', () => ws.frames[0]);
  check(first.call?.connectResult?.sessionId, `connect refused: ${JSON.stringify(first)}`);
  return ws;
}

// ---------------------------------------------------------------- SSE + POST client
// A standalone stream: the connect is in the query string and its reply is the first event.
function openSse(token, filter, onEvent = null) {
  const q = new URLSearchParams({ app: cfg.appId, token, sub: filter });
  return sseStream(`/v1/sse?${q}`, onEvent);
}
// onEvent, when set, sees each event as it is parsed.
function sseStream(path, onEvent = null) {
  return new Promise((resolve, reject) => {
    const sse = { events: [], ended: false };
    const req = https.get({ host, port: cfg.bridgePort, path, headers: { accept: 'text/event-stream' }, ...tlsTrust, ...noReuse }, (res) => {
      if (res.statusCode !== 200) return reject(new Fail(`SSE answered ${res.statusCode}`));
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => {
        text += d;
        for (let end = text.indexOf('\n\n'); end >= 0; end = text.indexOf('\n\n')) {
          const block = text.slice(0, end);
          text = text.slice(end + 2);
          const data = block.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).join('');
          if (block.split('\n').includes('event: ticket')) {
            sse.ticket = data;  // what reattaching this session needs next, not a frame
          } else if (data) {
            sse.events.push(decodeFrame(Buffer.from(data, 'base64')));
            onEvent?.(sse.events.at(-1));
          }
        }
      });
      res.on('end', () => { sse.ended = true; });
      res.on('close', () => { sse.ended = true; });
      sse.close = () => req.destroy();
      resolve(sse);
    });
    req.on('error', (e) => reject(new Fail(`SSE: ${e.message}`)));
  });
}
function httpsRequest(path, { method = 'GET', body = null, headers = {}, h = host, port = cfg.bridgePort } = {}) {
  if (body) headers = { ...headers, 'content-length': body.length };
  return new Promise((resolve) => {
    const req = https.request({ host: h, port, path, method, headers, timeout: 15000, ...tlsTrust, ...noReuse }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', (e) => resolve({ status: 0, error: e.message, body: Buffer.alloc(0) }));
    req.on('timeout', () => req.destroy());
    if (body) req.write(body);
    req.end();
  });
}
// A call on `session` carries the session's JWT: the session id alone is no credential.
const sessionHeaders = (session, token) => (session ? { 'x-laneway-session': session, ...(token ? { authorization: `Bearer ${token}` } : {}) } : {});
const postCall = (session, obj, token = '') => httpsRequest('/v1/call', { method: 'POST', body: encodeFrame(obj), headers: { 'content-type': 'application/x-protobuf', ...sessionHeaders(session, token) } });
const attachPath = (session, ticket) => `/v1/sse?${new URLSearchParams({ session, attach: ticket })}`;

// ---------------------------------------------------------------- the device
function deviceClient() {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect({
      host: '127.0.0.1', port: cfg.brokerPort, protocol: 'mqtts', protocolVersion: 5,
      ca, cert: readFileSync(cfg.device.cert), key: readFileSync(cfg.device.key),
      rejectUnauthorized: true, servername: 'localhost', clientId: cfg.device.id,
      reconnectPeriod: 0, connectTimeout: 8000,
    });
    c.once('connect', () => resolve(c));
    c.once('error', (e) => reject(new Fail(`device MQTT: ${e.message}`)));
  });
}
const publish = (c, topic, payload) => new Promise((res, rej) => c.publish(topic, payload, { qos: 1 }, (e) => (e ? rej(e) : res())));
const topic = `devices/${cfg.device.id}/telemetry`;
const filter = `devices/${cfg.device.id}/#`;
// A connect or subscribe is answered once the broker holds the bridge's subscription, so a
// device publish right after the answer reaches the session (the fresh-* scenarios prove it).
const envelopesOf = allEnvelopesOf;

// Publishes `text` as the device and waits until every listed receiver has it.
async function publishAndExpect(device, text, receivers) {
  await publish(device, topic, text);
  for (const [name, frames] of receivers) {
    await waitFor(`${name} to receive ${text}`, () => envelopesOf(frames()).some((e) => payloadText(e) === text));
  }
}

// ---------------------------------------------------------------- scenarios
// A session refreshed in-band outlives its first token; a twin with the same first token and
// no refresh gets TOKEN_EXPIRED, which proves the first token really ran out meanwhile.
async function scenarioRefreshWs() {
  const device = await deviceClient();
  const firstExp = nowS() + 4;
  const refreshed = await wsSession(mintToken(firstExp), filter);
  const twin = await wsSession(mintToken(firstExp), filter);
  const newExp = nowS() + 3600;
  refreshed.send({ call: { id: 2, refresh: { token: mintToken(newExp) } } });
  const reply = await waitFor('refresh result', () => refreshed.frames.find((f) => f.call?.id === 2));
  check(reply.call.refreshResult?.expiresAtS === newExp, `refresh answered ${JSON.stringify(reply.call)}`);
  log('refreshed over WebSocket, expires_at_s', newExp);

  const expired = await waitFor('the twin to get TOKEN_EXPIRED', () => twin.frames.find((f) => errorOf(f)));
  check(errorOf(expired) === ErrorCode.ERROR_CODE_TOKEN_EXPIRED, `twin got ${JSON.stringify(expired.call)}`);
  await waitFor('the twin to be closed', () => twin.closed);
  check(nowS() >= firstExp, 'TOKEN_EXPIRED before the first token expired');
  await sleep(1500);  // two more expiry checks (every second) pass over the refreshed session
  await publishAndExpect(device, 'after-first-exp', [['the refreshed session', () => refreshed.frames]]);
  check(!refreshed.closed, 'the refreshed session was closed');
  check(!refreshed.frames.some((f) => errorOf(f)), `the refreshed session got an error: ${JSON.stringify(refreshed.frames.find((f) => errorOf(f)))}`);
  log('refreshed session still open and receiving after the first exp; twin got TOKEN_EXPIRED');
  refreshed.close();
  device.end(true);
}

// The same over the SSE lane: refresh goes by POST /v1/call.
async function scenarioRefreshSse() {
  const device = await deviceClient();
  const firstExp = nowS() + 4;
  const refreshedToken = mintToken(firstExp);
  const refreshed = await openSse(refreshedToken, filter);
  const twin = await openSse(mintToken(firstExp), filter);
  const first = await waitFor('SSE connect result', () => refreshed.events[0]);
  const session = first.call?.connectResult?.sessionId;
  check(session, `no connect result: ${JSON.stringify(first)}`);
  await waitFor('twin connect result', () => twin.events[0]?.call?.connectResult);
  const newExp = nowS() + 3600;
  const newToken = mintToken(newExp);
  const res = await postCall(session, { call: { id: 5, refresh: { token: newToken } } }, refreshedToken);
  check(res.status === 200, `POST refresh answered ${res.status} ${res.error || ''}`);
  const reply = decodeFrame(res.body);
  check(reply.call?.id === 5 && reply.call.refreshResult?.expiresAtS === newExp, `refresh answered ${JSON.stringify(reply)}`);
  log('refreshed over POST /v1/call, expires_at_s', newExp);

  const expired = await waitFor('the SSE twin to get TOKEN_EXPIRED', () => twin.events.find((f) => errorOf(f)));
  check(errorOf(expired) === ErrorCode.ERROR_CODE_TOKEN_EXPIRED, `twin got ${JSON.stringify(expired.call)}`);
  await waitFor('the twin stream to end', () => twin.ended);
  check(nowS() >= firstExp, 'TOKEN_EXPIRED before the first token expired');
  await sleep(1500);
  await publishAndExpect(device, 'sse-after-first-exp', [['the refreshed SSE session', () => refreshed.events]]);
  check(!refreshed.ended, 'the refreshed SSE stream ended');
  check(!refreshed.events.some((f) => errorOf(f)), 'the refreshed SSE session got an error');
  // The session still answers calls by POST.
  const ping = await postCall(session, { call: { id: 6, ping: { sentAtUs: Date.now() * 1000 } } }, newToken);
  check(ping.status === 200 && decodeFrame(ping.body).call?.pong, `POST ping after the first exp: ${ping.status} ${ping.error || ''}`);
  log('refreshed SSE session still open, receiving and answering after the first exp');
  refreshed.close();
  device.end(true);
}

// A session whose token runs out gets the typed TOKEN_EXPIRED push (id 0) and is closed;
// another session on the same bridge goes on receiving everything, before and after.
async function scenarioExpire() {
  const device = await deviceClient();
  const exp = nowS() + 4;
  const shortLived = await wsSession(mintToken(exp), filter);
  const longLived = await wsSession(mintToken(nowS() + 3600), filter);
  await publishAndExpect(device, 'before', [['the short session', () => shortLived.frames], ['the long session', () => longLived.frames]]);
  const err = await waitFor('TOKEN_EXPIRED', () => shortLived.frames.find((f) => errorOf(f)));
  check(errorOf(err) === ErrorCode.ERROR_CODE_TOKEN_EXPIRED && err.call.id === 0, `got ${JSON.stringify(err.call)}`);
  await waitFor('the expired session to be closed', () => shortLived.closed);
  check(shortLived.frames.at(-1) === err, 'frames after the TOKEN_EXPIRED push');
  log('expired session got TOKEN_EXPIRED:', err.call.error.message);
  for (const p of ['after-1', 'after-2', 'after-3']) await publishAndExpect(device, p, [['the long session', () => longLived.frames]]);
  const got = envelopesOf(longLived.frames).map(payloadText);
  check(got.join() === 'before,after-1,after-2,after-3', `long session received ${got}`);
  check(!longLived.closed && !longLived.frames.some((f) => errorOf(f)), 'the long session was disturbed');
  log('the other session kept receiving', got);
  longLived.close();
  device.end(true);
}

// One sample of the bridge's /metrics (on its admin listener).
async function metric(name) {
  const res = await httpsRequest('/metrics', { port: cfg.adminPort });
  check(res.status === 200, `/metrics answered ${res.status}`);
  const escaped = name.replace(/[{}]/g, (c) => `\\${c}`);
  const m = res.body.toString().match(new RegExp(`^${escaped} (\\d+)$`, 'm'));
  check(m, `no ${name} in /metrics`);
  return Number(m[1]);
}
const slowConsumerDrops = () => metric('laneway_bridge_drops_total{reason="slow_consumer"}');

// The memory budget (docs/bridge.md "Memory budget") filled while a reader is served: the
// device floods distinct topics to many times history.max_total_bytes while stalled sessions
// fill their queues. History stays within its budget (full, the oldest gone first), every
// stalled session is closed SLOW_CONSUMER, and the reader gets every envelope in order. The
// test around this holds the bridge's peak RSS to the budgets.
async function scenarioBudgets() {
  const device = await deviceClient();
  const token = mintToken(nowS() + 3600);
  const reader = await wsSession(token, filter);
  const stalled = [];
  for (let i = 0; i < cfg.budgetStalled; i++) {
    const s = await wsSession(token, filter);
    s.socket.pause();
    stalled.push(s);
  }
  const dropsBefore = await slowConsumerDrops();
  const payload = 'x'.repeat(cfg.budgetPayloadBytes);
  const total = Math.ceil(cfg.budgetFloodBytes / cfg.budgetPayloadBytes);
  // Batches of half the reader's queue, as in the slow scenario: the reader never nears its limit.
  const batch = Math.max(1, Math.floor(cfg.queueMaxBytes / 2 / (cfg.budgetPayloadBytes + 128)));
  let sent = 0;
  while (sent < total) {
    await Promise.all(Array.from({ length: batch }, (_, i) => publish(device, `devices/${cfg.device.id}/budget/${(sent + i) % cfg.budgetTopics}`, `${sent + i}:${payload}`)));
    sent += batch;
    await waitFor(`the reader to keep up (${sent})`, () => envelopesOf(reader.frames).length >= sent, 60000);
  }
  const kept = await metric('laneway_bridge_history_bytes');
  const budget = await metric('laneway_bridge_history_budget_bytes');
  check(kept <= budget, `history holds ${kept} bytes, over its budget of ${budget}`);
  check(kept >= budget / 2, `history holds ${kept} of ${budget} bytes: the flood did not fill it`);
  log(`flooded ${sent} envelopes (${sent * cfg.budgetPayloadBytes} bytes): history holds ${kept} of ${budget} bytes`);

  await waitFor('every stalled session to be dropped', async () => (await slowConsumerDrops()) >= dropsBefore + stalled.length, 60000);
  for (const s of stalled) s.socket.resume();
  for (const s of stalled) {
    await waitFor('a stalled session to be closed', () => s.closed, 60000);
    const err = s.frames.find((f) => errorOf(f));
    check(err && errorOf(err) === ErrorCode.ERROR_CODE_SLOW_CONSUMER, `a stalled session got no SLOW_CONSUMER: ${JSON.stringify(err?.call)}`);
  }
  const received = envelopesOf(reader.frames);
  check(received.length === sent, `the reader got ${received.length} of ${sent}`);
  received.forEach((e, i) => check(payloadText(e).startsWith(`${i}:`), `reader envelope ${i} out of order`));
  check(!reader.closed && !reader.frames.some((f) => errorOf(f)), 'the reader was disturbed');
  log(`${stalled.length} stalled sessions closed SLOW_CONSUMER; the reader got all ${sent} in order`);
  reader.close();
  device.end(true);
}

// A WebSocket client that stops reading while the device floods its topic: the bridge drops
// it per the slow-consumer policy (queue discarded, one SLOW_CONSUMER push, then close), and
// a reading session gets every envelope in order meanwhile.
async function scenarioSlow() {
  const device = await deviceClient();
  const token = mintToken(nowS() + 3600);
  const reader = await wsSession(token, filter);
  const stalled = await wsSession(token, filter);
  stalled.socket.pause();  // stop reading: the kernel buffers fill, then the bridge's queue
  const dropsBefore = await slowConsumerDrops();
  const payload = 'x'.repeat(cfg.floodPayloadBytes);
  let sent = 0;
  const maxMessages = cfg.floodMaxMessages;
  // Flood in batches of at most half the queue limit, each sent once the reader has the last
  // one: the reader's queue never nears its limit, the stalled session's grows without end.
  const batch = Math.max(1, Math.floor(cfg.queueMaxBytes / 2 / (cfg.floodPayloadBytes + 128)));
  while ((await slowConsumerDrops()) === dropsBefore) {
    check(sent < maxMessages, `no slow-consumer drop after ${sent} messages`);
    await Promise.all(Array.from({ length: batch }, (_, i) => publish(device, topic, `${sent + i}:${payload}`)));
    sent += batch;
    await waitFor(`the reader to keep up (${sent})`, () => envelopesOf(reader.frames).length >= sent, 60000);
  }
  log('slow consumer counted after', sent, 'messages');
  // Reading again, the stalled client finds a contiguous prefix, then SLOW_CONSUMER, then the
  // close (checked below, after the reader).
  stalled.socket.resume();
  check((await slowConsumerDrops()) === dropsBefore + 1, 'more than one slow-consumer drop (the reader was dropped too?)');
  const received = await waitFor('the reader to receive every envelope', () => {
    const e = envelopesOf(reader.frames);
    return e.length >= sent ? e : null;
  }, 120000);
  check(received.length === sent, `reader got ${received.length} of ${sent}`);
  for (let i = 0; i < sent; i++) {
    check(payloadText(received[i]).startsWith(`${i}:`), `reader envelope ${i} out of order: ${payloadText(received[i]).slice(0, 12)}`);
    if (i > 0) check(received[i].seq === received[i - 1].seq + 1, `reader seq gap at ${i}`);
  }
  check(!reader.closed && !reader.frames.some((f) => errorOf(f)), 'the reader was disturbed');
  log('reader received all', sent, 'envelopes in order');

  await waitFor('the stalled session to be closed', () => stalled.closed, 60000);
  const err = stalled.frames.find((f) => errorOf(f));
  check(err && errorOf(err) === ErrorCode.ERROR_CODE_SLOW_CONSUMER, `stalled session got no SLOW_CONSUMER: ${JSON.stringify(err?.call)}`);
  check(stalled.frames.at(-1) === err, 'frames after the SLOW_CONSUMER push');
  const prefix = envelopesOf(stalled.frames);
  check(prefix.length < sent, 'the stalled session got everything: it was never slow');
  prefix.forEach((e, i) => check(payloadText(e).startsWith(`${i}:`), `stalled prefix out of order at ${i}`));
  log('stalled session got', prefix.length, 'envelopes, then SLOW_CONSUMER:', err.call.error.message);
  reader.close();
  device.end(true);
}

// WebSocket keepalive (bridge started with ws.ping_interval_ms = cfg.pingIntervalMs): a
// session that sends nothing after its connect and never answers a ping is pinged, then
// closed by the bridge once silent for 2 * interval/1000 s + 5 s (7 s at 1000 ms; checked
// every second). A session that answers the pings and sends nothing else stays open past
// that and still receives device publishes. Bounds are loose (loaded machine): the close
// comes after the first ping and no earlier than 6 s, no later than 20 s after the last
// traffic; a broken keepalive (no ping, no close, or closing answering sessions) fails.
async function scenarioKeepalive() {
  const intervalMs = cfg.pingIntervalMs;
  check(intervalMs > 0, 'no pingIntervalMs in the scenario config');
  const hangupMs = (2 * Math.floor(intervalMs / 1000) + 5) * 1000;
  const device = await deviceClient();
  const token = mintToken(nowS() + 3600);
  const silent = await wsSession(token, filter, cfg.bridgePort, host, { autoPong: false });
  const answering = await wsSession(token, filter);
  log('two sessions open; the silent one sent its last frame at connect');

  await waitFor('the silent session to be closed by the bridge', () => silent.closed, hangupMs + 20000);
  const closedAfterMs = silent.closedAt - silent.sentAt;
  log(`silent session: ${silent.pings.length} ping(s), first ${silent.pings[0] - silent.sentAt} ms after its last ` +
    `traffic, closed after ${closedAfterMs} ms (close frame: ${silent.closeFrame})`);
  check(silent.pings.length >= 1, 'the silent session was closed without a ping');
  check(silent.pings[0] <= silent.closedAt, 'the first ping came after the close');
  check(closedAfterMs >= hangupMs - 1000, `closed ${closedAfterMs} ms after its last traffic, before the ${hangupMs} ms hang-up`);
  check(closedAfterMs <= 20000, `closed only ${closedAfterMs} ms after its last traffic`);
  check(!silent.frames.some((f) => errorOf(f)), `the silent session got an error frame: ${JSON.stringify(silent.frames.find((f) => errorOf(f))?.call)}`);

  // The answering session has sent only pongs since its connect; keep it so past the hang-up
  // time plus two keepalive ticks before the last checks.
  const quietUntil = answering.sentAt + hangupMs + 2000;
  while (Date.now() < quietUntil) await sleep(Math.min(250, quietUntil - Date.now()));
  check(!answering.closed, 'the answering session was closed');
  check(answering.pings.length >= 2, `the answering session got ${answering.pings.length} ping(s)`);
  await publishAndExpect(device, 'after-keepalive-close', [['the answering session', () => answering.frames]]);
  check(!answering.closed && !answering.frames.some((f) => errorOf(f)), 'the answering session was disturbed');
  log(`answering session open ${Date.now() - answering.sentAt} ms after its connect, ${answering.pings.length} pings answered, still receiving`);
  answering.close();
  device.end(true);
}

// A bridge listening on ::1 serves /api/info and a WebSocket session over IPv6, and its
// admin listener on ::1 /healthz (which the public port no longer answers).
async function scenarioIpv6() {
  const device = await deviceClient();
  const publicHealth = await httpsRequest('/healthz');
  check(publicHealth.status === 404, `/healthz on the public port answered ${publicHealth.status}`);
  const health = await httpsRequest('/healthz', { port: cfg.adminPort });
  check(health.status === 200, `admin /healthz over ::1 answered ${health.status} ${health.error || ''}`);
  const h = JSON.parse(health.body.toString());
  check(h.status === 'ok' && h.broker_connected === true, `/healthz ${health.body}`);
  const info = await httpsRequest('/api/info');
  check(info.status === 200, `/api/info over ::1 answered ${info.status}`);
  const transports = JSON.parse(info.body.toString()).transports.map((t) => t.name);
  check(transports.includes('ws'), `/api/info transports ${transports}`);
  log('/healthz and /api/info over ::1', transports);
  const ws = await wsSession(mintToken(nowS() + 3600), filter);
  check(ws.socket.remoteAddress === '::1', `connected to ${ws.socket.remoteAddress}`);
  await publishAndExpect(device, 'v6', [['the IPv6 WebSocket session', () => ws.frames]]);
  log('WebSocket session over ::1 received a device envelope');
  ws.close();
  device.end(true);
}

// ---------------------------------------------------------------- answers mean SUBACK
// The answer to a connect or subscribe says the broker holds the bridge's subscription
// (docs/bridge.md "Resume"): a device publish sent the moment the answer arrives reaches the
// session. Every filter here is new to the bridge (a fresh run id), so every answer waits
// for the broker's SUBACK; the device publishes on a topic as soon as its answer is in,
// from the client's frame handler (no poll in between), and every envelope must arrive.
function freshTopics(count) {
  const run = randomBytes(4).toString('hex');
  return Array.from({ length: count }, (_, i) => `devices/${cfg.device.id}/fresh-${run}-${i}`);
}

// Publishes once per topic when `answered(topic)` is first called; resolves when all went.
function publisherOnAnswer(device, topics) {
  const sent = new Map();
  return {
    answered(t, payload) {
      if (!topics.includes(t) || sent.has(t)) return;
      sent.set(t, publish(device, t, payload));
    },
    all: () => waitFor('every publish to be sent', () => sent.size === topics.length && Promise.all(sent.values()).then(() => true)),
  };
}

async function expectOnePerTopic(what, frames, topics, payload) {
  await waitFor(`${what} to receive an envelope on each of ${topics.length} fresh topics`,
    () => topics.every((t) => envelopesOf(frames()).some((e) => e.topic === t)), 30000).catch((e) => {
    const got = new Set(envelopesOf(frames()).map((e) => e.topic));
    throw new Fail(`${e.message}; missing ${topics.filter((t) => !got.has(t)).join(', ')}`);
  });
  const envs = envelopesOf(frames()).filter((e) => topics.includes(e.topic));
  check(envs.length === topics.length, `${what} got ${envs.length} envelopes for ${topics.length} topics`);
  check(envs.every((e) => payloadText(e) === payload), `${what} got a foreign payload`);
}

async function scenarioFreshWs() {
  const device = await deviceClient();
  const topics = freshTopics(cfg.freshFilters ?? 30);
  const pub = publisherOnAnswer(device, topics);
  const ws = await openWs();
  const ids = new Map(topics.map((t, i) => [i + 1, t]));
  ws.onFrame = (f) => {
    if (f.call?.connectResult) f.call.connectResult.subscriptions.forEach((r) => pub.answered(r.filter, 'fresh-ws'));
    if (f.call?.subscribeResult) pub.answered(f.call.subscribeResult.filter, 'fresh-ws');
  };
  // The connect carries the first filter; the rest are subscribed all at once after it.
  ws.send({ call: { id: 1, connect: { appId: cfg.appId, token: mintToken(nowS() + 3600), client: 'sessions.mjs', subscriptions: [{ filter: topics[0] }] } } });
  const first = await waitFor('connect result', () => ws.frames[0]);
  check(first.call?.connectResult?.subscriptions?.[0]?.filter === topics[0], `connect answered ${JSON.stringify(first)}`);
  for (const [id, t] of ids) if (id > 1) ws.send({ call: { id, subscribe: { subscription: { filter: t } } } });
  await waitFor('every subscribe answer', () => ws.frames.filter((f) => f.call?.id > 1).length >= topics.length - 1);
  const refused = ws.frames.find((f) => errorOf(f));
  check(!refused, `a subscribe was refused: ${JSON.stringify(refused?.call)}`);
  await pub.all();
  await expectOnePerTopic('the WebSocket session', () => ws.frames, topics, 'fresh-ws');
  // Nothing reached the session before its answer.
  for (const t of topics) {
    const answer = ws.frames.findIndex((f) => f.call?.connectResult?.subscriptions?.some((r) => r.filter === t) || f.call?.subscribeResult?.filter === t);
    const env = ws.frames.findIndex((f) => f.envelope?.topic === t);
    check(answer >= 0 && answer < env, `the envelope on ${t} came before its answer`);
  }
  log(`WebSocket: ${topics.length} fresh filters, each published on at its answer, all delivered`);
  ws.close();
  device.end(true);
}

async function scenarioFreshSse() {
  const device = await deviceClient();
  const topics = freshTopics(cfg.freshFilters ?? 30);
  const pub = publisherOnAnswer(device, topics);
  const token = mintToken(nowS() + 3600);

  // POST connect (the SDK's flow): the answer is the response, held for the SUBACK.
  const connected = await postCall('', { call: { id: 1, connect: { appId: cfg.appId, token, client: 'sessions.mjs', subscriptions: [{ filter: topics[0] }] } } });
  check(connected.status === 200, `POST connect answered ${connected.status} ${connected.error || ''}`);
  const reply = decodeFrame(connected.body);
  const session = reply.call?.connectResult?.sessionId;
  check(session, `POST connect answered ${JSON.stringify(reply)}`);
  pub.answered(topics[0], 'fresh-sse');
  const stream = await sseStream(attachPath(session, reply.call.connectResult.attachTicket));

  // The rest by POST, all at once; each publishes as its response arrives.
  const answers = await Promise.all(topics.slice(1).map((t, i) =>
    postCall(session, { call: { id: i + 2, subscribe: { subscription: { filter: t } } } }, token).then((res) => {
      const f = res.status === 200 ? decodeFrame(res.body) : null;
      if (f?.call?.subscribeResult) pub.answered(f.call.subscribeResult.filter, 'fresh-sse');
      return { res, f };
    })));
  for (const { res, f } of answers) {
    check(res.status === 200 && f?.call?.subscribeResult, `POST subscribe answered ${res.status} ${res.error || ''} ${JSON.stringify(f?.call)}`);
  }
  await pub.all();
  await expectOnePerTopic('the SSE session', () => stream.events, topics, 'fresh-sse');

  // A standalone stream (connect in the URL) with a fresh filter: its first event is the
  // connect reply, sent once the broker acknowledged; a publish right then arrives too.
  const [solo] = freshTopics(1);
  const soloPub = publisherOnAnswer(device, [solo]);
  const standalone = await openSse(token, solo, (f) => {
    if (f.call?.connectResult) soloPub.answered(solo, 'fresh-sse');
  });
  await soloPub.all();
  await expectOnePerTopic('the standalone SSE stream', () => standalone.events, [solo], 'fresh-sse');
  check(standalone.events[0].call?.connectResult, 'the standalone stream did not start with its connect reply');
  log(`SSE + POST: ${topics.length} fresh filters and a standalone stream, each published on at its answer, all delivered`);
  stream.close();
  standalone.close();
  device.end(true);
}

// A session's event stream is opened again while its old stream is still attached (its
// client vanished and the bridge has not noticed; or a second tab of the same user): the
// new stream takes the session over, the old one ends, and the session's envelopes flow
// on the new one. What a URL carries cannot take it: the session id is no credential, an
// attach ticket is good once (and only the newest), a JWT is not accepted there at all.
async function scenarioTakeover() {
  const device = await deviceClient();
  const token = mintToken(nowS() + 3600);
  const connected = await postCall('', { call: { id: 1, connect: { appId: cfg.appId, token, client: 'sessions.mjs', subscriptions: [{ filter }] } } });
  check(connected.status === 200, `POST connect answered ${connected.status} ${connected.error || ''}`);
  const result = decodeFrame(connected.body).call?.connectResult;
  const session = result?.sessionId;
  check(session && result.attachTicket, `no session id or attach ticket: ${JSON.stringify(result)}`);
  const first = await sseStream(attachPath(session, result.attachTicket));
  await publishAndExpect(device, 'takeover-1', [['the first stream', () => first.events]]);
  check(first.ticket && first.ticket !== result.attachTicket, `the stream handed over no new ticket: ${first.ticket}`);

  const refusedWith = async (path, what) => {
    const refused = await sseStream(path).catch((e) => e);
    check(refused instanceof Error && /401/.test(refused.message), `${what}: ${refused?.message ?? 'accepted'}`);
  };
  await refusedWith(attachPath(session, result.attachTicket), 'the spent connect ticket');
  await refusedWith(`/v1/sse?${new URLSearchParams({ session, token })}`, 'the JWT in the URL');
  await refusedWith(`/v1/sse?${new URLSearchParams({ session })}`, 'the session id alone');
  // A standalone stream puts the JWT in its URL: only for an app that opted in (sse_url_token).
  const strictToken = mintToken(nowS() + 3600, 'alice', cfg.strictAppId);
  await refusedWith(`/v1/sse?${new URLSearchParams({ app: cfg.strictAppId, token: strictToken, sub: filter })}`, 'a standalone stream of an app that did not opt in');
  for (const [what, auth] of [['no token', ''], ['another subject\'s token', mintToken(nowS() + 3600, 'someone-else')]]) {
    const res = await postCall(session, { call: { id: 9, ping: { sentAtUs: Date.now() * 1000 } } }, auth);
    check(res.status === 401, `a POST on the session with ${what} answered ${res.status}`);
  }
  check(!first.ended, 'a refused takeover ended the first stream');

  const second = await sseStream(attachPath(session, first.ticket));
  await waitFor('the first stream to end', () => first.ended);
  await publishAndExpect(device, 'takeover-2', [['the second stream', () => second.events]]);
  check(!envelopesOf(first.events).some((e) => payloadText(e) === 'takeover-2'), 'the old stream got an envelope after the takeover');
  const ping = await postCall(session, { call: { id: 2, ping: { sentAtUs: Date.now() * 1000 } } }, token);
  check(ping.status === 200 && decodeFrame(ping.body).call?.pong, `POST ping after the takeover: ${ping.status}`);
  log('the second stream took the session over; the first ended; envelopes and calls go on');
  second.close();
  device.end(true);
}

// The call lane lets a page read its responses only from an origin the app accepts: the
// strict app (origins: [cfg.strictOrigin]) answers a foreign page's connect, preflight and
// calls without access-control-allow-origin, refusals included, and its own page with it.
// (A preflight names no app, so it is granted while any app, here demo with "*", accepts the
// origin: it reveals nothing, the response it precedes is what is withheld.)
async function scenarioCors() {
  const strict = cfg.strictAppId;
  const token = mintToken(nowS() + 3600, 'alice', strict);
  const own = cfg.strictOrigin;
  const foreign = 'https://attacker.example';
  const post = (session, origin, obj) => httpsRequest('/v1/call', { method: 'POST', body: encodeFrame(obj), headers: { 'content-type': 'application/x-protobuf', origin, ...sessionHeaders(session, token) } });
  const allowOf = (r) => r.headers?.['access-control-allow-origin'];
  const connect = { call: { id: 1, connect: { appId: strict, token, client: 'sessions.mjs', subscriptions: [{ filter }] } } };

  const refused = await post('', foreign, connect);
  check(refused.status >= 400, `a foreign origin's connect answered ${refused.status}`);
  check(allowOf(refused) === undefined, `the refusal of a foreign connect is readable by it: ${allowOf(refused)}`);
  check(/origin/i.test(refused.headers?.vary ?? ''), 'the refusal does not vary on Origin');

  const ok = await post('', own, connect);
  check(ok.status === 200 && allowOf(ok) === own, `the app's own origin: ${ok.status} allow=${allowOf(ok)} ${JSON.stringify(decodeFrame(ok.body).call?.error)}`);
  const session = decodeFrame(ok.body).call?.connectResult?.sessionId;
  check(session, 'no session id for the own origin');

  const stolen = await post(session, foreign, { call: { id: 2, ping: { sentAtUs: Date.now() * 1000 } } });
  check(stolen.status === 403 && allowOf(stolen) === undefined, `a foreign call on the session: ${stolen.status} allow=${allowOf(stolen)}`);
  const mine = await post(session, own, { call: { id: 3, ping: { sentAtUs: Date.now() * 1000 } } });
  check(mine.status === 200 && allowOf(mine) === own, `the own origin's call: ${mine.status} allow=${allowOf(mine)}`);
  log('foreign origins read nothing from the strict app, refusals included; its own origin reads everything');
}

const scenarios = { budgets: scenarioBudgets, cors: scenarioCors, takeover: scenarioTakeover, 'refresh-ws': scenarioRefreshWs, 'refresh-sse': scenarioRefreshSse, expire: scenarioExpire, slow: scenarioSlow, keepalive: scenarioKeepalive, ipv6: scenarioIpv6, 'fresh-ws': scenarioFreshWs, 'fresh-sse': scenarioFreshSse };
// Inside the test driver's 240 s bound, so a hang reports itself.
await runScenario(scenarios, scenario, { timeoutMs: 230000 });
