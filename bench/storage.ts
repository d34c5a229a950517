/**
 * Result-row write throughput of the storage layer, per dialect, against the engine's bare bulk
 * limit measured in the same run.
 *
 *   npm run build && node dist/bench/storage.js [DATABASE_URL …]
 *
 * Product path: Database.insertBatch (the attempt fence + the adapter's bulk path: SQLite writer
 * thread, PostgreSQL COPY, MySQL LOAD DATA LOCAL INFILE), as a worker calls it. Bare limit: the same
 * rows, pre-encoded before the clock starts, written into tables of the same shape with nothing
 * else — better-sqlite3 multi-row INSERTs in one transaction per batch; one COPY per batch; one
 * LOAD DATA LOCAL INFILE per batch. The ratio product / bare is the figure to watch: the machine is
 * shared, absolute rates swing, the ratio much less.
 *
 * URLs come from the arguments, else from BENCH_DATABASE_URLS (comma-separated), else a temporary
 * SQLite file plus TEST_POSTGRES_URL / TEST_MYSQL_URL (default: the local development servers).
 * Each server run happens in a scratch PostgreSQL schema / MySQL database that is dropped at the
 * end. Per dialect: 3 runs of 200,000 generated rows (95 % clean, 5 % exceptions, ~150 bytes of
 * JSON each) written with insertBatch in batches of BENCH_BATCH (1000), as a worker does; prints
 * rows/s of each run and the median. completeAttempt (which counts the stored rows) is timed apart.
 *
 * The machine is shared, so wall-clock rates swing with other people's load. The bench therefore
 * also measures the CPU the insert loop costs — this process, plus the database server's process
 * when it runs on this machine (PostgreSQL: the one backend of a 1-connection pool; MySQL/MariaDB:
 * the whole server process) — and prints rows per CPU-second: the rate one idle core per side
 * would reach for this strictly sequential client/server exchange (an estimate, not a measurement).
 */
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import BetterSqlite3 from 'better-sqlite3';
import mysql from 'mysql2/promise';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { createDatabase, dialectOfUrl } from '../src/storage/index.js';
import type { CleanRecord, ExceptionRecord, ProcessStatistics } from '../src/domain/index.js';

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
      const values = [
        `用户${i}`,
        `138${String(i).padStart(8, '0')}`,
        '2024-01-15',
        '江苏省',
        '南京市',
        '玄武区',
        `中山路${i % 500}号`,
        `customer-${i}@example.com`,
        `VIP-${i % 7}`,
        '备注：老客户',
      ];
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

