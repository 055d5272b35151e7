// The dashboard's state without a DOM: bounded series, telemetry parsing, the fleet model
// fed by presence and telemetry, broadcast acknowledgements and the activity log.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityLog } from '../src/activity_log.js';
import { BroadcastAcks, broadcastTopic } from '../src/broadcast_acks.js';
import { FleetModel } from '../src/fleet_model.js';
import { Series } from '../src/series.js';
import { deviceIdFromTopic, parseTelemetry } from '../src/telemetry.js';

// The part of the SDK's Message the dashboard reads.
function message(topic, body, { seq = 1, epoch = 7, timestampUs = 1_700_000_000_000_000 } = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return { topic, seq, epoch, timestampUs, text: () => text, json: () => JSON.parse(text) };
}

test('Series keeps the newest points, oldest first, within its capacity', () => {
  const s = new Series(3);
  assert.deepEqual(s.columns().map((c) => [...c]), [[], []]);
  assert.equal(s.last(), null);
  for (let i = 1; i <= 5; i += 1) s.push(i, i * 10);
  assert.equal(s.length, 3);
  assert.deepEqual(s.columns().map((c) => [...c]), [[3, 4, 5], [30, 40, 50]]);
  assert.deepEqual(s.last(), { t: 5, value: 50 });
  assert.throws(() => new Series(0), RangeError);
});

test('telemetry: device ids come only from devices/<id>/<leaf>', () => {
  assert.equal(deviceIdFromTopic('devices/d-000001/telemetry', 'telemetry'), 'd-000001');
  assert.equal(deviceIdFromTopic('devices/d-1/events', 'telemetry'), null);
  assert.equal(deviceIdFromTopic('devices//telemetry', 'telemetry'), null);
  assert.equal(deviceIdFromTopic('devices/a/b/telemetry', 'telemetry'), null);
  assert.equal(deviceIdFromTopic('fleet/d-1/telemetry', 'telemetry'), null);
});

test('telemetry: charts a measurement, not a counter; refuses non-objects', () => {
  const sim = parseTelemetry('{"seq":4,"uptime_s":12.5,"temperature_c":21.37}');
  assert.deepEqual(sim.metric, { name: 'temperature_c', value: 21.37 });
  assert.deepEqual(sim.fields, { seq: 4, uptime_s: 12.5, temperature_c: 21.37 });
  assert.deepEqual(parseTelemetry('{"seq":1,"humidity":40,"label":"x"}').metric, { name: 'humidity', value: 40 });
  assert.equal(parseTelemetry('{"seq":1}').metric, null);
  assert.equal(parseTelemetry('[1,2]'), null);
  assert.equal(parseTelemetry('not json'), null);
  assert.equal(parseTelemetry('null'), null);
  const nested = parseTelemetry('{"a":{"b":1},"c":"' + 'x'.repeat(100) + '"}');
  assert.deepEqual(Object.keys(nested.fields), ['c']);
  assert.equal(nested.fields.c.length, 64);
});

test('FleetModel: presence decides online state; telemetry adds points and positions', () => {
  const model = new FleetModel({ now: () => 5_000 });
  model.applyPresence([
    { clientId: 'd-2', role: 'device', online: true, sinceUs: 1_000_000, groups: ['demo'] },
    { clientId: 'd-1', role: 'device', online: false, sinceUs: 2_000_000, groups: ['demo', 'lab'] },
    { clientId: 'bridge:b1', role: 'bridge', online: true, sinceUs: 0, groups: [] },
  ]);
  assert.deepEqual(model.counts(), { total: 2, online: 1 });
  assert.deepEqual(model.list().map((d) => d.id), ['d-2', 'd-1']); // online first
  assert.deepEqual(model.groups(), ['demo', 'lab']);
  assert.equal(model.firstOnline(), 'd-2');

  assert.equal(model.applyTelemetry(message('devices/d-2/telemetry', { seq: 1, temperature_c: 20.5 }, { seq: 9 })), 'd-2');
  const d2 = model.get('d-2');
  assert.equal(d2.series.length, 1);
  assert.deepEqual(d2.metric, { name: 'temperature_c', value: 20.5 });
  assert.deepEqual(d2.position, { epoch: 7, seq: 9 });
  assert.equal(d2.lastSeenMs, 1_700_000_000_000);

  // Telemetry from an offline-by-presence device does not flip it: presence is the truth.
  model.applyTelemetry(message('devices/d-1/telemetry', { temperature_c: 19 }));
  assert.equal(model.get('d-1').online, false);
  // A device presence has not reported yet shows online from its telemetry.
  model.applyTelemetry(message('devices/d-3/telemetry', { temperature_c: 22 }));
  assert.equal(model.get('d-3').online, true);
  assert.equal(model.applyTelemetry(message('devices/d-3/events', {})), null);

  assert.deepEqual(model.list({ query: 'lab' }).map((d) => d.id), ['d-1']);
  assert.deepEqual(model.list({ query: 'D-3' }).map((d) => d.id), ['d-3']);
});

test('FleetModel is bounded: devices beyond the limit are counted, not stored', () => {
  const model = new FleetModel({ maxDevices: 2, pointsPerDevice: 4 });
  for (let i = 0; i < 5; i += 1) model.applyTelemetry(message(`devices/d-${i}/telemetry`, { temperature_c: i }));
  assert.equal(model.counts().total, 2);
  assert.equal(model.overflow, 3);
  for (let i = 0; i < 10; i += 1) model.applyTelemetry(message('devices/d-0/telemetry', { temperature_c: i }));
  assert.equal(model.get('d-0').series.length, 4);
});

test('BroadcastAcks counts each acknowledging device once, for the newest broadcast on a topic', () => {
  const acks = new BroadcastAcks();
  assert.equal(broadcastTopic('demo'), 'fleet/demo/broadcast');
  assert.equal(broadcastTopic(''), 'broadcast/all');
  const first = acks.track('fleet/demo/broadcast', 'group demo');
  const ack = (id, topic) => message(`devices/${id}/events`, { event: 'broadcast', topic, bytes: 3 });
  assert.equal(acks.applyEvent(ack('d-1', 'fleet/demo/broadcast')), first);
  assert.equal(acks.applyEvent(ack('d-1', 'fleet/demo/broadcast')), first);
  assert.equal(acks.applyEvent(ack('d-2', 'fleet/demo/broadcast')), first);
  assert.equal(first.acked.size, 2);
  assert.equal(acks.applyEvent(ack('d-1', 'fleet/other/broadcast')), null);
  assert.equal(acks.applyEvent(message('devices/d-1/events', 'garbage')), null);
  assert.equal(acks.applyEvent(message('devices/d-1/telemetry', { event: 'broadcast', topic: 'fleet/demo/broadcast' })), null);
  const second = acks.track('fleet/demo/broadcast', 'group demo');
  assert.equal(acks.applyEvent(ack('d-3', 'fleet/demo/broadcast')), second);
});

test('ActivityLog keeps the newest entries first, bounded', () => {
  let t = 0;
  const log = new ActivityLog({ max: 3, now: () => ++t });
  for (let i = 1; i <= 5; i += 1) log.add('info', `e${i}`);
  assert.deepEqual(log.entries().map((e) => e.text), ['e5', 'e4', 'e3']);
  assert.equal(log.entries()[0].atMs, 5);
});
