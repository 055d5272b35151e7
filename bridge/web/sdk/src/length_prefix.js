// WebTransport stream framing: records of varint(length) ‖ Frame bytes (protobuf base-128
// varint). The decoder is incremental (chunks may split records anywhere, including inside
// the prefix) and bounded: a declared length over the limit is refused before any of its bytes
// are buffered, and a decoder never holds more than one record plus a partial prefix.
import { TooLargeError, BadRequestError } from './errors.js';
import { DEFAULT_MAX_FRAME_BYTES } from './codec.js';

// A length that fits in 2^53 needs at most 8 varint bytes; more means garbage.
const MAX_PREFIX_BYTES = 8;

/** `varint(bytes.length) ‖ bytes` as one Uint8Array. */
export function encodeRecord(bytes) {
  const prefix = [];
  let n = bytes.byteLength;
  while (n >= 0x80) {
    prefix.push((n % 0x80) | 0x80);
    n = Math.floor(n / 0x80);
  }
  prefix.push(n);
  const out = new Uint8Array(prefix.length + bytes.byteLength);
  out.set(prefix, 0);
  out.set(bytes, prefix.length);
  return out;
}

export class LengthPrefixDecoder {
  /** @param {{ maxRecordBytes?: number }} [options] */
  constructor({ maxRecordBytes = DEFAULT_MAX_FRAME_BYTES } = {}) {
    this.maxRecordBytes = maxRecordBytes;
    this.#resetPrefix();
    this.failed = null;
  }

  #prefixValue = 0;
  #prefixScale = 1;
  #prefixBytes = 0;
  #record = null; // Uint8Array being filled, allocated once the prefix is complete
  #filled = 0;

  #resetPrefix() {
    this.#prefixValue = 0;
    this.#prefixScale = 1;
    this.#prefixBytes = 0;
  }

  /** True when no partial record or prefix is pending (a clean end of stream). */
  get idle() {
    return this.#record === null && this.#prefixBytes === 0;
  }

  /**
   * Consumes one chunk and returns the complete records it finished, in order. Throws
   * TooLargeError / BadRequestError on a bad prefix; the decoder then stays failed.
   */
  push(chunk) {
    if (this.failed) throw this.failed;
    const records = [];
    let i = 0;
    while (i < chunk.byteLength) {
      if (this.#record === null) {
        const byte = chunk[i++];
        this.#prefixValue += (byte & 0x7f) * this.#prefixScale;
        this.#prefixScale *= 0x80;
        this.#prefixBytes += 1;
        if (byte & 0x80) {
          if (this.#prefixBytes >= MAX_PREFIX_BYTES) {
            this.failed = new BadRequestError('length prefix longer than 8 bytes');
            throw this.failed;
          }
          continue;
        }
        const length = this.#prefixValue;
        this.#resetPrefix();
        if (length > this.maxRecordBytes) {
          this.failed = new TooLargeError(
            `record of ${length} bytes exceeds the ${this.maxRecordBytes}-byte limit`,
          );
          throw this.failed;
        }
        this.#record = new Uint8Array(length);
        this.#filled = 0;
        if (length === 0) {
          records.push(this.#record);
          this.#record = null;
        }
        continue;
      }
      const take = Math.min(this.#record.byteLength - this.#filled, chunk.byteLength - i);
      this.#record.set(chunk.subarray(i, i + take), this.#filled);
      this.#filled += take;
      i += take;
      if (this.#filled === this.#record.byteLength) {
        records.push(this.#record);
        this.#record = null;
      }
    }
    return records;
  }
}
