// The baseline: a small bridge in Node doing the same fan-out job as laneway-bridge with
// npm `mqtt` + `ws`: one MQTT v5 subscription over mTLS to `$lw/env/<filter>`, every
// payload sent as one binary WebSocket message to every connected client, over HTTPS.
// No auth, no history, no queue bounds: the cheapest possible version of the job.
//
// usage: node reference_bridge.mjs <config.json>
import { readFileSync } from 'node:fs';
import https from 'node:https';
import mqtt from 'mqtt';
import { WebSocketServer } from 'ws';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const server = https.createServer({ cert: readFileSync(cfg.serverCert), key: readFileSync(cfg.serverKey) });
const wss = new WebSocketServer({ server, path: '/v1/ws', perMessageDeflate: false });
const client = mqtt.connect({
  host: '127.0.0.1', port: cfg.brokerPort, protocol: 'mqtts', protocolVersion: 5,
  ca: readFileSync(cfg.caFile), cert: readFileSync(cfg.cert), key: readFileSync(cfg.key),
  servername: 'localhost', clientId: 'reference-bridge', reconnectPeriod: 1000,
});
client.on('connect', () => {
  client.subscribe(`$lw/env/${cfg.filter}`, { qos: 1 }, () => console.log('reference bridge: connected to the broker'));
});
client.on('message', (_topic, payload) => {
  for (const ws of wss.clients) if (ws.readyState === 1) ws.send(payload, { binary: true });
});
server.listen(cfg.port, '127.0.0.1', () => console.log(`reference bridge: listening on ${cfg.port}`));
process.on('SIGTERM', () => process.exit(0));
