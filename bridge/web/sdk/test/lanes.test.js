// The lane adapters against stand-ins for the browser APIs they wrap (WebSocket,
// EventSource + fetch, WebTransport with real WHATWG streams). End-to-end runs against the
// real bridge in Chromium belong to the bridge's integration tests.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocketLane } from '../src/lanes/websocket.js';
import { SseLane, errorFromHttpStatus } from '../src/lanes/sse.js';
import { WebTransportLane } from '../src/lanes/webtransport.js';
import { encodeRecord } from '../src/length_prefix.js';
import {
  BadRequestError,
  ConnectionError,
  ForbiddenError,
  RateLimitedError,
  TooLargeError,
  UnauthorizedError,
  UnavailableError,
} from '../src/errors.js';
import { flush } from './fakes.js';
import { readVector, readVectorText } from './vectors.js';

class FakeWebSocket {
  static last = null;
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.bufferedAmount = 0;
    FakeWebSocket.last = this;
  }
  send(data) {
    this.sent.push(data);
  }
  close(code) {
    this.closedWith = code;
  }
}

test('WebSocket lane: binary frames in and out, text refused, close reported once', async () => {
  const lane = new WebSocketLane({ url: 'wss://b/v1/ws', WebSocket: FakeWebSocket });
  const frames = [];
  const drops = [];
  lane.onFrame = (b) => frames.push(b);
  lane.onClose = (e) => drops.push(e);
  const opening = lane.open();
  const ws = FakeWebSocket.last;
  assert.equal(ws.binaryType, 'arraybuffer');
  ws.onopen();
  await opening;
  const basic = readVector('envelope_basic.bin');
  ws.onmessage({ data: basic.slice().buffer });
  assert.deepEqual(frames, [basic]);
  lane.send(basic);
  assert.deepEqual(ws.sent, [basic]);
  ws.bufferedAmount = 5 * 1024 * 1024;
  assert.throws(() => lane.send(basic), UnavailableError);
  ws.onmessage({ data: 'hello' });
  assert.ok(drops[0] instanceof BadRequestError);
  assert.equal(drops.length, 1);
  assert.throws(() => lane.send(basic), ConnectionError);
  assert.equal(ws.closedWith, 1000);
});

test('WebSocket lane: a failed handshake rejects open', async () => {
  const lane = new WebSocketLane({ url: 'wss://b/v1/ws', WebSocket: FakeWebSocket });
  const opening = lane.open();
  FakeWebSocket.last.onerror();
  await assert.rejects(opening, ConnectionError);
});

test('WebSocket lane: an abort during the handshake closes the socket', async () => {
  const lane = new WebSocketLane({ url: 'wss://b/v1/ws', WebSocket: FakeWebSocket });
  const controller = new AbortController();
  const opening = lane.open(controller.signal);
  controller.abort(new ConnectionError('lane timeout'));
  await assert.rejects(opening, /lane timeout/);
  assert.equal(FakeWebSocket.last.closedWith, 1000);
});

class FakeEventSource {
  static last = null;
  constructor(url) {
    this.url = url;
    this.readyState = 0;
    this.listeners = new Map();
    FakeEventSource.last = this;
  }
  addEventListener(type, fn) {
    this.listeners.set(type, fn);
  }
  // A named event (`event: <type>`), as the bridge's `ticket`.
  emit(type, data) {
    this.listeners.get(type)?.({ data });
  }
  close() {
    this.readyState = 2;
    this.closed = true;
  }
}

function fakeFetch(respond) {
  const requests = [];
  const fetch = async (url, init) => {
    requests.push({ url, init });
    const { status = 200, body = new Uint8Array(0), type = 'application/x-protobuf' } = respond(requests.length, init) ?? {};
    return {
      ok: status >= 200 && status < 300,
      status,
      headers: new Map([['content-type', type], ['content-length', String(body.length)]]),
      arrayBuffer: async () => body.slice().buffer,
    };
  };
  fetch.requests = requests;
  return fetch;
}

