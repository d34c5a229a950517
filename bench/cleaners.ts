/**
 * Micro-benchmark of the field cleaners: nanoseconds per call on typical inputs.
 *
 *   npm run build && node dist/bench/cleaners.js [iterationsPerCase]
 *
 * Each case cycles through its inputs; results are folded into a checksum so the calls cannot be
 * optimized away. Numbers are wall-clock on a shared machine: take the median of several runs.
 */
import os from 'node:os';
import { cleanDate } from '../src/cleaning/date.js';
import { cleanNumber } from '../src/cleaning/number.js';
import { cleanPhone } from '../src/cleaning/phone.js';
import type { CleanResult } from '../src/cleaning/types.js';
import type { CellValue } from '../src/domain/index.js';

interface BenchCase {
  name: string;
  clean: (value: CellValue) => CleanResult<string>;
  inputs: CellValue[];
}

const cleanDate1904 = (value: CellValue) => cleanDate(value, { date1904: true });

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
];

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
    console.log(`${benchCase.name.padEnd(width)}  ${nsPerOp.toFixed(1).padStart(7)} ns/op`);
  }
  console.log(`checksum ${checksum}`);
}

main();
