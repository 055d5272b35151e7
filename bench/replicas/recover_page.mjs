// The page of replicas_recover_bench: headless Chromium on the SDK bundle with every
// replica's URL, subscribed to a device publishing at 50 msg/s. It notes when the first
// message of each new session arrived (wall clock, the one the benchmark stamps its kills
// with) and checks what it received; the benchmark kills or drains replicas under it.
// Protocol: READY once receiving; the benchmark writes `done` when it is finished; the page
// then prints RESULT {json} and exits.
//
//   node recover_page.mjs CONFIG.json
import { existsSync, readFileSync } from 'node:fs';
import { launchBrowser, mintToken, sdkPage, waitFor } from '../../tests/web/browser/harness.mjs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
cfg.base = cfg.urls[0];

const browser = await launchBrowser(cfg);
try {
  const page = await sdkPage(browser, cfg, 'recover');
  await page.evaluate(
    async ({ urls, token, appId, lane, device }) => {
      const s = { firsts: [], last: null, received: 0, duplicates: 0, jumps: 0, notRecovered: 0, gaps: 0 };
      window.state = s;
      const client = window.lw.initialize({ appId, url: urls, transport: lane, getUserJwt: () => token, reconnectBaseMs: 200, reconnectMaxMs: 1000, connectTimeoutMs: 3000 });
      client.on('resume', (r) => { if (!r.recovered) s.notRecovered += 1; });
      client.on('gap', () => { s.gaps += 1; });
      let session = null;
      await client.subscribe(`devices/${device}/telemetry`, (m) => {
        if (client.sessionId !== session) {
          session = client.sessionId;
          s.firsts.push(Date.now());
        }
        s.received += 1;
        if (s.last && m.epoch === s.last.epoch) {
          if (m.seq <= s.last.seq) s.duplicates += 1;
          else if (m.seq !== s.last.seq + 1) s.jumps += 1;
        }
        s.last = { epoch: m.epoch, seq: m.seq };
      });
      await window.waitFor(() => s.received >= 20, 30000, 'twenty messages');
    },
    { urls: cfg.urls, token: mintToken(cfg), appId: cfg.appId, lane: cfg.lane, device: cfg.device },
  );
  console.log('READY');
  await waitFor(() => existsSync(`${cfg.flagDir}/done`), cfg.timeoutMs, 'the benchmark');
  const s = await page.evaluate(() => window.state);
  delete s.last;
  console.log(`RESULT ${JSON.stringify(s)}`);
} catch (err) {
  console.log(`FAIL ${err.message}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}
