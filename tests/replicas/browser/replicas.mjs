// One page in headless Chromium on the SDK bundle, given every replica's URL, subscribed to
// a device publishing QoS 1 at 50 msg/s, while replicas_test.cc kills, drains or restarts
// replicas under it. Protocol with the test: print READY once the page receives; the test
// acts, then writes go-1 (its action is done) and go-2 (it saw the page's session move).
//
//   node replicas.mjs CONFIG.json kill|drain|rolling|late|rpc
import { existsSync, readFileSync } from 'node:fs';
import { check, checkContinuous, launchBrowser, log, mintToken, sdkPage, waitFor } from '../../web/browser/harness.mjs';

const [configPath, scenario] = process.argv.slice(2);
const cfg = JSON.parse(readFileSync(configPath, 'utf8'));
cfg.base = cfg.urls[0];
const flag = (n) => existsSync(`${cfg.flagDir}/go-${n}`);

// The page's client: every replica's URL, fast backoff, every event recorded.
async function openClient(page) {
  await page.evaluate(
    async ({ urls, token, appId, lane, device }) => {
      const s = { telemetry: [], resumes: [], gaps: [], lanes: [], errors: [], rpc: null };
      window.state = s;
      const client = window.lw.initialize({ appId, url: urls, transport: lane, getUserJwt: () => token, reconnectBaseMs: 200, reconnectMaxMs: 1000, connectTimeoutMs: 3000 });
      window.client = client;
      client.on('lane', (e) => s.lanes.push({ lane: e.lane, url: e.url, sessionId: client.sessionId, at: s.telemetry.length }));
      client.on('resume', (r) => s.resumes.push({ filter: r.filter, recovered: r.recovered }));
      client.on('gap', (g) => s.gaps.push(g));
      client.on('error', (e) => s.errors.push({ code: e.code, message: e.message, at: s.telemetry.length }));
      await client.subscribe(`devices/${device}/telemetry`, (m) => s.telemetry.push({ seq: m.seq, epoch: m.epoch, session: client.sessionId }));
      await window.waitFor(() => s.telemetry.length >= 20, 30000, 'twenty messages before anything happens');
    },
    { urls: cfg.urls, token: mintToken(cfg), appId: cfg.appId, lane: cfg.lane, device: cfg.device },
  );
}

const state = (page) => page.evaluate(() => window.state);

// After the test's action: the page is on a new session and receiving there.
async function waitMovedAndLive(page, moves) {
  await waitFor(() => flag(1), cfg.timeoutMs, 'the test to act');
  await page.evaluate(async (n) => {
    const s = window.state;
    await window.waitFor(() => s.lanes.length >= n + 1 && window.client.state === 'connected', 60000, `${n} move(s) to another replica`);
    const session = window.client.sessionId;
    await window.waitFor(() => s.telemetry.filter((t) => t.session === session).length >= 50, 30000, 'fifty messages on the new replica');
  }, moves);
  await waitFor(() => flag(2), cfg.timeoutMs, 'the test to see the move');
}

function checkNothingLost(s, what) {
  check(s.resumes.length > 0, `${what}: no resume after the move`);
  for (const r of s.resumes) check(r.recovered === true, `${what}: resume of ${r.filter} said recovered=false`);
  check(s.gaps.length === 0, `${what}: gaps ${JSON.stringify(s.gaps)}`);
  checkContinuous(s.telemetry, what);
  check(new Set(s.lanes.map((l) => l.url)).size >= 2, `${what}: the page never changed replica (${JSON.stringify(s.lanes)})`);
}

// Every jump in seq is reported (a gap event or a resume with recovered=false); nothing
// arrives twice or out of order.
function checkLossReported(s, what) {
  const reported = s.resumes.some((r) => r.recovered === false) || s.gaps.length > 0;
  let jumps = 0;
  for (let i = 1; i < s.telemetry.length; i += 1) {
    const a = s.telemetry[i - 1];
    const b = s.telemetry[i];
    if (b.epoch !== a.epoch) continue;
    check(b.seq > a.seq, `${what}: seq ${a.seq} then ${b.seq} (duplicate or reorder)`);
    if (b.seq !== a.seq + 1) jumps += 1;
  }
  check(jumps === 0 || reported, `${what}: ${jumps} jumps in seq and no report of loss`);
  check(reported, `${what}: the new replica could not vouch for the gap, and the page was not told`);
}

