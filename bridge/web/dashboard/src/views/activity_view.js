// The activity feed (newest first), rendered from ActivityLog.
import { formatClock } from '../format.js';
import { $, h } from './dom.js';

export class ActivityView {
  #list = $('activity');
  #shownId = 0;

  render(entries) {
    if (entries.length > 0 && entries[0].id === this.#shownId) return;
    this.#shownId = entries[0]?.id ?? 0;
    const items = entries.slice(0, 50).map((e) =>
      h('li', { class: `act ${e.kind}` }, h('time', {}, formatClock(e.atMs)), h('span', { class: 'act-text' }, e.text, e.detail ? h('span', { class: 'act-detail' }, e.detail) : null)),
    );
    if (items.length === 0) items.push(h('li', { class: 'act empty' }, 'Nothing yet: broadcasts, RPC replies and connection changes appear here.'));
    this.#list.replaceChildren(...items);
  }
}
