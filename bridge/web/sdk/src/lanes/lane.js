// The lane interface every transport adapter implements. A lane moves whole laneway.v1.Frame
// byte strings in both directions and knows nothing about what they mean; the session layer
// (session.js) does correlation, pings, refresh and resume on top of any lane.
//
//   lane.kind                 'ws' | 'sse' | 'wt'
//   lane.onFrame(bytes)       set by the session: one received Frame (Uint8Array)
//   lane.onClose(error)       set by the session: the lane dropped (called at most once,
//                             never after the session itself called close())
//   await lane.open(signal)   establish the transport; rejects on failure or abort
//   lane.send(bytes)          send one Frame; may return a promise that rejects with the
//                             request's failure (HTTP lanes)
//   await lane.established({ sessionId, token })
//                             called after connect_result; the SSE lane opens its event
//                             stream here, the others have nothing to do
//   lane.setToken(token)      the session's JWT changed (in-band refresh)
//   lane.close()              release everything; no callbacks after this
import { ConnectionError } from '../errors.js';

export class LaneBase {
  constructor(kind) {
    this.kind = kind;
    this.onFrame = () => {};
    this.onClose = () => {};
    this.closed = false;
  }

  async established() {}

  setToken() {}

  /** Reports a drop once, unless the owner already closed the lane. */
  dropped(error) {
    if (this.closed) return;
    this.closed = true;
    this.release();
    this.onClose(error instanceof Error ? error : new ConnectionError(String(error)));
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.release();
  }

  /** Subclasses free their transport here. */
  release() {}
}

/** Rejects when `signal` aborts, with its reason. */
export function abortable(signal, promise, onAbort = () => {}) {
  if (!signal) return promise;
  if (signal.aborted) {
    onAbort();
    return Promise.reject(signal.reason ?? new ConnectionError('aborted'));
  }
  return new Promise((resolve, reject) => {
    const abort = () => {
      onAbort();
      reject(signal.reason ?? new ConnectionError('aborted'));
    };
    signal.addEventListener('abort', abort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', abort);
        reject(e);
      },
    );
  });
}
