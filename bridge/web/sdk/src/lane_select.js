// Which lane to use. `auto` reads the bridge's GET /api/info, keeps the transports the
// runtime can actually open (WebTransport, WebSocket, EventSource + fetch), and tries them in
// the bridge's preference order, each within a bounded time, falling back on failure. A forced
// lane is the only one ever tried: it fails loudly instead of silently switching.
import { LaneUnavailableError, LanewayError, ConnectionError, TimeoutError } from './errors.js';

export const LANE_KINDS = Object.freeze(['wt', 'ws', 'sse']);
const DEFAULT_PATHS = { wt: '/v1/wt', ws: '/v1/ws', sse: '/v1/sse' };
const CALL_PATH = '/v1/call';
const MAX_INFO_BYTES = 64 * 1024;

/** The lanes this runtime can open, from the constructors it (or the caller) provides. */
export function runtimeLanes({ WebTransport, WebSocket, EventSource, fetch } = {}) {
  const lanes = new Set();
  if (typeof WebTransport === 'function') lanes.add('wt');
  if (typeof WebSocket === 'function') lanes.add('ws');
  if (typeof EventSource === 'function' && typeof fetch === 'function') lanes.add('sse');
  return lanes;
}

/** Default lane URLs under the bridge's base URL (used when /api/info is silent about one). */
export function defaultLane(kind, baseUrl) {
  const base = new URL(baseUrl);
  const url = new URL(DEFAULT_PATHS[kind], base);
  if (kind === 'ws') url.protocol = base.protocol === 'http:' ? 'ws:' : 'wss:';
  const lane = { kind, url: url.href };
  if (kind === 'sse') lane.callUrl = new URL(CALL_PATH, base).href;
  if (kind === 'wt') lane.serverCertificateHashes = [];
  return lane;
}

function decodeHash(hash) {
  // Accepts base64 strings, or { algorithm, value } with a base64 value.
  const text = typeof hash === 'string' ? hash : hash?.value;
  if (typeof text !== 'string') return null;
  try {
    const binary = atob(text);
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return null;
  }
}

/**
 * Parses the /api/info JSON into { version, transports: [{ kind, url, callUrl?, serverCertificateHashes? }] }
 * in the bridge's preference order. Tolerant of shape (`transports` as a list of names,
 * of objects with `name`/`kind`/`type`, or an object keyed by name); unknown kinds are skipped.
 */
export function parseInfo(json, baseUrl) {
  if (json === null || typeof json !== 'object') throw new TypeError('/api/info is not a JSON object');
  let entries = json.transports;
  if (entries && !Array.isArray(entries) && typeof entries === 'object') {
    entries = Object.entries(entries).map(([name, v]) => ({ ...(typeof v === 'object' ? v : { url: v }), name }));
  }
  if (!Array.isArray(entries)) throw new TypeError('/api/info has no transports list');
  const transports = [];
  for (const entry of entries.slice(0, 16)) {
    const spec = typeof entry === 'string' ? { name: entry } : entry ?? {};
    const kind = spec.name ?? spec.kind ?? spec.type ?? spec.id;
    if (!LANE_KINDS.includes(kind) || transports.some((t) => t.kind === kind)) continue;
    const lane = defaultLane(kind, baseUrl);
    if (typeof spec.url === 'string') lane.url = new URL(spec.url, baseUrl).href;
    const call = spec.callUrl ?? spec.call_url ?? spec.call;
    if (kind === 'sse' && typeof call === 'string') lane.callUrl = new URL(call, baseUrl).href;
    const hashes = spec.serverCertificateHashes ?? json.serverCertificateHashes;
    if (kind === 'wt' && Array.isArray(hashes)) {
      lane.serverCertificateHashes = hashes.map(decodeHash).filter((h) => h !== null);
    }
    transports.push(lane);
  }
  // The bridge tier's other replicas (docs/scale.md "Bridge replicas"), as absolute base URLs.
  const replicas = [];
  for (const u of Array.isArray(json.replicas) ? json.replicas.slice(0, 64) : []) {
    if (typeof u !== 'string') continue;
    try {
      replicas.push(new URL(u, baseUrl).origin);
    } catch {
      // One malformed entry does not cost the client the others.
    }
  }
  return { version: typeof json.version === 'string' ? json.version : '', transports, replicas };
}

