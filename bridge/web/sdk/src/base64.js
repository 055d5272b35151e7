// Standard padded base64 (RFC 4648 §4), the text of an SSE `data:` line carrying one Frame.
// Decoding is strict: anything but the standard alphabet with correct padding is refused, so
// a corrupted event is reported instead of silently becoming different bytes.
import { BadRequestError } from './errors.js';

const STRICT = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const CHUNK = 0x8000; // keeps String.fromCharCode's argument list small

export function encodeBase64(bytes) {
  let binary = '';
  for (let i = 0; i < bytes.byteLength; i += CHUNK) {
    binary += String.fromCharCode.apply(null, bytes.subarray(i, i + CHUNK));
  }
  return btoa(binary);
}

export function decodeBase64(text) {
  if (text.length % 4 !== 0 || !STRICT.test(text)) {
    throw new BadRequestError('invalid base64 in SSE data');
  }
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
