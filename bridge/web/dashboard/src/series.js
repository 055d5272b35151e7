// A bounded time series for one chart line: the newest `capacity` points, oldest dropped
// first, so a dashboard left open for days holds the same memory as after a minute.
export class Series {
  #t;
  #v;
  #start = 0;
  #length = 0;

  constructor(capacity = 600) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('Series: capacity must be a positive integer');
    this.#t = new Float64Array(capacity);
    this.#v = new Float64Array(capacity);
  }

  get capacity() {
    return this.#t.length;
  }

  get length() {
    return this.#length;
  }

  /** Appends a point (`t` in seconds, as uPlot's time axis wants). */
  push(t, value) {
    const cap = this.#t.length;
    const at = (this.#start + this.#length) % cap;
    this.#t[at] = t;
    this.#v[at] = value;
    if (this.#length < cap) this.#length += 1;
    else this.#start = (this.#start + 1) % cap;
  }

  /** The newest point, or null. */
  last() {
    if (this.#length === 0) return null;
    const at = (this.#start + this.#length - 1) % this.#t.length;
    return { t: this.#t[at], value: this.#v[at] };
  }

  /** Oldest-first copies `[times, values]`: the data shape uPlot draws. */
  columns() {
    const cap = this.#t.length;
    const times = new Float64Array(this.#length);
    const values = new Float64Array(this.#length);
    for (let i = 0; i < this.#length; i += 1) {
      const at = (this.#start + i) % cap;
      times[i] = this.#t[at];
      values[i] = this.#v[at];
    }
    return [times, values];
  }
}
