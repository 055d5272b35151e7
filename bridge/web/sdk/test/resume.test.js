import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Observed, ResumePositions, normalizeSince } from '../src/resume.js';
import { isValidFilter, isValidTopic, topicMatches } from '../src/topic_filter.js';

test('consecutive envelopes are new, repeats are duplicates', () => {
  const r = new ResumePositions();
  assert.equal(r.observe('a', 7n, 1n), Observed.NEW);
  assert.equal(r.observe('a', 7n, 2n), Observed.NEW);
  assert.equal(r.observe('a', 7n, 2n), Observed.DUPLICATE);
  assert.equal(r.observe('a', 7n, 1n), Observed.DUPLICATE);
  assert.deepEqual(r.get('a'), { epoch: 7n, seq: 2n });
});

test('a skipped seq is a gap and still advances the position', () => {
  const r = new ResumePositions();
  r.observe('a', 7n, 1n);
  assert.equal(r.observe('a', 7n, 5n), Observed.GAP);
  assert.deepEqual(r.get('a'), { epoch: 7n, seq: 5n });
  assert.equal(r.observe('a', 7n, 3n), Observed.DUPLICATE);
});

test('a newer epoch voids the old position; an older epoch is stale', () => {
  const r = new ResumePositions();
  r.observe('a', 7n, 40n);
  assert.equal(r.observe('a', 8n, 1n), Observed.EPOCH);
  assert.deepEqual(r.get('a'), { epoch: 8n, seq: 1n });
  assert.equal(r.observe('a', 7n, 41n), Observed.DUPLICATE);
});

test('unsequenced envelopes are delivered but not tracked', () => {
  const r = new ResumePositions();
  assert.equal(r.observe('a', 0n, 0n), Observed.UNSEQUENCED);
  assert.equal(r.get('a'), undefined);
});

test('topics are tracked independently and reported as wire positions', () => {
  const r = new ResumePositions();
  r.observe('d/1', 7n, 3n);
  r.observe('d/2', 7n, 9n);
  r.observe('d/1', 7n, 4n);
  assert.deepEqual(r.positions(), [
    { topic: 'd/2', epoch: 7n, seq: 9n },
    { topic: 'd/1', epoch: 7n, seq: 4n },
  ]);
});

test('seeded positions (since) make earlier envelopes duplicates', () => {
  const r = new ResumePositions();
  r.seed(normalizeSince({ 'd/1': { epoch: 1700000000, seq: 41 } }));
  assert.equal(r.observe('d/1', 1700000000n, 41n), Observed.DUPLICATE);
  assert.equal(r.observe('d/1', 1700000000n, 42n), Observed.NEW);
});

test('the per-subscription topic map is bounded, forgetting the stalest topic', () => {
  const r = new ResumePositions({ maxTopics: 3 });
  for (const t of ['a', 'b', 'c']) r.observe(t, 1n, 1n);
  r.observe('a', 1n, 2n); // refreshes a
  r.observe('d', 1n, 1n); // evicts b
  assert.deepEqual(r.positions().map((p) => p.topic), ['c', 'a', 'd']);
});

test('since accepts arrays and maps and refuses nonsense', () => {
  assert.deepEqual(normalizeSince(undefined), []);
  assert.deepEqual(normalizeSince([{ topic: 't', epoch: 2, seq: 3n }]), [{ topic: 't', epoch: 2n, seq: 3n }]);
  assert.throws(() => normalizeSince([{ epoch: 1, seq: 1 }]), TypeError);
  assert.throws(() => normalizeSince([{ topic: 't', epoch: -1, seq: 1 }]), RangeError);
});

test('MQTT filter matching', () => {
  const cases = [
    ['devices/+/telemetry', 'devices/d1/telemetry', true],
    ['devices/+/telemetry', 'devices/d1/x/telemetry', false],
    ['devices/#', 'devices', true],
    ['devices/#', 'devices/d1/a/b', true],
    ['fleet/g1/#', 'fleet/g2/x', false],
    ['#', '$lw/env/x', false],
    ['+/x', '$SYS/x', false],
    ['a/b', 'a/b', true],
    ['a/b', 'a/b/c', false],
    ['a/+', 'a/', true],
  ];
  for (const [f, t, want] of cases) assert.equal(topicMatches(f, t), want, `${f} vs ${t}`);
  assert.ok(isValidFilter('a/+/#'));
  for (const bad of ['', 'a/#/b', 'a+/b', 'a/b#', null]) assert.equal(isValidFilter(bad), false, String(bad));
  assert.ok(isValidTopic('devices/d1/rpc'));
  for (const bad of ['', 'a/+', 'a/#', 'a\0b']) assert.equal(isValidTopic(bad), false);
});
