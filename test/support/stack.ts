/**
 * The product as separate processes, for integration, fault and browser tests: `dcs api` and
 * `dcs worker` children (from dist/, so `npm run build` first — `npm test` does), plus helpers to
 * upload over real HTTP and wait for a task.
 *
 *   const env = stackEnv({ databaseUrl, redisUrl: redis.url, dataDir });
 *   const api = await startApi(env);
 *   const worker = await startWorker(env);
 *   const { body } = await upload(api.baseUrl, 'test/fixtures/parsing/csv/utf8.csv');
 *   await waitForTask(api.baseUrl, body.taskId, ['completed']);
 *   await worker.stop(); await api.stop();
 *
 * Fault and e2e suites take the whole stack from `startStack`: a scratch directory, a scratch
 * database, a private redis-server, the API and N workers, and one `stop()` that undoes it all.
 *
 *   let stack: Stack;
 *   beforeAll(async () => { stack = await startStack({ name: 'crash', database: 'postgres', workers: 2 }); }, 120_000);
 *   afterAll(() => stack?.stop());
 *   … stack.api.baseUrl, stack.workers[0].kill(), stack.redis.restart(), stack.scratch.url …
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createIsolatedDatabase, type DatabaseKind, type IsolatedDatabase } from './databases.js';
import { freePort, RedisServer } from './redis-server.js';

export const ROOT = resolve(import.meta.dirname, '../..');
/** The built CLI; DCS_CLI points elsewhere (e.g. a private build in .tmp/<name>-dist/src/cli/main.js). */
const CLI = process.env.DCS_CLI ? resolve(ROOT, process.env.DCS_CLI) : resolve(ROOT, 'dist/src/cli/main.js');

export interface StackEnvOptions {
  databaseUrl: string;
  redisUrl?: string;
  dataDir: string;
  /** Isolates the queue keys of one suite on a shared Redis. */
  prefix?: string;
  env?: Record<string, string>;
}

/** Environment for the children: fast recovery and stall detection so fault tests stay short. */
export function stackEnv(o: StackEnvOptions): Record<string, string> {
  return {
    DATABASE_URL: o.databaseUrl,
    DATA_DIR: o.dataDir,
    ...(o.redisUrl ? { REDIS_URL: o.redisUrl } : {}),
    REDIS_PREFIX: o.prefix ?? `t${process.pid}${Math.random().toString(36).slice(2, 8)}`,
    LOG_LEVEL: 'info',
    LOCK_DURATION_MS: '5000',
    STALLED_INTERVAL_MS: '2000',
    RECOVERY_INTERVAL_MS: '2000',
    RECOVERY_GRACE_MS: '3000',
    PROGRESS_INTERVAL_MS: '100',
    SHUTDOWN_GRACE_MS: '10000',
    RETRY_BACKOFF_MS: '200',
    WORKER_CONCURRENCY: '1',
    ...o.env,
  };
}

export class ServiceProcess {
  readonly logs: string[] = [];

  constructor(
    readonly role: string,
    readonly child: ChildProcess,
  ) {
    const collect = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n')) if (line) this.logs.push(line);
      if (this.logs.length > 5000) this.logs.splice(0, this.logs.length - 5000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get exited(): boolean {
    return this.child.exitCode !== null || this.child.signalCode !== null;
  }

  async waitExit(timeoutMs = 30_000): Promise<number | null> {
    if (!this.exited) {
      await Promise.race([
        once(this.child, 'exit'),
        sleep(timeoutMs).then(() => {
          throw new Error(`${this.role} did not exit within ${timeoutMs} ms`);
        }),
      ]);
    }
    return this.child.exitCode;
  }

  /** Graceful stop (SIGTERM) and wait; SIGKILL if it does not exit in time. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    try {
      await this.waitExit(timeoutMs);
    } catch {
      this.child.kill('SIGKILL');
      await this.waitExit(5000);
    }
  }

  /** kill -9: a crash. */
  async kill(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGKILL');
    await this.waitExit(5000);
  }

  /** Resolves when a log line matches (already logged lines count). */
  async waitForLog(pattern: RegExp, timeoutMs = 30_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const line = this.logs.find((l) => pattern.test(l));
      if (line) return line;
      if (this.exited) throw new Error(`${this.role} exited (code ${this.child.exitCode}) before logging ${pattern}:\n${this.logs.slice(-20).join('\n')}`);
      await sleep(50);
    }
    throw new Error(`${this.role} did not log ${pattern} within ${timeoutMs} ms:\n${this.logs.slice(-20).join('\n')}`);
  }
}

/** Children still running when the test process exits (a timed-out suite skips its afterAll). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function launch(role: string, args: string[], env: Record<string, string>): ServiceProcess {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  live.add(child);
  child.once('exit', () => live.delete(child));
  return new ServiceProcess(role, child);
}

export interface ApiProcess extends ServiceProcess {
  baseUrl: string;
}

export async function startApi(env: Record<string, string>): Promise<ApiProcess> {
  const port = env.PORT ? Number(env.PORT) : await freePort();
  const api = launch('api', ['api'], { HOST: '127.0.0.1', ...env, PORT: String(port) }) as ApiProcess;
  api.baseUrl = `http://127.0.0.1:${port}`;
  await api.waitForLog(/API listening/);
  return api;
}

export async function startWorker(env: Record<string, string>): Promise<ServiceProcess> {
  const worker = launch('worker', ['worker'], env);
  await worker.waitForLog(/worker started/);
  return worker;
}

export interface StackOptions {
  /** Names the scratch directory (dcs-<name>-…). */
  name: string;
  /** Scratch database of this kind (default sqlite). */
  database?: DatabaseKind;
  /** The private redis-server's options (default: no AOF). */
  redis?: { appendonly?: boolean };
  /** Workers started with the API (default 1; 0 for suites that start their own). */
  workers?: number;
  /** Extra environment for every process (stackEnv's fast fault-test settings apply underneath). */
  env?: Record<string, string>;
  /** Runs in the scratch directory while the database and Redis start (e.g. writes a big file). */
  prepare?: (dir: string) => Promise<void>;
}

