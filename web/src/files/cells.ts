/**
 * How preview cells are shown. Framework-free.
 *
 * Rules:
 * - A missing value (null, or a column the row lacks) shows as an empty cell.
 * - Values longer than {@link LONG_CELL_CHARS} wrap inside a bounded column (`cell-long`); shorter
 *   ones stay on one line and the table scrolls sideways.
 * - A cell with field errors lists all of them, in the order the server gave them.
 */
import type { CleanRow, FieldError } from '../types.js';

const LONG_CELL_CHARS = 24;

export function cellText(value: CleanRow['values'][string] | undefined): string {
  return value === null || value === undefined ? '' : String(value);
}

export function cellClass(text: string, base?: string): string | undefined {
  const classes = [base, text.length > LONG_CELL_CHARS ? 'cell-long' : undefined].filter(Boolean);
  return classes.length > 0 ? classes.join(' ') : undefined;
}

/** Groups a row's field errors by column, so each failing cell can be marked. */
export function errorsByField(errors: readonly FieldError[]): Map<string, FieldError[]> {
  const byField = new Map<string, FieldError[]>();
  for (const error of errors) {
    const list = byField.get(error.field);
    if (list) list.push(error);
    else byField.set(error.field, [error]);
  }
  return byField;
}
