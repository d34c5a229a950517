/**
 * 属性8 end to end (SPEC R4.1–R4.5): a real 200,000-row task processed by a `dcs worker` process,
 * watched through `check-status` of a separate `dcs api` process (progress readable from any API
 * instance). Every sample satisfies progress = round(100 × processedRows / totalRows); progress,
 * processed rows and phase never go back; the task is seen in progress at intermediate values and
 * ends at 100 % and `done`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCsv } from '../../bench/generate-data.js';
import { obliterateQueue, REDIS_URL } from '../support/queue-harness.js';
import { getJson, startApi, startWorker, stackEnv, upload, type ApiProcess, type ServiceProcess, type TaskView } from '../support/stack.js';

const ROWS = 200_000;
const PHASES = ['queued', 'parsing', 'cleaning', 'saving', 'exporting', 'done'];

describe('progress of a real 200k-row task, sampled through check-status', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'dcs-progress-'));
  const file = join(dataDir, 'big.csv');
  let api: ApiProcess;
  let worker: ServiceProcess;
  let prefix: string;

  beforeAll(async () => {
    const env = stackEnv({ databaseUrl: `sqlite:${join(dataDir, 'db.sqlite')}`, redisUrl: REDIS_URL, dataDir, env: { PROGRESS_INTERVAL_MS: '100' } });
    prefix = env.REDIS_PREFIX;
    [api, worker] = await Promise.all([startApi(env), startWorker(env), writeCsv(file, ROWS)]).then(([a, w]) => [a, w] as const);
  }, 120_000);
  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    if (prefix) await obliterateQueue(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('never decreases, always equals round(100 × processed / total) and ends at 100', async () => {
    const { status, body } = await upload<{ taskId: string }>(api.baseUrl, file);
    expect(status).toBe(202);
    const samples: TaskView[] = [];
    const deadline = Date.now() + 120_000;
    for (;;) {
      const res = await getJson<TaskView>(`${api.baseUrl}/api/data-cleaning/check-status/${body.taskId}`);
      expect(res.status).toBe(200);
      samples.push(res.body);
      if (['completed', 'failed', 'timeout', 'cancelled'].includes(res.body.status)) break;
      if (Date.now() > deadline) throw new Error(`task not finished in time; last sample ${JSON.stringify(res.body)}`);
      await new Promise((r) => setTimeout(r, 20));
    }

    const last = samples.at(-1)!;
    expect(last).toMatchObject({ status: 'completed', progress: 100, currentPhase: 'done', processedRows: ROWS, totalRows: ROWS });
    for (const [i, s] of samples.entries()) {
      expect(s.progress).toBe(s.totalRows > 0 ? Math.round((100 * s.processedRows) / s.totalRows) : 0);
      if (i === 0) continue;
      const prev = samples[i - 1];
      expect(s.progress, `sample ${i}: ${prev.progress} → ${s.progress}`).toBeGreaterThanOrEqual(prev.progress);
      expect(s.processedRows).toBeGreaterThanOrEqual(prev.processedRows);
      expect(PHASES.indexOf(s.currentPhase)).toBeGreaterThanOrEqual(PHASES.indexOf(prev.currentPhase));
    }
    const intermediate = new Set(samples.filter((s) => s.progress > 0 && s.progress < 100).map((s) => s.progress));
    console.info(
      `${samples.length} samples, ${intermediate.size} distinct intermediate percentages, phases: ${[...new Set(samples.map((s) => s.currentPhase))].join(' → ')}`,
    );
    expect(intermediate.size).toBeGreaterThanOrEqual(3);
  });
});
