/**
 * Helpers shared by the fault-injection suites (test/fault): scratch directories, big generated
 * files, direct row counts in the database (independent of the product's own counting), and
 * waiting for a task's live progress.
 *
 *   const rows = await storedRows(scratch.url, taskId);
 *   expect(rows.clean + rows.exceptions).toBe(totalRows);
 *   expect(rows.distinctRows).toBe(totalRows); // no (sheet, row) stored twice
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { writeCsv } from '../../bench/generate-data.js';
import { withMysql, withPostgres } from './databases.js';
import { getJson, type TaskView } from './stack.js';
import { waitFor } from './wait.js';

export function scratchDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `dcs-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A deterministic CSV of `rows` data rows (bench/generate-data.ts) at `dir/<name>`. */
export async function bigCsv(dir: string, rows: number, name = `rows-${rows}.csv`, seed?: number): Promise<string> {
  const path = join(dir, name);
  await writeCsv(path, rows, seed);
  return path;
}

export interface StoredRows {
  clean: number;
  exceptions: number;
  /** Distinct (sheet, row number) pairs over both tables: equals clean + exceptions iff no row is stored twice. */
  distinctRows: number;
}

/**
 * Result rows are keyed by the file record's `file_key` (storage migration 0002), reached here by a
 * join on the job id. `row_number` is a reserved word on MySQL/MariaDB (window function): quoted
 * per dialect.
 */
const COUNT_SQL = (p: (i: number) => string, rowNumber = 'row_number') => {
  const of = (table: string, i: number, columns: string) =>
    `select ${columns} from ${table} r join file_records f on f.file_key = r.file_key where f.job_id = ${p(i)}`;
  return `
  select
    (${of('clean_data', 1, 'count(*)')}) as clean,
    (${of('error_logs', 2, 'count(*)')}) as exceptions,
    (select count(*) from (
       ${of('clean_data', 3, `r.sheet_index, r.${rowNumber}`)}
       union
       ${of('error_logs', 4, `r.sheet_index, r.${rowNumber}`)}
     ) pairs) as distinct_rows`;
};

/** Counts a job's stored rows straight from the database named by `databaseUrl` (bypassing the product). */
export async function storedRows(databaseUrl: string, jobId: string): Promise<StoredRows> {
  type Row = { clean: number | string; exceptions: number | string; distinct_rows: number | string };
  const toCounts = (row: Row): StoredRows => ({ clean: Number(row.clean), exceptions: Number(row.exceptions), distinctRows: Number(row.distinct_rows) });
  const params = [jobId, jobId, jobId, jobId];
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new BetterSqlite3(databaseUrl.slice('sqlite:'.length), { readonly: true });
    try {
      db.pragma('busy_timeout = 10000');
      return toCounts(db.prepare<string[], Row>(COUNT_SQL(() => '?')).get(...params)!);
    } finally {
      db.close();
    }
  }
  if (/^postgres(ql)?:/.test(databaseUrl)) {
    return withPostgres(databaseUrl, async (client) =>
      toCounts(
        (
          await client.query<Row>(
            COUNT_SQL((i) => `$${i}`),
            params,
          )
        ).rows[0],
      ),
    );
  }
  return withMysql(databaseUrl, async (connection) => {
    const [rows] = await connection.query(
      COUNT_SQL(() => '?', '`row_number`'),
      params,
    );
    return toCounts((rows as Row[])[0]);
  });
}

/** Polls check-status until the task is running with at least `minPercent` progress. */
export async function waitForProgress(baseUrl: string, taskId: string, minPercent: number, timeoutMs = 60_000): Promise<TaskView> {
  const deadline = Date.now() + timeoutMs;
  let last: TaskView | undefined;
  while (Date.now() < deadline) {
    const { status, body } = await getJson<TaskView>(`${baseUrl}/api/data-cleaning/check-status/${taskId}`).catch(() => ({ status: 0, body: undefined }));
    if (status === 200 && body) {
      last = body;
      if (body.status === 'processing' && body.progress >= minPercent) return body;
      if (['completed', 'failed', 'timeout', 'cancelled'].includes(body.status)) {
        throw new Error(`task ${taskId} ended (${body.status}) before reaching ${minPercent} % — make the file larger`);
      }
    }
    await sleep(50);
  }
  throw new Error(`task ${taskId} did not reach ${minPercent} % within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

/** Number of open file descriptors of a process (Linux /proc). */
export function openFdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Whether a process with this pid is alive (signal 0 probes without signalling). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Lines of a service's JSON log that match `pattern`. */
export function logLines(logs: readonly string[], pattern: RegExp): string[] {
  return logs.filter((line) => pattern.test(line));
}

/**
 * Lines matching `pattern` once at least one has arrived (or none after `timeoutMs`). A worker logs
 * "task completed" after the database already says completed, and its stdout reaches the test
 * later still: reading the log the moment the status changes can miss the line.
 */
export async function waitForLogLines(logs: readonly string[], pattern: RegExp, timeoutMs = 10_000): Promise<string[]> {
  // On timeout the (empty) result goes to the caller's assertion, which says what was expected.
  await waitFor(() => logLines(logs, pattern).length > 0, `a log line matching ${pattern}`, timeoutMs, 20).catch(() => undefined);
  return logLines(logs, pattern);
}
