// Fan-out load client: opens N WebSocket sessions to one bridge (from many loopback source
// addresses), measures the bridge's RSS per idle session, then has one device publish M
// messages over MQTT and counts deliveries/s and publish→client latency (p50/p99, sampled
// on every 50th session). Prints one JSON line. Loopback only, bounded in time.
//
// usage: node fanout_client.mjs <config.json>
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import mqtt from 'mqtt';
import protobuf from 'protobufjs';
import WebSocket from 'ws';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const root = await protobuf.load(cfg.protoPath);
const Frame = root.lookupType('laneway.v1.Frame');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const deadline = Date.now() + cfg.timeoutMs;
const guard = setTimeout(() => {
  console.log(JSON.stringify({ error: 'timed out' }));
  process.exit(1);
}, cfg.timeoutMs + 5000);

function rssKb(pid) {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
  return Number(m[1]);
}

const connectBytes = cfg.laneway
  ? Frame.encode(Frame.fromObject({ call: { id: 1, connect: { appId: cfg.appId, token: cfg.token, client: 'fanout', subscriptions: [{ filter: cfg.filter }] } } })).finish()
  : null;

let delivered = 0;
let lastDelivery = 0;
const latencies = [];

function open(i) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(cfg.url, {
      rejectUnauthorized: false,
      localAddress: `127.0.0.${2 + (i % 200)}`,
      perMessageDeflate: false,
      headers: { origin: cfg.origin },
    });
    const sample = i % 50 === 0;
    let ready = false;
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => {
      if (connectBytes) ws.send(connectBytes);
      else {
        ready = true;
        resolve(ws);
      }
    });
    ws.on('message', (data) => {
      if (!ready) {
        ready = true;  // the connect result
        return resolve(ws);
      }
      delivered++;
      lastDelivery = performance.now();
      if (sample) {
        const env = Frame.decode(data).envelope;
        if (env && env.payload.length === 8) latencies.push(lastDelivery - Buffer.from(env.payload).readDoubleLE(0));
      }
    });
    ws.on('error', reject);
  });
}

const pid = cfg.bridgePid;
const rssBefore = rssKb(pid);
const sockets = [];
for (let i = 0; i < cfg.sessions; i += cfg.concurrency) {
  const batch = [];
  for (let j = i; j < Math.min(cfg.sessions, i + cfg.concurrency); j++) batch.push(open(j));
  sockets.push(...(await Promise.all(batch)));
  if (Date.now() > deadline) throw new Error('connecting took too long');
}
await sleep(1500);
const rssIdle = rssKb(pid);

const device = await new Promise((resolve, reject) => {
  const c = mqtt.connect({
    host: '127.0.0.1', port: cfg.brokerPort, protocol: 'mqtts', protocolVersion: 5,
    ca: readFileSync(cfg.caFile), cert: readFileSync(cfg.deviceCert), key: readFileSync(cfg.deviceKey),
    servername: 'localhost', clientId: cfg.deviceId, reconnectPeriod: 0,
  });
  c.once('connect', () => resolve(c));
  c.once('error', reject);
});

const expected = cfg.sessions * cfg.messages;
const start = performance.now();
for (let m = 0; m < cfg.messages; m++) {
  const payload = Buffer.alloc(8);
  payload.writeDoubleLE(performance.now(), 0);
  device.publish(cfg.topic, payload, { qos: 0 });
  if (m % 10 === 9) await sleep(cfg.publishPauseMs);
}
while (delivered < expected && Date.now() < deadline) await sleep(20);
const seconds = (lastDelivery - start) / 1000;
latencies.sort((a, b) => a - b);
const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] : null);
clearTimeout(guard);
console.log(JSON.stringify({
  sessions: cfg.sessions, messages: cfg.messages, delivered, expected,
  deliveries_per_s: delivered / seconds,
  p50_ms: pct(0.5), p99_ms: pct(0.99),
  rss_per_idle_session_bytes: ((rssIdle - rssBefore) * 1024) / cfg.sessions,
}));
device.end(true);
for (const ws of sockets) ws.terminate();
process.exit(0);
