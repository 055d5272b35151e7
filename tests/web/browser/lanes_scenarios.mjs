// The SDK bundle served by the bridge (/sdk/laneway.js), driven in chromium: forced lanes
// receive, publish and call a real simulated device; `auto` picks the best lane and falls back.
import { check, checkContinuous, log, mintToken, sdkPage } from './harness.mjs';

const BROWSER_LANES = ['wt', 'ws', 'sse'];

/** Receive a device's telemetry and publish a broadcast the device acknowledges, on one forced lane. */
export async function laneScenario(browser, cfg) {
  const page = await sdkPage(browser, cfg, `lane-${cfg.lane}`);
  const result = await page.evaluate(
    async ({ token, appId, lane, device, group }) => {
      const lanes = [];
      const errors = [];
      const client = window.lw.initialize({ appId, getUserJwt: () => token, transport: lane, reconnectMaxMs: 2000 });
      client.on('lane', (e) => lanes.push(e));
      client.on('error', (e) => errors.push(`${e.code}: ${e.message}`));
      const telemetry = [];
      const acks = [];
      try {
        // A forced lane never switches: bound the wait for it (the SDK keeps retrying).
        await client.connected({ timeoutMs: 20000 });
        await client.subscribe(`devices/${device}/telemetry`, (m) => telemetry.push({ seq: m.seq, epoch: m.epoch, origin: m.origin, text: m.text() }));
        await client.subscribe(`devices/${device}/events`, (m) => acks.push(m.json()));
        await window.waitFor(() => telemetry.length >= 4, 30000, 'four telemetry messages');
        const topic = `fleet/${group}/broadcast`;
        const body = JSON.stringify({ from: 'e2e', lane });
        await client.publish(topic, body, { qos: 1 });
        await window.waitFor(() => acks.some((a) => a.event === 'broadcast' && a.topic === topic && a.bytes === body.length), 30000, 'the device acknowledging the broadcast');
        return { ok: true, lane: client.lane, lanes, telemetry, errors };
      } catch (err) {
        return { ok: false, error: String(err?.message ?? err), lane: client.lane, lanes, errors, telemetry: telemetry.length };
      } finally {
        await client.close();
      }
    },
    { token: mintToken(cfg), appId: cfg.appId, lane: cfg.lane, device: cfg.devices[0], group: cfg.group },
  );
  log('lane scenario:', JSON.stringify({ lane: result.lane, received: result.telemetry?.length ?? result.telemetry, errors: result.errors }));
  check(result.ok, `forced lane ${cfg.lane}: ${result.error}; errors: ${result.errors.join(' | ')}`);
  checkForced(result, cfg.lane);
  checkContinuous(result.telemetry, `telemetry of ${cfg.devices[0]} over ${cfg.lane}`);
  for (const t of result.telemetry) {
    check(t.origin === cfg.devices[0], `origin ${t.origin} is not the device`);
    check(typeof JSON.parse(t.text).temperature_c === 'number', `telemetry without temperature_c: ${t.text}`);
  }
}

/** RPC to a real device on one forced lane: get_state and ping answered by the device itself. */
export async function rpcScenario(browser, cfg) {
  const page = await sdkPage(browser, cfg, `rpc-${cfg.lane}`);
  const result = await page.evaluate(
    async ({ token, appId, lane, device }) => {
      const lanes = [];
      const client = window.lw.initialize({ appId, getUserJwt: () => token, transport: lane, reconnectMaxMs: 2000 });
      client.on('lane', (e) => lanes.push(e));
      try {
        await client.connected({ timeoutMs: 20000 });
        const state = await client.call(device, 'get_state', '{}', { timeoutMs: 5000 });
        const ping = await client.call(device, 'ping', '', { timeoutMs: 5000 });
        let unknown = null;
        try {
          unknown = (await client.call(device, 'no_such_method', '', { timeoutMs: 5000 })).text();
        } catch (err) {
          unknown = `${err.code}: ${err.message}`;
        }
        return { ok: true, lane: client.lane, lanes, state: state.text(), ping: ping.text(), unknown };
      } catch (err) {
        return { ok: false, error: `${err.code ?? ''} ${err.message}`, lane: client.lane, lanes };
      } finally {
        await client.close();
      }
    },
    { token: mintToken(cfg), appId: cfg.appId, lane: cfg.lane, device: cfg.devices[0] },
  );
  log('rpc scenario:', JSON.stringify(result));
  check(result.ok, `RPC over ${cfg.lane}: ${result.error}`);
  checkForced(result, cfg.lane);
  const state = JSON.parse(result.state);
  check(state.id === cfg.devices[0] && state.method === 'get_state' && state.ok === true, `get_state reply: ${result.state}`);
  check(typeof state.result?.telemetry_seq === 'number' && state.result.groups?.includes(cfg.group), `get_state result: ${result.state}`);
  const ping = JSON.parse(result.ping);
  check(ping.ok === true && ping.result?.pong === true, `ping reply: ${result.ping}`);
  // The device answers unknown methods itself (a reply, not a bridge error).
  check(/unknown method/.test(result.unknown), `unknown method: ${result.unknown}`);
}

