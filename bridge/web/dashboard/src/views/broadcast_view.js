// Broadcast to a group (fleet/<group>/broadcast) or to every device (broadcast/all), with
// the number of devices that acknowledged it so far.
import { $, h } from './dom.js';

export class BroadcastView {
  #form = $('broadcast-form');
  #group = $('broadcast-group');
  #message = $('broadcast-message');
  #pending = false;
  #enabled = false;
  #send = $('broadcast-send');
  #status = $('broadcast-status');
  #groups = [];
  #chosen = false;

  /** onSend(group | '', messageText) → Promise<void>; rejects with a LanewayError. */
  constructor({ onSend }) {
    this.#form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const group = this.#group.value;
      this.#pending = true;
      this.#send.disabled = true;
      this.#status.dataset.outcome = 'pending';
      this.#status.textContent = 'Sending…';
      try {
        await onSend(group, this.#message.value);
      } catch (err) {
        this.#status.dataset.outcome = 'error';
        this.#status.textContent = `Not sent: ${err.message}`;
      } finally {
        this.#pending = false;
        this.#send.disabled = !this.#enabled;
      }
    });
    this.#group.addEventListener('change', () => {
      this.#chosen = true;
    });
    this.setGroups([]);
  }

  setGroups(groups) {
    if (groups.length === this.#groups.length && groups.every((g, i) => g === this.#groups[i])) return;
    const chosen = this.#group.value;
    this.#groups = [...groups];
    this.#group.replaceChildren(
      ...groups.map((g) => h('option', { value: g }, `group ${g}`)),
      h('option', { value: '' }, 'all devices'),
    );
    // Keep the operator's choice; before they chose, the first group is the likely target.
    if (this.#chosen && (groups.includes(chosen) || chosen === '')) this.#group.value = chosen;
    else this.#group.value = groups[0] ?? '';
  }

  /** Shows the latest broadcast's progress. */
  showProgress({ label, acked, online }) {
    this.#status.dataset.outcome = 'ok';
    this.#status.textContent = `Sent to ${label} · acknowledged by ${acked} of ${online} online`;
  }

  setEnabled(enabled) {
    this.#enabled = enabled;
    // A request in flight keeps the button disabled until it settles.
    this.#send.disabled = !enabled || this.#pending;
  }
}