test('SSE lane: connect by POST, then the event stream with session and attach ticket in the query', async () => {
  const connectResult = readVector('call_connect_result.bin');
  const fetch = fakeFetch((n) => (n === 1 ? { body: connectResult } : { status: 204 }));
  const lane = new SseLane({ url: 'https://b/v1/sse', callUrl: 'https://b/v1/call', EventSource: FakeEventSource, fetch });
  const frames = [];
  const drops = [];
  lane.onFrame = (b) => frames.push(b);
  lane.onClose = (e) => drops.push(e);
  await lane.open();
  const connect = readVector('call_connect.bin');
  await lane.send(connect);
  assert.deepEqual(frames, [connectResult], 'the POST reply body is a frame');
  const first = fetch.requests[0];
  assert.equal(first.init.method, 'POST');
  assert.equal(first.init.headers['content-type'], 'application/x-protobuf');
  assert.equal(first.init.headers['x-laneway-session'], undefined);
  assert.deepEqual(first.init.body, connect);

  const est = lane.established({ sessionId: 's 1', token: 'a.b.c', attachTicket: 'tk-1' });
  const es = FakeEventSource.last;
  const url = new URL(es.url);
  assert.equal(url.pathname, '/v1/sse');
  assert.equal(url.searchParams.get('session'), 's 1');
  assert.equal(url.searchParams.get('attach'), 'tk-1');
  assert.equal(url.searchParams.get('token'), null, 'the JWT never goes in a URL');
  assert.ok(!es.url.includes('a.b.c'));
  es.readyState = 1;
  es.onopen();
  await est;

  const ping = readVector('call_ping.bin');
  es.onmessage({ data: readVectorText('call_ping.b64').trimEnd() }); // the golden SSE data line
  assert.deepEqual(frames[1], ping);

  lane.setToken('d.e.f');
  await lane.send(readVector('call_publish.bin'));
  assert.equal(fetch.requests[0].url, 'https://b/v1/call', 'the connect POST names no session');
  assert.equal(new URL(fetch.requests[1].url).searchParams.get('session'), 's 1', 'h2 keeps the query, not the header');
  const second = fetch.requests[1].init.headers;
  assert.equal(second['x-laneway-session'], 's 1');
  assert.equal(second.authorization, 'Bearer d.e.f');
  assert.equal(frames.length, 2, 'an empty 204 reply delivers nothing (the reply comes on the stream)');

  // A CLOSED source (the bridge refused the stream) drops the lane.
  es.readyState = 2;
  es.onerror();
  assert.equal(drops.length, 1);
  assert.ok(es.closed);
});

