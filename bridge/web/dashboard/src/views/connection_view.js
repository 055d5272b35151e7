// Everything about the link to the bridge: the status pill (state, lane, RTT), the lane
// picker, the signed-in identity, the banner for error states, the sign-in card and the
// connection facts card.
import { describeConnection } from '../connection_status.js';
import { formatMs, laneName } from '../format.js';
import { $, h, show } from './dom.js';

export class ConnectionView {
  #pill = $('connection');
  #title = $('conn-title');
  #rtt = $('conn-rtt');
  #laneSelect = $('lane-select');
  #identity = $('identity');
  #banner = $('banner');
  #bannerTitle = $('banner-title');
  #bannerDetail = $('banner-detail');
  #signIn = $('sign-in');
  #signInForm = $('sign-in-form');
  #tokenInput = $('token-input');
  #signInError = $('sign-in-error');
  #app = $('app');
  #facts = $('conn-facts');

  /** onLane(transport): the operator picked a lane; onToken(token): a pasted token. */
  constructor({ transport, onLane, onToken }) {
    this.#laneSelect.value = transport;
    this.#laneSelect.addEventListener('change', () => onLane(this.#laneSelect.value));
    this.#signInForm.addEventListener('submit', (event) => {
      event.preventDefault();
      try {
        onToken(this.#tokenInput.value.trim());
        this.#signInError.textContent = '';
        this.#tokenInput.value = '';
      } catch (err) {
        this.#signInError.textContent = err.message;
      }
    });
  }

  render({ state, lane, error, transport, hasToken, rtt, claims, facts }) {
    const status = describeConnection({ state, lane, error, transport, hasToken });
    this.#pill.dataset.state = state ?? 'idle';
    this.#pill.dataset.lane = lane ?? '';
    this.#pill.dataset.tone = status.tone;
    this.#title.textContent = status.tone === 'ok' ? `Connected · ${laneName(lane)}` : status.title;
    this.#rtt.textContent = state === 'connected' && rtt !== null ? formatMs(rtt) : '';
    const bannerShown = status.tone === 'error' || status.tone === 'warn';
    show(this.#banner, bannerShown);
    this.#banner.dataset.tone = status.tone;
    this.#bannerTitle.textContent = status.title;
    this.#bannerDetail.textContent = status.detail;
    show(this.#signIn, status.signIn);
    show(this.#app, !status.signIn);
    this.#identity.textContent = claims?.sub ? `${claims.sub}${expiry(claims.exp)}` : '';
    this.#facts.replaceChildren(
      ...facts.flatMap(([name, value]) => [h('dt', {}, name), h('dd', {}, value)]),
    );
  }
}

function expiry(exp) {
  if (!Number.isFinite(exp)) return '';
  const minutes = Math.round((exp * 1000 - Date.now()) / 60000);
  return minutes > 0 ? ` · token ${minutes < 120 ? `${minutes} min` : `${Math.round(minutes / 60)} h`} left` : ' · token expired';
}
