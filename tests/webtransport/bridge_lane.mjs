// WebTransport lane end to end: Debian's headless chromium (playwright-core, no flag that
// touches QUIC) against a real laneway-bridge, mosquitto + plugin. The page reads
// /api/info, opens `new WebTransport(url, { serverCertificateHashes })`, and speaks
// laneway's wire on the first bidirectional stream (varint-length-prefixed Frames);
// QoS 0 envelopes of a `datagrams: true` subscription arrive as datagrams. Frames are
// encoded and decoded here in Node from proto/laneway.proto. A device and a wire observer
// connect to the broker over MQTT v5 with their own certificates. Every wait is bounded.
//
// usage: node bridge_lane.mjs <config.json> <scenario>   (scenarios: wt, rotation)
// Exit 0 when every check passed; otherwise prints `FAIL: <why>` and exits 1.
import { readFileSync, renameSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { createServer } from 'node:http';
import mqtt from 'mqtt';
import protobuf from 'protobufjs';
import { chromium } from 'playwright-core';
import { brokerClients } from '../support/broker_clients.mjs';
import { check, retryUntil, runScenario, scenarioLog, sleep, waitFor } from '../support/scenario.mjs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const scenario = process.argv[3];
const root = await protobuf.load(cfg.protoPath);
const Frame = root.lookupType('laneway.v1.Frame');

const log = scenarioLog(scenario);

const encode = (obj) => Buffer.from(Frame.encode(Frame.fromObject(obj)).finish()).toString('base64');
const decode = (b64) => Frame.toObject(Frame.decode(Buffer.from(b64, 'base64')), { longs: Number, bytes: String, defaults: true });
const b64 = (s) => Buffer.from(s).toString('base64');
const certHash = (path) => createHash('sha256').update(new X509Certificate(readFileSync(path)).raw).digest('base64');

// ---- MQTT clients with their own certificates
const { publish, cmdTopic, setupMqtt } = brokerClients(mqtt, cfg);

const telemetry = `devices/${cfg.device.id}/telemetry`;
const status = `devices/${cfg.device.id}/status`;

// Publishes as the device; returns the envelope bytes ($lw/env payload) the observer saw.
async function devicePublish(device, observer, topic, payload, qos = 1) {
  const before = observer.messages.length;
  await publish(device, topic, payload, qos);
  await waitFor(`observer to see ${topic}`, () => observer.messages.length > before);
  return observer.messages[before].payload.toString('base64');
}

// ---- the browser. The page is the bridge's own origin (https); its HTTPS certificate
// (issued by the test CA) is accepted by SPKI. The WebTransport certificate is a different
// key and is accepted only through serverCertificateHashes.
const spki = createHash('sha256').update(new X509Certificate(readFileSync(cfg.serverCert)).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
const browser = await chromium.launch({
  executablePath: cfg.chromium || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-proxy-server', `--ignore-certificate-errors-spki-list=${spki}`],
  timeout: 30000,
});

// Page-side helpers: one WebTransport session per name, records decoded into base64 frames.
const PAGE_HELPERS = `
  window.lw = {
    s: {},
    b64(a) { let s = ''; for (let i = 0; i < a.length; i++) s += String.fromCharCode(a[i]); return btoa(s); },
    unb64(t) { const s = atob(t); const a = new Uint8Array(s.length); for (let i = 0; i < s.length; i++) a[i] = s.charCodeAt(i); return a; },
    record(bytes) {
      const prefix = []; let n = bytes.length;
      while (n >= 0x80) { prefix.push((n & 0x7f) | 0x80); n = Math.floor(n / 128); }
      prefix.push(n);
      const out = new Uint8Array(prefix.length + bytes.length); out.set(prefix, 0); out.set(bytes, prefix.length); return out;
    },
    async info() { return (await fetch('/api/info')).json(); },
    async open(name, url, hashes, timeoutMs = 10000) {
      const st = { frames: [], datagrams: [], closed: null, error: null };
      lw.s[name] = st;
      const serverCertificateHashes = hashes.map((h) => ({ algorithm: 'sha-256', value: lw.unb64(h) }));
      try {
        const wt = new WebTransport(url, { serverCertificateHashes });
        st.wt = wt;
        wt.closed.then((c) => { st.closed = c ?? {}; }, (e) => { st.closed = { error: String(e) }; });
        await Promise.race([wt.ready, new Promise((_, rej) => setTimeout(() => rej(new Error('ready timeout')), timeoutMs))]);
        const stream = await wt.createBidirectionalStream();
        st.writer = stream.writable.getWriter();
        lw.readRecords(st, stream.readable.getReader());
        lw.readDatagrams(st, wt.datagrams.readable.getReader());
        return 'open';
      } catch (e) {
        st.error = String(e);
        return 'failed: ' + e;
      }
    },
    async readRecords(st, reader) {
      let buf = new Uint8Array(0);
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) { st.ended = true; return; }
          const joined = new Uint8Array(buf.length + value.length); joined.set(buf, 0); joined.set(value, buf.length); buf = joined;
          for (;;) {
            let len = 0, shift = 0, i = 0;
            for (; i < buf.length && i < 8; i++) { len += (buf[i] & 0x7f) * 2 ** shift; shift += 7; if (!(buf[i] & 0x80)) break; }
            if (i >= buf.length || buf.length < i + 1 + len) break;
            st.frames.push(lw.b64(buf.subarray(i + 1, i + 1 + len)));
            buf = buf.slice(i + 1 + len);
          }
        }
      } catch (e) { st.readError = String(e); }
    },
    async readDatagrams(st, reader) {
      try {
        for (;;) { const { value, done } = await reader.read(); if (done) return; st.datagrams.push(lw.b64(value)); }
      } catch (e) { st.datagramError = String(e); }
    },
    async send(name, frameB64) { await lw.s[name].writer.write(lw.record(lw.unb64(frameB64))); return true; },
    frames(name, from) { return lw.s[name].frames.slice(from); },
    datagrams(name, from) { return lw.s[name].datagrams.slice(from); },
    state(name) { const st = lw.s[name]; return { closed: st.closed, error: st.error, ended: !!st.ended }; },
    close(name) { try { lw.s[name].wt.close({ closeCode: 0, reason: 'done' }); } catch (e) {} },
  };`;

async function newPage(origin) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (m) => log(`page: ${m.text()}`));
  await page.goto(`${origin}/api/info`, { timeout: 15000 });
  await page.evaluate(PAGE_HELPERS);
  return page;
}

