/**
 * Load benchmark (SPEC §5 "check-status under 1,000 req/s", §6 "200 concurrent uploads plus
 * 1,000 req/s of status polling for 60 s: zero errors, all processed"):
 *
 *   node dist/bench/load.js [--duration 60] [--rate 1000] [--uploads 200] [--rows 500] [--workers 2] [--connections 100] [--runs 1]
 *
 * Without BASE_URL it starts its own stack from this build — `dcs api` and `--workers` × `dcs worker`,
 * SQLite in a temp dir (or DATABASE_URL), REDIS_URL (default redis://127.0.0.1:6379) under a unique
 * prefix that is removed afterwards. With BASE_URL it loads an already running service.
 *
 * One run: a warm-up upload; then autocannon polls check-status at `--rate` req/s over the known
 * task ids for `--duration` s while `--uploads` uploads of a `--rows`-row CSV are sent all at once;
 * then it waits until every task is final. Prints upload and polling latency percentiles, error
 * counts and how many tasks completed. test/fault/load.test.ts runs the same `runLoad` for 15 s.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { Queue } from 'bullmq';
import { generateRows, HEADER } from './generate-data.js';

export interface LoadOptions {
  baseUrl: string;
  /** Uploads sent at once at the start. */
  uploads: number;
  /** Data rows per uploaded CSV. */
  rowsPerUpload: number;
  /** check-status requests per second (paced, spread over `connections`). */
  pollRate: number;
  durationMs: number;
  connections?: number;
  /** How long to wait after the polling for the last tasks to finish. */
  drainTimeoutMs?: number;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface LoadReport {
  uploads: { sent: number; accepted: number; refused: Record<string, number>; failedRequests: number; latencyMs: Percentiles };
  polling: {
    requests: number;
    perSecond: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    statusCodes: Record<string, number>;
    latencyMs: Percentiles;
  };
  tasks: { completed: number; failed: number; unfinished: number; drainMs: number };
}

/** A CSV of `rows` generated rows (seeded, so every upload differs a little). */
export function csvContent(rows: number, seed: number): Buffer {
  const quote = (c: string) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c);
  const lines = [HEADER.join(',')];
  for (const row of generateRows(rows, seed)) lines.push(row.map(quote).join(','));
  return Buffer.from(`${lines.join('\n')}\n`);
}

function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => (sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]);
  return { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: sorted.at(-1) ?? 0 };
}

async function uploadCsv(baseUrl: string, content: Buffer, name: string): Promise<{ status: number; taskId?: string; errorCode?: string }> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(content)]), name);
  const res = await fetch(`${baseUrl}/api/data-cleaning/upload`, { method: 'POST', body: form });
  const body = (await res.json()) as { taskId?: string; errorCode?: string };
  return { status: res.status, taskId: body.taskId, errorCode: body.errorCode };
}

