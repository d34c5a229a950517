import { describe, expect, it } from 'vitest';
import type { QueueStats } from '../types.js';
import { EMPTY_HISTORY, appendSample, axisMax, polylinePoints, recordStats, summarize, valueToY } from './series.js';

describe('series', () => {
  it('keeps the newest samples up to the limit and drops non-numbers', () => {
    let series = appendSample([], { time: 1, value: 1 }, 3);
    series = appendSample(series, { time: 2, value: Number.NaN }, 3);
    for (let time = 2; time <= 5; time += 1) series = appendSample(series, { time, value: time }, 3);
    expect(series.map((sample) => sample.time)).toEqual([3, 4, 5]);
  });

  it('summarizes and scales', () => {
    expect(summarize([])).toBeNull();
    expect(
      summarize([
        { time: 1, value: 4 },
        { time: 2, value: 2 },
        { time: 3, value: 3 },
      ]),
    ).toEqual({ last: 3, min: 2, max: 4 });
    expect(axisMax([])).toBe(1);
    expect(axisMax([{ time: 1, value: 0 }])).toBe(1);
    expect(axisMax([{ time: 1, value: 100 }])).toBeCloseTo(110);
  });

  it('maps time to x and value to y (0 at the bottom)', () => {
    const points = polylinePoints(
      [
        { time: 1000, value: 0 },
        { time: 2000, value: 5 },
        { time: 3000, value: 10 },
      ],
      300,
      100,
      10,
    );
    expect(points).toBe('0,100 150,50 300,0');
    expect(polylinePoints([], 300, 100)).toBe('');
    expect(valueToY(20, 100, 10)).toBe(0);
    expect(valueToY(-5, 100, 10)).toBe(100);
  });

  it('records each statistics answer at the server time (the browser time when it has none), the error rate in percent', () => {
    const stats = (timestamp: string, rowsPerSecond: number, errorRate: number): QueueStats => ({
      counts: { waiting: 0, active: 0, completed: 0, failed: 0, delayed: 0, paused: 0 },
      workers: 1,
      throughput: { jobsPerMinute: 0, rowsPerSecond },
      errorRate,
      recentFailures: [],
      timestamp,
    });
    let history = recordStats(EMPTY_HISTORY, stats('2026-11-27T10:00:00.000Z', 1500, 0.25));
    history = recordStats(history, stats('', 900, Number.NaN), 42);
    expect(history.rowsPerSecond).toEqual([
      { time: Date.parse('2026-11-27T10:00:00.000Z'), value: 1500 },
      { time: 42, value: 900 },
    ]);
    expect(history.errorRatePercent).toEqual([{ time: Date.parse('2026-11-27T10:00:00.000Z'), value: 25 }]);
    expect(EMPTY_HISTORY).toEqual({ rowsPerSecond: [], errorRatePercent: [] });
  });
});
