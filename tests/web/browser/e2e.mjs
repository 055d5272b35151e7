// Entry point of the web end-to-end scenarios (run by tests/web/web_e2e_test.cc):
//   node e2e.mjs <config.json> <scenario>
// Prints "PASS <scenario>" and exits 0, or prints why and exits 1. Every wait is bounded.
import { readFileSync } from 'node:fs';
import { Failure, launchBrowser, log } from './harness.mjs';
import { autoScenario, autoWithoutWebSocket, autoWithWebTransportUnreachable, laneScenario, rpcScenario } from './lanes_scenarios.mjs';
import { dashboardErrorsScenario, dashboardFreshScenario, dashboardRpcScenario, dashboardScenario } from './dashboard_scenarios.mjs';
import { restartScenario } from './restart_scenario.mjs';

const SCENARIOS = {
  lane: laneScenario,
  rpc: rpcScenario,
  auto: autoScenario,
  'auto-wt-unreachable': autoWithWebTransportUnreachable,
  'auto-no-ws': autoWithoutWebSocket,
  dashboard: dashboardScenario,
  'dashboard-rpc': dashboardRpcScenario,
  'dashboard-errors': dashboardErrorsScenario,
  'dashboard-fresh': dashboardFreshScenario,
  restart: restartScenario,
};

const [configPath, name] = process.argv.slice(2);
const scenario = SCENARIOS[name];
if (!configPath || !scenario) {
  console.error(`usage: node e2e.mjs <config.json> <${Object.keys(SCENARIOS).join('|')}>`);
  process.exit(2);
}
const cfg = JSON.parse(readFileSync(configPath, 'utf8'));
cfg.base = `https://127.0.0.1:${cfg.bridgePort}`;

// A hard ceiling on the whole run, below the ctest TIMEOUT, so the browser is always closed.
const ceiling = setTimeout(() => {
  console.error(`FAIL ${name}: scenario exceeded ${cfg.timeoutMs ?? 180_000} ms`);
  process.exit(1);
}, cfg.timeoutMs ?? 180_000);

const browser = await launchBrowser(cfg);
let ok = false;
try {
  await scenario(browser, cfg);
  ok = true;
} catch (err) {
  console.error(`FAIL ${name}: ${err instanceof Failure ? err.message : err.stack}`);
} finally {
  await browser.close().catch(() => {});
  clearTimeout(ceiling);
}
if (ok) log(`PASS ${name}`);
process.exit(ok ? 0 : 1);