async function statusOf(baseUrl: string, taskId: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${baseUrl}/api/data-cleaning/check-status/${taskId}`);
    return res.status === 200 ? ((await res.json()) as { status: string }).status : undefined;
  } catch {
    return undefined;
  }
}

interface UploadLine {
  status: number;
  ms: number;
  taskId?: string;
  errorCode?: string;
  error?: string;
}

/** Child mode: sends `count` uploads at once, one JSON line per answer on stdout. */
async function uploaderChild(baseUrl: string, count: number, rows: number): Promise<void> {
  const contents = Array.from({ length: count }, (_v, i) => csvContent(rows, 100 + i));
  await Promise.all(
    contents.map(async (content, i) => {
      const started = performance.now();
      let line: UploadLine;
      try {
        const r = await uploadCsv(baseUrl, content, `load-${i}.csv`);
        line = { ...r, ms: performance.now() - started };
      } catch (err) {
        line = {
          status: 0,
          ms: performance.now() - started,
          error: err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err),
        };
      }
      process.stdout.write(`${JSON.stringify(line)}\n`);
    }),
  );
}

/** Runs the uploads in a child process (this module, compiled or through tsx); reports task ids as they come. */
async function uploadFromChild(baseUrl: string, count: number, rows: number, onTask: (taskId: string) => void): Promise<UploadLine[]> {
  const self = fileURLToPath(import.meta.url);
  const args = self.endsWith('.ts') ? ['--import', 'tsx', self] : [self];
  const child = spawn(process.execPath, [...args, '--uploader', baseUrl, String(count), String(rows)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: UploadLine[] = [];
  let buffered = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffered.slice(0, newline)) as UploadLine;
      buffered = buffered.slice(newline + 1);
      lines.push(line);
      if (line.status === 202 && line.taskId) onTask(line.taskId);
    }
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`uploader exited with ${code}`);
  return lines;
}

/** One load run against a running service; see the file comment. */
export async function runLoad(o: LoadOptions): Promise<LoadReport> {
  const warm = await uploadCsv(o.baseUrl, csvContent(o.rowsPerUpload, 1), 'warm-up.csv');
  if (warm.status !== 202 || !warm.taskId) throw new Error(`warm-up upload refused: ${warm.status} ${warm.errorCode}`);
  const taskIds: string[] = [warm.taskId];
  let next = 0;

  const polling = autocannon({
    url: o.baseUrl,
    // Enough connections that the offered rate holds when responses slow down (20 connections at
    // 100 ms each could only offer 200 req/s).
    connections: o.connections ?? 100,
    duration: o.durationMs / 1000,
    overallRate: o.pollRate,
    requests: [{ method: 'GET', setupRequest: (request) => ({ ...request, path: `/api/data-cleaning/check-status/${taskIds[next++ % taskIds.length]}` }) }],
  });

  // The uploads come from a child process: building and sending 200 multipart bodies at once
  // would otherwise stall this process's event loop and inflate the polling latencies it measures.
  const uploadMs: number[] = [];
  const refused: Record<string, number> = {};
  let failedRequests = 0;
  for (const line of await uploadFromChild(o.baseUrl, o.uploads, o.rowsPerUpload, (taskId) => taskIds.push(taskId))) {
    if (line.error !== undefined) failedRequests++;
    else {
      uploadMs.push(line.ms);
      if (line.status !== 202 || !line.taskId)
        refused[`${line.status} ${line.errorCode ?? ''}`.trim()] = (refused[`${line.status} ${line.errorCode ?? ''}`.trim()] ?? 0) + 1;
    }
  }
  const result = await polling;

  // Every accepted task must reach a final state.
  const drainStarted = performance.now();
  const deadline = Date.now() + (o.drainTimeoutMs ?? 180_000);
  const final = new Map<string, string>();
  while (final.size < taskIds.length && Date.now() < deadline) {
    for (const id of taskIds) {
      if (final.has(id)) continue;
      const status = await statusOf(o.baseUrl, id);
      if (status && ['completed', 'failed', 'timeout', 'cancelled'].includes(status)) final.set(id, status);
    }
    if (final.size < taskIds.length) await sleep(250);
  }
  const statuses = [...final.values()];

  const statusCodes: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statusCodes[code] = Number(count);
  return {
    uploads: { sent: o.uploads, accepted: taskIds.length - 1, refused, failedRequests, latencyMs: percentiles(uploadMs) },
    polling: {
      requests: result.requests.total,
      perSecond: Math.round(result.requests.total / result.duration),
      errors: result.errors,
      timeouts: result.timeouts,
      non2xx: result.non2xx,
      statusCodes,
      latencyMs: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    },
    tasks: {
      completed: statuses.filter((s) => s === 'completed').length,
      failed: statuses.filter((s) => s !== 'completed').length,
      unfinished: taskIds.length - final.size,
      drainMs: Math.round(performance.now() - drainStarted),
    },
  };
}

export function formatReport(r: LoadReport, o: Pick<LoadOptions, 'uploads' | 'pollRate' | 'durationMs' | 'rowsPerUpload'>): string {
  const p = (x: Percentiles) => `p50 ${x.p50.toFixed(1)}  p90 ${x.p90.toFixed(1)}  p99 ${x.p99.toFixed(1)}  max ${x.max.toFixed(1)} ms`;
  return [
    `uploads:  ${r.uploads.accepted}/${r.uploads.sent} accepted (${o.rowsPerUpload} rows each), refused ${JSON.stringify(r.uploads.refused)}, failed requests ${r.uploads.failedRequests}`,
    `          latency ${p(r.uploads.latencyMs)}`,
    `polling:  ${r.polling.requests} check-status in ${o.durationMs / 1000} s (${r.polling.perSecond}/s, target ${o.pollRate}/s), errors ${r.polling.errors}, timeouts ${r.polling.timeouts}, non-2xx ${r.polling.non2xx}, codes ${JSON.stringify(r.polling.statusCodes)}`,
    `          latency ${p(r.polling.latencyMs)}`,
    `tasks:    ${r.tasks.completed} completed, ${r.tasks.failed} failed, ${r.tasks.unfinished} unfinished; last finished ${r.tasks.drainMs} ms after the polling ended`,
  ].join('\n');
}

// ------------------------------------------------------------------ stand-alone run

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  return typeof address === 'object' && address ? address.port : 0;
}

function launch(cli: string, role: 'api' | 'worker', env: NodeJS.ProcessEnv, ready: RegExp): Promise<ChildProcess> {
  const child = spawn(process.execPath, [cli, role], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolvePromise, reject) => {
    let seen = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (ready.test(seen)) {
        seen = '';
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolvePromise(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code} before it was ready`)));
  });
}

