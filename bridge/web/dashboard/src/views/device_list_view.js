// The device list: online state, groups, last value and how fresh it is. Re-rendered from
// the model at most a few times a second (main.js throttles).
import { formatAge, formatValue } from '../format.js';
import { $, h, show } from './dom.js';

// Rows rebuilt per render (once a second and on updates); a fleet larger than this is
// narrowed with the filter box instead of rendering thousands of rows.
const MAX_ROWS = 300;

export class DeviceListView {
  #list = $('device-list');
  #empty = $('device-empty');
  #counts = $('device-counts');
  #search = $('device-search');
  #onSelect;

  constructor({ onSelect, onQuery }) {
    this.#onSelect = onSelect;
    this.#search.addEventListener('input', () => onQuery(this.#search.value));
  }

  get query() {
    return this.#search.value;
  }

  render({ devices, counts, selectedId, nowMs, connected, overflow }) {
    this.#counts.textContent = counts.total ? `${counts.online} of ${counts.total} online` : '';
    const rows = devices.slice(0, MAX_ROWS).map((d) => this.#row(d, d.id === selectedId, nowMs));
    this.#list.replaceChildren(...rows);
    let empty = '';
    if (devices.length === 0) {
      if (!connected) empty = 'Waiting for the bridge…';
      else if (counts.total > 0) empty = 'No device matches this filter.';
      else empty = 'No devices online. Start a fleet, e.g. laneway-fleet simulate --devices 20 --group demo.';
    } else if (counts.online === 0) {
      empty = 'No devices online right now.';
    }
    if (devices.length > MAX_ROWS) empty = `Showing ${MAX_ROWS} of ${devices.length}; filter to find others.`;
    if (overflow > 0) empty = `${empty} ${overflow} more devices are not listed (list limit reached).`.trim();
    this.#empty.textContent = empty;
    show(this.#empty, empty !== '');
  }

  #row(d, selected, nowMs) {
    const value = d.metric ? `${formatValue(d.metric.value)}` : '';
    const seen = d.lastSeenMs ? formatAge(nowMs - d.lastSeenMs) : d.online ? 'online' : 'offline';
    return h(
      'li',
      {},
      h(
        'button',
        {
          class: `device${selected ? ' selected' : ''}`,
          type: 'button',
          dataset: { deviceId: d.id, online: String(d.online) },
          'aria-pressed': String(selected),
          onclick: () => this.#onSelect(d.id),
        },
        h('span', { class: `dot ${d.online ? 'on' : 'off'}`, title: d.online ? 'online' : 'offline' }),
        h('span', { class: 'device-main' }, h('span', { class: 'device-id' }, d.id), h('span', { class: 'device-groups' }, d.groups.join(', '))),
        h('span', { class: 'device-side' }, h('span', { class: 'device-value' }, value), h('span', { class: 'device-seen' }, seen)),
      ),
    );
  }
}
