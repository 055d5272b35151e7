// The selected device: status, groups, uptime, the live chart of its main metric and the
// latest telemetry fields.
import { formatAge, formatDuration, formatValue } from '../format.js';
import { $, h, show } from './dom.js';
import { TelemetryChart } from './telemetry_chart.js';

export class DeviceDetailView {
  #empty = $('detail-empty');
  #detail = $('detail');
  #title = $('detail-title');
  #sub = $('detail-sub');
  #status = $('detail-status');
  #chartLabel = $('chart-label');
  #chartLatest = $('chart-latest');
  #chartEmpty = $('chart-empty');
  #fields = $('fields');
  #chartEl = $('chart');
  #chart = new TelemetryChart(this.#chartEl);
  #shownId = null;

  render(device, nowMs) {
    show(this.#empty, !device);
    show(this.#detail, Boolean(device));
    if (!device) {
      this.#chart.clear();
      this.#shownId = null;
      return;
    }
    if (device.id !== this.#shownId) {
      this.#chart.clear();
      this.#shownId = device.id;
    }
    this.#detail.dataset.deviceId = device.id;
    this.#title.textContent = device.id;
    const groups = device.groups.length ? `groups ${device.groups.join(', ')}` : 'no groups';
    const since = device.sinceMs ? `${device.online ? 'online since' : 'offline since'} ${new Date(device.sinceMs).toLocaleTimeString()}` : '';
    const seen = device.lastSeenMs ? `last message ${formatAge(nowMs - device.lastSeenMs)}` : 'no message yet';
    this.#sub.textContent = [groups, since, seen].filter(Boolean).join(' · ');
    this.#status.textContent = device.online ? 'Online' : 'Offline';
    this.#status.className = `badge ${device.online ? 'on' : 'off'}`;

    const hasPoints = device.series.length > 0;
    this.#chartEl.dataset.points = String(device.series.length);
    show(this.#chartEmpty, !hasPoints);
    this.#chartLabel.textContent = device.metric ? device.metric.name : '';
    this.#chartLatest.textContent = device.metric ? formatValue(device.metric.value) : '';
    if (hasPoints) this.#chart.show(device.metric.name, device.series.columns());

    const rows = Object.entries(device.fields ?? {}).map(([name, value]) =>
      h('tr', {}, h('th', {}, name), h('td', {}, name === 'uptime_s' ? formatDuration(value) : formatValue(value))),
    );
    if (device.position) rows.push(h('tr', {}, h('th', {}, 'stream position'), h('td', {}, `epoch ${device.position.epoch} · seq ${device.position.seq}`)));
    this.#fields.replaceChildren(...rows);
  }
}
