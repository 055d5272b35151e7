// The dashboard at `/`, as an operator sees it: live devices and telemetry, lane and RTT,
// broadcast and RPC through the UI, error states; and the screenshot kept as an artifact.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { check, log, mintToken, newPage, waitFor, waitInPage } from './harness.mjs';

/** Opens the dashboard signed in with a token in the URL fragment, as start.sh's link does. */
export async function openDashboard(browser, cfg, token = mintToken(cfg), label = 'dashboard') {
  const page = await newPage(browser, cfg, { label });
  const query = cfg.transport ? `?transport=${cfg.transport}` : '';
  await page.goto(`${cfg.base}/${query}#token=${token}`, { timeout: 15_000 });
  return page;
}

const text = (page, selector) => page.locator(selector).first().textContent();

async function waitForLiveDevice(page, device) {
  await page.waitForSelector('#connection[data-state="connected"]', { timeout: 30_000 });
  await page.waitForSelector(`#device-list button[data-device-id="${device}"][data-online="true"]`, { timeout: 30_000 });
  await page.click(`#device-list button[data-device-id="${device}"]`);
  await page.waitForSelector(`#detail[data-device-id="${device}"]`, { timeout: 10_000 });
  // Enough points for a line worth looking at.
  await waitInPage(page, () => Number(document.querySelector('#chart')?.dataset.points ?? 0) >= 20, null, 60_000, 'twenty points in the chart');
  // The RTT appears after the first ping.
  await waitFor(async () => /ms$/.test((await text(page, '#conn-rtt')) ?? ''), 20_000, 'a round-trip time in the status bar');
}

function artifact(cfg, name) {
  mkdirSync(cfg.artifactsDir, { recursive: true });
  return join(cfg.artifactsDir, name);
}

export async function dashboardScenario(browser, cfg) {
  const device = cfg.devices[0];
  const page = await openDashboard(browser, cfg);
  await waitForLiveDevice(page, device);

  // Every simulated device is listed online (presence), with its group.
  for (const id of cfg.devices) {
    await page.waitForSelector(`#device-list button[data-device-id="${id}"][data-online="true"]`, { timeout: 30_000 });
  }
  const counts = await text(page, '#device-counts');
  check(counts === `${cfg.devices.length} of ${cfg.devices.length} online`, `device counts: ${counts}`);
  check((await text(page, `#device-list button[data-device-id="${device}"] .device-groups`)) === cfg.group, 'group missing in the list');
  check((await page.locator('#chart canvas').count()) > 0, 'no chart canvas');
  check(await page.locator('#chart-empty').isHidden(), 'the chart says it waits for telemetry');
  const latest = Number(await text(page, '#chart-latest'));
  check(latest > 15 && latest < 30, `latest temperature ${latest} is not the simulator's ~21 °C`);

  // The lane in use and the connection facts.
  const lane = await page.locator('#connection').getAttribute('data-lane');
  check(['wt', 'ws', 'sse'].includes(lane), `no lane shown: ${lane}`);
  const facts = await text(page, '#conn-facts');
  check(/Lane in use/.test(facts) && /Round trip/.test(facts), `connection facts: ${facts}`);

  // Broadcast to the group through the form; the devices acknowledge it.
  await page.selectOption('#broadcast-group', cfg.group);
  await page.fill('#broadcast-message', '{"led":"blink"}');
  await page.click('#broadcast-send');
  await waitInPage(
    page,
    (n) => new RegExp(`acknowledged by ${n} of`).test(document.querySelector('#broadcast-status')?.textContent ?? ''),
    cfg.devices.length,
    30_000,
    'every device acknowledging the broadcast',
  );
  log('broadcast status:', await text(page, '#broadcast-status'));
  check(/Broadcast sent to group/.test(await text(page, '#activity')), 'the activity feed misses the broadcast');
  check(await page.locator('#banner').isHidden(), `an error banner is shown: ${await text(page, '#banner')}`);

  const path = artifact(cfg, 'dashboard.png');
  await page.screenshot({ path });
  console.log(`SCREENSHOT ${path}`);

  // The lane picker forces a lane for real: the page reconnects over it and keeps streaming.
  for (const forced of ['sse', 'ws']) {
    await page.selectOption('#lane-select', forced);
    await page.waitForSelector(`#connection[data-state="connected"][data-lane="${forced}"]`, { timeout: 30_000 });
    const before = Number(await page.locator('#chart').getAttribute('data-points'));
    await waitInPage(page, (n) => Number(document.querySelector('#chart')?.dataset.points ?? 0) > n, before, 30_000, `telemetry over ${forced}`);
    check(new URL(page.url()).searchParams.get('transport') === forced, `the URL does not keep the lane: ${page.url()}`);
  }
}

