import type { CellValue } from '../domain/index.js';

const pad2 = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** A cell as text, the way a spreadsheet user would read it (dates as YYYY-MM-DD[ HH:mm:ss]). */
export function cellText(value: CellValue): string {
  if (value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (Number.isNaN(value.getTime())) return '';
  const date = `${value.getUTCFullYear()}-${pad2(value.getUTCMonth() + 1)}-${pad2(value.getUTCDate())}`;
  const h = value.getUTCHours(),
    m = value.getUTCMinutes(),
    s = value.getUTCSeconds();
  return h === 0 && m === 0 && s === 0 ? date : `${date} ${pad2(h)}:${pad2(m)}:${pad2(s)}`;
}