async function main(): Promise<void> {
  if (process.argv[2] === '--uploader') return uploaderChild(process.argv[3], Number(process.argv[4]), Number(process.argv[5]));
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '60' },
      rate: { type: 'string', default: '1000' },
      uploads: { type: 'string', default: '200' },
      rows: { type: 'string', default: '500' },
      workers: { type: 'string', default: '2' },
      connections: { type: 'string', default: '100' },
      runs: { type: 'string', default: '1' },
    },
  });
  const options = {
    uploads: Number(values.uploads),
    rowsPerUpload: Number(values.rows),
    pollRate: Number(values.rate),
    durationMs: Number(values.duration) * 1000,
    connections: Number(values.connections),
  };
  process.stdout.write(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}\n`);

  for (let run = 1; run <= Number(values.runs); run++) {
    const children: ChildProcess[] = [];
    const dir = mkdtempSync(join(tmpdir(), 'dcs-load-'));
    const prefix = `load${process.pid}r${run}`;
    const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
    let baseUrl = process.env.BASE_URL;
    try {
      if (!baseUrl) {
        const cli = resolve(fileURLToPath(new URL('.', import.meta.url)), '../src/cli/main.js');
        const port = await freePort();
        const env = {
          ...process.env,
          HOST: '127.0.0.1',
          PORT: String(port),
          DATA_DIR: dir,
          DATABASE_URL: process.env.DATABASE_URL ?? `sqlite:${join(dir, 'dcs.sqlite')}`,
          REDIS_URL: redisUrl,
          REDIS_PREFIX: prefix,
          // All load comes from 127.0.0.1: the per-client rate limit would answer 429 to bursts.
          RATE_LIMIT_PER_SECOND: '0',
          // info: the readiness lines are info logs (the rest of the output is discarded)
          LOG_LEVEL: 'info',
        };
        children.push(await launch(cli, 'api', env, /API listening/));
        for (let i = 0; i < Number(values.workers); i++) children.push(await launch(cli, 'worker', env, /worker started/));
        baseUrl = `http://127.0.0.1:${port}`;
      }
      process.stdout.write(
        `\nrun ${run}: ${baseUrl}, ${values.workers} workers, ${options.uploads} uploads + ${options.pollRate} req/s check-status over ${options.connections} connections for ${values.duration} s\n`,
      );
      const report = await runLoad({ baseUrl, ...options });
      process.stdout.write(`${formatReport(report, options)}\n`);
    } finally {
      for (const child of children) child.kill('SIGTERM');
      await Promise.all(children.map((c) => (c.exitCode === null ? once(c, 'exit') : undefined)));
      if (!process.env.BASE_URL) {
        const queue = new Queue('data-cleaning', { connection: { url: redisUrl }, prefix });
        await queue.obliterate({ force: true }).catch(() => undefined);
        await queue.close();
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
