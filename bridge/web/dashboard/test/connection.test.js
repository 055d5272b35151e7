// Sign-in tokens and what the operator reads about the connection.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeConnection } from '../src/connection_status.js';
import { formatAge, formatDuration, formatMs, laneName } from '../src/format.js';
import { TokenSource, looksLikeJwt, readClaims, tokenFromFragment } from '../src/token_source.js';

const b64url = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
const TOKEN = `${b64url({ alg: 'HS256' })}.${b64url({ sub: 'operator', app: 'dashboard', exp: 2_000_000_000 })}.c2ln`;

class MemoryStorage {
  map = new Map();
  getItem(k) {
    return this.map.has(k) ? this.map.get(k) : null;
  }
  setItem(k, v) {
    this.map.set(k, String(v));
  }
  removeItem(k) {
    this.map.delete(k);
  }
}

test('tokens come from the URL fragment only when they look like a JWT', () => {
  assert.equal(tokenFromFragment(`#token=${TOKEN}`), TOKEN);
  assert.equal(tokenFromFragment(`#x=1&token=${TOKEN}`), TOKEN);
  assert.equal(tokenFromFragment('#token=not-a-jwt'), null);
  assert.equal(tokenFromFragment(''), null);
  assert.equal(looksLikeJwt(`${'a'.repeat(9000)}.b.c`), false);
  assert.deepEqual(readClaims(TOKEN), { sub: 'operator', app: 'dashboard', exp: 2_000_000_000 });
  assert.equal(readClaims('a.!!!.c'), null);
});

test('TokenSource moves a fragment token to storage and cleans the fragment', async () => {
  const storage = new MemoryStorage();
  const source = new TokenSource({ storage });
  assert.equal(source.available, false);
  await assert.rejects(source.get(), /no access token/);
  assert.equal(source.adoptFragment(`#token=${TOKEN}&transport=ws`), '#transport=ws');
  assert.equal(source.adoptFragment(`#token=${TOKEN}`), '');
  assert.equal(await source.get(), TOKEN);
  assert.equal(source.claims().sub, 'operator');
  // A reload in the same tab finds it again; clear() forgets it.
  assert.equal(await new TokenSource({ storage }).get(), TOKEN);
  source.clear();
  assert.equal(new TokenSource({ storage }).available, false);
  assert.throws(() => source.set('nope'), TypeError);
});

test('TokenSource fetches a fresh token from a configured endpoint on every call', async () => {
  const calls = [];
  const fetch = async (url, init) => {
    calls.push([url, init.credentials]);
    return { ok: true, status: 200, text: async () => `${TOKEN}\n` };
  };
  const source = new TokenSource({ storage: new MemoryStorage(), fetch, tokenUrl: '/login/token' });
  assert.equal(source.available, true);
  assert.equal(await source.get(), TOKEN);
  assert.equal(await source.get(), TOKEN);
  assert.deepEqual(calls, [['/login/token', 'include'], ['/login/token', 'include']]);
  const refusing = new TokenSource({ fetch: async () => ({ ok: false, status: 401 }), tokenUrl: '/t' });
  await assert.rejects(refusing.get(), /answered 401/);
});

test('describeConnection: connected, unreachable, token rejected, sign-in', () => {
  const err = (code, message) => ({ code, message });
  assert.deepEqual(describeConnection({ state: 'connected', lane: 'ws', hasToken: true }), { tone: 'ok', title: 'Connected · WebSocket', detail: '', signIn: false });
  const down = describeConnection({ state: 'reconnecting', error: err('CONNECTION', 'websocket closed'), hasToken: true });
  assert.equal(down.title, 'Bridge unreachable');
  assert.equal(down.tone, 'warn');
  const rejected = describeConnection({ state: 'closed', error: err('UNAUTHORIZED', 'bad signature'), hasToken: true });
  assert.equal(rejected.title, 'Access token rejected');
  assert.equal(rejected.signIn, true);
  assert.equal(describeConnection({ state: 'closed', error: err('TOKEN_EXPIRED', 'token expired'), hasToken: true }).title, 'Access token expired');
  // Still retrying with fresh tokens: say so, but do not ask to sign in yet.
  assert.equal(describeConnection({ state: 'reconnecting', error: err('UNAUTHORIZED', 'x'), hasToken: true }).signIn, false);
  assert.equal(describeConnection({ state: 'closed', hasToken: false }).signIn, true);
  assert.match(describeConnection({ state: 'closed', error: err('LANE_UNAVAILABLE', 'x'), transport: 'wt', hasToken: true }).title, /WebTransport is not available/);
  assert.equal(describeConnection({ state: 'connecting', hasToken: true }).title, 'Connecting…');
});

test('formatting helpers', () => {
  assert.equal(laneName('wt'), 'WebTransport');
  assert.equal(laneName('sse'), 'SSE + POST');
  assert.equal(formatAge(500), 'just now');
  assert.equal(formatAge(12_000), '12 s ago');
  assert.equal(formatAge(180_000), '3 min ago');
  assert.equal(formatAge(null), 'never');
  assert.equal(formatDuration(42.9), '42 s');
  assert.equal(formatDuration(3 * 3600 + 12 * 60), '3 h 12 min');
  assert.equal(formatMs(3.14159), '3.1 ms');
  assert.equal(formatMs(123.4), '123 ms');
  assert.equal(formatMs(null), '—');
});
