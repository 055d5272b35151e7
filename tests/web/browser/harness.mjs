// Shared pieces of the browser scenarios: headless Debian chromium (playwright-core),
// pages on the bridge's own origin, test tokens, bounded waits and checks.
import { createHash, createHmac, X509Certificate } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

export function log(...args) {
  console.log(new Date().toISOString().slice(11, 23), ...args);
}

export class Failure extends Error {}

export function check(condition, message) {
  if (!condition) throw new Failure(message);
}

/** HS256 token for the test app, signed here with the secret the bridge config holds. */
export function mintToken(cfg, { sub = 'e2e-operator', ttlS = 3600, secret = cfg.secret } = {}) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const body = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub, app: cfg.appId, iat: now, exp: now + ttlS })}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** Polls `predicate` (sync or async) every 100 ms until true; throws after `timeoutMs`. */
export async function waitFor(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() >= deadline) throw new Failure(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Seq numbers of one topic in one epoch, each exactly once and consecutive. */
export function checkContinuous(received, what) {
  check(received.length > 0, `${what}: nothing received`);
  for (let i = 1; i < received.length; i += 1) {
    const a = received[i - 1];
    const b = received[i];
    check(b.epoch === a.epoch, `${what}: epoch changed ${a.epoch} → ${b.epoch} at index ${i}`);
    check(b.seq === a.seq + 1, `${what}: seq ${a.seq} followed by ${b.seq} (index ${i}; ${b.seq <= a.seq ? 'duplicate or reorder' : 'gap'})`);
  }
}

export async function launchBrowser(cfg) {
  // The bridge's HTTPS certificate comes from the test PKI: trust exactly its key.
  const spki = createHash('sha256')
    .update(new X509Certificate(readFileSync(cfg.serverCert)).publicKey.export({ type: 'spki', format: 'der' }))
    .digest('base64');
  const executablePath = cfg.chromium || '/usr/bin/chromium';
  check(existsSync(executablePath), `${executablePath} missing`);
  return chromium.launch({
    executablePath,
    // Full headless chromium has WebTransport; QUIC stays enabled (DESIGN §9).
    args: ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--ignore-certificate-errors-spki-list=${spki}`],
    timeout: 30_000,
  });
}

export async function newPage(browser, cfg, { viewport = { width: 1440, height: 900 }, label = 'page' } = {}) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport });
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') log(`[${label} ${m.type()}] ${m.text()}`);
  });
  page.on('pageerror', (e) => log(`[${label} exception] ${e.message}`));
  return page;
}

/** A blank same-origin page with the SDK bundle the bridge serves loaded as `window.lw`. */
export async function sdkPage(browser, cfg, label = 'sdk') {
  const page = await newPage(browser, cfg, { label });
  await page.goto(`${cfg.base}/api/info`, { timeout: 15_000 });
  await page.evaluate(async () => {
    window.lw = await import('/sdk/laneway.js');
    window.waitFor = async (predicate, timeoutMs, what) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
  });
  return page;
}

/**
 * Polls `fn(arg)` inside the page until it returns true. (playwright's waitForFunction
 * evaluates a string, which the dashboard's Content-Security-Policy rightly refuses.)
 */
export async function waitInPage(page, fn, arg, timeoutMs, what) {
  await waitFor(() => page.evaluate(fn, arg), timeoutMs, what);
}
