/**
 * Export writer benchmark: streams N rows × 11 short columns (default 200,000) to a CSV and to an
 * XLSX file in the OS temp directory, in batches of 1000 rows as the pipeline does, and prints
 * rows/s per format (wall clock, and per CPU-second of the whole process, zlib threads included,
 * which is steadier on a shared machine) plus peak RSS — and, as the reference measured in the
 * same run, exceljs's streaming WorkbookWriter writing the same rows (shared strings and styles
 * off, as the product wrote them before).
 *
 *   npm run build && node dist/bench/export.js [--rows 200000]
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { createTableWriter, type TableWriter } from '../src/export/index.js';
import type { ExportFormat } from '../src/domain/index.js';

const BATCH_ROWS = 1000;
const COLUMNS = ['姓名', '手机号', '出生日期', '地址_省', '地址_市', '地址_区', '地址_详细地址', '邮箱', '编号', '备注', '金额'];

function parseRows(argv: readonly string[]): number {
  const at = argv.indexOf('--rows');
  const value = at >= 0 ? Number(argv[at + 1]) : 200_000;
  if (!Number.isInteger(value) || value <= 0) throw new Error('--rows must be a positive integer');
  return value;
}

/** A pool of realistic cleaned rows (a few need quoting or formula neutralization), reused cyclically. */
function makeRowPool(size: number): string[][] {
  const surnames = ['张', '王', '李', '赵', '陈', '刘'];
  const cities: [string, string, string][] = [
    ['江苏省', '南京市', '玄武区'],
    ['北京市', '北京市', '朝阳区'],
    ['广东省', '深圳市', '南山区'],
  ];
  const pool: string[][] = [];
  for (let i = 0; i < size; i++) {
    const [province, city, district] = cities[i % cities.length];
    pool.push([
      `${surnames[i % surnames.length]}${i % 97}`,
      `138${String(10_000_000 + i * 7919).slice(-8)}`,
      `19${70 + (i % 30)}-0${1 + (i % 9)}-1${i % 10}`,
      province,
      city,
      district,
      i % 50 === 0 ? `中山路${i}号, 3栋 "A"座` : `中山路${i}号`,
      `user${i}@example.com`,
      String(100_000 + i),
      i % 100 === 0 ? '=HYPERLINK("x")' : `备注${i % 13}`,
      i % 3 === 0 ? `-${i}.5` : `${i}.25`,
    ]);
  }
  return pool;
}

interface Result {
  format: ExportFormat | 'exceljs';
  rowsPerSecond: number;
  rowsPerCpuSecond: number;
  seconds: number;
  bytes: number;
  peakRssMb: number;
}

/** exceljs's streaming writer behind the TableWriter interface (the reference of the xlsx figure). */
async function exceljsWriter(path: string): Promise<TableWriter> {
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: path, useSharedStrings: false, useStyles: false });
  const sheet = workbook.addWorksheet('清洗数据');
  sheet.addRow(COLUMNS).commit();
  return {
    writeRows: async (batch) => {
      for (const row of batch) sheet.addRow([...row]).commit();
      await Promise.resolve();
    },
    close: async () => {
      sheet.commit();
      await workbook.commit();
    },
    abort: async () => undefined,
  };
}

async function run(format: ExportFormat | 'exceljs', rows: number, pool: string[][], dir: string): Promise<Result> {
  const path = join(dir, `bench-${format}.${format === 'csv' ? 'csv' : 'xlsx'}`);
  let peakRss = process.memoryUsage.rss();
  const cpuAtStart = process.cpuUsage();
  const started = performance.now();
  const writer =
    format === 'exceljs' ? await exceljsWriter(path) : await createTableWriter(format, createWriteStream(path), { name: '清洗数据', columns: COLUMNS });
  for (let written = 0; written < rows; written += BATCH_ROWS) {
    const batch: string[][] = [];
    for (let i = written; i < Math.min(rows, written + BATCH_ROWS); i++) batch.push(pool[i % pool.length]);
    await writer.writeRows(batch);
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }
  await writer.close();
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuAtStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  return {
    format,
    rowsPerSecond: Math.round(rows / seconds),
    rowsPerCpuSecond: Math.round(rows / cpuSeconds),
    seconds: Number(seconds.toFixed(3)),
    bytes: statSync(path).size,
    peakRssMb: Math.round(peakRss / 1024 / 1024),
  };
}

async function main(): Promise<void> {
  const rows = parseRows(process.argv.slice(2));
  const dir = mkdtempSync(join(tmpdir(), 'dcs-bench-export-'));
  try {
    const pool = makeRowPool(5000);
    const cpu = cpus();
    console.log(`machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB RAM, node ${process.version}`);
    console.log(`rows: ${rows}, columns: ${COLUMNS.length}, batch: ${BATCH_ROWS}`);
    const results: Result[] = [];
    for (const format of ['csv', 'xlsx', 'exceljs'] as const) {
      const result = await run(format, rows, pool, dir);
      results.push(result);
      console.log(
        `${result.format.padEnd(4)}  ${result.rowsPerSecond.toLocaleString('en-US').padStart(10)} rows/s  ` +
          `(${result.rowsPerCpuSecond.toLocaleString('en-US')} rows/CPU-s)  ${result.seconds}s  ` +
          `${(result.bytes / 1e6).toFixed(1)} MB  peak RSS during run ${result.peakRssMb} MB`,
      );
    }
    const [, xlsx, exceljs] = results;
    console.log(
      `xlsx vs exceljs streaming writer: ${(xlsx.rowsPerSecond / exceljs.rowsPerSecond).toFixed(2)}× by wall clock, ` +
        `${(xlsx.rowsPerCpuSecond / exceljs.rowsPerCpuSecond).toFixed(2)}× by CPU time, file size ${((xlsx.bytes / exceljs.bytes - 1) * 100).toFixed(1)} %`,
    );
    console.log(`process peak RSS (maxRSS): ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
