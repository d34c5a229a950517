/**
 * Issue 10: no request may stall the API. Against `dcs api` + one `dcs worker` (real processes,
 * private Redis, SQLite), each attack runs while a probe asks `/health/live` every 20 ms; the
 * probe's p99 must stay under 200 ms. Afterwards every task the attack created is in a clear
 * final state and a normal upload still completes.
 *
 * Attacks: a slow body (cut off by REQUEST_TIMEOUT_MS), 500 SSE connections, 10 parallel sync
 * uploads whose clients disconnect, and previews of the 999,000-character shared-string xlsx files.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIsolatedDatabase, type IsolatedDatabase } from '../support/databases.js';
import { bigCsv, scratchDir } from '../support/fault.js';
import { writeHostileCorpus, type HostileCase } from '../support/hostile-files.js';
import { RedisServer } from '../support/redis-server.js';
import { stackEnv, startApi, startWorker, upload, type ApiProcess, type ServiceProcess } from '../support/stack.js';
import { waitFor } from '../support/wait.js';
import { FINAL_STATUSES } from '../../src/domain/index.js';

const PROBE_EVERY_MS = 20;
const P99_LIMIT_MS = 200;
const REQUEST_TIMEOUT_MS = 3000;
/** How long an attack is kept up at least, so the probe takes 100+ samples. */
const HOLD_MS = 5000;

/** The probe runs in a process of its own, so the test's own work (500 streams…) does not slow it. */
const PROBE_SCRIPT = `
const [url, every] = [process.argv[1], Number(process.argv[2])];
const latencies = [];
let running = true;
process.stdin.on('end', () => (running = false));
process.stdin.resume();
(async () => {
  while (running) {
    const started = performance.now();
    const res = await fetch(url);
    await res.text();
    if (res.status !== 200) throw new Error('health answered ' + res.status);
    latencies.push(performance.now() - started);
    if (latencies.length === 1) process.stdout.write('ready\\n');
    await new Promise((r) => setTimeout(r, every));
  }
  process.stdout.write(JSON.stringify(latencies));
})();
`;

/** Asks /health/live every 20 ms until stopped; resolves once it has its first answer. */
async function startProbe(baseUrl: string): Promise<{ stop(): Promise<number[]> }> {
  const child = spawn(process.execPath, ['-e', PROBE_SCRIPT, `${baseUrl}/health/live`, String(PROBE_EVERY_MS)], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await waitFor(() => out.startsWith('ready\n'), 'the probe to start', 10_000);
  return {
    async stop() {
      child.stdin.end();
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(0);
      return JSON.parse(out.slice('ready\n'.length)) as number[];
    },
  };
}

function p99(latencies: number[]): number {
  const sorted = [...latencies].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)];
}

/**
 * Runs `attack` under the probe; asserts the probe's p99 over at least 100 samples (so one
 * scheduling hiccup on a busy machine is not the p99 by itself).
 */
async function underProbe<T>(baseUrl: string, attack: () => Promise<T>): Promise<T> {
  const probe = await startProbe(baseUrl);
  let result: T;
  try {
    result = await attack();
  } finally {
    const latencies = await probe.stop();
    expect(latencies.length).toBeGreaterThanOrEqual(100);
    const worst = p99(latencies);
    console.log(`/health/live under attack: ${latencies.length} probes, p99 ${worst.toFixed(1)} ms (limit ${P99_LIMIT_MS} ms)`);
    expect(worst).toBeLessThan(P99_LIMIT_MS);
  }
  return result;
}

