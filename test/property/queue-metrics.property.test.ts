/**
 * 属性15 (SPEC R9.3/9.4): after random batches of tasks that complete, fail permanently (a
 * corrupted upload), fail once and then complete (a retried ECONNRESET), time out, or are
 * cancelled while processing, the Prometheus counters on /metrics, the queue gauges and
 * /api/queue/stats equal what was observed:
 * - dcs_tasks_finished_total{outcome} grows by exactly the completed / failed / timeout /
 *   cancelled counts (a retried attempt is not a failure);
 * - dcs_rows_processed_total grows by the rows of the completed tasks, and the processing-time
 *   histogram by one observation per completed task;
 * - dcs_queue_jobs{state} equals the queue's own counts, dcs_workers_active the workers;
 * - /api/queue/stats counts match BullMQ's, jobsPerMinute the completed tasks of the window.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codedError, sampleCsv, ScriptedDatabase, startHarness, waitFor, type Harness } from '../support/queue-harness.js';
import { getJson } from '../support/stack.js';

const JOB_TIMEOUT_MS = 300;
const CORRUPTED_CSV = '姓名,手机号\n李四,"13912345678\n';

type Kind = 'completed' | 'failed' | 'flaky' | 'timeout' | 'cancelled';

/** Prometheus text format → { 'name{label="v"}': value }. */
export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    values.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return values;
}

interface QueueStats {
  counts: Record<string, number>;
  workers: number;
  throughput: { jobsPerMinute: number; rowsPerSecond: number };
  errorRate: number;
}

describe('属性15: metrics equal the observed counts', () => {
  let h: Harness;
  /** Held attempts of 'cancelled' tasks, by file name. */
  const holds = new Map<string, { reached: () => void; release: Promise<void> }>();
  let uploads = 0;

  beforeAll(async () => {
    h = await startHarness({ tag: 'metrics', env: { WORKER_CONCURRENCY: '1', MAX_RETRIES: '2', RETRY_BACKOFF_MS: '5' }, configOverrides: { JOB_TIMEOUT_MS } });
    const scripted = new ScriptedDatabase(h.db);
    // The behaviour of a task is in its file name: `<kind>-<n>.csv`.
    scripted.afterStart = async ({ fileName, attempt }) => {
      const kind = fileName.split('-')[0] as Kind;
      if (kind === 'flaky' && attempt === 1) throw codedError('ECONNRESET');
      if (kind === 'timeout') await sleep(JOB_TIMEOUT_MS + 200);
      const hold = holds.get(fileName);
      if (kind === 'cancelled' && hold) {
        hold.reached();
        await hold.release;
      }
    };
    h.startConsumer({ db: scripted.db });
  });
  afterAll(async () => {
    await h?.close();
  });

  const scrape = async () => parseMetrics((await getJson<string>(`${h.baseUrl}/metrics`)).body);
  const finished = (m: Map<string, number>, outcome: string) => m.get(`dcs_tasks_finished_total{outcome="${outcome}"}`) ?? 0;
  const snapshot = (m: Map<string, number>) => ({
    completed: finished(m, 'completed'),
    failed: finished(m, 'failed'),
    timeout: finished(m, 'timeout'),
    cancelled: finished(m, 'cancelled'),
    rows: m.get('dcs_rows_processed_total') ?? 0,
    timed: m.get('dcs_task_processing_seconds_count') ?? 0,
  });

  it('counters, gauges and queue statistics follow the tasks exactly', async () => {
    const runArb = fc.record({
      completed: fc.array(fc.integer({ min: 1, max: 25 }), { maxLength: 3 }),
      failed: fc.integer({ min: 0, max: 2 }),
      flaky: fc.array(fc.integer({ min: 1, max: 25 }), { maxLength: 2 }),
      // A timeout costs JOB_TIMEOUT_MS of waiting: in about one run in five.
      timeout: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constant(1) }),
      cancelled: fc.integer({ min: 0, max: 1 }),
    });

    await fc.assert(
      fc.asyncProperty(runArb, async (run) => {
        const before = snapshot(await scrape());
        const countsBefore = await h.queue.counts();
        const statsBefore = (await getJson<QueueStats>(`${h.baseUrl}/api/queue/stats`)).body;
        const ids: string[] = [];
        const upload = async (fileName: string, content: string) => {
          const { taskId } = await h.uploadCsv(content, fileName);
          ids.push(taskId);
          return taskId;
        };
        const nameFor = (kind: Kind) => `${kind}-${++uploads}.csv`;

        for (const rows of run.completed) await upload(nameFor('completed'), sampleCsv(rows, rows));
        for (let i = 0; i < run.failed; i++) await upload(nameFor('failed'), CORRUPTED_CSV);
        for (const rows of run.flaky) await upload(nameFor('flaky'), sampleCsv(rows, rows + 1));
        for (let i = 0; i < run.timeout; i++) await upload(nameFor('timeout'), sampleCsv(2));
        if (run.cancelled) {
          let reached!: () => void;
          let release!: () => void;
          const atProcessing = new Promise<void>((r) => (reached = r));
          const name = nameFor('cancelled');
          holds.set(name, { reached, release: new Promise<void>((r) => (release = r)) });
          const taskId = await upload(name, sampleCsv(2));
          await atProcessing;
          expect((await getJson(`${h.baseUrl}/api/data-cleaning/tasks/${taskId}/cancel`, { method: 'POST' })).status).toBe(200);
          release();
        }

        // Every task has ended, in the database and in BullMQ.
        await waitFor(
          async () => {
            const states = await Promise.all(ids.map(async (id) => (await h.queue.getJob(id))?.getState()));
            return states.every((s) => s === 'completed' || s === 'failed');
          },
          'every job to finish in BullMQ',
          20_000,
        );

        const completed = run.completed.length + run.flaky.length;
        const rows = [...run.completed, ...run.flaky].reduce((a, b) => a + b, 0);
        const expected = {
          completed: before.completed + completed,
          failed: before.failed + run.failed,
          timeout: before.timeout + run.timeout,
          cancelled: before.cancelled + run.cancelled,
          rows: before.rows + rows,
          timed: before.timed + completed,
        };
        // Counters follow the queue's event stream: wait until they arrive, then make sure nothing more does.
        await waitFor(
          async () => JSON.stringify(snapshot(await scrape())) === JSON.stringify(expected),
          `counters to reach ${JSON.stringify(expected)}`,
          5000,
        ).catch(() => undefined);
        await sleep(50);
        const metrics = await scrape();
        expect(snapshot(metrics)).toEqual(expected);

        // Gauges are read at scrape time: nothing runs now, so they equal the queue's counts.
        const counts = await h.queue.counts();
        for (const [state, n] of Object.entries(counts)) expect(metrics.get(`dcs_queue_jobs{state="${state}"}`), state).toBe(n);
        expect(metrics.get('dcs_workers_active')).toBe(1);
        // BullMQ: a cancel while processing ends as a completed job, a timeout as a failed one.
        const states = await Promise.all(ids.map(async (id) => `${id.slice(0, 8)}:${await (await h.queue.getJob(id))?.getState()}`));
        expect(counts.completed - countsBefore.completed, `${JSON.stringify(countsBefore)} → ${JSON.stringify(counts)}; ${states.join(' ')}`).toBe(
          completed + run.cancelled,
        );
        expect(counts.failed - countsBefore.failed).toBe(run.failed + run.timeout);
        expect(counts.waiting + counts.active + counts.delayed).toBe(0);

        const { status, body } = await getJson<QueueStats>(`${h.baseUrl}/api/queue/stats`);
        expect(status).toBe(200);
        expect(body.counts).toEqual(counts);
        expect(body.workers).toBe(1);
        // jobsPerMinute = completed in the last 15 minutes / 15, rounded to 0.01: × 15 recovers the count.
        const windowCompleted = (stats: QueueStats) => Math.round(stats.throughput.jobsPerMinute * 15);
        expect(windowCompleted(body) - windowCompleted(statsBefore)).toBe(completed);
      }),
      { numRuns: 100 },
    );
  }, 240_000);
});

