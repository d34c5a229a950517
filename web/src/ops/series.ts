/** Time series kept while the operations page is open, and their SVG geometry. Framework-free. */
import type { QueueStats } from '../types.js';

export interface Sample {
  /** Milliseconds since the epoch. */
  time: number;
  value: number;
}

/** Keeps one hour at the 5-second refresh. */
const MAX_SAMPLES = 720;

/** Appends a sample (non-finite values are dropped), keeping at most `max` of the newest. */
export function appendSample(series: readonly Sample[], sample: Sample, max = MAX_SAMPLES): Sample[] {
  if (!Number.isFinite(sample.value) || !Number.isFinite(sample.time)) return [...series];
  const next = [...series, sample];
  return next.length > max ? next.slice(next.length - max) : next;
}

/** The charted history of the queue statistics. */
export interface QueueHistory {
  rowsPerSecond: Sample[];
  errorRatePercent: Sample[];
}

export const EMPTY_HISTORY: QueueHistory = { rowsPerSecond: [], errorRatePercent: [] };

/** Adds one answer of the statistics endpoint, timed by the server's clock (the browser's if it sent none). */
export function recordStats(history: QueueHistory, stats: QueueStats, now = Date.now()): QueueHistory {
  const time = Date.parse(stats.timestamp) || now;
  return {
    rowsPerSecond: appendSample(history.rowsPerSecond, { time, value: stats.throughput.rowsPerSecond }),
    errorRatePercent: appendSample(history.errorRatePercent, { time, value: stats.errorRate * 100 }),
  };
}

interface SeriesSummary {
  last: number;
  min: number;
  max: number;
}

export function summarize(series: readonly Sample[]): SeriesSummary | null {
  if (series.length === 0) return null;
  let min = Infinity;
  let max = -Infinity;
  for (const { value } of series) {
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return { last: series[series.length - 1].value, min, max };
}

/** The y-axis top: a little above the maximum so the line does not touch the frame; 1 for a flat zero line. */
export function axisMax(series: readonly Sample[]): number {
  const summary = summarize(series);
  if (!summary || summary.max <= 0) return 1;
  return summary.max * 1.1;
}

/**
 * `points` attribute of an SVG polyline for a chart of `width`×`height` user units: time on x
 * (first sample at 0, last at width), value on y from 0 (bottom) to `top` (top edge).
 */
export function polylinePoints(series: readonly Sample[], width: number, height: number, top = axisMax(series)): string {
  if (series.length === 0) return '';
  const start = series[0].time;
  const span = series[series.length - 1].time - start;
  return series
    .map(({ time, value }) => {
      const x = span > 0 ? ((time - start) / span) * width : series.length === 1 ? width : 0;
      const y = valueToY(value, height, top);
      return `${round(x)},${round(y)}`;
    })
    .join(' ');
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** y coordinate (0 = top edge) of a value on an axis from 0 at the bottom to `top`. */
export function valueToY(value: number, height: number, top: number): number {
  return round(height - (Math.max(0, Math.min(value, top)) / top) * height);
}