const frames = async (page, name, from = 0) => (await page.evaluate(([n, f]) => lw.frames(n, f), [name, from])).map((r) => ({ ...decode(r), raw: r }));
const datagrams = async (page, name, from = 0) => (await page.evaluate(([n, f]) => lw.datagrams(n, f), [name, from])).map((r) => ({ ...decode(r), raw: r }));
async function waitFrame(page, name, what, pred, getter = frames) {
  return waitFor(what, async () => (await getter(page, name)).find(pred));
}
const send = (page, name, frame) => page.evaluate(([n, f]) => lw.send(n, f), [name, frame]);
const open = (page, name, url, hashes) => page.evaluate(([n, u, h]) => lw.open(n, u, h), [name, url, hashes]);

function connectFrame(id, subs) {
  return encode({ call: { id, connect: { appId: cfg.appId, token: cfg.tokens.valid, client: 'bridge_lane.mjs', subscriptions: subs } } });
}

async function readInfo(page) {
  const info = await page.evaluate(() => lw.info());
  check(Array.isArray(info.transports) && info.transports[0]?.name === 'wt', `wt is not first in /api/info: ${JSON.stringify(info.transports)}`);
  const wt = info.transports[0];
  check(wt.url === `https://127.0.0.1:${cfg.wtPort}/v1/wt`, `unexpected wt url ${wt.url}`);
  const hashes = (wt.serverCertificateHashes ?? []).map((h) => h.value);
  check(hashes.length >= 1 && wt.serverCertificateHashes.every((h) => h.algorithm === 'sha-256'), 'no sha-256 serverCertificateHashes');
  return { url: wt.url, hashes, names: info.transports.map((t) => t.name) };
}

// Opens a session, sends connect, waits for connect_result OK.
async function openConnected(page, name, url, hashes, subs) {
  const opened = await open(page, name, url, hashes);
  check(opened === 'open', `WebTransport ${name} did not open: ${opened}`);
  await send(page, name, connectFrame(1, subs));
  const reply = await waitFrame(page, name, `${name} connect_result`, (f) => f.call?.id === 1);
  check(reply.call.connectResult && !reply.call.error, `${name} connect refused: ${JSON.stringify(reply.call)}`);
}