function checkForced(result, lane) {
  check(result.lane === lane, `forced ${lane} but the client is on ${result.lane}`);
  for (const e of result.lanes) {
    check(e.lane === lane && e.attempts.every((a) => a.lane === lane), `a forced ${lane} client tried ${JSON.stringify(e.attempts)}`);
  }
}

/** Opens an `auto` client; returns /api/info's lanes, the runtime's, and what was chosen. */
async function connectAuto(page, cfg) {
  return page.evaluate(
    async ({ token, appId }) => {
      const info = await (await fetch('/api/info')).json();
      const runtime = { wt: typeof WebTransport === 'function', ws: typeof WebSocket === 'function', sse: typeof EventSource === 'function' && typeof fetch === 'function' };
      const lanes = [];
      const client = window.lw.initialize({ appId, getUserJwt: () => token, transport: 'auto', connectTimeoutMs: 4000, reconnectMaxMs: 2000 });
      client.on('lane', (e) => lanes.push(e));
      try {
        await client.connected({ timeoutMs: 30000 });
        // Traffic on the chosen lane, not just a handshake.
        const rtt = await client.ping();
        return { ok: true, info, runtime, lane: client.lane, lanes, rtt };
      } catch (err) {
        return { ok: false, error: `${err.code ?? ''} ${err.message}`, info, runtime, lanes };
      } finally {
        await client.close();
      }
    },
    { token: mintToken(cfg), appId: cfg.appId },
  );
}

function names(info) {
  return info.transports.map((t) => (typeof t === 'string' ? t : t.name ?? t.kind ?? t.type));
}

/** `auto` takes the bridge's first lane this browser has (WebTransport when the bridge offers it). */
export async function autoScenario(browser, cfg) {
  const page = await sdkPage(browser, cfg, 'auto');
  const r = await connectAuto(page, cfg);
  log('auto:', JSON.stringify({ offered: names(r.info), runtime: r.runtime, lane: r.lane, attempts: r.lanes[0]?.attempts }));
  check(r.ok, `auto did not connect: ${r.error}`);
  check(BROWSER_LANES.every((l) => r.runtime[l]), `headless chromium lacks a lane: ${JSON.stringify(r.runtime)}`);
  const offered = names(r.info);
  check(offered[0] === (cfg.expectWebTransport ? 'wt' : 'ws'), `the bridge offers ${offered.join(',')}; expected ${cfg.expectWebTransport ? 'wt' : 'ws'} first`);
  check(r.lane === offered[0], `auto chose ${r.lane}, the best offered lane is ${offered[0]}`);
  check(r.lanes[0].attempts.length === 1 && r.lanes[0].attempts[0].ok, `auto needed attempts ${JSON.stringify(r.lanes[0].attempts)}`);
}

/**
 * WebTransport offered but unreachable (as behind a firewall that drops UDP): the page's
 * /api/info response is rewritten in the browser so `wt` points at a UDP port nothing
 * listens on. `auto` must try it, give up within its connect timeout, and land on WebSocket.
 */
export async function autoWithWebTransportUnreachable(browser, cfg) {
  const page = await sdkPage(browser, cfg, 'auto-wt-down');
  await page.route(`${cfg.base}/api/info`, async (route) => {
    const response = await route.fetch();
    const info = await response.json();
    const real = info.transports.find((t) => t.name === 'wt');
    const hashes = real?.serverCertificateHashes ?? [{ algorithm: 'sha-256', value: Buffer.alloc(32, 7).toString('base64') }];
    info.transports = [{ name: 'wt', url: `https://127.0.0.1:${cfg.deadUdpPort}/v1/wt`, serverCertificateHashes: hashes }, ...info.transports.filter((t) => t.name !== 'wt')];
    await route.fulfill({ response, json: info });
  });
  const r = await connectAuto(page, cfg);
  log('auto, wt unreachable:', JSON.stringify({ lane: r.lane, attempts: r.lanes[0]?.attempts }));
  check(r.ok, `auto did not connect: ${r.error}`);
  check(r.lane === 'ws', `auto landed on ${r.lane}, expected ws`);
  const attempts = r.lanes[0].attempts;
  check(attempts[0]?.lane === 'wt' && attempts[0].ok === false, `WebTransport was not tried first: ${JSON.stringify(attempts)}`);
  check(attempts.at(-1).lane === 'ws' && attempts.at(-1).ok === true, `attempts: ${JSON.stringify(attempts)}`);
}

/** A bridge with its WebSocket lane switched off: `auto` lands on SSE + POST. */
export async function autoWithoutWebSocket(browser, cfg) {
  const page = await sdkPage(browser, cfg, 'auto-no-ws');
  const r = await connectAuto(page, cfg);
  log('auto, ws disabled:', JSON.stringify({ offered: names(r.info), lane: r.lane, attempts: r.lanes[0]?.attempts }));
  check(r.ok, `auto did not connect: ${r.error}`);
  check(!names(r.info).includes('ws'), `the bridge still offers ws: ${names(r.info)}`);
  check(r.lane === 'sse', `auto landed on ${r.lane}, expected sse`);
}