/** CPU seconds (user + system) a local process has used, from /proc; undefined when unreadable. */
async function processCpuSeconds(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

function isLocal(url: string): boolean {
  const host = new URL(url.replace(/^mariadb:/, 'mysql:')).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '::1' || host === '[::1]';
}

/** The server process whose CPU time the insert loop costs, when it runs on this machine. */
async function serverPid(url: string, applicationName: string): Promise<number | undefined> {
  if (!isLocal(url)) return undefined;
  switch (dialectOfUrl(url)) {
    case 'sqlite':
      return undefined;
    case 'postgres': {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const { rows } = await client.query<{ pid: number }>('select pid from pg_stat_activity where application_name = $1', [applicationName]);
        return rows.length === 1 ? rows[0].pid : undefined;
      } finally {
        await client.end();
      }
    }
    case 'mysql':
      for (const entry of await readdir('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        const comm = await readFile(`/proc/${entry}/comm`, 'utf8').catch(() => '');
        if (comm.trim() === 'mariadbd' || comm.trim() === 'mysqld') return Number(entry);
      }
      return undefined;
  }
}

/** Tab-separated text as COPY and LOAD DATA read it (backslash, tab, newline, carriage return escaped). */
function tsv(value: string): string {
  return value.replace(/[\\\n\r\t]/g, (c) => ({ '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t' })[c] ?? c);
}

/** A batch encoded before the clock starts: SQL parameters and tab-separated lines of both tables. */
interface EncodedBatch {
  cleanParams: (string | number)[][];
  exceptionParams: (string | number)[][];
  cleanText: string;
  exceptionText: string;
}

function preEncode(batches: Batch[], fileKey: number): EncodedBatch[] {
  return batches.map((b) => {
    const cleanParams = b.clean.map((r) => [fileKey, 1, r.sheetIndex, r.rowNumber, JSON.stringify(r.values)]);
    const exceptionParams = b.exceptions.map((r, i) => [
      fileKey,
      1,
      r.sheetIndex,
      r.rowNumber,
      JSON.stringify(r.values),
      JSON.stringify(r.errors),
      b.reasons[i],
    ]);
    const line = (params: (string | number)[]) => `${params.map((p) => tsv(String(p))).join('\t')}\n`;
    return { cleanParams, exceptionParams, cleanText: cleanParams.map(line).join(''), exceptionText: exceptionParams.map(line).join('') };
  });
}

const BARE_COLUMNS = { clean: 'file_key, attempt, sheet_index, row_number, data', errors: 'file_key, attempt, sheet_index, row_number, data, errors, message' };

const BARE_NAMES = { sqlite: 'better-sqlite3 500-row INSERTs', postgres: 'COPY', mysql: 'LOAD DATA LOCAL INFILE' } as const;

/** One bare run: writes every pre-encoded batch; returns the elapsed milliseconds. */
type BareRun = (encoded: EncodedBatch[]) => Promise<number>;

/** The bare limit of an engine, on its own connection, into tables shaped like the product's. */
async function openBare(url: string): Promise<{ run: BareRun; close: () => Promise<void> }> {
  switch (dialectOfUrl(url)) {
    case 'sqlite': {
      const sqlite = new BetterSqlite3(url.slice('sqlite:'.length));
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
      for (const [table, extra] of [
        ['bare_clean', ''],
        ['bare_errors', ', errors text, message text'],
      ]) {
        sqlite.exec(
          `create table if not exists ${table} (file_key integer, attempt integer, sheet_index integer, "row_number" integer, data text${extra}, primary key (file_key, sheet_index, "row_number")) without rowid`,
        );
      }
      const statements = new Map<string, BetterSqlite3.Statement>();
      const insert = (table: string, columns: string, rows: (string | number)[][]) => {
        for (let start = 0; start < rows.length; start += 500) {
          const chunk = rows.slice(start, start + 500);
          const key = `${table}:${chunk.length}`;
          let statement = statements.get(key);
          if (!statement) {
            const placeholders = `(${chunk[0].map(() => '?').join(',')})`;
            statement = sqlite.prepare(`insert into ${table} (${columns}) values ${Array<string>(chunk.length).fill(placeholders).join(',')}`);
            statements.set(key, statement);
          }
          statement.run(chunk.flat());
        }
      };
      const batchTransaction = sqlite.transaction((b: EncodedBatch) => {
        insert('bare_clean', BARE_COLUMNS.clean.replace('row_number', '"row_number"'), b.cleanParams);
        insert('bare_errors', BARE_COLUMNS.errors.replace('row_number', '"row_number"'), b.exceptionParams);
      });
      return {
        run: async (encoded) => {
          sqlite.exec('delete from bare_clean; delete from bare_errors');
          const started = performance.now();
          for (const b of encoded) batchTransaction.immediate(b);
          return performance.now() - started;
        },
        close: async () => void sqlite.close(),
      };
    }
    case 'postgres': {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      await client.query(
        'create table if not exists bare_clean (like clean_data including all); create table if not exists bare_errors (like error_logs including all)',
      );
      await client.query('set synchronous_commit = off');
      const copy = async (table: string, columns: string, text: string) => {
        if (text === '') return;
        await pipeline(Readable.from([text]), client.query(copyFrom(`copy ${table} (${columns}) from stdin`)));
      };
      return {
        run: async (encoded) => {
          await client.query('truncate bare_clean, bare_errors');
          const started = performance.now();
          for (const b of encoded) {
            await client.query('begin');
            await copy('bare_clean', BARE_COLUMNS.clean, b.cleanText);
            await copy('bare_errors', BARE_COLUMNS.errors, b.exceptionText);
            await client.query('commit');
          }
          return performance.now() - started;
        },
        close: () => client.end(),
      };
    }
    case 'mysql': {
      const connection = await mysql.createConnection({ uri: url.replace(/^mariadb:/, 'mysql:'), charset: 'UTF8MB4_BIN' });
      await connection.query('create table if not exists bare_clean like clean_data');
      await connection.query('create table if not exists bare_errors like error_logs');
      const load = async (table: string, columns: string, text: string) => {
        if (text === '') return;
        const bytes = Buffer.from(text);
        await connection.query({
          sql: `load data local infile 'bare' into table ${table} character set utf8mb4 fields terminated by '\\t' escaped by '\\\\' lines terminated by '\\n' (${columns.replace('row_number', '`row_number`')})`,
          infileStreamFactory: () => Readable.from([bytes]),
        });
      };
      return {
        run: async (encoded) => {
          await connection.query('truncate table bare_clean');
          await connection.query('truncate table bare_errors');
          const started = performance.now();
          for (const b of encoded) {
            await connection.query('begin');
            await load('bare_clean', BARE_COLUMNS.clean, b.cleanText);
            await load('bare_errors', BARE_COLUMNS.errors, b.exceptionText);
            await connection.query('commit');
          }
          return performance.now() - started;
        },
        close: () => connection.end(),
      };
    }
  }
}

async function benchUrl(url: string, batches: Batch[]): Promise<void> {
  const dialect = dialectOfUrl(url);
  const target = await scratchTarget(url);
  const applicationName = `dcs-bench-${randomBytes(4).toString('hex')}`;
  // One connection: the PostgreSQL backend whose CPU is measured is then the only one.
  const db = createDatabase(target.url, { batchSize: BATCH, poolSize: 1, applicationName, sqliteWriterThread: process.env.BENCH_SQLITE_THREAD !== '0' });
  const rates: number[] = [];
  const cpuRates: number[] = [];
  const clientCpuMs: number[] = [];
  const serverCpuMs: number[] = [];
  const completeMs: number[] = [];
  const bareRates: number[] = [];
  const ratios: number[] = [];
  let serverMeasured = false;
  let bare: Awaited<ReturnType<typeof openBare>> | undefined;
  try {
    await db.migrate();
    await db.ping();
    bare = await openBare(target.url);
    const encoded = preEncode(batches, 1);
    const pid = await serverPid(url, applicationName);
    const cleanedRows = batches.reduce((n, b) => n + b.clean.length, 0);
    const exceptionRows = batches.reduce((n, b) => n + b.exceptions.length, 0);
    for (let run = 0; run < RUNS; run++) {
      const jobId = `bench-${run}-${randomBytes(4).toString('hex')}`;
      await db.createFileRecord({
        id: jobId,
        jobId,
        originalName: 'bench.csv',
        size: 1,
        fileType: 'csv',
        mimeType: 'text/csv',
        storageKey: `uploads/${jobId}`,
      });
      await db.startAttempt(jobId, 'bench');
      const serverBefore = pid === undefined ? undefined : await processCpuSeconds(pid);
      const cpuBefore = process.cpuUsage();
      const started = performance.now();
      for (const batch of batches) await db.insertBatch(jobId, 'bench', batch.clean, batch.exceptions, batch.reasons);
      const inserted = performance.now();
      const client = process.cpuUsage(cpuBefore);
      const serverAfter = pid === undefined ? undefined : await processCpuSeconds(pid);
      const serverSeconds = serverBefore !== undefined && serverAfter !== undefined ? serverAfter - serverBefore : 0;
      serverMeasured ||= serverBefore !== undefined && serverAfter !== undefined;
      cpuRates.push(TOTAL_ROWS / ((client.user + client.system) / 1e6 + serverSeconds));
      clientCpuMs.push((client.user + client.system) / 1000);
      serverCpuMs.push(serverSeconds * 1000);
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
      // The bare limit right after, so both see the same machine load.
      bareRates.push(TOTAL_ROWS / ((await bare.run(encoded)) / 1000));
      ratios.push(rates[rates.length - 1] / bareRates[bareRates.length - 1]);
    }
    const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
    const cpuSource = dialect === 'sqlite' ? 'in-process' : serverMeasured ? 'client + server' : 'client only, server not local';
    console.log(
      `${dialect.padEnd(8)} wall: ${rates.map(fmt).join(' / ')} rows/s, median ${fmt(median(rates))} rows/s\n` +
        `${''.padEnd(8)} cpu:  client ${fmt(median(clientCpuMs))} ms` +
        (dialect === 'sqlite' ? '' : `, server ${serverMeasured ? `${fmt(median(serverCpuMs))} ms` : 'n/a'}`) +
        ` per run → ${fmt(median(cpuRates))} rows per CPU-second (${cpuSource})\n` +
        `${''.padEnd(8)} completeAttempt (row-count check): median ${fmt(median(completeMs))} ms\n` +
        `${''.padEnd(8)} bare limit (${BARE_NAMES[dialect]}, pre-encoded rows): ${bareRates.map(fmt).join(' / ')} rows/s, median ${fmt(median(bareRates))} rows/s\n` +
        `${''.padEnd(8)} product / bare, per run: ${ratios.map((r) => r.toFixed(2)).join(' / ')}, median ${median(ratios).toFixed(2)}`,
    );
  } finally {
    await bare?.close();
    await db.close();
    await target.drop();
  }
}

async function main(): Promise<void> {
  const fromArgs = process.argv.slice(2);
  const fromEnv =
    process.env.BENCH_DATABASE_URLS?.split(',')
      .map((u) => u.trim())
      .filter(Boolean) ?? [];
  const sqliteDir = await mkdtemp(join(tmpdir(), 'dcs-bench-'));
  const urls =
    fromArgs.length > 0
      ? fromArgs
      : fromEnv.length > 0
        ? fromEnv
        : [
            `sqlite:${join(sqliteDir, 'bench.sqlite')}`,
            process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
            process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test',
          ];
  const cpu = cpus();
  console.log(
    `machine: ${cpu.length} × ${cpu[0]?.model ?? 'unknown cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, node ${process.version}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const batches = generateBatches();
  const sampleBytes = Buffer.byteLength(JSON.stringify(batches[0].clean[1].values));
  console.log(
    `rows: ${TOTAL_ROWS.toLocaleString('en-US')} per run (${EXCEPTION_SHARE * 100} % exceptions, ~${sampleBytes} bytes JSON per clean row), batch ${BATCH}, ${RUNS} runs`,
  );
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