/** GET /api/info through `fetch`, bounded in time and size. */
export async function fetchInfo(baseUrl, fetchImpl, { timeoutMs = 5000 } = {}) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  try {
    const res = await fetchImpl(new URL('/api/info', baseUrl).href, {
      signal: controller.signal,
      headers: { accept: 'application/json' },
      credentials: 'omit',
    });
    if (!res.ok) throw new ConnectionError(`/api/info answered HTTP ${res.status}`);
    const text = await res.text();
    if (text.length > MAX_INFO_BYTES) throw new ConnectionError('/api/info answer too large');
    return parseInfo(JSON.parse(text), baseUrl);
  } catch (err) {
    if (err instanceof LanewayError) throw err;
    throw new ConnectionError(`cannot read /api/info: ${err.message}`, { cause: err });
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The ordered lanes to try. `info` may be null when /api/info could not be read: then `auto`
 * tries WebSocket and SSE at their default paths (WebTransport needs the info's URL and
 * certificate hashes), and a forced lane uses its default path.
 * @returns {{ lanes: object[], skipped: { kind: string, reason: string }[] }}
 */
export function planLanes({ transport, info, runtime, baseUrl }) {
  const skipped = [];
  if (transport !== 'auto') {
    if (!LANE_KINDS.includes(transport)) throw new TypeError(`unknown transport '${transport}'`);
    if (!runtime.has(transport)) {
      throw new LaneUnavailableError(`this runtime cannot open the '${transport}' lane`);
    }
    const offered = info?.transports.find((t) => t.kind === transport);
    if (info && !offered) throw new LaneUnavailableError(`the bridge does not offer the '${transport}' lane`);
    return { lanes: [offered ?? defaultLane(transport, baseUrl)], skipped };
  }
  const offered = info ? info.transports : ['ws', 'sse'].map((k) => defaultLane(k, baseUrl));
  const lanes = [];
  for (const lane of offered) {
    if (runtime.has(lane.kind)) lanes.push(lane);
    else skipped.push({ kind: lane.kind, reason: 'not available in this runtime' });
  }
  if (lanes.length === 0) {
    throw new LaneUnavailableError('no lane offered by the bridge is available in this runtime');
  }
  return { lanes, skipped };
}

/** Errors that say the lane works but the bridge refused us: trying another lane cannot help. */
export function isBridgeVerdict(err) {
  return err instanceof LanewayError && !(err instanceof ConnectionError) && !(err instanceof TimeoutError);
}

/**
 * Tries `open(lane, signal)` for each lane in order; each attempt gets `timeoutMs`, after
 * which its signal aborts and the next lane is tried. A bridge verdict (typed error such as
 * UNAUTHORIZED) ends the search at once. Resolves { result, lane, attempts }.
 */
export async function selectLane(lanes, open, { timeoutMs = 5000, setTimer = setTimeout, clearTimer = clearTimeout } = {}) {
  const attempts = [];
  for (const lane of lanes) {
    const controller = new AbortController();
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimer(() => {
        const err = new TimeoutError(`lane '${lane.kind}' did not connect within ${timeoutMs} ms`);
        controller.abort(err);
        reject(err);
      }, timeoutMs);
    });
    const attempt = Promise.resolve().then(() => open(lane, controller.signal));
    try {
      const result = await Promise.race([attempt, timeout]);
      attempts.push({ kind: lane.kind, ok: true });
      return { result, lane, attempts };
    } catch (err) {
      attempts.push({ kind: lane.kind, ok: false, error: err });
      controller.abort(err);
      // An abandoned attempt may still succeed later: close what it opened.
      attempt.then((late) => late?.close?.(err), () => {});
      if (isBridgeVerdict(err)) {
        err.attempts = attempts;
        throw err;
      }
    } finally {
      clearTimer(timer);
    }
  }
  const summary = attempts.map((a) => `${a.kind}: ${a.error?.message ?? 'failed'}`).join('; ');
  const err = new ConnectionError(`no lane connected (${summary})`);
  err.attempts = attempts;
  throw err;
}
