// The laneway.v1 Frame codec: generated @bufbuild/protobuf code does the encoding, this file
// only adds the size limit every laneway decoder enforces and a few constructors the session
// layer uses. Unknown fields are kept, so re-encoding a frame from a newer bridge loses nothing.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { CallFrameSchema, FrameSchema } from './gen/laneway_pb.js';
import { BadRequestError, TooLargeError } from './errors.js';

/** Largest frame accepted by default (docs/wire.md: 1 MiB). */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

/** Serializes one laneway.v1.Frame. */
export function encodeFrame(frame) {
  return toBinary(FrameSchema, frame);
}

/**
 * Parses one laneway.v1.Frame, refusing frames over `maxBytes` and frames with no kind set
 * (docs/wire.md: such a frame is malformed).
 */
export function decodeFrame(bytes, maxBytes = DEFAULT_MAX_FRAME_BYTES) {
  if (bytes.byteLength > maxBytes) {
    throw new TooLargeError(`frame of ${bytes.byteLength} bytes exceeds the ${maxBytes}-byte limit`);
  }
  let frame;
  try {
    frame = fromBinary(FrameSchema, bytes);
  } catch (err) {
    throw new BadRequestError(`malformed frame: ${err.message}`);
  }
  if (frame.kind.case === undefined) throw new BadRequestError('malformed frame: no kind set');
  return frame;
}

/** A Frame holding a CallFrame with `id` and body `{ case, value }` (value: message init). */
export function callFrame(id, bodyCase, bodyValue = {}) {
  const call = create(CallFrameSchema, { id, body: { case: bodyCase, value: bodyValue } });
  return create(FrameSchema, { kind: { case: 'call', value: call } });
}