test('SSE lane: a dropped stream is reopened by the lane with the last event id in the query', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const lane = new SseLane({ url: 'https://b/v1/sse', callUrl: 'https://b/v1/call', EventSource: FakeEventSource, fetch: fakeFetch(() => ({})) });
  const drops = [];
  const frames = [];
  lane.onClose = (e) => drops.push(e);
  lane.onFrame = (b) => frames.push(b);
  const est = lane.established({ sessionId: 's1', token: 't1', attachTicket: 'tk-1' });
  const first = FakeEventSource.last;
  assert.equal(new URL(first.url).searchParams.get('lastEventId'), null, 'nothing to resume yet');
  first.onopen();
  await est;
  first.emit('ticket', 'tk-2'); // the stream's first event: the ticket its reopening needs
  first.onmessage({ data: readVectorText('call_ping.b64').trimEnd(), lastEventId: 'inst.41' });
  first.onmessage({ data: readVectorText('call_ping.b64').trimEnd(), lastEventId: 'inst.42' });

  // The connection drops: the browser would reconnect with Last-Event-ID as a header, which
  // does not survive HTTP/2 here. The lane closes that source and opens its own.
  lane.setToken('t2');
  first.readyState = 0;
  first.onerror();
  assert.ok(first.closed, 'the browser-driven reconnect is stopped');
  assert.equal(FakeEventSource.last, first, 'not at once');
  t.mock.timers.tick(250);
  const second = FakeEventSource.last;
  assert.notEqual(second, first);
  const url = new URL(second.url);
  assert.equal(url.searchParams.get('session'), 's1');
  assert.equal(url.searchParams.get('attach'), 'tk-2', 'the ticket the dropped stream handed over');
  assert.equal(url.searchParams.get('token'), null);
  assert.equal(url.searchParams.get('lastEventId'), 'inst.42');

  // Failing tries back off (250, 500, 1000 ms ...); an open resets the count. A try that
  // failed before the bridge answered spent nothing: the next one carries the same ticket.
  second.onerror();
  t.mock.timers.tick(499);
  assert.equal(FakeEventSource.last, second);
  t.mock.timers.tick(1);
  const third = FakeEventSource.last;
  assert.notEqual(third, second);
  assert.equal(new URL(third.url).searchParams.get('attach'), 'tk-2');
  third.onopen();
  third.emit('ticket', 'tk-3');
  third.onmessage({ data: readVectorText('call_ping.b64').trimEnd(), lastEventId: 'inst.43' });
  assert.equal(frames.length, 3);
  third.onerror();
  t.mock.timers.tick(250);
  assert.equal(new URL(FakeEventSource.last.url).searchParams.get('lastEventId'), 'inst.43');
  assert.equal(drops.length, 0);

  // When the sixth reopened stream in a row fails too, the lane gives up: the session
  // reconnects with its positions.
  for (let i = 0; i < 5; i += 1) {
    FakeEventSource.last.onerror();
    t.mock.timers.tick(4000);
  }
  FakeEventSource.last.onerror();
  assert.equal(drops.length, 1);
  assert.match(drops[0].message, /reopen/);

  // A reopen pending when the lane is released never runs.
  const lane2 = new SseLane({ url: 'https://b/v1/sse', callUrl: 'https://b/v1/call', EventSource: FakeEventSource, fetch: fakeFetch(() => ({})) });
  const est2 = lane2.established({ sessionId: 's2', token: 't' });
  const only = FakeEventSource.last;
  only.onopen();
  await est2;
  only.onerror();
  lane2.close();
  t.mock.timers.tick(4000);
  assert.equal(FakeEventSource.last, only);
});

test('SSE lane: corrupt base64 on the stream drops the lane', async () => {
  const lane = new SseLane({ url: 'https://b/v1/sse', callUrl: 'https://b/v1/call', EventSource: FakeEventSource, fetch: fakeFetch(() => ({})) });
  const drops = [];
  lane.onClose = (e) => drops.push(e);
  const est = lane.established({ sessionId: 's', token: 't' });
  FakeEventSource.last.onopen();
  await est;
  FakeEventSource.last.onmessage({ data: 'not base64!' });
  assert.ok(drops[0] instanceof BadRequestError);
});

test('SSE lane: a stream the bridge refuses rejects established()', async () => {
  const lane = new SseLane({ url: 'https://b/v1/sse', callUrl: 'https://b/v1/call', EventSource: FakeEventSource, fetch: fakeFetch(() => ({})) });
  const est = lane.established({ sessionId: 's', token: 't' });
  FakeEventSource.last.readyState = 2;
  FakeEventSource.last.onerror();
  await assert.rejects(est, ConnectionError);
});

test('SSE lane: HTTP refusals without a frame become typed errors; oversize replies are refused', async () => {
  assert.ok(errorFromHttpStatus(401, 'x') instanceof UnauthorizedError);
  assert.ok(errorFromHttpStatus(403, 'x') instanceof ForbiddenError);
  assert.ok(errorFromHttpStatus(413, 'x') instanceof TooLargeError);
  assert.ok(errorFromHttpStatus(429, 'x') instanceof RateLimitedError);
  assert.ok(errorFromHttpStatus(503, 'x') instanceof UnavailableError);
  assert.ok(errorFromHttpStatus(404, 'x') instanceof ConnectionError);

  const fetch = fakeFetch((n) => (n === 1 ? { status: 403, type: 'text/plain', body: new TextEncoder().encode('no') } : { body: new Uint8Array(100) }));
  const lane = new SseLane({ url: 'https://b/v1/sse', callUrl: 'https://b/v1/call', EventSource: FakeEventSource, fetch, maxFrameBytes: 50 });
  await assert.rejects(lane.send(Uint8Array.of(1)), ForbiddenError);
  await assert.rejects(lane.send(Uint8Array.of(1)), TooLargeError);

  // A typed error frame in a non-2xx body goes to the session for correlation, not thrown.
  const errFrame = readVector('call_error_rate_limited.bin');
  const lane2 = new SseLane({ url: 'https://b/v1/sse', callUrl: 'https://b/v1/call', EventSource: FakeEventSource, fetch: fakeFetch(() => ({ status: 429, body: errFrame })) });
  const got = [];
  lane2.onFrame = (b) => got.push(b);
  await lane2.send(Uint8Array.of(1));
  assert.deepEqual(got, [errFrame]);

  const down = new SseLane({ url: 'https://b/v1/sse', callUrl: 'https://b/v1/call', EventSource: FakeEventSource, fetch: async () => { throw new TypeError('network'); } });
  await assert.rejects(down.send(Uint8Array.of(1)), /POST https:\/\/b\/v1\/call failed: network/);
});

