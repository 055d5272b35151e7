// Where the dashboard's JWT comes from. The bundle holds no secret: a token is handed to
// the page, and the page only reads its claims for display (the bridge verifies it).
//  1. A deployment may name a token endpoint (<meta name="laneway-token-url">, e.g. its
//     login service): fetched with the user's cookies for every connect and refresh.
//  2. Development: scripts/start.sh mints a short-lived token and prints a link
//     `https://host:port/#token=<jwt>`. The fragment never reaches a server or a log; the
//     page moves it to sessionStorage (this tab only) and removes it from the address bar.
//  3. The sign-in card lets an operator paste a token.
const STORAGE_KEY = 'laneway.dashboard.token';
const MAX_TOKEN_BYTES = 8192;

/** The `token` parameter of a URL fragment (`#token=…&…`), or null. */
export function tokenFromFragment(hash) {
  if (!hash || hash.length < 2) return null;
  const params = new URLSearchParams(hash.slice(1));
  const token = params.get('token');
  return token && looksLikeJwt(token) ? token : null;
}

/** Compact JWS shape: three base64url parts, bounded size. */
export function looksLikeJwt(token) {
  return typeof token === 'string' && token.length <= MAX_TOKEN_BYTES && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);
}

/** Unverified claims for display (`sub`, `exp`, `app`), or null when unreadable. */
export function readClaims(token) {
  if (!looksLikeJwt(token)) return null;
  try {
    const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    const json = atob(part + '='.repeat((4 - (part.length % 4)) % 4));
    const claims = JSON.parse(json);
    return claims && typeof claims === 'object' ? claims : null;
  } catch {
    return null;
  }
}

export class TokenSource {
  #storage;
  #fetch;
  #tokenUrl;
  #token = null;

  constructor({ storage, fetch, tokenUrl = '' } = {}) {
    this.#storage = storage;
    this.#fetch = fetch;
    this.#tokenUrl = tokenUrl;
    this.#token = storage?.getItem(STORAGE_KEY) ?? null;
    if (this.#token && !looksLikeJwt(this.#token)) this.clear();
  }

  /** Takes a token from the page's URL fragment, if any; returns the cleaned fragment. */
  adoptFragment(hash) {
    const token = tokenFromFragment(hash);
    if (token) this.set(token);
    if (!hash) return '';
    const params = new URLSearchParams(hash.slice(1));
    params.delete('token');
    const rest = params.toString();
    return rest ? `#${rest}` : '';
  }

  /** True when a token can be obtained without asking the user. */
  get available() {
    return Boolean(this.#tokenUrl) || this.#token !== null;
  }

  set(token) {
    if (!looksLikeJwt(token)) throw new TypeError('that is not a JWT (three base64url parts)');
    this.#token = token;
    this.#storage?.setItem(STORAGE_KEY, token);
  }

  clear() {
    this.#token = null;
    this.#storage?.removeItem(STORAGE_KEY);
  }

  /** Claims of the current token, for display. */
  claims() {
    return this.#token ? readClaims(this.#token) : null;
  }

  /** The SDK's getUserJwt: a fresh token from the endpoint, else the stored one. */
  async get() {
    if (this.#tokenUrl) {
      const response = await this.#fetch(this.#tokenUrl, { credentials: 'include', cache: 'no-store' });
      if (!response.ok) throw new Error(`token endpoint answered ${response.status}`);
      const token = (await response.text()).trim();
      this.set(token);
      return token;
    }
    if (!this.#token) throw new Error('no access token');
    return this.#token;
  }
}
