/**
 * SPEC §6: the hostile-file corpus (test/support/hostile-files.ts, 51 files) uploaded over HTTP to a
 * running `dcs api` + `dcs worker`. Each file yields a correct result (task completed with the
 * expected row count) or a clear error — refused at upload with its code, or the task failed with
 * its code visible in check-status. Never a crash (same PIDs, /health/live answers), never a hang
 * (each case bounded), and afterwards no leaked file: DATA_DIR holds exactly the stored uploads
 * of the accepted tasks, the processes' private TMPDIR is empty, and the API's open descriptors
 * are back to their baseline.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive, openFdCount, scratchDir } from '../support/fault.js';
import { writeHostileCorpus, type HostileCase } from '../support/hostile-files.js';
import { RedisServer } from '../support/redis-server.js';
import { stackEnv, startApi, startWorker, type ApiProcess, type ServiceProcess, type TaskView } from '../support/stack.js';

const CASE_TIMEOUT_MS = 60_000;
const FINAL = ['completed', 'failed', 'timeout', 'cancelled'];
// Each request on its own connection: keep-alive sockets would blur the API's descriptor count.
const CLOSE = { connection: 'close' };

interface Verdict {
  name: string;
  expect: HostileCase['expect'];
  outcome: string;
}

function listFiles(root: string): string[] {
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

async function uploadFile(baseUrl: string, path: string, filename: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const form = new FormData();
  form.append('file', new Blob([new Uint8Array(readFileSync(path))]), filename);
  const res = await fetch(`${baseUrl}/api/data-cleaning/upload`, { method: 'POST', body: form, headers: CLOSE, signal: AbortSignal.timeout(CASE_TIMEOUT_MS) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function finalStatus(baseUrl: string, taskId: string): Promise<TaskView> {
  const deadline = Date.now() + CASE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const res = await fetch(`${baseUrl}/api/data-cleaning/check-status/${taskId}`, { headers: CLOSE });
    const view = (await res.json()) as TaskView;
    if (res.status === 200 && FINAL.includes(view.status)) return view;
    await sleep(100);
  }
  throw new Error(`task ${taskId} not finished within ${CASE_TIMEOUT_MS} ms (hang)`);
}

describe('hostile corpus over HTTP (api + worker processes)', () => {
  const dir = scratchDir('hostile-http');
  const dataDir = join(dir.path, 'data');
  const processTmp = join(dir.path, 'tmp');
  const databaseFile = join(dir.path, 'db', 'dcs.sqlite');
  let redis: RedisServer;
  let api: ApiProcess;
  let worker: ServiceProcess;
  let cases: HostileCase[];

  beforeAll(async () => {
    for (const d of [dataDir, processTmp, join(dir.path, 'db')]) mkdirSync(d, { recursive: true });
    [redis, cases] = await Promise.all([RedisServer.start(), writeHostileCorpus(join(dir.path, 'corpus'))]);
    const env = stackEnv({ databaseUrl: `sqlite:${databaseFile}`, redisUrl: redis.url, dataDir, env: { TMPDIR: processTmp } });
    api = await startApi(env);
    worker = await startWorker(env);
  }, 120_000);

  afterAll(async () => {
    await worker?.stop();
    await api?.stop();
    await redis?.stop();
    dir.remove();
  });

  it('every file ends in a result or a clear error; nothing crashes, hangs or leaks', async () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
    const pids = { api: api.pid, worker: worker.pid };

    // Baseline after one complete task (lazy modules, pools and connections are open by then).
    const warm = cases.find((c) => c.name === 'passwd.csv')!;
    const warmUpload = await uploadFile(api.baseUrl, warm.file, 'warm-up.csv');
    expect((await finalStatus(api.baseUrl, String(warmUpload.body.taskId))).status).toBe('completed');
    await sleep(500);
    const baselineFds = openFdCount(api.pid);
    const workerBaselineFds = openFdCount(worker.pid);

    const verdicts: Verdict[] = [];
    const acceptedTasks = [String(warmUpload.body.taskId)];
    for (const hostile of cases) {
      const filename = hostile.originalName ?? hostile.name;
      const { status, body } = await uploadFile(api.baseUrl, hostile.file, filename);
      let outcome: string;
      if (status === 202) {
        const taskId = String(body.taskId);
        acceptedTasks.push(taskId);
        const view = await finalStatus(api.baseUrl, taskId);
        outcome = view.status === 'completed' ? `completed:${view.statistics?.totalRows}` : `${view.status}:${view.errorCode}`;
        if (view.status !== 'completed') {
          expect(view.errorMessage, `${hostile.name}: the failure is explained`).toMatch(/[\u4e00-\u9fff]/);
        }
        // The stored name never carries a path or control characters.
        // (FormData itself percent-encodes a line break in the name, so only the shape is checked.)
        const storedName = String(view.fileName);
        expect(storedName).toMatch(/^[^/\\\u0000-\u001f\u007f]{1,255}$/);
        expect(storedName.endsWith(basename(filename).slice(-8))).toBe(true);
      } else {
        expect(body, `${hostile.name}: refusals use the common error body`).toMatchObject({
          statusCode: status,
          errorCode: expect.any(String),
          message: expect.any(String),
        });
        expect(status, `${hostile.name}: a refusal is a client error`).toBeLessThan(500);
        outcome = `refused:${String(body.errorCode)}`;
      }
      verdicts.push({ name: hostile.name, expect: hostile.expect, outcome });

      if (hostile.expect === 'ok' && hostile.dataRows !== 0) {
        if (hostile.dataRows === undefined) expect(outcome, `${hostile.name} (${hostile.note})`).toMatch(/^completed:[1-9]\d*$/);
        else expect(outcome, `${hostile.name} (${hostile.note})`).toBe(`completed:${hostile.dataRows}`);
      } else {
        const code = hostile.expect === 'ok' ? 'EMPTY_FILE' : hostile.expect; // header only: nothing to clean
        expect([`refused:${code}`, `failed:${code}`], `${hostile.name} (${hostile.note})`).toContain(outcome);
      }
      // Still the same processes, still answering.
      expect(isAlive(pids.api) && isAlive(pids.worker) && !api.exited && !worker.exited, `${hostile.name} crashed a process`).toBe(true);
      expect((await fetch(`${api.baseUrl}/health/live`, { headers: CLOSE })).status).toBe(200);
    }

    // No leaked files: DATA_DIR holds exactly the accepted uploads; the private TMPDIR is empty.
    const db = new BetterSqlite3(databaseFile, { readonly: true });
    const storageKeys = db
      .prepare<[], { storage_key: string }>('select storage_key from file_records')
      .all()
      .map((r) => r.storage_key);
    db.close();
    expect(storageKeys).toHaveLength(acceptedTasks.length);
    expect(listFiles(dataDir)).toEqual([...storageKeys].sort());
    expect(listFiles(processTmp)).toEqual([]);

    // The API's descriptors return to the baseline (sockets of closed requests need a moment).
    let fds = openFdCount(api.pid);
    for (let i = 0; i < 50 && fds !== baselineFds; i++) {
      await sleep(100);
      fds = openFdCount(api.pid);
    }
    expect(fds, 'API open file descriptors vs baseline').toBe(baselineFds);
    // The worker opened and parsed every accepted file: none of them may stay open.
    expect(openFdCount(worker.pid), 'worker open file descriptors vs baseline').toBe(workerBaselineFds);

    const tally = (prefix: string) => verdicts.filter((v) => v.outcome.startsWith(prefix)).length;
    console.info(
      `[hostile-http] ${verdicts.length} files: ${tally('completed')} completed, ${tally('refused')} refused at upload, ${tally('failed')} failed in the worker; ` +
        `API fds ${baselineFds} → ${fds}, worker fds ${workerBaselineFds} → ${openFdCount(worker.pid)}; DATA_DIR ${storageKeys.length} stored uploads, no temp files\n` +
        verdicts.map((v) => `  ${v.name}: ${v.outcome}`).join('\n'),
    );
  }, 600_000);
});
