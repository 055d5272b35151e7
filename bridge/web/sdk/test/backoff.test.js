import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff } from '../src/backoff.js';
import { refreshDelayMs } from '../src/refresh.js';

test('backoff ceilings double from the base and stop at the cap', () => {
  const b = new Backoff({ baseMs: 100, maxMs: 5000 });
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map((a) => b.ceilingMs(a)), [100, 200, 400, 800, 1600, 3200, 5000, 5000]);
  assert.equal(b.ceilingMs(10_000), 5000); // no overflow after a very long outage
});

test('full jitter: every delay lies in [0, ceiling) and spans the range', () => {
  const b = new Backoff({ baseMs: 100, maxMs: 5000 });
  const seen = [];
  for (let i = 0; i < 2000; i++) {
    const attempt = b.attempt;
    const d = b.next();
    assert.ok(Number.isInteger(d));
    assert.ok(d >= 0 && d < b.ceilingMs(attempt), `delay ${d} at attempt ${attempt}`);
    if (attempt >= 6) seen.push(d);
  }
  // Jitter really spreads the delays (not all at the ceiling, not all at zero).
  assert.ok(Math.min(...seen) < 1000 && Math.max(...seen) > 4000, `min ${Math.min(...seen)} max ${Math.max(...seen)}`);
});

test('the random source bounds the delay exactly', () => {
  const low = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0 });
  const high = new Backoff({ baseMs: 100, maxMs: 1000, random: () => 0.999999 });
  const lows = Array.from({ length: 6 }, () => low.next());
  const highs = Array.from({ length: 6 }, () => high.next());
  assert.deepEqual(lows, [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(highs, [99, 199, 399, 799, 999, 999]);
});

test('reset starts again from the base delay', () => {
  const b = new Backoff({ baseMs: 100, maxMs: 10_000, random: () => 0.5 });
  for (let i = 0; i < 5; i++) b.next();
  assert.equal(b.next(), 1600);
  b.reset();
  assert.equal(b.next(), 50);
});

test('invalid backoff bounds are refused', () => {
  assert.throws(() => new Backoff({ baseMs: 0 }), RangeError);
  assert.throws(() => new Backoff({ baseMs: 500, maxMs: 100 }), RangeError);
});

test('refresh happens leadMs before exp for long-lived tokens', () => {
  const now = 1_700_000_000_000;
  assert.equal(refreshDelayMs(now / 1000 + 3600, now, { leadMs: 30_000 }), 3_570_000);
});

test('short-lived tokens refresh at half their remaining life, never in a tight loop', () => {
  const now = 1_700_000_000_000;
  assert.equal(refreshDelayMs(now / 1000 + 20, now, { leadMs: 30_000 }), 10_000);
  assert.equal(refreshDelayMs(now / 1000 + 1, now, { leadMs: 30_000 }), 500);
});

test('no expiry means no refresh; a past expiry refreshes at once', () => {
  const now = 1_700_000_000_000;
  assert.equal(refreshDelayMs(0, now), null);
  assert.equal(refreshDelayMs(now / 1000 - 5, now), 0);
});

test('far-future expiries are clamped to what a timer can hold', () => {
  assert.equal(refreshDelayMs(4_000_000_000, 0), 2 ** 31 - 1);
});
