// Locates the golden vectors in tests/vectors/ (shared with the C++ codec's tests).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const VECTORS_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../../../../tests/vectors');

/** Names (without extension) of every single-frame vector, i.e. every *.bin but stream.bin. */
export function frameVectorNames() {
  return readdirSync(VECTORS_DIR)
    .filter((f) => f.endsWith('.bin') && f !== 'stream.bin')
    .map((f) => f.slice(0, -4))
    .sort();
}

export function readVector(file) {
  return new Uint8Array(readFileSync(join(VECTORS_DIR, file)));
}

export function readVectorText(file) {
  return readFileSync(join(VECTORS_DIR, file), 'utf8');
}
