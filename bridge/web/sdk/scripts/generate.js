// Generates src/gen/laneway_pb.js from proto/laneway.proto with Debian's protoc and the
// @bufbuild/protoc-gen-es plugin. Runs from `npm ci` (prepare) and before `npm test`
// (pretest), so a clean clone never needs a committed generated file. Skips the work when
// the output is newer than the schema and this script, which keeps repeated runs instant.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const sdkDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = resolve(sdkDir, '../../../proto');
const protoFile = join(protoDir, 'laneway.proto');
const outDir = join(sdkDir, 'src/gen');
const outFile = join(outDir, 'laneway_pb.js');
const plugin = join(sdkDir, 'node_modules/.bin/protoc-gen-es');

function mtime(path) {
  return statSync(path).mtimeMs;
}

function fail(message) {
  console.error(`generate: ${message}`);
  process.exit(1);
}

if (!existsSync(protoFile)) fail(`schema not found at ${protoFile}`);
if (!existsSync(plugin)) fail(`${plugin} missing: run 'npm ci' in ${sdkDir} first`);

const inputs = [protoFile, fileURLToPath(import.meta.url)];
if (existsSync(outFile) && inputs.every((p) => mtime(p) < mtime(outFile))) {
  process.exit(0);
}

mkdirSync(outDir, { recursive: true });
const args = [
  `--plugin=protoc-gen-es=${plugin}`,
  `--es_out=${outDir}`,
  // Plain JavaScript ES modules plus .d.ts for editors; bigint for 64-bit fields.
  '--es_opt=target=js+dts,import_extension=js',
  `-I${protoDir}`,
  protoFile,
];
const run = spawnSync('protoc', args, { stdio: 'inherit' });
if (run.error) fail(`cannot run protoc (install Debian's protobuf-compiler): ${run.error.message}`);
if (run.status !== 0) fail(`protoc exited with status ${run.status}`);
if (!existsSync(outFile)) fail(`protoc did not produce ${outFile}`);
console.log(`generate: wrote ${outFile}`);