export async function dashboardRpcScenario(browser, cfg) {
  const device = cfg.devices[0];
  const page = await openDashboard(browser, cfg, mintToken(cfg), 'dashboard-rpc');
  await waitForLiveDevice(page, device);
  await page.selectOption('#rpc-method', 'get_state');
  await page.fill('#rpc-payload', '{}');
  await page.click('#rpc-send');
  await page.waitForSelector('#rpc-result[data-outcome="ok"], #rpc-result[data-outcome="error"]', { timeout: 15_000 });
  const outcome = await page.locator('#rpc-result').getAttribute('data-outcome');
  const reply = await text(page, '#rpc-reply');
  log('rpc result:', outcome, reply);
  check(outcome === 'ok', `the RPC failed in the dashboard: ${await text(page, '#rpc-status')} ${reply}`);
  const parsed = JSON.parse(reply);
  check(parsed.id === device && parsed.method === 'get_state' && parsed.ok === true, `reply: ${reply}`);
  check(/ms$/.test(await text(page, '#rpc-latency')), 'no RPC latency shown');
  await waitFor(async () => /answered get_state/.test(await text(page, '#activity')), 10_000, 'the RPC reply in the activity feed');
  const path = artifact(cfg, 'dashboard-rpc.png');
  await page.screenshot({ path });
  console.log(`SCREENSHOT ${path}`);
}

const MISSING_WARNING = /may be missing|Gap on/;

/**
 * A dashboard opened the way a new user does, twice: the second time after the bridge let
 * the telemetry filter go (`lingerMs`), so its history of those topics skips the seqs
 * published in between. Neither page had a position there, so neither warns of loss.
 */
export async function dashboardFreshScenario(browser, cfg) {
  const first = await openDashboard(browser, cfg, mintToken(cfg), 'dashboard-first');
  await waitForLiveDevice(first, cfg.devices[0]);
  const firstFeed = await text(first, '#activity');
  check(!MISSING_WARNING.test(firstFeed), `a fresh dashboard warns of missing messages: ${firstFeed}`);
  await first.close();

  // The bridge unsubscribes once the linger passes (checked on its 1 s tick); the devices
  // publish on meanwhile.
  await new Promise((resolve) => setTimeout(resolve, cfg.lingerMs + 3000));

  const again = await openDashboard(browser, cfg, mintToken(cfg), 'dashboard-again');
  for (const device of cfg.devices) await waitForLiveDevice(again, device);
  const feed = await text(again, '#activity');
  log('activity feed:', feed);
  check(!MISSING_WARNING.test(feed), `the dashboard opened again warns of missing messages: ${feed}`);
  const path = artifact(cfg, 'dashboard-fresh.png');
  await again.screenshot({ path });
  console.log(`SCREENSHOT ${path}`);
}

/** No token, a forged token: the page says what is wrong and offers sign-in, never a blank page. */
export async function dashboardErrorsScenario(browser, cfg) {
  const blank = await newPage(browser, cfg, { label: 'no-token' });
  await blank.goto(`${cfg.base}/`, { timeout: 15_000 });
  await blank.waitForSelector('#sign-in:not([hidden])', { timeout: 10_000 });
  check(await blank.locator('#app').isHidden(), 'the dashboard shows without a token');

  const forged = mintToken(cfg, { secret: 'not-the-app-secret-not-the-app-secret-0000' });
  const page = await openDashboard(browser, cfg, forged, 'forged');
  await page.waitForSelector('#sign-in:not([hidden])', { timeout: 30_000 });
  const banner = await text(page, '#banner-title');
  check(banner === 'Access token rejected', `banner: ${banner}`);
  check((await page.locator('#connection').getAttribute('data-tone')) === 'error', 'status pill is not an error');
  // The fragment token is gone from the address bar and was not kept after the refusal.
  check(!page.url().includes('token='), `token left in the URL: ${page.url()}`);
  check((await page.evaluate(() => sessionStorage.length)) === 0, 'a refused token was kept');
  const path = artifact(cfg, 'dashboard-token-rejected.png');
  await page.screenshot({ path });
  console.log(`SCREENSHOT ${path}`);

  // Pasting a good token recovers without a reload.
  await page.fill('#token-input', mintToken(cfg));
  await page.click('#sign-in-form button[type=submit]');
  await page.waitForSelector('#connection[data-state="connected"]', { timeout: 30_000 });
  check(await page.locator('#banner').isHidden(), 'the banner stays after signing in');
}
