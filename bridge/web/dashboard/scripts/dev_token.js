// Mints a short-lived HS256 development token for the dashboard app, from the app's secret
// file (scripts/start.sh uses it to print a sign-in link). Development only: production
// tokens come from the deployment's login service (see docs/dashboard.md).
//
//   node scripts/dev_token.js --secret-file F [--app dashboard] [--sub operator] [--ttl 28800]
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const MAX_TTL_S = 24 * 3600;

function fail(message) {
  console.error(`dev_token: ${message}`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    'secret-file': { type: 'string' },
    app: { type: 'string', default: 'dashboard' },
    sub: { type: 'string', default: 'operator' },
    ttl: { type: 'string', default: String(8 * 3600) },
  },
});
if (!values['secret-file']) fail('--secret-file is required');
const ttl = Number(values.ttl);
if (!Number.isInteger(ttl) || ttl < 60 || ttl > MAX_TTL_S) fail(`--ttl must be 60..${MAX_TTL_S} seconds`);
let secret;
try {
  // The bridge uses the file's bytes as the HMAC key, exactly as written.
  secret = readFileSync(values['secret-file']);
} catch (err) {
  fail(`cannot read the secret: ${err.message}`);
}
if (secret.length < 32) fail('the secret must be at least 32 bytes');

const b64url = (data) => Buffer.from(data).toString('base64url');
const now = Math.floor(Date.now() / 1000);
const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
const claims = b64url(JSON.stringify({ sub: values.sub, app: values.app, iat: now, exp: now + ttl }));
const signature = createHmac('sha256', secret).update(`${header}.${claims}`).digest('base64url');
process.stdout.write(`${header}.${claims}.${signature}\n`);
