// The live telemetry chart of the selected device (uPlot: small, fast, canvas-based, made
// for streaming time series). Redraws at most once per animation frame.
import uPlot from 'uplot';

const HEIGHT = 260;

export class TelemetryChart {
  #el;
  #plot = null;
  #label = '';
  #pending = null;
  #raf = 0;
  #resize;

  constructor(el) {
    this.#el = el;
    this.#resize = new ResizeObserver(() => this.#plot?.setSize({ width: this.#width(), height: HEIGHT }));
    this.#resize.observe(el);
  }

  #width() {
    return Math.max(240, this.#el.clientWidth);
  }

  /** Shows `columns` ([times s, values]) for a metric; recreates the plot when the metric changes. */
  show(label, columns) {
    if (!this.#plot || label !== this.#label) {
      this.#plot?.destroy();
      this.#label = label;
      this.#plot = new uPlot(this.#options(label), columns, this.#el);
      return;
    }
    // Coalesce bursts of telemetry into one redraw.
    this.#pending = columns;
    if (!this.#raf) {
      this.#raf = requestAnimationFrame(() => {
        this.#raf = 0;
        if (this.#pending) this.#plot?.setData(this.#pending);
        this.#pending = null;
      });
    }
  }

  clear() {
    this.#plot?.destroy();
    this.#plot = null;
    this.#label = '';
  }

  #options(label) {
    return {
      width: this.#width(),
      height: HEIGHT,
      legend: { show: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        { stroke: '#64748b', grid: { stroke: '#eef2f7' }, ticks: { stroke: '#e2e8f0' } },
        { stroke: '#64748b', grid: { stroke: '#eef2f7' }, ticks: { stroke: '#e2e8f0' }, size: 56, label },
      ],
      series: [{}, { label, stroke: '#2563eb', width: 2, fill: 'rgba(37, 99, 235, 0.08)', points: { show: false } }],
    };
  }
}
