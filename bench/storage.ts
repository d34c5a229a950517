/**
 * Batch-insert throughput of the storage layer, per dialect.
 *
 *   npm run build && node dist/bench/storage.js [DATABASE_URL …]
 *
 * URLs come from the arguments, else from BENCH_DATABASE_URLS (comma-separated), else a temporary
 * SQLite file plus TEST_POSTGRES_URL / TEST_MYSQL_URL (default: the local development servers).
 * Each server run happens in a scratch PostgreSQL schema / MySQL database that is dropped at the
 * end. Per dialect: 3 runs of 200,000 generated rows (95 % clean, 5 % exceptions, ~150 bytes of
 * JSON each) written with insertBatch in batches of BENCH_BATCH (1000), as a worker does; prints
 * rows/s of each run and the median. completeAttempt (which counts the stored rows) is timed apart.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { CleanRecord, ExceptionRecord } from '../src/cleaning/types.js';
import type { ProcessStatistics } from '../src/pipeline/types.js';
import { createDatabase, dialectOfUrl } from '../src/storage/index.js';

const TOTAL_ROWS = Number(process.env.BENCH_ROWS ?? 200_000);
const BATCH = Number(process.env.BENCH_BATCH ?? 1000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const EXCEPTION_SHARE = 0.05;

interface Batch {
  clean: CleanRecord[];
  exceptions: ExceptionRecord[];
  reasons: string[];
}

/** Rows like a cleaned contact list: name, phone, date, address parts, two text columns. */
function generateBatches(): Batch[] {
  const batches: Batch[] = [];
  for (let start = 0; start < TOTAL_ROWS; start += BATCH) {
    const batch: Batch = { clean: [], exceptions: [], reasons: [] };
    for (let i = start; i < Math.min(start + BATCH, TOTAL_ROWS); i++) {
      const rowNumber = i + 2;
      const values = [`用户${i}`, `138${String(i).padStart(8, '0')}`, '2024-01-15', '江苏省', '南京市', '玄武区', `中山路${i % 500}号`, `note-${i}`];
      if (i % Math.round(1 / EXCEPTION_SHARE) === 0) {
        batch.exceptions.push({
          sheetIndex: 0,
          rowNumber,
          values: [`用户${i}`, '12345', '2024-13-45', '火星某地', `note-${i}`],
          errors: [{ field: '手机', value: '12345', errorType: 'INVALID_PHONE', message: '手机号格式不正确' }],
        });
        batch.reasons.push('手机: 手机号格式不正确');
      } else {
        batch.clean.push({ sheetIndex: 0, rowNumber, values });
      }
    }
    batches.push(batch);
  }
  return batches;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** A scratch schema/database (or temporary SQLite file) and how to remove it. */
async function scratchTarget(url: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `bench_${randomBytes(4).toString('hex')}`;
  switch (dialectOfUrl(url)) {
    case 'sqlite':
      return { url, drop: async () => undefined };
    case 'postgres': {
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`create schema "${name}"`);
      await admin.end();
      const scoped = new URL(url);
      scoped.searchParams.set('options', `-c search_path=${name}`);
      return {
        url: scoped.toString(),
        drop: async () => {
          const client = new pg.Client({ connectionString: url });
          await client.connect();
          await client.query(`drop schema "${name}" cascade`);
          await client.end();
        },
      };
    }
    case 'mysql': {
      const uri = url.replace(/^mariadb:/, 'mysql:');
      const admin = await mysql.createConnection({ uri });
      await admin.query(`create database \`${name}\` character set utf8mb4 collate utf8mb4_bin`);
      await admin.end();
      const scoped = new URL(uri);
      scoped.pathname = `/${name}`;
      return {
        url: scoped.toString(),
        drop: async () => {
          const connection = await mysql.createConnection({ uri });
          await connection.query(`drop database \`${name}\``);
          await connection.end();
        },
      };
    }
  }
}

async function benchUrl(url: string, batches: Batch[]): Promise<void> {
  const dialect = dialectOfUrl(url);
  const target = await scratchTarget(url);
  const db = createDatabase(target.url, { batchSize: BATCH });
  const rates: number[] = [];
  const completeMs: number[] = [];
  try {
    await db.migrate();
    const cleanedRows = batches.reduce((n, b) => n + b.clean.length, 0);
    const exceptionRows = batches.reduce((n, b) => n + b.exceptions.length, 0);
    for (let run = 0; run < RUNS; run++) {
      const jobId = `bench-${run}-${randomBytes(4).toString('hex')}`;
      await db.createFileRecord({ id: jobId, jobId, originalName: 'bench.csv', size: 1, fileType: 'csv', mimeType: 'text/csv', storageKey: `uploads/${jobId}` });
      await db.startAttempt(jobId, 'bench');
      const started = performance.now();
      for (const batch of batches) await db.insertBatch(jobId, 'bench', batch.clean, batch.exceptions, batch.reasons);
      const inserted = performance.now();
      await db.completeAttempt(jobId, 'bench', {
        totalRows: cleanedRows + exceptionRows,
        cleanedRows,
        exceptionRows,
        processingTimeMs: Math.round(inserted - started),
        statistics: {} as ProcessStatistics,
        layout: [],
      });
      completeMs.push(performance.now() - inserted);
      rates.push(TOTAL_ROWS / ((inserted - started) / 1000));
      await db.deleteFileRecord(jobId);
    }
    console.log(
      `${dialect.padEnd(8)} insert: ${rates.map((r) => Math.round(r).toLocaleString('en-US')).join(' / ')} rows/s` +
        `  median ${Math.round(median(rates)).toLocaleString('en-US')} rows/s` +
        `  | completeAttempt (row-count check) median ${median(completeMs).toFixed(0)} ms`,
    );
  } finally {
    await db.close();
    await target.drop();
  }
}

async function main(): Promise<void> {
  const fromArgs = process.argv.slice(2);
  const fromEnv = process.env.BENCH_DATABASE_URLS?.split(',').map((u) => u.trim()).filter(Boolean) ?? [];
  const sqliteDir = await mkdtemp(join(tmpdir(), 'dcs-bench-'));
  const urls = fromArgs.length > 0 ? fromArgs : fromEnv.length > 0 ? fromEnv : [
    `sqlite:${join(sqliteDir, 'bench.sqlite')}`,
    process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
    process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
  ];
  const cpu = cpus();
  console.log(`machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, load ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  const batches = generateBatches();
  const sampleBytes = Buffer.byteLength(JSON.stringify(batches[0].clean[1].values));
  console.log(`rows: ${TOTAL_ROWS.toLocaleString('en-US')} per run (${EXCEPTION_SHARE * 100} % exceptions, ~${sampleBytes} bytes JSON per clean row), batch ${BATCH}, ${RUNS} runs`);
  try {
    for (const url of urls) await benchUrl(url, batches);
  } finally {
    await rm(sqliteDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
