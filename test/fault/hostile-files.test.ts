import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAppError } from '../../src/errors.js';
import { openTable } from '../../src/parsing/index.js';
import type { RawRow, TableDetails } from '../../src/parsing/types.js';
import { writeHostileCorpus, type HostileCase } from '../support/hostile-files.js';

// Readers must not leave temp files: give this process a private TMPDIR whose listing is compared
// (the shared /tmp also holds other processes' files).
const base = mkdtempSync(join(tmpdir(), 'hostile-corpus-'));
const privateTmp = join(base, 'tmp');
mkdirSync(privateTmp);
process.env.TMPDIR = privateTmp;
const cases = await writeHostileCorpus(join(base, 'corpus'));

const CASE_TIMEOUT_MS = 30_000;

interface Outcome {
  details?: TableDetails;
  sheets: { name: string; headers: string[] }[];
  rows: RawRow[];
  error?: unknown;
}

async function readCase(hostile: HostileCase): Promise<Outcome> {
  const outcome: Outcome = { sheets: [], rows: [] };
  try {
    const reader = await openTable(hostile.file, { originalName: hostile.originalName });
    outcome.details = reader.details;
    for await (const event of reader) {
      if (event.kind === 'sheet') outcome.sheets.push(event.sheet);
      else outcome.rows.push(...event.rows);
    }
  } catch (err) {
    outcome.error = err;
  }
  return outcome;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms (hang)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const openFds = (): number => readdirSync('/proc/self/fd').length;
const tmpListing = (): string[] => readdirSync(privateTmp).sort();

/** Extra checks for cases whose content matters beyond "it was read". */
const contentChecks: Record<string, (outcome: Outcome) => void> = {
  'date1904.xlsx': ({ details, rows }) => {
    expect(details?.date1904).toBe(true);
    expect((rows[0].cells[1] as Date).toISOString()).toBe('1904-01-01T00:00:00.000Z');
    expect((rows[1].cells[1] as Date).toISOString()).toBe('1990-05-15T00:00:00.000Z');
  },
  'formulas.xlsx': ({ rows }) => {
    expect(rows[0].cells).toEqual([1, 2, 3, 'x1', '#DIV/0!', "'=SUM(A2:B2)", 2]); // an uncalculated formula: neutralized text
    expect(rows[1]).toEqual({ rowNumber: 3, cells: [5, null, null, null, null, null, 10] });
  },
  'xls-renamed.csv': ({ details, rows }) => {
    expect(details?.format).toBe('xls');
    expect(rows[0].cells).toEqual(['张三', 13812345678]);
  },
  'gbk.csv': ({ details, sheets, rows }) => {
    expect(details?.encoding).toBe('gb18030');
    expect(sheets[0].headers).toEqual(['姓名', '手机号', '出生日期', '地址']);
    expect(rows[1].cells[3]).toBe('广东省深圳市南山区');
  },
  'utf16le-no-bom.csv': ({ sheets }) => expect(sheets[0].headers[0]).toBe('姓名'),
  'cr-only.csv': ({ rows }) => expect(rows.map((r) => r.rowNumber)).toEqual([2, 3]),
  'prefixed-namespace.xlsx': ({ rows }) => expect(rows[0].cells).toEqual(['张三']),
  'nul-in-two-cells.csv': ({ details, rows }) => {
    expect(details?.removedNulBytes).toBe(2);
    expect(rows.map((r) => r.cells[0])).toEqual(['张三', '李四']);
  },
  'invalid-utf8-short.csv': ({ details, rows }) => {
    expect(details?.encoding).toBe('utf-8');
    expect(rows.map((r) => r.invalidEncoding === true)).toEqual([false, true, false]);
    expect(rows[1].cells[0]).toBe('王\ufffd\ufffd');
  },
  'quotes-everywhere.csv': ({ rows }) => expect(rows[0].cells).toEqual(['a"b', 'c"d', 'e\r\nf', '']),
};

describe('hostile-file corpus (SPEC §6)', () => {
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('has at least 30 cases, each with a distinct file', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(new Set(cases.map((c) => c.file)).size).toBe(cases.length);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s: a result or the expected AppError, nothing leaked', async (_name, hostile) => {
    await readCase(cases[cases.length - 1]); // warm-up: lazily loaded modules must not count as leaked descriptors
    const fdsBefore = openFds();
    const tmpBefore = tmpListing();
    const outcome = await withTimeout(readCase(hostile), CASE_TIMEOUT_MS, hostile.name);
    await new Promise((resolve) => setImmediate(resolve));

    if (hostile.expect === 'ok') {
      expect(outcome.error, `${hostile.note}: ${String(outcome.error)}`).toBeUndefined();
      expect(outcome.sheets.length).toBeGreaterThan(0);
      if (hostile.format) expect(outcome.details?.format).toBe(hostile.format);
      if (hostile.dataRows !== undefined) expect(outcome.rows.length).toBe(hostile.dataRows);
    } else {
      expect(isAppError(outcome.error), `${hostile.note}: expected AppError ${hostile.expect}, got ${String(outcome.error)}`).toBe(true);
      expect((outcome.error as { code: string }).code, hostile.note).toBe(hostile.expect);
      expect((outcome.error as Error).message).toMatch(/[\u4e00-\u9fff]/); // explained in Chinese
    }
    contentChecks[hostile.name]?.(outcome);
    expect(openFds(), 'open file descriptors after the case').toBe(fdsBefore);
    expect(tmpListing(), 'temp files after the case').toEqual(tmpBefore);
  });
});
