// RPC to the selected device: method + payload → the device's reply (or a typed error)
// with the round-trip time the operator waited.
import { formatMs } from '../format.js';
import { $, show } from './dom.js';

export class RpcView {
  #form = $('rpc-form');
  #method = $('rpc-method');
  #payload = $('rpc-payload');
  #pending = false;
  #enabled = false;
  #send = $('rpc-send');
  #result = $('rpc-result');
  #status = $('rpc-status');
  #latency = $('rpc-latency');
  #reply = $('rpc-reply');

  /** onCall(method, payloadText) → Promise<{ text, ms }>; rejects with a LanewayError. */
  constructor({ onCall }) {
    this.#form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const method = this.#method.value;
      this.#pending = true;
      this.#send.disabled = true;
      this.#showResult('pending', `Calling ${method}…`, '', '');
      try {
        const { text, ms } = await onCall(method, this.#payload.value);
        this.#showResult('ok', `Reply to ${method}`, formatMs(ms), prettyJson(text));
      } catch (err) {
        this.#showResult('error', `${method} failed: ${err.code ?? 'ERROR'}`, '', err.message);
      } finally {
        this.#pending = false;
        this.#send.disabled = !this.#enabled;
      }
    });
  }

  /** Clears the last result (another device was selected). */
  reset() {
    show(this.#result, false);
  }

  setEnabled(enabled) {
    this.#enabled = enabled;
    // A request in flight keeps the button disabled until it settles.
    this.#send.disabled = !enabled || this.#pending;
  }

  #showResult(outcome, status, latency, body) {
    show(this.#result, true);
    this.#result.dataset.outcome = outcome;
    this.#status.textContent = status;
    this.#latency.textContent = latency;
    this.#reply.textContent = body;
  }
}

function prettyJson(text) {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}
