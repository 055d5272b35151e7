// Reconnect delays: exponential backoff with "full jitter" (a uniformly random delay between 0
// and the exponential ceiling), so a fleet of browsers that lost the bridge at the same moment
// does not come back in lockstep. The ceiling is capped; the attempt counter is bounded so
// the arithmetic never overflows however long the bridge stays away.

export class Backoff {
  /**
   * @param {{ baseMs?: number, maxMs?: number, random?: () => number }} [options]
   *   random: a [0, 1) source, injectable for tests.
   */
  constructor({ baseMs = 250, maxMs = 30_000, random = Math.random } = {}) {
    if (!(baseMs > 0) || !(maxMs >= baseMs)) throw new RangeError('backoff needs 0 < baseMs <= maxMs');
    this.baseMs = baseMs;
    this.maxMs = maxMs;
    this.random = random;
    this.attempt = 0;
  }

  /** Upper bound of the delay for the given attempt (0-based). */
  ceilingMs(attempt) {
    const exponent = Math.min(attempt, 52);
    return Math.min(this.maxMs, this.baseMs * 2 ** exponent);
  }

  /** The delay before the next attempt, in whole milliseconds, then counts the attempt. */
  next() {
    const ceiling = this.ceilingMs(this.attempt);
    this.attempt = Math.min(this.attempt + 1, 64);
    return Math.floor(this.random() * ceiling);
  }

  /** After a connection that worked: start again from the base delay. */
  reset() {
    this.attempt = 0;
  }
}
