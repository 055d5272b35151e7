import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { FrameSchema, EnvelopeSchema, ErrorCode } from '../src/gen/laneway_pb.js';
import { decodeFrame, encodeFrame, callFrame } from '../src/codec.js';
import { LengthPrefixDecoder, encodeRecord } from '../src/length_prefix.js';
import { decodeBase64, encodeBase64 } from '../src/base64.js';
import { BadRequestError, TooLargeError } from '../src/errors.js';
import { frameVectorNames, readVector, readVectorText } from './vectors.js';

const names = frameVectorNames();

test('the golden vector set is the one tests/vectors/README.md lists', () => {
  // Guards against the directory moving: an empty list would make the loops below vacuous.
  assert.ok(names.length >= 14, `found only ${names.length} vectors`);
  for (const n of ['envelope_basic', 'envelope_large', 'group_history_gap', 'call_connect', 'call_pong_empty']) {
    assert.ok(names.includes(n), `${n}.bin missing`);
  }
});

for (const name of names) {
  test(`golden ${name}.bin decodes and re-encodes byte for byte`, () => {
    const bytes = readVector(`${name}.bin`);
    const frame = decodeFrame(bytes);
    assert.notEqual(frame.kind.case, undefined);
    assert.deepEqual(encodeFrame(frame), bytes);
  });

  test(`golden ${name}.b64 is the SSE data text of ${name}.bin`, () => {
    const text = readVectorText(`${name}.b64`);
    assert.ok(text.endsWith('\n'));
    const line = text.slice(0, -1);
    const bin = readVector(`${name}.bin`);
    assert.deepEqual(decodeBase64(line), bin);
    assert.equal(encodeBase64(bin), line);
    assert.deepEqual(encodeFrame(decodeFrame(decodeBase64(line))), bin);
  });
}

test('decoded golden values match what tests/vectors/README.md describes', () => {
  const basic = decodeFrame(readVector('envelope_basic.bin'));
  assert.equal(basic.kind.case, 'envelope');
  assert.equal(basic.kind.value.seq, 42n);
  assert.equal(basic.kind.value.qos, 1);

  const large = decodeFrame(readVector('envelope_large.bin')).kind.value;
  assert.equal(large.payload.length, 65536);
  for (const i of [0, 1, 255, 65535]) assert.equal(large.payload[i], (31 * i + 7) % 256);
  assert.equal(large.retain, true);

  const gap = decodeFrame(readVector('group_history_gap.bin')).kind.value;
  assert.equal(gap.recovered, false);
  assert.equal(gap.envelopes.length, 0);

  const connect = decodeFrame(readVector('call_connect.bin')).kind.value;
  assert.equal(connect.id, 1);
  assert.equal(connect.body.case, 'connect');
  const since = connect.body.value.subscriptions.flatMap((s) => s.since);
  assert.deepEqual(since.map((p) => [p.epoch, p.seq]), [[1700000000n, 41n]]);

  const err = decodeFrame(readVector('call_error_rate_limited.bin')).kind.value;
  assert.equal(err.body.value.code, ErrorCode.RATE_LIMITED);
  assert.equal(err.body.value.retryAfterMs, 200);

  const pong = decodeFrame(readVector('call_pong_empty.bin')).kind.value;
  assert.equal(pong.id, 9);
  assert.equal(pong.body.case, 'pong');
});

test('a frame built by the SDK encodes like the golden one', () => {
  const golden = readVector('call_pong_empty.bin');
  assert.deepEqual(encodeFrame(callFrame(9, 'pong', {})), golden);
});

test('stream.bin splits into the four frames its README names, byte for byte', () => {
  const stream = readVector('stream.bin');
  const expected = ['envelope_basic', 'group_history_recovered', 'call_pong_empty', 'envelope_empty_payload'].map(
    (n) => readVector(`${n}.bin`),
  );
  const records = new LengthPrefixDecoder().push(stream);
  assert.deepEqual(records, expected);
  assert.deepEqual(concat(expected.map(encodeRecord)), stream);
});

