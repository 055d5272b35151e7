// What the dashboard knows about the fleet, independent of the DOM: devices with their
// online state (from presence), last telemetry and a bounded chart series each. Views
// render from it; main.js feeds it from the SDK.
import { Series } from './series.js';
import { deviceIdFromTopic, parseTelemetry } from './telemetry.js';

export const DEFAULT_MAX_DEVICES = 5_000;
export const DEFAULT_POINTS_PER_DEVICE = 300;

export class FleetModel {
  #devices = new Map();
  #maxDevices;
  #pointsPerDevice;
  #now;
  /** Devices not tracked because the model was full (shown as a note, never silently). */
  overflow = 0;

  constructor({ maxDevices = DEFAULT_MAX_DEVICES, pointsPerDevice = DEFAULT_POINTS_PER_DEVICE, now = () => Date.now() } = {}) {
    this.#maxDevices = maxDevices;
    this.#pointsPerDevice = pointsPerDevice;
    this.#now = now;
  }

  /** The device record, creating it (if there is room); null when the model is full. */
  #device(id) {
    let d = this.#devices.get(id);
    if (d) return d;
    if (this.#devices.size >= this.#maxDevices) {
      this.overflow += 1;
      return null;
    }
    d = {
      id,
      online: false,
      // Presence is the source of truth for online state; until it answers, a device
      // that sends telemetry is shown online but marked as not confirmed.
      presenceKnown: false,
      sinceMs: null,
      groups: [],
      lastSeenMs: null,
      fields: null,
      metric: null,
      messages: 0,
      position: null,
      series: new Series(this.#pointsPerDevice),
    };
    this.#devices.set(id, d);
    return d;
  }

  get(id) {
    return this.#devices.get(id) ?? null;
  }

  /** Applies a presence() answer: `[{ clientId, role, online, sinceUs, groups }]`. */
  applyPresence(entries) {
    for (const p of entries) {
      if (p.role && p.role !== 'device') continue;
      const d = this.#device(p.clientId);
      if (!d) continue;
      d.online = p.online;
      d.presenceKnown = true;
      d.sinceMs = p.sinceUs ? Math.floor(p.sinceUs / 1000) : null;
      d.groups = [...(p.groups ?? [])];
    }
  }

  /** Applies one envelope from devices/+/telemetry; returns the device id, or null. */
  applyTelemetry(message) {
    const id = deviceIdFromTopic(message.topic, 'telemetry');
    if (!id) return null;
    const d = this.#device(id);
    if (!d) return null;
    const parsed = parseTelemetry(message.text());
    const atMs = message.timestampUs ? Math.floor(message.timestampUs / 1000) : this.#now();
    d.lastSeenMs = atMs;
    d.messages += 1;
    d.position = { epoch: message.epoch, seq: message.seq };
    if (!d.presenceKnown) d.online = true;
    if (parsed) {
      d.fields = parsed.fields;
      if (parsed.metric) {
        d.metric = parsed.metric;
        d.series.push(atMs / 1000, parsed.metric.value);
      }
    }
    return id;
  }

  /** Devices for the list: online first, then by id; `query` filters ids and groups. */
  list({ query = '' } = {}) {
    const q = query.trim().toLowerCase();
    const out = [];
    for (const d of this.#devices.values()) {
      if (q && !d.id.toLowerCase().includes(q) && !d.groups.some((g) => g.toLowerCase().includes(q))) continue;
      out.push(d);
    }
    return out.sort((a, b) => Number(b.online) - Number(a.online) || a.id.localeCompare(b.id));
  }

  counts() {
    let online = 0;
    for (const d of this.#devices.values()) if (d.online) online += 1;
    return { total: this.#devices.size, online };
  }

  /** Every group some device is in, sorted. */
  groups() {
    const all = new Set();
    for (const d of this.#devices.values()) for (const g of d.groups) all.add(g);
    return [...all].sort();
  }

  /** The first online device by id (the default selection), or null. */
  firstOnline() {
    return this.list().find((d) => d.online)?.id ?? null;
  }
}
