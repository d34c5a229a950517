/**
 * A bounded memo of cleaning results per distinct cell value (real files repeat addresses, dates
 * and phones). Rules: only strings up to MAX_KEY_CHARS and numbers are remembered (Date cells and
 * long texts are computed every time); when `capacity` entries are held the memo starts afresh,
 * which keeps memory bounded (capacity × MAX_KEY_CHARS characters per column at most) at the cost
 * of a few recomputations. Cleaners are pure, so results are identical with and without it.
 */
import type { CellValue } from '../domain/index.js';

const MAX_KEY_CHARS = 128;

export class ValueMemo<T> {
  static readonly DEFAULT_ENTRIES = 8192;
  private readonly entries = new Map<string | number, T>();

  constructor(private readonly capacity: number) {}

  get(cell: CellValue, compute: () => T): T {
    if (typeof cell !== 'number' && (typeof cell !== 'string' || cell.length > MAX_KEY_CHARS)) return compute();
    const known = this.entries.get(cell);
    if (known !== undefined) return known;
    const result = compute();
    if (this.entries.size >= this.capacity) this.entries.clear();
    this.entries.set(cell, result);
    return result;
  }
}