describe('hostile HTTP: the API keeps answering', () => {
  const dir = scratchDir('hostile-http');
  let scratch: IsolatedDatabase;
  let redis: RedisServer;
  let api: ApiProcess;
  let worker: ServiceProcess;
  let corpus: HostileCase[];

  beforeAll(async () => {
    [scratch, redis] = await Promise.all([createIsolatedDatabase('sqlite'), RedisServer.start()]);
    const env = stackEnv({
      databaseUrl: scratch.url,
      redisUrl: redis.url,
      dataDir: join(dir.path, 'data'),
      env: { LOG_LEVEL: 'warn', REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS), HEADERS_TIMEOUT_MS: '2000', INLINE_CONCURRENCY: '2', INLINE_QUEUE: '20' },
    });
    api = await startApi({ ...env, LOG_LEVEL: 'info' });
    worker = await startWorker({ ...env, LOG_LEVEL: 'info' });
    corpus = await writeHostileCorpus(join(dir.path, 'corpus'));
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await redis?.stop();
    await scratch?.drop();
    dir.remove();
  });

  async function taskStatus(taskId: string): Promise<string> {
    const res = await fetch(`${api.baseUrl}/api/data-cleaning/check-status/${taskId}`);
    return ((await res.json()) as { status: string }).status;
  }

  it('a slow body: health answers, and the server cuts the request off after REQUEST_TIMEOUT_MS', async () => {
    const port = Number(new URL(api.baseUrl).port);
    const closed = await underProbe(api.baseUrl, async () => {
      const socket = connect(port, '127.0.0.1');
      const ended = new Promise<{ ms: number; answer: string }>((resolve) => {
        const started = performance.now();
        let answer = '';
        socket.on('data', (chunk) => (answer += chunk.toString()));
        socket.on('close', () => resolve({ ms: performance.now() - started, answer }));
        socket.on('error', () => undefined);
      });
      socket.write(
        'POST /api/data-cleaning/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 10000000\r\n\r\n--x\r\n',
      );
      // One byte every 100 ms: never idle long enough for the idle timeout, never finishing.
      const trickle = setInterval(() => socket.write('a'), 100);
      const result = await ended;
      clearInterval(trickle);
      return result;
    });
    expect(closed.ms).toBeLessThan(REQUEST_TIMEOUT_MS * 4);
    expect(closed.answer === '' || /^HTTP\/1\.1 (408|400|413)/.test(closed.answer)).toBe(true);
  });

  it('500 SSE connections to one task: health answers; every stream gets its first event', async () => {
    const pending = await upload<{ taskId: string }>(api.baseUrl, { name: 'sse.csv', content: '姓名,手机号\n张三,13812345678\n' });
    expect(pending.status).toBe(202);
    const taskId = pending.body.taskId;
    await waitFor(async () => isFinal(await taskStatus(taskId)) || undefined, `task ${taskId} to end`, 30_000, 200);
    // A task that stays pending: its streams stay open (the worker is paused by a queued big file).
    const big = await bigCsv(dir.path, 300_000, 'sse-big.csv');
    const held = await upload<{ taskId: string }>(api.baseUrl, big);
    const waiting = await upload<{ taskId: string }>(api.baseUrl, { name: 'sse-wait.csv', content: '姓名\n张三\n' });
    const controllers: AbortController[] = [];
    const firstEvents = await underProbe(api.baseUrl, async () =>
      Promise.all(
        Array.from({ length: 500 }, async () => {
          const controller = new AbortController();
          controllers.push(controller);
          const res = await fetch(`${api.baseUrl}/api/data-cleaning/events/${waiting.body.taskId}`, { signal: controller.signal });
          const reader = res.body!.getReader();
          let text = '';
          while (!text.includes('event: progress')) {
            const { value, done } = await reader.read();
            if (done) break;
            text += Buffer.from(value).toString();
          }
          return res.status === 200 && text.includes('event: progress');
        }),
      ).then(async (ok) => {
        await sleep(HOLD_MS); // 500 open streams, kept while the probe measures
        return ok;
      }),
    );
    expect(firstEvents.every(Boolean)).toBe(true);
    for (const c of controllers) c.abort();
    for (const id of [held.body.taskId, waiting.body.taskId]) {
      await waitFor(async () => isFinal(await taskStatus(id)) || undefined, `task ${id} to end`, 120_000, 200);
    }
  }, 240_000);

  it('10 parallel sync uploads whose clients disconnect: health answers; each task ends cancelled or completed', async () => {
    const big = await readFile(await bigCsv(dir.path, 100_000, 'sync-big.csv'));
    const before = new Set((await listTaskIds(api.baseUrl)).map((t) => t.jobId));
    const ends = await underProbe(api.baseUrl, async () => {
      await Promise.all(
        Array.from({ length: 10 }, async (_v, i) => {
          const controller = new AbortController();
          const form = new FormData();
          form.append('file', new Blob([new Uint8Array(big)]), `sync-${i}.csv`);
          const answer = fetch(`${api.baseUrl}/api/data-cleaning/upload?mode=sync`, { method: 'POST', body: form, signal: controller.signal }).catch(
            () => undefined,
          );
          // Gone once the body is sent and the task exists (processing takes seconds).
          await waitFor(
            async () => (await listTaskIds(api.baseUrl)).some((t) => t.originalName === `sync-${i}.csv`) || undefined,
            `sync-${i} to be stored`,
            30_000,
            100,
          );
          controller.abort();
          await answer;
        }),
      );
      // Measured until every task has ended (the API stops the threads of the clients that left).
      const created = (await listTaskIds(api.baseUrl)).filter((t) => !before.has(t.jobId) && t.originalName.startsWith('sync-'));
      expect(created).toHaveLength(10);
      const settled = Promise.all(
        created.map((t) => waitFor(async () => ((s) => (isFinal(s) ? s : undefined))(await taskStatus(t.jobId)), `${t.jobId} to end`, 60_000, 200)),
      );
      const [statuses] = await Promise.all([settled, sleep(HOLD_MS)]);
      return statuses;
    });
    expect(ends.every((s) => s === 'cancelled' || s === 'completed')).toBe(true);
    expect(ends).toContain('cancelled');
  }, 180_000);

  it('previews of the 999,000-character shared-string workbooks: health answers; each ends with a clear answer', async () => {
    const files = corpus.filter((c) => c.name.startsWith('shared-string-'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    const answers = await underProbe(api.baseUrl, async () => {
      const all: { name: string; expect: string; status: number; body: { errorCode?: string } }[] = [];
      // Rounds of two at a time of each file until the probe has had enough time.
      for (const started = Date.now(); Date.now() - started < HOLD_MS;) {
        all.push(
          ...(await Promise.all(
            [...files, ...files].map(async (c) => {
              const form = new FormData();
              form.append('file', new Blob([new Uint8Array(await readFile(c.file))]), c.name);
              const res = await fetch(`${api.baseUrl}/api/data-cleaning/preview`, { method: 'POST', body: form });
              return { name: c.name, expect: c.expect, status: res.status, body: (await res.json()) as { errorCode?: string } };
            }),
          )),
        );
      }
      return all;
    });
    // A preview reads only its sample: a workbook may be previewed (200) or refused with its limit's code.
    for (const a of answers) {
      if (a.status === 200) continue;
      expect(a.status, a.name).toBeGreaterThanOrEqual(400);
      expect(a.status, a.name).toBeLessThan(500);
      expect(a.body.errorCode, a.name).toBe(a.expect);
    }
    expect(answers.some((a) => a.status !== 200)).toBe(true);
  }, 120_000);

  it('afterwards a normal upload completes', async () => {
    const res = await upload<{ taskId: string }>(api.baseUrl, { name: 'normal.csv', content: '姓名,手机号\n张三,13812345678\n李四,13912345678\n' });
    expect(res.status).toBe(202);
    expect(await waitFor(async () => ((s) => (s === 'completed' ? s : undefined))(await taskStatus(res.body.taskId)), 'normal upload', 60_000, 200)).toBe(
      'completed',
    );
  }, 90_000);
});

async function listTaskIds(baseUrl: string): Promise<{ jobId: string; originalName: string }[]> {
  const res = await fetch(`${baseUrl}/api/data-cleaning/files?pageSize=100`);
  return ((await res.json()) as { files: { jobId: string; originalName: string }[] }).files;
}

const isFinal = (status: string) => (FINAL_STATUSES as readonly string[]).includes(status);
