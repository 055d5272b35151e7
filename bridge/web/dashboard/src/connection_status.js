// Turns the SDK's state and last error into what the operator should read: one headline,
// a detail line, and whether the sign-in card should be shown. Pure, so it is unit-tested.
import { laneName } from './format.js';

const AUTH_CODES = new Set(['UNAUTHORIZED', 'TOKEN_EXPIRED']);

/**
 * state: the SDK client's state ('connecting' | 'connected' | 'reconnecting' | 'closed').
 * error: the last LanewayError seen (or null), cleared on every successful connect.
 * Returns { tone: 'ok' | 'busy' | 'warn' | 'error', title, detail, signIn }.
 */
export function describeConnection({ state, lane, error, transport, hasToken }) {
  if (!hasToken) {
    return { tone: 'error', title: 'Sign in required', detail: 'This dashboard needs an access token for the bridge.', signIn: true };
  }
  const code = error?.code ?? null;
  if (state === 'connected') {
    return { tone: 'ok', title: `Connected · ${laneName(lane)}`, detail: '', signIn: false };
  }
  if (code && AUTH_CODES.has(code)) {
    const expired = code === 'TOKEN_EXPIRED' || /expired/i.test(error.message ?? '');
    return {
      tone: 'error',
      title: expired ? 'Access token expired' : 'Access token rejected',
      detail: `The bridge refused the token: ${error.message}. Sign in again with a new token.`,
      signIn: state === 'closed',
    };
  }
  if (state === 'closed') {
    if (code === 'LANE_UNAVAILABLE') {
      return { tone: 'error', title: `${laneName(transport)} is not available in this browser`, detail: 'Choose another lane or Auto.', signIn: false };
    }
    if (code === 'FORBIDDEN') {
      return { tone: 'error', title: 'Not allowed', detail: `The bridge refused a subscription: ${error.message}`, signIn: false };
    }
    return { tone: 'error', title: 'Disconnected', detail: error ? error.message : 'The connection was closed.', signIn: false };
  }
  if (code === 'CONNECTION' || code === 'TIMEOUT' || code === 'UNAVAILABLE') {
    return { tone: 'warn', title: 'Bridge unreachable', detail: `${error.message} — retrying with backoff.`, signIn: false };
  }
  if (state === 'reconnecting') return { tone: 'busy', title: 'Reconnecting…', detail: error ? error.message : '', signIn: false };
  return { tone: 'busy', title: 'Connecting…', detail: '', signIn: false };
}
