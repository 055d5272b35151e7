// The broker side of the browser scenarios (tests/bridge/browser, tests/webtransport): MQTT
// v5 clients over mutual TLS with their own certificates, as the scenario's device and as a
// wire observer of its $lw/env envelopes. Built on the caller's `mqtt` module, since each
// test folder has its own node_modules and this folder has none.
import { readFileSync } from 'node:fs';
import { Fail } from './scenario.mjs';

// cfg: brokerPort, caFile, device {id, cert, key}, observer {cert, key}; optionally
// brokerHost (default 127.0.0.1) and, for a cluster (docs/scale.md), the device's own broker
// device.host / device.port (an edge) while the observer stays on the core.
export function brokerClients(mqtt, cfg) {
  // Connected client recording what it receives in `messages`; the device connects with its
  // own id as client id (the plugin requires it), others with a per-process one.
  function mqttClient(name, cert, key) {
    const isDevice = name === 'device';
    const host = (isDevice && cfg.device.host) || cfg.brokerHost || '127.0.0.1';
    const port = (isDevice && cfg.device.port) || cfg.brokerPort;
    return new Promise((resolve, reject) => {
      const client = mqtt.connect({
        host, port, protocol: 'mqtts', protocolVersion: 5,
        ca: readFileSync(cfg.caFile), cert: readFileSync(cert), key: readFileSync(key),
        rejectUnauthorized: true, servername: 'localhost', clientId: isDevice ? cfg.device.id : `${name}-${process.pid}`,
        reconnectPeriod: 0, connectTimeout: 8000,
      });
      client.messages = [];
      client.on('message', (topic, payload) => client.messages.push({ topic, payload: Buffer.from(payload) }));
      client.once('connect', () => resolve(client));
      client.once('error', (e) => reject(new Fail(`${name} MQTT: ${e.message}`)));
    });
  }
  const subscribe = (c, filter) => new Promise((res, rej) => c.subscribe(filter, { qos: 1 }, (e, granted) => (e || granted[0].qos > 2 ? rej(new Fail(`subscribe ${filter} refused`)) : res())));
  const publish = (c, topic, payload, qos = 1) => new Promise((res, rej) => c.publish(topic, payload, { qos }, (e) => (e ? rej(e) : res())));
  const cmdTopic = `devices/${cfg.device.id}/cmd`;

  // The observer on the device's envelopes, and the device listening on its cmd topic.
  async function setupMqtt() {
    const observer = await mqttClient('observer', cfg.observer.cert, cfg.observer.key);
    await subscribe(observer, `$lw/env/devices/${cfg.device.id}/#`);
    const device = await mqttClient('device', cfg.device.cert, cfg.device.key);
    await subscribe(device, cmdTopic);
    return { observer, device };
  }
  return { mqttClient, subscribe, publish, cmdTopic, setupMqtt };
}
