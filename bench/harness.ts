/**
 * Shared pieces of the service benchmarks: the built product as child processes, a private
 * redis-server, uploads over real HTTP, peak-RSS sampling, and how to print figures.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { writeCsv } from './generate-data.js';

export const ROOT = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');
export const CLI = join(ROOT, 'dist/src/cli/main.js');
/** The product's own V8 flags (src/cli/main.ts); BENCH_V8_FLAGS replaces them to compare settings. */
export const V8_FLAGS = process.env.BENCH_V8_FLAGS?.split(' ').filter(Boolean) ?? ['--max-semi-space-size=64'];

export function machine(): string {
  const c = cpus();
  return `${c.length} × ${c[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, load ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`;
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const server = createServer();
    server.once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      server.close(() => res(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** The deterministic benchmark CSV with `rows` rows, generated once under bench/out/. */
export async function dataFile(rows: number): Promise<string> {
  const dir = join(ROOT, 'bench/out');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `bench-${rows}.csv`);
  if (!existsSync(file)) {
    process.stdout.write(`generating ${rows.toLocaleString()} rows → ${file}\n`);
    await writeCsv(file, rows);
  }
  return file;
}

export class Proc {
  readonly logs: string[] = [];
  peakRssKb = 0;
  private sampler?: NodeJS.Timeout;

  constructor(readonly child: ChildProcess) {
    const collect = (d: Buffer) => {
      for (const line of d.toString().split('\n')) if (line) this.logs.push(line);
      if (this.logs.length > 2000) this.logs.splice(0, 1000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    this.sampler = setInterval(() => this.sampleRss(), 200);
  }

  /** Peak RSS as the kernel recorded it (VmHWM), sampled while the process lives. */
  sampleRss(): void {
    try {
      const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${this.child.pid}/status`, 'utf8'));
      if (m) this.peakRssKb = Math.max(this.peakRssKb, Number(m[1]));
    } catch {
      // exited
    }
  }

  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.logs.some((l) => pattern.test(l))) return;
      if (this.child.exitCode !== null) throw new Error(`process exited:\n${this.logs.slice(-10).join('\n')}`);
      await sleep(50);
    }
    throw new Error(`timeout waiting for ${pattern}`);
  }

  async stop(): Promise<void> {
    clearInterval(this.sampler);
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    await Promise.race([once(this.child, 'exit'), sleep(20_000).then(() => this.child.kill('SIGKILL'))]);
  }
}

export function launch(role: 'api' | 'worker', env: Record<string, string>): Proc {
  return new Proc(spawn(process.execPath, [...V8_FLAGS, CLI, role], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
}

/** A private redis-server (AOF off: benchmarks measure the product, not the disk). */
export async function startRedis(): Promise<{ url: string; stop: () => Promise<void> }> {
  if (spawnSync('redis-server', ['--version']).error) throw new Error('redis-server is required');
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'dcs-bench-redis-'));
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  await sleep(300);
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      child.kill('SIGKILL');
      await once(child, 'exit').catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface Stack {
  baseUrl: string;
  api: Proc;
  workers: Proc[];
  dataDir: string;
  stop(): Promise<void>;
}

/** dcs api + N dcs worker against `databaseUrl` (SQLite in a temp dir when undefined). */
export async function startStack(o: { databaseUrl?: string; redisUrl?: string; workers: number; env?: Record<string, string> }): Promise<Stack> {
  const dataDir = mkdtempSync(join(tmpdir(), 'dcs-bench-'));
  const port = await freePort();
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    DATABASE_URL: o.databaseUrl ?? `sqlite:${join(dataDir, 'dcs.sqlite')}`,
    PORT: String(port),
    HOST: '127.0.0.1',
    REDIS_PREFIX: `bench${process.pid}`,
    MAX_FILE_SIZE: String(4 * 2 ** 30),
    // All load comes from 127.0.0.1: the per-client rate limit would answer 429 to bursts, which
    // measures the limit, not the service.
    RATE_LIMIT_PER_SECOND: '0',
    ...(o.redisUrl ? { REDIS_URL: o.redisUrl } : {}),
    ...o.env,
  };
  const api = launch('api', env);
  await api.waitFor(/API listening|listening/i).catch(async () => {
    // LOG_LEVEL=warn hides the "listening" line: poll health instead.
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`http://127.0.0.1:${port}/health/live`).catch(() => undefined))?.ok) return;
      await sleep(100);
    }
    throw new Error(`API did not start:\n${api.logs.join('\n')}`);
  });
  const workers: Proc[] = [];
  for (let i = 0; i < o.workers; i++) workers.push(launch('worker', env));
  await sleep(o.workers > 0 ? 1500 : 0);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    api,
    workers,
    dataDir,
    async stop() {
      await Promise.all(workers.map((w) => w.stop()));
      await api.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Uploads a file as a stream (multipart built by fetch from a Blob backed by the file). */
export async function uploadFile(
  baseUrl: string,
  path: string,
  mode: 'sync' | 'async' = 'async',
): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const { openAsBlob } = await import('node:fs');
  const form = new FormData();
  form.append('file', await openAsBlob(path), basename(path));
  const res = await fetch(`${baseUrl}/api/data-cleaning/upload?mode=${mode}`, { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

export async function waitCompleted(baseUrl: string, taskId: string, timeoutMs = 30 * 60_000, pollMs = 50): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await fetch(`${baseUrl}/api/data-cleaning/check-status/${taskId}`);
    const body = (await res.json()) as Record<string, unknown>;
    if (body.status === 'completed') return body;
    if (body.status === 'failed' || body.status === 'timeout' || body.status === 'cancelled')
      throw new Error(`task ${taskId} ended ${String(body.status)}: ${String(body.errorMessage)}`);
    await sleep(pollMs);
  }
  throw new Error(`task ${taskId} did not complete`);
}

export const fileSizeMb = (path: string) => statSync(path).size / 2 ** 20;