export interface Stack {
  /** Scratch directory: DATA_DIR of every process, and room for the suite's files. */
  dir: string;
  scratch: IsolatedDatabase;
  redis: RedisServer;
  /** The environment the processes got (stackEnv). */
  env: Record<string, string>;
  api: ApiProcess;
  /** Every worker started so far, by startStack or startWorker. */
  workers: ServiceProcess[];
  /** Starts one more worker (its environment on top of the stack's). */
  startWorker(env?: Record<string, string>): Promise<ServiceProcess>;
  /** Stops the workers and the API (SIGTERM, SIGKILL if they hang), Redis, drops the database, removes the directory. */
  stop(): Promise<void>;
}

export async function startStack(o: StackOptions): Promise<Stack> {
  const dir = mkdtempSync(join(tmpdir(), `dcs-${o.name}-`));
  const [scratch, redis] = await Promise.all([createIsolatedDatabase(o.database ?? 'sqlite'), RedisServer.start(o.redis), o.prepare?.(dir)]);
  const env = stackEnv({ databaseUrl: scratch.url, redisUrl: redis.url, dataDir: dir, env: o.env });
  const workers: ServiceProcess[] = [];
  let api: ApiProcess | undefined;
  const stack: Stack = {
    dir,
    scratch,
    redis,
    env,
    get api(): ApiProcess {
      if (!api) throw new Error('the API is not started');
      return api;
    },
    workers,
    async startWorker(extra = {}) {
      const worker = await startWorker({ ...env, ...extra });
      workers.push(worker);
      return worker;
    },
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
      await api?.stop();
      await redis.stop();
      await scratch.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    api = await startApi(env);
    for (let i = 0; i < (o.workers ?? 1); i++) await stack.startWorker();
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}

export interface UploadOptions {
  mode?: 'sync' | 'async';
  columnTypes?: Record<string, string> | string;
  token?: string;
  /** File name sent to the server (defaults to the path's base name). */
  filename?: string;
}

export interface JsonResponse<T = Record<string, unknown>> {
  status: number;
  body: T;
  headers: Headers;
}

/** Multipart upload over real HTTP. `file` is a path or in-memory content. */
export async function upload<T = Record<string, unknown>>(
  baseUrl: string,
  file: string | { name: string; content: Buffer | string },
  o: UploadOptions = {},
): Promise<JsonResponse<T>> {
  const form = new FormData();
  const [name, content] =
    typeof file === 'string' ? [basename(file), readFileSync(file)] : [file.name, typeof file.content === 'string' ? Buffer.from(file.content) : file.content];
  if (o.columnTypes !== undefined) form.append('columnTypes', typeof o.columnTypes === 'string' ? o.columnTypes : JSON.stringify(o.columnTypes));
  form.append('file', new Blob([new Uint8Array(content)]), o.filename ?? name);
  const res = await fetch(`${baseUrl}/api/data-cleaning/upload${o.mode ? `?mode=${o.mode}` : ''}`, {
    method: 'POST',
    body: form,
    headers: o.token ? { authorization: `Bearer ${o.token}` } : {},
  });
  return { status: res.status, body: (await res.json()) as T, headers: res.headers };
}

export async function getJson<T = Record<string, unknown>>(url: string, init?: RequestInit): Promise<JsonResponse<T>> {
  const res = await fetch(url, init);
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: res.status, body: body as T, headers: res.headers };
}

export interface TaskView {
  taskId: string;
  status: string;
  progress: number;
  processedRows: number;
  totalRows: number;
  currentPhase: string;
  statistics: { totalRows: number; cleanedRows: number; exceptionRows: number } | null;
  errorCode: string | null;
  errorMessage: string | null;
  attempts: number;
  [key: string]: unknown;
}

/** Polls check-status until the task reaches one of `statuses`. */
export async function waitForTask(baseUrl: string, taskId: string, statuses: string[] = ['completed'], timeoutMs = 60_000): Promise<TaskView> {
  const deadline = Date.now() + timeoutMs;
  let last: TaskView | undefined;
  while (Date.now() < deadline) {
    try {
      const { status, body } = await getJson<TaskView>(`${baseUrl}/api/data-cleaning/check-status/${taskId}`);
      if (status === 200) {
        last = body;
        if (statuses.includes(body.status)) return body;
      }
    } catch {
      // API restarting: try again
    }
    await sleep(100);
  }
  throw new Error(`task ${taskId} did not reach ${statuses.join('|')} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}