// The bridge subscribes upstream when the first session asks; the broker's SUBACK may come
// after connect_result. Publishing QoS 1 until one arrives means later publishes cannot race
// it. Returns how many stream frames the session holds afterwards.
async function warmUp(page, name, device, topic) {
  await retryUntil(`an envelope on ${topic} after warm-up publishes`,
    () => publish(device, topic, 'warm-up', 1),
    async () => (await frames(page, name)).some((f) => f.envelope?.topic === topic),
    { attempts: 50, intervalMs: 300 });
  await sleep(300);
  return (await frames(page, name)).length;
}

// ---------------------------------------------------------------- the lane, end to end
async function scenarioWt() {
  const { observer, device } = await setupMqtt();
  const origin = `https://127.0.0.1:${cfg.bridgePort}`;
  const page = await newPage(origin);
  const { url, hashes, names } = await readInfo(page);
  check(hashes[0] === certHash(cfg.wtCert), '/api/info hash is not the SHA-256 of the wt certificate DER');
  log(`/api/info transports ${names.join(',')}; wt ${url}`);

  // A wrong hash must fail: the browser really pins the certificate.
  const bogus = createHash('sha256').update('not the certificate').digest('base64');
  const refused = await open(page, 'bogus', url, [bogus]);
  check(refused !== 'open', 'a session opened with a wrong certificate hash');
  log('wrong certificate hash refused');

  await openConnected(page, 'a', url, hashes, [
    { filter: telemetry },
    { filter: status, datagrams: true },
  ]);
  log('session open, connect accepted');
  await warmUp(page, 'a', device, telemetry);
  const from = await warmUp(page, 'a', device, status);
  const fresh = async () => frames(page, 'a', from);

  // QoS 1 device publish: arrives on the stream, frame bytes equal to the $lw/env payload.
  const env1 = await devicePublish(device, observer, telemetry, 'reading-1', 1);
  const got1 = await waitFor('telemetry envelope on the stream', async () => (await fresh()).find((f) => f.envelope?.topic === telemetry));
  check(got1.raw === env1, 'stream frame bytes differ from the $lw/env payload');
  check(Buffer.from(got1.envelope.payload, 'base64').toString() === 'reading-1', 'wrong payload');
  log('QoS 1 envelope on the stream, byte-identical to $lw/env');

  // QoS 0 device publish on a datagram subscription: arrives as a datagram.
  const env0 = await devicePublish(device, observer, status, 'online', 0);
  const dg = await waitFrame(page, 'a', 'status envelope as a datagram', (f) => f.envelope?.topic === status, datagrams);
  check(dg.raw === env0, 'datagram bytes differ from the $lw/env payload');
  check(!(await fresh()).some((f) => f.envelope?.topic === status), 'the QoS 0 envelope also came on the stream');
  log('QoS 0 envelope as a datagram, byte-identical to $lw/env');

  // Browser publish: the device receives the raw payload; the reply comes on the stream.
  const before = device.messages.length;
  await send(page, 'a', encode({ call: { id: 2, publish: { topic: cmdTopic, payload: b64('reboot please'), qos: 1 } } }));
  const reply = await waitFrame(page, 'a', 'publish_result', (f) => f.call?.id === 2);
  check(reply.call.publishResult && !reply.call.error, `publish refused: ${JSON.stringify(reply.call)}`);
  await waitFor('device to receive the command', () => device.messages.length > before);
  const cmd = device.messages[before];
  check(cmd.topic === cmdTopic && cmd.payload.toString() === 'reboot please', `device got ${cmd.topic} ${cmd.payload}`);
  log('browser publish reached the device raw');

  // Origin: a page from another origin is refused at the CONNECT.
  const foreignServer = createServer((req, res) => res.end('<!doctype html><title>foreign</title>'));
  await new Promise((r) => foreignServer.listen(cfg.foreignPort, '127.0.0.1', r));
  const foreignContext = await browser.newContext();
  const foreign = await foreignContext.newPage();
  await foreign.goto(`http://127.0.0.1:${cfg.foreignPort}/`);
  await foreign.evaluate(PAGE_HELPERS);
  const foreignOpen = await open(foreign, 'x', url, hashes);
  check(foreignOpen !== 'open', 'a foreign origin opened a WebTransport session');
  foreignServer.close();
  log('foreign origin refused');

  // The admin listener, from Node: a page on the public origin cannot (and must not) read it.
  const metrics = execFileSync('curl', ['-sS', '--max-time', '5', '--cacert', cfg.caFile, `https://127.0.0.1:${cfg.adminPort}/metrics`], { encoding: 'utf8' });
  const metric = (name) => Number((metrics.match(new RegExp(`^${name.replace(/[{}"=]/g, (c) => `\\${c}`)} (\\d+)`, 'm')) ?? [])[1] ?? -1);
  check(metric('laneway_bridge_connections{lane="wt"}') >= 1, 'no wt connection in /metrics');
  check(metric('laneway_bridge_wt_sessions') >= 1, 'laneway_bridge_wt_sessions missing');
  check(metric('laneway_bridge_wt_datagrams_total{direction="out"}') >= 1, 'no datagram counted out');
  check(metric('laneway_bridge_wt_streams_total') >= 1, 'no stream counted');
  check(metric('laneway_bridge_wt_sessions_total{result="refused"}') >= 1, 'the refused origin is not counted');
  log('metrics count the wt session, stream and datagram');
  await page.evaluate(() => lw.close('a'));
  observer.end(true);
  device.end(true);
}