// The session's other services on the replica it moved to: presence (from the broker's
// retained announcements, the same on every replica), a QoS 1 publish acknowledged by the
// broker, and history that holds what the page received on the replica that died.
async function checkServicesAfterTheMove(page, what) {
  const r = await page.evaluate(async (device) => {
    const s = window.state;
    const online = (await window.client.presence(device)).filter((p) => p.online).map((p) => p.clientId);
    await window.client.publish(`devices/${device}/cmd`, '{"led":"on"}', { qos: 1 });
    const firstSession = s.lanes[0].sessionId;
    const early = s.telemetry.filter((t) => t.session === firstSession).map((t) => t.seq);
    const last = early[early.length - 1];
    const history = await window.client.history(`devices/${device}/telemetry`, { limit: 5000 });
    const seqs = new Set(history.messages.map((m) => m.seq));
    return { online, last, heldLast: seqs.has(last) };
  }, cfg.device);
  log(`${what}: after the move`, JSON.stringify(r));
  check(r.online.length === 1, `${what}: presence on the new replica: ${JSON.stringify(r.online)}`);
  check(r.heldLast, `${what}: the new replica's history lacks seq ${r.last}, the last one the dead replica delivered`);
}

const scenarios = {
  async kill(page) {
    await openClient(page);
    console.log('READY');
    await waitMovedAndLive(page, 1);
    checkNothingLost(await state(page), `kill -9 over ${cfg.lane}`);
    await checkServicesAfterTheMove(page, `kill -9 over ${cfg.lane}`);
  },
  async drain(page) {
    await openClient(page);
    const before = (await state(page)).errors.length;
    console.log('READY');
    await waitMovedAndLive(page, 1);
    const s = await state(page);
    checkNothingLost(s, `drain over ${cfg.lane}`);
    check(s.errors.length === before, `drain: error events ${JSON.stringify(s.errors.slice(before))}; a drain is only a lane change`);
  },
  async rolling(page) {
    await openClient(page);
    console.log('READY');
    await waitMovedAndLive(page, 2);
    checkNothingLost(await state(page), 'rolling restart');
  },
  async late(page) {
    await openClient(page);
    console.log('READY');
    await waitMovedAndLive(page, 1);
    checkLossReported(await state(page), 'a replica started after the gap');
  },
  async rpc(page) {
    await openClient(page);
    // To a device that never answers: in flight on the bridge until its timeout.
    await page.evaluate(() => {
      const s = window.state;
      window.client.call('d-000099', 'ping', '{}', { timeoutMs: 20000 }).then(
        () => { s.rpc = { ok: true }; },
        (e) => { s.rpc = { ok: false, typed: e instanceof window.lw.LanewayError, code: e.code, name: e.name, message: e.message }; },
      );
    });
    console.log('READY');
    await waitFor(() => flag(1), cfg.timeoutMs, 'the test to kill the replica');
    await waitFor(async () => (await state(page)).rpc !== null, 15000, 'the RPC to settle after the kill');
    const { rpc } = await state(page);
    log('rpc across the kill:', JSON.stringify(rpc));
    check(rpc.ok || rpc.typed, `the RPC failed with an untyped error: ${JSON.stringify(rpc)}`);
    await waitFor(() => flag(2), cfg.timeoutMs, 'the test');
  },
};

const browser = await launchBrowser(cfg);
try {
  const run = scenarios[scenario];
  check(run, `unknown scenario ${scenario}`);
  const page = await sdkPage(browser, cfg, scenario);
  await run(page);
  const s = await state(page);
  log(`${scenario}:`, JSON.stringify({ lanes: s.lanes, resumes: s.resumes, gaps: s.gaps, errors: s.errors, received: s.telemetry.length }));
  console.log(`PASS ${scenario}`);
} catch (err) {
  console.log(`FAIL ${scenario}: ${err.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