test('stream.bin decodes identically at every split point', () => {
  const stream = readVector('stream.bin');
  const whole = new LengthPrefixDecoder().push(stream);
  for (let cut = 0; cut <= stream.length; cut++) {
    const d = new LengthPrefixDecoder();
    const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))];
    assert.deepEqual(got, whole, `split at ${cut}`);
    assert.ok(d.idle);
  }
});

test('stream.bin decodes fed one byte at a time', () => {
  const stream = readVector('stream.bin');
  const d = new LengthPrefixDecoder();
  const got = [];
  for (let i = 0; i < stream.length; i++) {
    got.push(...d.push(stream.subarray(i, i + 1)));
  }
  assert.ok(d.idle);
  assert.equal(got.length, 4);
  assert.deepEqual(got.map((r) => decodeFrame(r).kind.case), ['envelope', 'group', 'call', 'envelope']);
});

test('a declared length over the limit is refused before its bytes arrive', () => {
  const d = new LengthPrefixDecoder({ maxRecordBytes: 100 });
  // 101 as a varint is one byte: 0x65; no payload follows, yet it must be refused.
  assert.throws(() => d.push(Uint8Array.of(0x65)), TooLargeError);
  // The decoder stays failed: later input cannot resynchronise on garbage.
  assert.throws(() => d.push(Uint8Array.of(0x00)), TooLargeError);

  const exact = new LengthPrefixDecoder({ maxRecordBytes: 100 });
  assert.equal(exact.push(encodeRecord(new Uint8Array(100))).length, 1);
});

test('an oversize length split inside a multi-byte prefix is refused', () => {
  const d = new LengthPrefixDecoder({ maxRecordBytes: 1024 * 1024 });
  // 2^21 = 0x80 0x80 0x80 0x01
  assert.deepEqual(d.push(Uint8Array.of(0x80, 0x80)), []);
  assert.throws(() => d.push(Uint8Array.of(0x80, 0x01)), TooLargeError);
});

test('a runaway varint prefix is refused', () => {
  const d = new LengthPrefixDecoder();
  assert.throws(() => d.push(new Uint8Array(9).fill(0xff)), BadRequestError);
});

test('empty records and multi-byte prefixes round-trip', () => {
  for (const size of [0, 1, 127, 128, 300, 16383, 16384, 70000]) {
    const body = new Uint8Array(size).map((_, i) => i & 0xff);
    const rec = encodeRecord(body);
    assert.equal(rec.length - size, size < 128 ? 1 : size < 16384 ? 2 : 3);
    assert.deepEqual(new LengthPrefixDecoder().push(rec), [body]);
  }
});

test('decodeFrame refuses oversize, garbage and kind-less frames', () => {
  const basic = readVector('envelope_basic.bin');
  assert.throws(() => decodeFrame(basic, basic.length - 1), TooLargeError);
  assert.throws(() => decodeFrame(Uint8Array.of(0x0a, 0x05, 0x01)), BadRequestError);
  assert.throws(() => decodeFrame(new Uint8Array(0)), BadRequestError);
  const empty = encodeFrame(create(FrameSchema, {}));
  assert.throws(() => decodeFrame(empty), /no kind/);
});

test('unknown fields from a newer bridge survive decode and re-encode', () => {
  const env = create(EnvelopeSchema, { topic: 't', seq: 1n });
  const known = encodeFrame(create(FrameSchema, { kind: { case: 'envelope', value: env } }));
  // Append field 15 (varint 7) inside the envelope: rebuild the outer length by hand.
  const inner = known.subarray(2);
  const extended = Uint8Array.of(0x0a, inner.length + 2, ...inner, 0x78, 0x07);
  assert.deepEqual(encodeFrame(decodeFrame(extended)), extended);
});

test('strict base64 refuses what a lenient decoder would accept', () => {
  for (const bad of ['A', 'AAA', 'AA=A', 'A===', 'AA AA', 'AA-_', 'AAA==', 'QQ==\n']) {
    assert.throws(() => decodeBase64(bad), BadRequestError, JSON.stringify(bad));
  }
  assert.deepEqual(decodeBase64(''), new Uint8Array(0));
  assert.deepEqual(decodeBase64('QQ=='), Uint8Array.of(65));
  const all = new Uint8Array(256).map((_, i) => i);
  assert.deepEqual(decodeBase64(encodeBase64(all)), all);
});

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}
