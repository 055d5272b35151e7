// SSE + POST lane. Receiving: a native EventSource on GET /v1/sse whose `data:` lines are the
// base64 of one Frame each and whose `id:` is the bridge's resume token. When the stream
// drops, the lane reopens it itself with that token in the query (`lastEventId=`) instead of
// leaving it to the browser's reconnect, whose Last-Event-ID header libwebsockets 4.1 drops on
// HTTP/2 streams (docs/bridge.md "HTTP/2"): the query resumes on h2 and HTTP/1.1 alike. Sending:
// POST /v1/call with one Frame (application/x-protobuf) per request; the reply comes back in
// the response body or, when the body is empty, on the event stream.
//
// Session binding (agreed with the bridge, see docs/sdk.md "SSE lane"): the connect request
// is a POST without a session; its reply carries session_id and a single-use attach ticket.
// The event stream is then opened as GET /v1/sse?session=<id>&attach=<ticket> (EventSource
// cannot set headers, and a URL ends up in access logs, so it never carries the JWT); each
// stream's first event (`event: ticket`) is the ticket its reopening will need. Every later
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
// Reopening a dropped event stream: after 250 ms, doubling to 4 s; after this many failed
// tries the lane is dropped and the session reconnects with its positions instead.
const REOPEN_FIRST_MS = 250;
const REOPEN_MAX_MS = 4000;
const MAX_REOPENS = 6;

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
    this.ticket = ''; // the attach ticket the next stream spends (docs/bridge.md "SSE attach tickets")
    this.source = null;
    this.lastEventId = '';
    this.reopens = 0;
    this.reopenTimer = null;
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

  async established({ sessionId, token, attachTicket = '' }) {
    this.sessionId = sessionId;
    this.token = token;
    this.ticket = attachTicket;
    const source = this.#openStream();
    await new Promise((resolve, reject) => {
      source.onopen = () => {
        this.#streamOpened(source);
        resolve();
      };
      source.onerror = () => {
        if (source.readyState === EVENTSOURCE_CLOSED) reject(new ConnectionError(`event stream ${this.url} refused`));
      };
    });
  }

  // GET /v1/sse?session=…&attach=…, plus lastEventId=… once an event has arrived.
  #openStream() {
    const url = new URL(this.url);
    url.searchParams.set('session', this.sessionId);
    // Kept until the stream hands over the next one: a try that never reached the bridge
    // (connection refused) spent nothing, and one that did is refused 401 if retried.
    url.searchParams.set('attach', this.ticket);
    if (this.lastEventId) url.searchParams.set('lastEventId', this.lastEventId);
    const source = new this.EventSourceImpl(url.href);
    this.source = source;
    source.addEventListener('ticket', (ev) => {
      if (source === this.source) this.ticket = ev.data;
    });
    source.onmessage = (ev) => {
      if (ev.lastEventId) this.lastEventId = ev.lastEventId;
      let bytes;
      try {
        bytes = decodeBase64(ev.data);
      } catch (err) {
        this.dropped(err);
        return;
      }
      this.onFrame(bytes);
    };
    return source;
  }

  #streamOpened(source) {
    source.onopen = null;
    source.onerror = () => this.#streamError(source);
    this.reopens = 0;
  }

  // CLOSED: the bridge refused the stream (its session is gone, e.g. after a restart), so the
  // lane ends and the session reconnects with its positions. CONNECTING: the connection
  // dropped and the browser is about to reconnect without the id in the query; the lane
  // reopens the stream itself instead.
  #streamError(source) {
    if (this.closed || source !== this.source) return;
    if (source.readyState === EVENTSOURCE_CLOSED) {
      this.dropped(new ConnectionError('event stream closed by the bridge'));
      return;
    }
    source.onopen = source.onmessage = source.onerror = null;
    source.close();
    if (this.reopens >= MAX_REOPENS) {
      this.dropped(new ConnectionError(`event stream lost after ${MAX_REOPENS} attempts to reopen it`));
      return;
    }
    const delay = Math.min(REOPEN_MAX_MS, REOPEN_FIRST_MS * 2 ** this.reopens);
    this.reopens += 1;
    this.reopenTimer = setTimeout(() => {
      this.reopenTimer = null;
      if (this.closed) return;
      const next = this.#openStream();
      next.onopen = () => this.#streamOpened(next);
      next.onerror = () => this.#streamError(next);
    }, delay);
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
    clearTimeout(this.reopenTimer);
    this.reopenTimer = null;
    if (this.source) {
      this.source.onopen = this.source.onmessage = this.source.onerror = null;
      this.source.close();
    }
  }
}
