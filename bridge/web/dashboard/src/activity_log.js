// The activity feed: what the operator did and what came back (broadcasts sent and
// acknowledged, RPC replies, connection changes). Newest first, bounded.
export const DEFAULT_MAX_ENTRIES = 200;

export class ActivityLog {
  #entries = [];
  #max;
  #now;
  #nextId = 1;

  constructor({ max = DEFAULT_MAX_ENTRIES, now = () => Date.now() } = {}) {
    this.#max = max;
    this.#now = now;
  }

  /** kind: 'info' | 'ok' | 'warn' | 'error'. Returns the entry. */
  add(kind, text, detail = '') {
    const entry = { id: this.#nextId++, atMs: this.#now(), kind, text, detail };
    this.#entries.unshift(entry);
    if (this.#entries.length > this.#max) this.#entries.length = this.#max;
    return entry;
  }

  entries() {
    return this.#entries;
  }
}
