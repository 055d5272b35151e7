// Resume bookkeeping. For each subscription the client remembers, per topic, the last
// (epoch, seq) it delivered. Those positions go into every (re)connect and subscribe so the
// bridge can replay what was missed, and they let the client drop envelopes it already
// delivered (replay overlapping live traffic) and notice gaps the bridge did not report.
//
// Positions are BigInt (uint64 on the wire). Per subscription the map is bounded: past
// `maxTopics` the least recently updated topic is forgotten (its next message then counts
// as a fresh start, not a duplicate).

export const DEFAULT_MAX_TOPICS = 10_000;

/** Outcome of observing one envelope. */
export const Observed = Object.freeze({
  NEW: 'new', // deliver; next in sequence, or first seen for the topic
  DUPLICATE: 'duplicate', // already delivered (same epoch, seq not beyond the last one)
  GAP: 'gap', // deliver, but envelopes between the last position and this one are missing
  EPOCH: 'epoch', // deliver; the broker started a new epoch, older positions are void
  UNSEQUENCED: 'unsequenced', // seq 0: cannot be tracked, deliver as is
});

export class ResumePositions {
  constructor({ maxTopics = DEFAULT_MAX_TOPICS } = {}) {
    this.maxTopics = maxTopics;
    /** @type {Map<string, { epoch: bigint, seq: bigint }>} insertion order = recency */
    this.byTopic = new Map();
  }

  /** Seeds positions from `since` (application-supplied), without judging them. */
  seed(positions) {
    for (const p of positions) this.#set(p.topic, BigInt(p.epoch), BigInt(p.seq));
  }

  /** Classifies an envelope and, unless it is a duplicate, records its position. */
  observe(topic, epoch, seq) {
    epoch = BigInt(epoch);
    seq = BigInt(seq);
    if (seq === 0n) return Observed.UNSEQUENCED;
    const last = this.byTopic.get(topic);
    let verdict;
    if (last === undefined) verdict = Observed.NEW;
    else if (epoch !== last.epoch) {
      // An older epoch than ours is a stale replay; a newer one voids our position.
      if (epoch < last.epoch) return Observed.DUPLICATE;
      verdict = Observed.EPOCH;
    } else if (seq <= last.seq) return Observed.DUPLICATE;
    else verdict = seq === last.seq + 1n ? Observed.NEW : Observed.GAP;
    this.#set(topic, epoch, seq);
    return verdict;
  }

  /** Positions to send on (re)subscribe, as laneway.v1.Position inits. */
  positions() {
    return [...this.byTopic].map(([topic, { epoch, seq }]) => ({ topic, epoch, seq }));
  }

  get(topic) {
    return this.byTopic.get(topic);
  }

  #set(topic, epoch, seq) {
    this.byTopic.delete(topic);
    this.byTopic.set(topic, { epoch, seq });
    if (this.byTopic.size > this.maxTopics) {
      this.byTopic.delete(this.byTopic.keys().next().value);
    }
  }
}

/** Normalizes the `since` option: array of {topic, epoch, seq} or a {topic: {epoch, seq}} map. */
export function normalizeSince(since) {
  if (since === undefined || since === null) return [];
  const list = Array.isArray(since)
    ? since
    : Object.entries(since).map(([topic, p]) => ({ topic, epoch: p.epoch, seq: p.seq }));
  return list.map((p) => {
    if (typeof p?.topic !== 'string' || p.topic === '') throw new TypeError('since: each position needs a topic');
    const epoch = BigInt(p.epoch ?? 0);
    const seq = BigInt(p.seq ?? 0);
    if (epoch < 0n || seq < 0n) throw new RangeError('since: epoch and seq are unsigned');
    return { topic: p.topic, epoch, seq };
  });
}
