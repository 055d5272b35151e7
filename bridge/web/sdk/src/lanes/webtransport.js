// WebTransport lane: https://…/v1/wt over HTTP/3. Frames travel on the first bidirectional
// stream as varint(length) ‖ Frame records; the bridge may send QoS 0 envelopes as datagrams,
// one Frame per datagram. A self-hosted bridge's short-lived certificate is accepted through
// the SHA-256 hashes /api/info publishes (serverCertificateHashes).
import { LaneBase, abortable } from './lane.js';
import { LengthPrefixDecoder, encodeRecord } from '../length_prefix.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../codec.js';
import { ConnectionError, UnavailableError } from '../errors.js';

// Records the stream writer may queue before send() refuses (bounded memory on a stall).
const MAX_QUEUED_WRITES = 1024;

export class WebTransportLane extends LaneBase {
  /**
   * @param {{ url: string, serverCertificateHashes?: Uint8Array[], WebTransport: Function,
   *           maxFrameBytes?: number }} options
   */
  constructor({ url, serverCertificateHashes = [], WebTransport, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES }) {
    super('wt');
    this.url = url;
    this.hashes = serverCertificateHashes;
    this.WebTransportImpl = WebTransport;
    this.maxFrameBytes = maxFrameBytes;
    this.transport = null;
    this.writer = null;
    this.queued = 0;
  }

  async open(signal) {
    const options = {};
    if (this.hashes.length > 0) {
      options.serverCertificateHashes = this.hashes.map((value) => ({ algorithm: 'sha-256', value }));
    }
    const transport = new this.WebTransportImpl(this.url, options);
    this.transport = transport;
    transport.closed.then(
      () => this.dropped(new ConnectionError('WebTransport session closed')),
      (err) => this.dropped(new ConnectionError(`WebTransport session failed: ${err?.message ?? err}`)),
    );
    const ready = (async () => {
      await transport.ready;
      const stream = await transport.createBidirectionalStream();
      this.writer = stream.writable.getWriter();
      this.#readStream(stream.readable.getReader());
      if (transport.datagrams?.readable) this.#readDatagrams(transport.datagrams.readable.getReader());
    })();
    try {
      await abortable(signal, ready, () => this.close());
    } catch (err) {
      this.close();
      throw err instanceof ConnectionError ? err : new ConnectionError(`WebTransport to ${this.url} failed: ${err?.message ?? err}`);
    }
  }

  async #readStream(reader) {
    const decoder = new LengthPrefixDecoder({ maxRecordBytes: this.maxFrameBytes });
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const record of decoder.push(value)) {
          if (this.closed) return;
          this.onFrame(record);
        }
      }
      this.dropped(new ConnectionError('WebTransport stream ended'));
    } catch (err) {
      this.dropped(err);
    }
  }

  async #readDatagrams(reader) {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.closed) return;
        if (value.byteLength <= this.maxFrameBytes) this.onFrame(value);
      }
    } catch {
      // Datagrams end with the session; the stream reader reports the drop.
    }
  }

  send(bytes) {
    if (this.closed || !this.writer) throw new ConnectionError('WebTransport lane is closed');
    if (this.queued >= MAX_QUEUED_WRITES) throw new UnavailableError('WebTransport outbound queue is full');
    this.queued += 1;
    return this.writer.write(encodeRecord(bytes)).then(
      () => {
        this.queued -= 1;
      },
      (err) => {
        this.queued -= 1;
        throw new ConnectionError(`WebTransport write failed: ${err?.message ?? err}`);
      },
    );
  }

  release() {
    try {
      this.transport?.close();
    } catch {
      // already closed
    }
  }
}
