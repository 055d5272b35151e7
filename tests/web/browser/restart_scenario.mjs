// The bridge is stopped by the C++ test (SIGTERM: a restart; SIGKILL: a crash) and started
// again on the same port while a page is subscribed: the page must reconnect by itself on a new session and resume. With
// cfg.requireNothingLost: every resume recovered=true, no gap, every seq exactly once;
// without: any loss must be reported (recovered=false or a gap event), never silent.
// Meanwhile the dashboard, open in a second page, must say the bridge is unreachable and
// then come back. Protocol with the test: print READY_FOR_RESTART, then SAW_UNREACHABLE;
// the test writes cfg.restartedFlag once the new bridge is up.
import { existsSync } from 'node:fs';
import { check, checkContinuous, log, mintToken, sdkPage, waitFor, waitInPage } from './harness.mjs';
import { openDashboard } from './dashboard_scenarios.mjs';

export async function restartScenario(browser, cfg) {
  const device = cfg.devices[0];
  const page = await sdkPage(browser, cfg, 'resume');
  await page.evaluate(
    async ({ token, appId, device }) => {
      const s = { telemetry: [], resumes: [], gaps: [], lanes: [], states: [], errors: [] };
      window.state = s;
      const client = window.lw.initialize({ appId, getUserJwt: () => token, transport: 'auto', reconnectBaseMs: 200, reconnectMaxMs: 1000, connectTimeoutMs: 4000 });
      window.client = client;
      client.on('lane', (e) => s.lanes.push({ lane: e.lane, sessionId: client.sessionId }));
      client.on('state', (st) => s.states.push(st));
      client.on('resume', (r) => s.resumes.push(r));
      client.on('gap', (g) => s.gaps.push(g));
      client.on('error', (e) => s.errors.push(`${e.code}: ${e.message}`));
      await client.subscribe(`devices/${device}/telemetry`, (m) => s.telemetry.push({ seq: m.seq, epoch: m.epoch, session: client.sessionId }));
      await window.waitFor(() => s.telemetry.length >= 4, 30000, 'four telemetry messages before the restart');
    },
    { token: mintToken(cfg), appId: cfg.appId, device },
  );
  const dashboard = await openDashboard(browser, cfg, mintToken(cfg), 'dashboard');
  await dashboard.waitForSelector('#connection[data-state="connected"]', { timeout: 30_000 });

  console.log('READY_FOR_RESTART');
  // While the bridge is down the dashboard says so.
  await waitInPage(dashboard, () => document.querySelector('#banner-title')?.textContent === 'Bridge unreachable', null, 60_000, 'the dashboard to say the bridge is unreachable');
  console.log('SAW_UNREACHABLE');
  await waitFor(() => existsSync(cfg.restartedFlag), 60_000, 'the test to restart the bridge');

  // Reconnected on a new session, and live again: four more messages after it.
  await page.evaluate(async () => {
    const s = window.state;
    await window.waitFor(() => s.lanes.length >= 2 && window.client.state === 'connected', 60000, 'the reconnect');
    const session = window.client.sessionId;
    await window.waitFor(() => s.telemetry.filter((t) => t.session === session).length >= 4, 30000, 'four messages after the reconnect');
  });
  await dashboard.waitForSelector('#connection[data-state="connected"]', { timeout: 60_000 });
  check(await dashboard.locator('#banner').isHidden(), 'the dashboard still shows a banner after the bridge came back');

  const s = await page.evaluate(() => window.state);
  log('restart:', JSON.stringify({ lanes: s.lanes, resumes: s.resumes, gaps: s.gaps, received: s.telemetry.length, first: s.telemetry[0], last: s.telemetry.at(-1) }));
  check(new Set(s.lanes.map((l) => l.sessionId)).size >= 2, 'no new session after the restart');
  check(s.resumes.length > 0, 'the subscription was not resumed');
  const what = `telemetry of ${device} across the bridge restart`;
  if (cfg.requireNothingLost) {
    for (const r of s.resumes) check(r.recovered === true, `resume of ${r.filter} reported recovered=${r.recovered}: messages were lost`);
    check(s.gaps.length === 0, `gaps in the stream: ${JSON.stringify(s.gaps)}`);
    checkContinuous(s.telemetry, what);
    return;
  }
  // Whatever was lost is reported, never skipped silently: each jump in seq is either a gap
  // event or covered by a resume with recovered=false; nothing arrives twice or out of order.
  const lossReported = s.resumes.some((r) => r.recovered === false);
  for (let i = 1; i < s.telemetry.length; i += 1) {
    const a = s.telemetry[i - 1];
    const b = s.telemetry[i];
    if (b.epoch !== a.epoch) {
      check(lossReported || s.gaps.some((g) => g.reason === 'epoch'), `${what}: new epoch without a report`);
      continue;
    }
    check(b.seq > a.seq, `${what}: seq ${a.seq} then ${b.seq} (duplicate or reorder)`);
    if (b.seq !== a.seq + 1) {
      const gap = s.gaps.some((g) => g.last.seq === a.seq && g.received.seq === b.seq);
      check(gap || lossReported, `${what}: seq ${a.seq} → ${b.seq} skipped without recovered=false or a gap event`);
    }
  }
  log(lossReported ? 'the restarted bridge reported recovered=false (what the stopped one held is gone)' : 'resumed with nothing lost');
}
