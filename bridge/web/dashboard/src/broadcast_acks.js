// Counts which devices acknowledged a broadcast. Devices confirm every message on
// fleet/<group>/... or broadcast/... with {"event":"broadcast","topic":…} on
// devices/<id>/events; the dashboard tracks its recent broadcasts by topic.
import { deviceIdFromTopic } from './telemetry.js';

const MAX_TRACKED = 20;

export class BroadcastAcks {
  #sent = [];

  /** Starts tracking a broadcast just published on `topic`; returns its record. */
  track(topic, label) {
    const record = { topic, label, acked: new Set(), sentAtMs: Date.now() };
    this.#sent.unshift(record);
    if (this.#sent.length > MAX_TRACKED) this.#sent.length = MAX_TRACKED;
    return record;
  }

  /**
   * Applies one envelope from devices/+/events. Returns the broadcast record it
   * acknowledges (newest with that topic), or null when it is not an ack of ours.
   */
  applyEvent(message) {
    const id = deviceIdFromTopic(message.topic, 'events');
    if (!id) return null;
    let event;
    try {
      event = message.json();
    } catch {
      return null;
    }
    if (event?.event !== 'broadcast' || typeof event.topic !== 'string') return null;
    const record = this.#sent.find((r) => r.topic === event.topic);
    if (!record) return null;
    record.acked.add(id);
    return record;
  }
}

/** The topic a broadcast to `group` goes to: a group's fleet topic, or every device. */
export function broadcastTopic(group) {
  return group ? `fleet/${group}/broadcast` : 'broadcast/all';
}
