// Opens a real WebTransport session from Debian's headless Chromium to a laneway server
// and checks the echo: bytes on a bidirectional stream, a unidirectional stream, and a
// datagram. Prints one JSON line with what it saw; exits 0 only if every check passed.
//
//   node browser_echo.mjs --port P --hash BASE64_SHA256_OF_CERT_DER [--path /v1/wt]
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const port = arg('port');
const hash = arg('hash');
const path = arg('path', '/v1/wt');
const query = arg('query', 'client=browser-test');
if (!port || !hash) {
  console.error('usage: node browser_echo.mjs --port P --hash BASE64 [--path /v1/wt]');
  process.exit(2);
}

// WebTransport needs a secure context; http://127.0.0.1 is one (about:blank is not), so a
// blank page is served from loopback on a port the kernel picks.
const pageServer = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!doctype html><title>laneway wt test</title>');
});
await new Promise((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
const pageUrl = `http://127.0.0.1:${pageServer.address().port}/`;

// Never --disable-quic: WebTransport rides on QUIC.
const browser = await chromium.launch({
  executablePath: process.env.LANEWAY_CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking',
         '--disable-component-update', '--disable-sync'],
  timeout: 30000,
});

let result;
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.error(`page: ${m.text()}`));
  await page.goto(pageUrl);
  result = await page.evaluate(async ({ url, hash }) => {
    const withTimeout = (p, ms, what) => Promise.race([
      p, new Promise((_, reject) => setTimeout(() => reject(new Error(`timeout: ${what}`)), ms))]);
    const out = { secureContext: window.isSecureContext };
    try {
      const value = Uint8Array.from(atob(hash), (c) => c.charCodeAt(0));
      const wt = new WebTransport(url, { serverCertificateHashes: [{ algorithm: 'sha-256', value }] });
      await withTimeout(wt.ready, 15000, 'ready');
      out.ready = true;

      // Bidirectional echo, FIN for FIN.
      const bidi = await wt.createBidirectionalStream();
      const sent = 'hello laneway over webtransport';
      const writer = bidi.writable.getWriter();
      await writer.write(new TextEncoder().encode(sent));
      await writer.close();
      let echoed = '';
      const reader = bidi.readable.getReader();
      for (;;) {
        const { value: chunk, done } = await withTimeout(reader.read(), 10000, 'bidi read');
        if (done) break;
        echoed += new TextDecoder().decode(chunk);
      }
      out.bidiEcho = echoed === sent;

      // Unidirectional: the server answers on a stream it opens.
      const uni = await wt.createUnidirectionalStream();
      const uw = uni.getWriter();
      await uw.write(new TextEncoder().encode('uni-ping'));
      await uw.close();
      const incoming = wt.incomingUnidirectionalStreams.getReader();
      const { value: back } = await withTimeout(incoming.read(), 10000, 'incoming uni');
      let uniText = '';
      const ur = back.getReader();
      for (;;) {
        const { value: chunk, done } = await withTimeout(ur.read(), 10000, 'uni read');
        if (done) break;
        uniText += new TextDecoder().decode(chunk);
      }
      out.uniEcho = uniText === 'uni-ping';

      // Datagrams may be lost: resend (bounded) until the echo comes back.
      const dw = wt.datagrams.writable.getWriter();
      const dr = wt.datagrams.readable.getReader();
      let got = null;
      const recv = dr.read().then(({ value }) => { got = new TextDecoder().decode(value); });
      for (let i = 0; i < 50 && got === null; i++) {
        await dw.write(new TextEncoder().encode('dgram-ping'));
        await Promise.race([recv, new Promise((r) => setTimeout(r, 100))]);
      }
      out.datagramEcho = got === 'dgram-ping';

      wt.close({ closeCode: 7, reason: 'bye' });
      const closed = await withTimeout(wt.closed, 10000, 'closed');
      out.closed = closed;
    } catch (e) {
      out.error = String(e && e.message ? e.message : e);
    }
    return out;
  }, { url: `https://127.0.0.1:${port}${path}?${query}`, hash });
} finally {
  await browser.close();
  pageServer.close();
}

console.log(JSON.stringify(result));
const ok = result.ready && result.bidiEcho && result.uniEcho && result.datagramEcho && !result.error;
process.exit(ok ? 0 : 1);
