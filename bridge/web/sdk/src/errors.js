// Typed errors. Every laneway.v1.ErrorCode the bridge sends becomes an instance of one
// LanewayError subclass, so applications can branch with `instanceof` or on `.code` (the
// short name, e.g. 'RATE_LIMITED'). Client-side failures (lane down, closed client) have
// their own classes and codes that never come from the wire.

export class LanewayError extends Error {
  /**
   * @param {string} message
   * @param {{ code?: string, retryAfterMs?: number, cause?: unknown }} [options]
   */
  constructor(message, { code = 'UNSPECIFIED', retryAfterMs = 0, cause } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.retryAfterMs = retryAfterMs;
  }
}

function typed(code) {
  return class extends LanewayError {
    constructor(message, options = {}) {
      super(message, { ...options, code });
    }
  };
}

export class UnauthorizedError extends typed('UNAUTHORIZED') {}
export class ForbiddenError extends typed('FORBIDDEN') {}
export class BadRequestError extends typed('BAD_REQUEST') {}
export class TooLargeError extends typed('TOO_LARGE') {}
export class RateLimitedError extends typed('RATE_LIMITED') {}
export class UnavailableError extends typed('UNAVAILABLE') {}
export class SlowConsumerError extends typed('SLOW_CONSUMER') {}
export class TimeoutError extends typed('TIMEOUT') {}
export class TokenExpiredError extends typed('TOKEN_EXPIRED') {}

/** A lane could not be opened, or dropped; the client reconnects unless told to stop. */
export class ConnectionError extends typed('CONNECTION') {}
/** The requested lane is not offered by the bridge or not available in this runtime. */
export class LaneUnavailableError extends typed('LANE_UNAVAILABLE') {}
/** The client was closed (by `close()` or a fatal error) while the request was pending. */
export class ClosedError extends typed('CLOSED') {}

// Indexed by laneway.v1.ErrorCode numbers (proto/laneway.proto).
const BY_WIRE_CODE = [
  LanewayError,
  UnauthorizedError,
  ForbiddenError,
  BadRequestError,
  TooLargeError,
  RateLimitedError,
  UnavailableError,
  SlowConsumerError,
  TimeoutError,
  TokenExpiredError,
];

/** Turns a decoded laneway.v1.Error into the matching LanewayError subclass. */
export function errorFromWire(wireError) {
  const Type = BY_WIRE_CODE[wireError.code] ?? LanewayError;
  const message = wireError.message || `bridge error code ${wireError.code}`;
  const error = new Type(message, { retryAfterMs: wireError.retryAfterMs });
  if (Type === LanewayError && wireError.code !== 0) error.code = `CODE_${wireError.code}`;
  return error;
}
