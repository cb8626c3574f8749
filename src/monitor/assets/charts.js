/**
 * Time-series charts on uPlot, sized to their container. A chart whose lines change (a new
 * partition, other leading customers) is rebuilt: uPlot series are fixed at creation, and a
 * rebuild of a few hundred points costs less than a frame. Browser module.
 */
import uPlot from 'uplot';
import { formatClock, formatCompact } from './format.js';

/** A palette that stays readable on white, for up to 10 lines. */
export const palette = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#475569', '#b45309'];

/**
 * @typedef {object} LineSpec
 * @property {string} label
 * @property {string} [color]
 * @property {'y' | 'y2'} [scale] `y2` plots against a second axis on the right
 * @property {boolean} [points] dots instead of a line, for sparse events
 * @property {boolean} [dashed] for a line that often lies on top of another
 */

/**
 * @typedef {object} ChartSpec
 * @property {string} unit label of the left axis
 * @property {string} [unit2] label of the right axis, when a line uses `y2`
 * @property {number} [height]
 */

/** Tick spacing in whole seconds: the data has one point a second, or one per window slide. */
const secondSteps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1_800, 3_600, 7_200, 21_600, 43_200, 86_400];

/** @type {uPlot.Axis} Time of day in UTC, like every clock on the page (windows are aligned to UTC). */
const timeAxis = {
  space: 70,
  incrs: secondSteps,
  values: (_plot, splits) => splits.map((seconds) => formatClock(seconds * 1_000)),
};

/** @type {uPlot.Axis.Values} */
const compactValues = (_plot, splits) => splits.map((value) => formatCompact(value));

/** One chart in a container; `update()` sets its data, rebuilding it when the lines change. */
export class TimeChart {
  /** @type {uPlot | null} */
  #plot = null;
  /** @type {string} */
  #lineKey = '';

  /**
   * @param {HTMLElement} container
   * @param {ChartSpec} spec
   */
  constructor(container, spec) {
    this.container = container;
    this.spec = spec;
    new ResizeObserver(() => this.#plot?.setSize(this.#size())).observe(container);
  }

  /**
   * @param {LineSpec[]} lines
   * @param {number[]} xs epoch ms
   * @param {Array<Array<number | null>>} ys one list per line, as long as xs
   */
  update(lines, xs, ys) {
    const key = JSON.stringify(lines);
    if (key !== this.#lineKey) {
      this.#plot?.destroy();
      this.#plot = new uPlot(this.#options(lines), [[]], this.container);
      this.#lineKey = key;
    }
    this.#plot?.setData([xs.map((x) => x / 1000), ...ys]);
    // The browser test reads this to see the chart receive points.
    this.container.dataset['points'] = String(xs.length);
  }

  /** @returns {{ width: number, height: number }} */
  #size() {
    return { width: Math.max(200, this.container.clientWidth), height: this.spec.height ?? 170 };
  }

  /**
   * @param {LineSpec[]} lines
   * @returns {uPlot.Options}
   */
  #options(lines) {
    const hasSecondAxis = lines.some((line) => line.scale === 'y2');
    /** @type {uPlot.Axis[]} */
    const axes = [timeAxis, { label: this.spec.unit, size: 60, values: compactValues }];
    if (hasSecondAxis) axes.push({ scale: 'y2', side: 1, label: this.spec.unit2 ?? '', size: 60, values: compactValues, grid: { show: false } });
    return {
      ...this.#size(),
      // Room on the right, so the last time label is not clipped.
      padding: [8, 36, 0, 0],
      cursor: { drag: { x: false, y: false } },
      // Names only: live values under the chart would repeat the cards and wrap the legend.
      legend: { live: false },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] }, y2: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes,
      series: [
        {},
        ...lines.map((line, index) => {
          const color = line.color ?? palette[index % palette.length] ?? '#000';
          /** @type {uPlot.Series} */
          const series = { label: line.label, stroke: color, width: 1.5, scale: line.scale ?? 'y', spanGaps: false };
          if (line.dashed) series.dash = [6, 4];
          if (line.points) Object.assign(series, { paths: () => null, points: { show: true, size: 5, fill: color } });
          return series;
        }),
      ],
    };
  }
}
