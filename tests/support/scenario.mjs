// What every Node scenario script of the integration tests shares (tests/bridge/browser,
// tests/webtransport): a log tagged with the scenario, a typed check failure the script's
// main turns into `FAIL: <why>`, and a bounded poll. Plain Node, no npm packages, so any
// test folder can import it by relative path.
export class Fail extends Error {}

export const check = (cond, why) => {
  if (!cond) throw new Fail(why);
};

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export const scenarioLog =
  (scenario) =>
  (...a) =>
    console.log(`[${scenario}]`, ...a);

// Polls `fn` every 50 ms until it returns something truthy, at most `timeoutMs`.
export async function waitFor(what, fn, timeoutMs = 10000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

// Repeats `attempt(i)` until `done()` returns something truthy, waiting up to `intervalMs`
// after each attempt, at most `attempts` times. For a send whose first copies may be lost
// for a known reason (e.g. published before a subscription is in place): the scenario still
// fails, with `what`, when none gets through.
export async function retryUntil(what, attempt, done, { attempts = 40, intervalMs = 500 } = {}) {
  for (let i = 0; i < attempts; i++) {
    await attempt(i);
    const end = Date.now() + intervalMs;
    for (;;) {
      const v = await done();
      if (v) return v;
      if (Date.now() >= end) break;
      await sleep(50);
    }
  }
  throw new Fail(`${what}: nothing got through after ${attempts} attempts`);
}

// The end of every scenario script: runs `scenarios[name]`, prints `PASS <name>` or
// `FAIL: <why>` (a failed check, an error, or `timeoutMs` passed; the test driver looks for
// these lines), runs `cleanup` either way (e.g. closing the browser) and exits 0 or 1.
export async function runScenario(scenarios, name, { timeoutMs = 110000, cleanup = async () => {} } = {}) {
  let code = 0;
  const timer = setTimeout(() => {
    console.log('FAIL: scenario timed out');
    process.exit(1);
  }, timeoutMs);
  try {
    if (!scenarios[name]) throw new Fail(`unknown scenario ${name}`);
    await scenarios[name]();
    console.log(`PASS ${name}`);
  } catch (e) {
    console.log(`FAIL: ${e instanceof Fail ? e.message : e.stack}`);
    code = 1;
  } finally {
    clearTimeout(timer);
    await cleanup().catch(() => {});
  }
  process.exit(code);
}
