/**
 * Micro-benchmark of the field cleaners: nanoseconds per call (and calls per second) on typical
 * inputs, then the RowCleaner on an address column of realistic repetition with the per-value
 * memo on and off.
 *
 *   npm run build && node dist/bench/cleaners.js [iterationsPerCase] [rows]
 *
 * Each case cycles through its inputs; results are folded into a checksum so the calls cannot be
 * optimized away. Numbers are wall-clock on a shared machine: take the median of several runs.
 */
import os from 'node:os';
import { buildSheetLayout } from '../src/cleaning/columns.js';
import { cleanCreditCode } from '../src/cleaning/credit-code.js';
import { cleanDate } from '../src/cleaning/date.js';
import { allCounties } from '../src/cleaning/divisions.js';
import { cleanEmail, emailDomainMemo } from '../src/cleaning/email.js';
import { cleanIdCard } from '../src/cleaning/id-card.js';
import { cleanNumber } from '../src/cleaning/number.js';
import { cleanPhone } from '../src/cleaning/phone.js';
import type { CleanResult } from '../src/cleaning/types.js';
import { RowCleaner } from '../src/cleaning/row.js';
import { ValueMemo } from '../src/cleaning/value-memo.js';
import type { CellValue } from '../src/domain/index.js';

interface BenchCase {
  name: string;
  clean: (value: CellValue) => CleanResult<string>;
  inputs: CellValue[];
}

const EMAIL_DOMAINS = emailDomainMemo();
const cleanDate1904 = (value: CellValue) => cleanDate(value, { date1904: true });
const cleanIdCardNumber = (value: CellValue): CleanResult<string> => {
  const result = cleanIdCard(value);
  return result.ok ? { ok: true, value: result.value.number } : result;
};

const CASES: BenchCase[] = [
  { name: 'phone  mobile "13812345678"', clean: cleanPhone, inputs: ['13812345678'] },
  { name: 'phone  "138-1234-5678"', clean: cleanPhone, inputs: ['138-1234-5678'] },
  { name: 'phone  "+86 138 1234 5678"', clean: cleanPhone, inputs: ['+86 138 1234 5678'] },
  { name: 'phone  "010-12345678"', clean: cleanPhone, inputs: ['010-12345678'] },
  { name: 'phone  full-width', clean: cleanPhone, inputs: ['１３８１２３４５６７８'] },
  { name: 'phone  number 13812345678', clean: cleanPhone, inputs: [13812345678] },
  { name: 'phone  invalid "12812345678"', clean: cleanPhone, inputs: ['12812345678'] },
  {
    name: 'phone  typical mix (8 inputs)',
    clean: cleanPhone,
    inputs: ['13812345678', '139 1234 5678', '+86 138-1234-5678', '010-12345678', '(0571)87654321', '8613812345678', 15912345678, '12812345678'],
  },
  { name: 'date   "2024-01-15"', clean: cleanDate, inputs: ['2024-01-15'] },
  { name: 'date   "2024/1/5"', clean: cleanDate, inputs: ['2024/1/5'] },
  { name: 'date   "2024年1月15日"', clean: cleanDate, inputs: ['2024年1月15日'] },
  { name: 'date   "01/15/2024"', clean: cleanDate, inputs: ['01/15/2024'] },
  { name: 'date   "2024-01-15 10:30:00"', clean: cleanDate, inputs: ['2024-01-15 10:30:00'] },
  { name: 'date   "20240115"', clean: cleanDate, inputs: ['20240115'] },
  { name: 'date   Excel serial 45306', clean: cleanDate, inputs: [45306] },
  { name: 'date   Excel 1904 serial 43844', clean: cleanDate1904, inputs: [43844] },
  { name: 'date   Unix seconds 1705334400', clean: cleanDate, inputs: [1705334400] },
  { name: 'date   JS Date', clean: cleanDate, inputs: [new Date(Date.UTC(2024, 0, 15))] },
  { name: 'date   invalid "2023-02-29"', clean: cleanDate, inputs: ['2023-02-29'] },
  {
    name: 'date   typical mix (8 inputs)',
    clean: cleanDate,
    inputs: ['2024-01-15', '2024/1/5', '2024年1月15日', '01/15/2024', '2024-01-15 10:30:00', 45306, '20240115', new Date(Date.UTC(2024, 0, 15))],
  },
  { name: 'number "1234"', clean: cleanNumber, inputs: ['1234'] },
  { name: 'number "-12.5"', clean: cleanNumber, inputs: ['-12.5'] },
  { name: 'number "1,234.50"', clean: cleanNumber, inputs: ['1,234.50'] },
  { name: 'number 3.14', clean: cleanNumber, inputs: [3.14] },
  { name: 'number "50%"', clean: cleanNumber, inputs: ['50%'] },
  {
    name: 'number typical mix (6 inputs)',
    clean: cleanNumber,
    inputs: ['1234', '-12.5', ' 42 ', '1,234.50', 3.14, 100],
  },
  { name: 'id_card "11010519491231002X"', clean: cleanIdCardNumber, inputs: ['11010519491231002X'] },
  { name: 'id_card 15 digits', clean: cleanIdCardNumber, inputs: ['110105491231002'] },
  {
    name: 'id_card typical mix (5 inputs)',
    clean: cleanIdCardNumber,
    inputs: ['11010519491231002X', '11010519491231002x', '110105 19491231 002X', '110105491231002', '11010519900230002X'],
  },
  { name: 'credit_code "91350100M000100Y43"', clean: cleanCreditCode, inputs: ['91350100M000100Y43'] },
  { name: 'credit_code typical mix (3 inputs)', clean: cleanCreditCode, inputs: ['91350100M000100Y43', '91350100m000100y43', '91350100M000100Y44'] },
  // As the row cleaner calls it: with a memo of checked domains (one per sheet).
  { name: 'email "zhang.san@example.com"', clean: (v) => cleanEmail(v, EMAIL_DOMAINS), inputs: ['zhang.san@example.com'] },
  { name: 'email, domain checked anew', clean: (v) => cleanEmail(v), inputs: ['zhang.san@example.com'] },
  {
    name: 'email typical mix (4 inputs)',
    clean: (v) => cleanEmail(v, EMAIL_DOMAINS),
    inputs: ['zhang.san@example.com', ' Li@QQ.COM ', 'ｗａｎｇ＠１６３．ｃｏｍ', 'bad@'],
  },
];

