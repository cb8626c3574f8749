/**
 * Window arithmetic on integer indices. Pane `i` covers `[i * pane, (i + 1) * pane)` and window
 * `k` covers `[k * slide, k * slide + length)`. Because `pane = gcd(length, slide)`, every window
 * is exactly `panesPerWindow` whole panes starting at pane `k * panesPerSlide`, so all the
 * "which windows hold this time" questions become integer divisions.
 */
import { type WindowSettings } from './types.ts';

/** The validated settings plus the pane layout they imply. */
export interface WindowGeometry extends WindowSettings {
  /** gcd(length, slide) in ms. */
  pane: number;
  panesPerSlide: number;
  panesPerWindow: number;
}

function greatestCommonDivisor(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return a;
}

function requireInteger(name: string, value: number, minimum: number): void {
  if (!Number.isSafeInteger(value) || value < minimum) {
    const expected = minimum > 0 ? 'a positive integer' : 'a non-negative integer';
    throw new RangeError(`window settings: ${name} must be ${expected} number of ms, got ${String(value)}`);
  }
}

/** Checks the settings and derives the pane layout; throws RangeError saying what is wrong. */
export function windowGeometry(settings: WindowSettings): WindowGeometry {
  const { length, slide, allowedLateness, idleTimeout, threshold } = settings;
  requireInteger('length', length, 1);
  requireInteger('slide', slide, 1);
  requireInteger('allowedLateness', allowedLateness, 0);
  requireInteger('idleTimeout', idleTimeout, 1);
  if (slide > length) {
    throw new RangeError(`window settings: slide must not be longer than length (${length} ms), got ${slide} ms`);
  }
  if (!Number.isFinite(threshold)) {
    throw new RangeError(`window settings: threshold must be a finite number, got ${String(threshold)}`);
  }
  const pane = greatestCommonDivisor(length, slide);
  return {
    length, slide, allowedLateness, idleTimeout, threshold,
    pane,
    panesPerSlide: slide / pane,
    panesPerWindow: length / pane,
  };
}

/** The pane holding event time `t`. */
export function paneOf(g: WindowGeometry, t: number): number {
  return Math.floor(t / g.pane);
}

/** The last (latest-ending) window that holds pane `i`. */
export function lastWindowOfPane(g: WindowGeometry, i: number): number {
  return Math.floor(i / g.panesPerSlide);
}

/** The first (earliest-ending) window that holds pane `i`. */
export function firstWindowOfPane(g: WindowGeometry, i: number): number {
  return Math.floor((i - g.panesPerWindow) / g.panesPerSlide) + 1;
}

export function windowStart(g: WindowGeometry, k: number): number {
  return k * g.slide;
}

export function windowEnd(g: WindowGeometry, k: number): number {
  return k * g.slide + g.length;
}

/** The last window whose end is `<= time` (-Infinity for -Infinity). */
export function lastWindowEndingBy(g: WindowGeometry, time: number): number {
  return Math.floor((time - g.length) / g.slide);
}

/** The first pane of window `k`; the window holds panes `[first, first + panesPerWindow)`. */
export function firstPaneOfWindow(g: WindowGeometry, k: number): number {
  return k * g.panesPerSlide;
}
