// Builds the dashboard into a build folder (never the source tree):
//
//   node scripts/build.js --outdir <dir>
//     <dir>/index.html, <dir>/assets/dashboard.js (+ .map), dashboard.css, favicon.svg
//
// The SDK is not bundled in: the page imports '/sdk/laneway.js', the module the bridge
// serves from the SDK's own bundle (bridge/web/sdk, `npm run bundle`), so the dashboard runs
// on exactly what any other page would load. uPlot and its stylesheet are bundled.
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { outdir: { type: 'string' } } });
if (!values.outdir) {
  console.error('build: --outdir <dir> is required');
  process.exit(2);
}
const out = resolve(values.outdir);
const assets = join(out, 'assets');
mkdirSync(assets, { recursive: true });

const common = { bundle: true, minify: true, sourcemap: 'linked', logLevel: 'warning', target: 'es2022' };
try {
  await build({
    ...common,
    entryPoints: [join(here, 'src/main.js')],
    outfile: join(assets, 'dashboard.js'),
    format: 'esm',
    platform: 'browser',
    external: ['/sdk/laneway.js'],
  });
  // One stylesheet: uPlot's own rules first, ours after (ours win on equal specificity).
  const css = [readFileSync(join(here, 'node_modules/uplot/dist/uPlot.min.css'), 'utf8'), readFileSync(join(here, 'src/dashboard.css'), 'utf8')].join('\n');
  await build({ ...common, stdin: { contents: css, loader: 'css', resolveDir: here }, outfile: join(assets, 'dashboard.css'), sourcemap: false });
} catch {
  process.exit(1); // esbuild printed the errors
}
copyFileSync(join(here, 'src/favicon.svg'), join(assets, 'favicon.svg'));
writeFileSync(join(out, 'index.html'), readFileSync(join(here, 'src/index.html')));
console.log(`build: wrote the dashboard to ${out}`);