/** Addresses as a customer sheet repeats them: `distinct` different ones, drawn with a skew (some very common). */
function addressColumn(rows: number, distinct: number): CellValue[][] {
  const counties = [...allCounties()];
  const pool: string[] = [];
  for (let i = 0; i < distinct; i++) {
    const county = counties[(i * 7919) % counties.length];
    const names = [county.city.province.name, county.city.name, county.name].filter((name, k, all) => k === 0 || name !== all[k - 1]);
    pool.push(`${names.join('')}幸福路${(i % 300) + 1}号${(i % 20) + 1}栋`);
  }
  let state = 20_240_601;
  const out: CellValue[][] = [];
  for (let r = 0; r < rows; r++) {
    state = (state * 48_271) % 2_147_483_647;
    const u = state / 2_147_483_647;
    out.push([pool[Math.floor(u * u * distinct)]]);
  }
  return out;
}

function runRowCleaner(rows: CellValue[][], memoEntriesPerColumn: number): { rowsPerSecond: number; cpuRowsPerSecond: number } {
  const layout = buildSheetLayout('bench', 0, ['地址'], ['address']);
  const cleaner = new RowCleaner(layout, { memoEntriesPerColumn });
  const cpu = process.cpuUsage();
  const start = performance.now();
  let checksum = 0;
  for (let i = 0; i < rows.length; i++) checksum += 'clean' in cleaner.clean(i, rows[i]) ? 1 : 0;
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  if (checksum < 0) console.log(checksum);
  return { rowsPerSecond: rows.length / seconds, cpuRowsPerSecond: rows.length / ((used.user + used.system) / 1e6) };
}

function run(benchCase: BenchCase, iterations: number): { nsPerOp: number; checksum: number } {
  const { clean, inputs } = benchCase;
  const count = inputs.length;
  let checksum = 0;
  for (let i = 0; i < 100_000; i++) {
    const result = clean(inputs[i % count]);
    checksum += result.ok ? result.value.length : 1;
  }
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) {
    const result = clean(inputs[i % count]);
    checksum += result.ok ? result.value.length : 1;
  }
  const elapsed = Number(process.hrtime.bigint() - start);
  return { nsPerOp: elapsed / iterations, checksum };
}

function main(): void {
  const iterations = Number(process.argv[2] ?? 1_000_000);
  if (!Number.isInteger(iterations) || iterations <= 0) {
    throw new Error(`iterations must be a positive integer, got ${process.argv[2]}`);
  }
  const cpus = os.cpus();
  console.log(`machine: ${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}, ${os.platform()} ${os.arch()}, node ${process.version}`);
  console.log(`iterations per case: ${iterations}`);
  let checksum = 0;
  const width = Math.max(...CASES.map((c) => c.name.length));
  for (const benchCase of CASES) {
    const { nsPerOp, checksum: caseChecksum } = run(benchCase, iterations);
    checksum += caseChecksum;
    const perSecond = Math.round(1e9 / nsPerOp).toLocaleString('en-US');
    console.log(`${benchCase.name.padEnd(width)}  ${nsPerOp.toFixed(1).padStart(7)} ns/op  ${perSecond.padStart(12)} /s`);
  }
  console.log(`checksum ${checksum}`);

  const rowCount = Number(process.argv[3] ?? 200_000);
  for (const distinct of [5_000, 50_000]) {
    const rows = addressColumn(rowCount, distinct);
    runRowCleaner(rows.slice(0, 20_000), 0); // warm-up
    const off = runRowCleaner(rows, 0);
    const on = runRowCleaner(rows, ValueMemo.DEFAULT_ENTRIES);
    const rate = (r: { rowsPerSecond: number; cpuRowsPerSecond: number }) =>
      `${Math.round(r.rowsPerSecond).toLocaleString('en-US')} rows/s (${Math.round(r.cpuRowsPerSecond).toLocaleString('en-US')} per CPU-second)`;
    console.log(`RowCleaner address column, ${rowCount} rows of ${distinct} distinct: memo off ${rate(off)}; memo on ${rate(on)}`);
  }
}

main();