function fakeWebTransport() {
  const state = {};
  class FakeWT {
    constructor(url, options) {
      state.url = url;
      state.options = options;
      state.instance = this;
      this.ready = Promise.resolve();
      this.closed = new Promise((resolve) => (state.closeSession = resolve));
      this.toClient = new TransformStream();
      this.written = [];
      const written = this.written;
      this.datagramStream = new TransformStream();
      this.datagrams = { readable: this.datagramStream.readable };
      state.serverWriter = this.toClient.writable.getWriter();
      state.datagramWriter = this.datagramStream.writable.getWriter();
      state.written = written;
      this.stream = {
        readable: this.toClient.readable,
        writable: new WritableStream({ write: (chunk) => written.push(chunk) }),
      };
    }
    async createBidirectionalStream() {
      return this.stream;
    }
    close() {
      state.closedByClient = true;
      state.closeSession();
    }
  }
  return { FakeWT, state };
}

test('WebTransport lane: length-prefixed records on the bidi stream, split anywhere; datagrams carry whole frames', async () => {
  const { FakeWT, state } = fakeWebTransport();
  const lane = new WebTransportLane({ url: 'https://b:8443/v1/wt', serverCertificateHashes: [Uint8Array.of(9, 9)], WebTransport: FakeWT });
  const frames = [];
  lane.onFrame = (b) => frames.push(b);
  await lane.open();
  assert.deepEqual(state.options, { serverCertificateHashes: [{ algorithm: 'sha-256', value: Uint8Array.of(9, 9) }] });

  const stream = readVector('stream.bin');
  await state.serverWriter.write(stream.subarray(0, 3));
  await state.serverWriter.write(stream.subarray(3, 200));
  await state.serverWriter.write(stream.subarray(200));
  await flush();
  assert.deepEqual(frames, ['envelope_basic', 'group_history_recovered', 'call_pong_empty', 'envelope_empty_payload'].map((n) => readVector(`${n}.bin`)));

  const dg = readVector('envelope_empty_payload.bin');
  await state.datagramWriter.write(dg);
  await flush();
  assert.deepEqual(frames.at(-1), dg);

  const publish = readVector('call_publish.bin');
  await lane.send(publish);
  assert.deepEqual(state.written, [encodeRecord(publish)]);
  lane.close();
  assert.ok(state.closedByClient);
});

test('WebTransport lane: an oversize record drops the lane instead of buffering it', async () => {
  const { FakeWT, state } = fakeWebTransport();
  const lane = new WebTransportLane({ url: 'https://b/v1/wt', WebTransport: FakeWT, maxFrameBytes: 16 });
  const drops = [];
  lane.onClose = (e) => drops.push(e);
  await lane.open();
  assert.deepEqual(state.options, {});
  await state.serverWriter.write(Uint8Array.of(0x80, 0x01)); // declares 128 bytes
  await flush();
  assert.ok(drops[0] instanceof TooLargeError);
  assert.throws(() => lane.send(Uint8Array.of(1)), ConnectionError);
});

test('WebTransport lane: the session closing is a drop', async () => {
  const { FakeWT, state } = fakeWebTransport();
  const lane = new WebTransportLane({ url: 'https://b/v1/wt', WebTransport: FakeWT });
  const drops = [];
  lane.onClose = (e) => drops.push(e);
  await lane.open();
  state.closeSession();
  await flush();
  assert.equal(drops.length, 1);
  assert.ok(drops[0] instanceof ConnectionError);
});