describe('SPEC R9.3: the error rate of /api/queue/stats', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ tag: 'errrate', env: { WORKER_CONCURRENCY: '1' }, configOverrides: { JOB_TIMEOUT_MS } });
    const scripted = new ScriptedDatabase(h.db);
    scripted.afterStart = async ({ fileName }) => {
      if (fileName.startsWith('timeout')) await sleep(JOB_TIMEOUT_MS + 200);
    };
    h.startConsumer({ db: scripted.db });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('counts every unsuccessful end (failed and timed out) among the finished tasks', async () => {
    const uploads = await Promise.all([
      h.uploadCsv(sampleCsv(3), 'ok-1.csv'),
      h.uploadCsv(sampleCsv(4), 'ok-2.csv'),
      h.uploadCsv(CORRUPTED_CSV, 'failed-1.csv'),
      h.uploadCsv(sampleCsv(2), 'timeout-1.csv'),
    ]);
    const records = await waitFor(
      async () => {
        const rs = await Promise.all(uploads.map((u) => h.db.getFileRecordByJobId(u.taskId)));
        return rs.every((r) => r && ['completed', 'failed', 'timeout'].includes(r.status)) ? rs : undefined;
      },
      'every task to end',
      20_000,
    );
    expect(records.map((r) => r!.status).sort()).toEqual(['completed', 'completed', 'failed', 'timeout']);
    const { body } = await getJson<QueueStats>(`${h.baseUrl}/api/queue/stats`);
    // 2 of the 4 finished tasks did not succeed.
    expect(body.errorRate).toBe(0.5);
  });
});
