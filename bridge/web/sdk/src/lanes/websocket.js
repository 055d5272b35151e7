// WebSocket lane: wss://…/v1/ws, one binary message = one Frame (docs/wire.md).
import { LaneBase, abortable } from './lane.js';
import { ConnectionError, BadRequestError, UnavailableError } from '../errors.js';

// Outbound bytes the browser may hold before send() refuses: bounds memory when the network
// stalls (the application sees UNAVAILABLE and can retry).
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export class WebSocketLane extends LaneBase {
  /** @param {{ url: string, WebSocket: typeof WebSocket }} options */
  constructor({ url, WebSocket }) {
    super('ws');
    this.url = url;
    this.WebSocketImpl = WebSocket;
    this.socket = null;
  }

  open(signal) {
    const socket = new this.WebSocketImpl(this.url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    const opened = new Promise((resolve, reject) => {
      socket.onopen = () => {
        socket.onerror = null;
        socket.onclose = (ev) => this.dropped(new ConnectionError(`WebSocket closed (${ev.code} ${ev.reason || ''})`.trim()));
        resolve();
      };
      socket.onerror = () => reject(new ConnectionError(`WebSocket to ${this.url} failed`));
      socket.onclose = (ev) => reject(new ConnectionError(`WebSocket to ${this.url} closed (${ev.code})`));
    });
    socket.onmessage = (ev) => {
      if (typeof ev.data === 'string') {
        // The wire is binary only; a text message means we are not talking to a laneway bridge.
        this.dropped(new BadRequestError('WebSocket text message on a binary-only lane'));
        return;
      }
      this.onFrame(new Uint8Array(ev.data));
    };
    return abortable(signal, opened, () => this.close());
  }

  send(bytes) {
    if (this.closed || !this.socket) throw new ConnectionError('WebSocket lane is closed');
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) {
      throw new UnavailableError('WebSocket outbound buffer is full');
    }
    this.socket.send(bytes);
  }

  release() {
    const socket = this.socket;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null;
    try {
      socket.close(1000);
    } catch {
      // already closing
    }
  }
}
