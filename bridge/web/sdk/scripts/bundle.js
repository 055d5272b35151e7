// Builds the browser bundle of the SDK: one self-contained ES module (the SDK plus
// @bufbuild/protobuf and the generated laneway_pb.js) that laneway-bridge serves at
// /sdk/laneway.js. Output goes to a build folder, never into the source tree:
//
//   node scripts/bundle.js --outdir <dir>     → <dir>/sdk/laneway.js (+ .map)
//
// Run through `npm run bundle`, which regenerates the protobuf module first.
import { build } from 'esbuild';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const sdkDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
if (!values.outdir) {
  console.error('bundle: --outdir <dir> is required');
  process.exit(2);
}
const outfile = join(resolve(values.outdir), 'sdk', 'laneway.js');

try {
  await build({
    entryPoints: [join(sdkDir, 'src/index.js')],
    outfile,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    // Every browser with WebTransport or fetch streaming runs ES2022; BigInt is required
    // by the 64-bit positions anyway.
    target: 'es2022',
    minify: true,
    sourcemap: 'linked',
    legalComments: 'linked',
    logLevel: 'warning',
  });
} catch {
  // esbuild already printed the errors.
  process.exit(1);
}
console.log(`bundle: wrote ${outfile}`);