// ---------------------------------------------------------------- certificate rotation
async function scenarioRotation() {
  const { observer, device } = await setupMqtt();
  const page = await newPage(`https://127.0.0.1:${cfg.bridgePort}`);
  const first = await readInfo(page);
  const oldHash = first.hashes[0];
  await openConnected(page, 'old', first.url, [oldHash], [{ filter: telemetry }]);
  await warmUp(page, 'old', device, telemetry);
  log('session on the first certificate');

  // Rotate: a fresh wt certificate written beside the configured one, then moved over it
  // (key first, so the pair never mixes for long; the bridge retries on the next change).
  execFileSync(cfg.certsBin, ['wt-cert', '--dir', cfg.pkiDir, '--ip', '127.0.0.1', '--days', '3', '--out', cfg.rotatePrefix]);
  renameSync(`${cfg.rotatePrefix}.key`, cfg.wtKey);
  renameSync(`${cfg.rotatePrefix}.crt`, cfg.wtCert);
  const newHash = certHash(cfg.wtCert);
  check(newHash !== oldHash, 'the rotated certificate has the old hash');
  const second = await waitFor('/api/info to advertise the new hash', async () => {
    const i = await readInfo(page);
    return i.hashes[0] === newHash ? i : null;
  }, 15000);
  check(second.hashes.includes(oldHash), `the previous hash is not advertised during the overlap: ${second.hashes}`);
  log('/api/info advertises the new hash first and the previous one');

  // The live session keeps working on the old certificate.
  const env = await devicePublish(device, observer, telemetry, 'after-rotation', 1);
  const got = await waitFrame(page, 'old', 'envelope on the old session', (f) => f.envelope?.payload && Buffer.from(f.envelope.payload, 'base64').toString() === 'after-rotation');
  check(got.raw === env, 'old session frame differs from $lw/env');
  check((await page.evaluate(() => lw.state('old'))).closed === null, 'the old session was closed by the rotation');
  log('live session kept across the rotation');

  // A new connection with only the new hash works; one with only the old hash does not.
  await openConnected(page, 'new', second.url, [newHash], [{ filter: telemetry }]);
  const env2 = await devicePublish(device, observer, telemetry, 'on-new-cert', 1);
  const got2 = await waitFrame(page, 'new', 'envelope on the new session', (f) => f.envelope?.payload && Buffer.from(f.envelope.payload, 'base64').toString() === 'on-new-cert');
  check(got2.raw === env2, 'new session frame differs from $lw/env');
  const stale = await open(page, 'stale', second.url, [oldHash]);
  check(stale !== 'open', 'a session opened pinning only the replaced certificate');
  log('new connection succeeds with the new hash; the old hash alone no longer opens');
  observer.end(true);
  device.end(true);
}

const scenarios = { wt: scenarioWt, rotation: scenarioRotation };
await runScenario(scenarios, scenario, { cleanup: () => browser.close() });
