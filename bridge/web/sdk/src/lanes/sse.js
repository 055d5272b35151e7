// SSE + POST lane. Receiving: a native EventSource on GET /v1/sse whose `data:` lines are the
// base64 of one Frame each and whose `id:` is the bridge's resume token, so the browser's own
// reconnect (with Last-Event-ID) resumes the stream without the SDK doing anything. Sending:
// POST /v1/call with one Frame (application/x-protobuf) per request; the reply comes back in
// the response body or, when the body is empty, on the event stream.
//
// Session binding (agreed with the bridge, see docs/sdk.md "SSE lane"): the connect request
// is a POST without a session; its reply carries session_id. The event stream is then opened
// as GET /v1/sse?session=<id>&token=<jwt> (EventSource cannot set headers), and every later
// POST carries `X-Laneway-Session: <id>` and `Authorization: Bearer <jwt>`. The POST URL
// names the session too (`?session=<id>`): libwebsockets 4.1 drops unknown request headers
// on HTTP/2 streams, so over h2 the query string is what reaches the bridge.
import { LaneBase } from './lane.js';
import { decodeBase64 } from '../base64.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../codec.js';
import {
  BadRequestError,
  ConnectionError,
  ForbiddenError,
  RateLimitedError,
  TooLargeError,
  UnauthorizedError,
  UnavailableError,
} from '../errors.js';

const EVENTSOURCE_CLOSED = 2;
const MAX_IN_FLIGHT_POSTS = 64;

/** A typed error for an HTTP refusal that carried no Frame body. */
export function errorFromHttpStatus(status, context) {
  const message = `${context} answered HTTP ${status}`;
  if (status === 400) return new BadRequestError(message);
  if (status === 401) return new UnauthorizedError(message);
  if (status === 403) return new ForbiddenError(message);
  if (status === 413) return new TooLargeError(message);
  if (status === 429) return new RateLimitedError(message);
  if (status >= 500) return new UnavailableError(message);
  return new ConnectionError(message);
}

export class SseLane extends LaneBase {
  /**
   * @param {{ url: string, callUrl: string, EventSource: typeof EventSource, fetch: typeof fetch,
   *           maxFrameBytes?: number }} options
   */
  constructor({ url, callUrl, EventSource, fetch, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES }) {
    super('sse');
    this.url = url;
    this.callUrl = callUrl;
    this.EventSourceImpl = EventSource;
    this.fetchImpl = fetch;
    this.maxFrameBytes = maxFrameBytes;
    this.sessionId = '';
    this.token = '';
    this.source = null;
    this.inFlight = 0;
    this.aborter = new AbortController();
  }

  // Nothing to open before the connect request: the POST itself proves the lane works.
  async open(signal) {
    if (signal?.aborted) throw signal.reason;
  }

  setToken(token) {
    this.token = token;
  }

  async established({ sessionId, token }) {
    this.sessionId = sessionId;
    this.token = token;
    const url = new URL(this.url);
    url.searchParams.set('session', sessionId);
    url.searchParams.set('token', token);
    const source = new this.EventSourceImpl(url.href);
    this.source = source;
    await new Promise((resolve, reject) => {
      source.onopen = () => {
        source.onopen = null;
        source.onerror = () => this.#streamError();
        resolve();
      };
      source.onerror = () => {
        if (source.readyState === EVENTSOURCE_CLOSED) reject(new ConnectionError(`event stream ${this.url} refused`));
      };
    });
    source.onmessage = (ev) => {
      let bytes;
      try {
        bytes = decodeBase64(ev.data);
      } catch (err) {
        this.dropped(err);
        return;
      }
      this.onFrame(bytes);
    };
  }

  // While the EventSource is CONNECTING it is resuming by itself (Last-Event-ID); only a
  // CLOSED source (the bridge refused the resume, e.g. after a restart) ends the lane.
  #streamError() {
    if (this.source?.readyState === EVENTSOURCE_CLOSED) {
      this.dropped(new ConnectionError('event stream closed by the bridge'));
    }
  }

  async send(bytes) {
    if (this.closed) throw new ConnectionError('SSE lane is closed');
    if (this.inFlight >= MAX_IN_FLIGHT_POSTS) throw new UnavailableError('too many requests in flight');
    const headers = { 'content-type': 'application/x-protobuf', accept: 'application/x-protobuf' };
    if (this.sessionId) headers['x-laneway-session'] = this.sessionId;
    if (this.token && this.sessionId) headers.authorization = `Bearer ${this.token}`;
    this.inFlight += 1;
    try {
      let res;
      try {
        res = await this.fetchImpl(this.#callUrlForSession(), {
          method: 'POST',
          headers,
          body: bytes,
          signal: this.aborter.signal,
          credentials: 'omit',
        });
      } catch (err) {
        throw new ConnectionError(`POST ${this.callUrl} failed: ${err.message}`, { cause: err });
      }
      const declared = Number(res.headers?.get?.('content-length') ?? 0);
      if (declared > this.maxFrameBytes) throw new TooLargeError(`reply of ${declared} bytes is over the limit`);
      const body = new Uint8Array(await res.arrayBuffer());
      if (body.byteLength > this.maxFrameBytes) throw new TooLargeError(`reply of ${body.byteLength} bytes is over the limit`);
      const isFrame = (res.headers?.get?.('content-type') ?? '').startsWith('application/x-protobuf');
      if (body.byteLength > 0 && isFrame) {
        // A reply or a typed error: the session correlates it by id either way.
        if (!this.closed) this.onFrame(body);
        return;
      }
      if (!res.ok) throw errorFromHttpStatus(res.status, `POST ${this.callUrl}`);
    } finally {
      this.inFlight -= 1;
    }
  }

  #callUrlForSession() {
    if (!this.sessionId) return this.callUrl;
    const url = new URL(this.callUrl);
    url.searchParams.set('session', this.sessionId);
    return url.href;
  }

  release() {
    this.aborter.abort(new ConnectionError('lane closed'));
    if (this.source) {
      this.source.onopen = this.source.onmessage = this.source.onerror = null;
      this.source.close();
    }
  }
}
