// When to refresh the session's JWT. The bridge closes a session whose token expires
// (TOKEN_EXPIRED), so the client asks getUserJwt for a new token ahead of `exp` and sends it
// in-band (RefreshRequest). The lead time is `leadMs`, but never more than half the remaining
// lifetime, so short-lived tokens are not refreshed in a tight loop; the delay is clamped to
// what setTimeout can hold.

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * @param {number} expiresAtS token expiry, seconds since the Unix epoch (0 = never)
 * @param {number} nowMs current time, milliseconds since the Unix epoch
 * @returns {number | null} delay in ms before refreshing, or null when there is nothing to do
 */
export function refreshDelayMs(expiresAtS, nowMs, { leadMs = 30_000 } = {}) {
  if (!expiresAtS) return null;
  const remaining = Number(expiresAtS) * 1000 - nowMs;
  if (remaining <= 0) return 0; // already expired: refresh at once, the bridge may still accept
  const delay = remaining - Math.min(leadMs, remaining / 2);
  return Math.min(Math.floor(delay), MAX_TIMER_MS);
}
