// What subscription handlers, call() and presence() hand to the application: plain objects
// with numbers where the wire has 64-bit integers that never exceed 2^53 in practice, plus
// the exact BigInt position for persisting and passing back as `since`.
const utf8 = new TextDecoder();

export class Message {
  constructor(envelope) {
    this.topic = envelope.topic;
    this.payload = envelope.payload;
    this.seq = Number(envelope.seq);
    this.epoch = Number(envelope.epoch);
    this.timestampUs = Number(envelope.timestampUs);
    this.origin = envelope.origin;
    this.contentType = envelope.contentType;
    this.qos = envelope.qos;
    this.retain = envelope.retain;
    /** Exact position: pass back in `subscribe(…, { since: [msg.position] })`. */
    this.position = { topic: envelope.topic, epoch: envelope.epoch, seq: envelope.seq };
  }

  text() {
    return utf8.decode(this.payload);
  }

  json() {
    return JSON.parse(this.text());
  }
}

export class RpcReply {
  constructor(result) {
    this.payload = result.payload;
    this.contentType = result.contentType;
  }

  text() {
    return utf8.decode(this.payload);
  }

  json() {
    return JSON.parse(this.text());
  }
}

export function presenceEntry(p) {
  return { clientId: p.clientId, role: p.role, online: p.online, sinceUs: Number(p.sinceUs), groups: [...p.groups] };
}

const utf8Encoder = new TextEncoder();

/** Application data as bytes: strings become UTF-8; typed arrays and ArrayBuffers are viewed, not copied. */
export function toBytes(data, what = 'payload') {
  if (typeof data === 'string') return utf8Encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (data === undefined || data === null) return new Uint8Array(0);
  throw new TypeError(`${what} must be a string, Uint8Array, typed array or ArrayBuffer`);
}
