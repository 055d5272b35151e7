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
