/**
 * 属性14 "configuration changes take effect" (SPEC R9.2) on a running TaskConsumer: a change of
 * WORKER_CONCURRENCY in CONFIG_FILE changes how many tasks the worker runs at once — up while
 * tasks are running (the free slot is used without waiting for them to end), and down (no new
 * task starts until the running ones fit the new limit); a changed JOB_TIMEOUT_MS applies to the
 * next task. Attempts are held at their start by a Database test double, so "running at once" is
 * observed exactly.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sampleCsv, ScriptedDatabase, startHarness, waitFor, type Harness } from '../support/queue-harness.js';

describe('a running worker follows configuration changes', () => {
  let h: Harness;
  let scripted: ScriptedDatabase;
  let configPath: string;
  /** Attempts currently held at their start. */
  const held = new Map<string, () => void>();
  let maxHeldAtOnce = 0;
  let holding = true;

  const writeConfig = (values: Record<string, number>) => writeFileSync(configPath, JSON.stringify(values));
  const releaseAll = () => {
    for (const release of [...held.values()]) release();
  };
  const changeConfig = async (values: Record<string, number>) => {
    const changed = new Promise<void>((resolve) => h.config.once('change', () => resolve()));
    writeConfig(values);
    await Promise.race([
      changed,
      sleep(5000).then(() => {
        throw new Error('configuration change not picked up');
      }),
    ]);
  };
  /** Every task uploaded by the current test, so a failed test does not leave held work behind. */
  let uploaded: string[] = [];
  const uploadTasks = async (seeds: number[]) => {
    const tasks = await Promise.all(seeds.map((seed) => h.uploadCsv(sampleCsv(2, seed))));
    uploaded.push(...tasks.map((t) => t.taskId));
    return tasks;
  };
  const allEnded = (ids: string[]) =>
    waitFor(
      async () => {
        const records = await Promise.all(ids.map((id) => h.db.getFileRecordByJobId(id)));
        return records.every((r) => r && ['completed', 'failed', 'timeout'].includes(r.status)) ? records : undefined;
      },
      'every task to end',
      20_000,
    );

  beforeAll(async () => {
    configPath = join(mkdtempSync(join(tmpdir(), 'dcs-cfg-')), 'dcs.json');
    writeFileSync(configPath, JSON.stringify({ WORKER_CONCURRENCY: 1 }));
    h = await startHarness({ tag: 'cfg', env: { CONFIG_FILE: configPath } });
    h.config.watch();
    scripted = new ScriptedDatabase(h.db);
    scripted.beforeStart = async ({ jobId }) => {
      if (!holding) return;
      await new Promise<void>((resolve) => {
        held.set(jobId, () => {
          held.delete(jobId);
          resolve();
        });
        maxHeldAtOnce = Math.max(maxHeldAtOnce, held.size);
      });
    };
    h.startConsumer({ db: scripted.db });
  });
  afterEach(async () => {
    // Let everything of the test finish (also after a failure) before the next one starts.
    const wasHolding = holding;
    holding = false;
    releaseAll();
    await allEnded(uploaded).catch(() => undefined);
    uploaded = [];
    holding = wasHolding;
  });
  afterAll(async () => {
    holding = false;
    releaseAll();
    await h?.close();
    rmSync(join(configPath, '..'), { recursive: true, force: true });
  });

  it('runs one task at a time, then two as soon as WORKER_CONCURRENCY becomes 2', async () => {
    const tasks = await uploadTasks([1, 2, 3, 4]);
    await waitFor(() => held.size === 1, 'the first task to start');
    await sleep(500);
    expect(held.size).toBe(1);
    expect(h.consumers[0].concurrency).toBe(1);

    await changeConfig({ WORKER_CONCURRENCY: 2 });
    expect(h.consumers[0].concurrency).toBe(2);
    // The first task is still held: the second slot must be used without waiting for it.
    await waitFor(() => held.size === 2, 'a second task to start while the first still runs', 5000);

    maxHeldAtOnce = held.size;
    // Release one at a time until all four have run: the worker keeps two running, never three.
    // (Counted, not "until none is held": a task's processing, on its own thread, may still be
    // running while the next one has not reached its start yet.)
    for (let released = 0; released < tasks.length;) {
      if (held.size > 0) {
        held.values().next().value!();
        released++;
      }
      await sleep(200);
    }
    await allEnded(tasks.map((t) => t.taskId));
    expect(maxHeldAtOnce).toBe(2);
  });

  it('starts nothing new until the running tasks fit a lowered WORKER_CONCURRENCY', async () => {
    if (h.config.current.WORKER_CONCURRENCY !== 2) await changeConfig({ WORKER_CONCURRENCY: 2 });
    const tasks = await uploadTasks([11, 12, 13]);
    await waitFor(() => held.size === 2, 'two tasks to start');

    await changeConfig({ WORKER_CONCURRENCY: 1 });
    maxHeldAtOnce = 0;
    // One of the two ends: with the new limit the third may not start beside the remaining one.
    held.values().next().value!();
    await sleep(1000);
    expect(held.size).toBe(1);
    releaseAll();
    await waitFor(() => held.size === 1, 'the third task to start');
    expect(maxHeldAtOnce).toBe(1);
    releaseAll();
    await allEnded(tasks.map((t) => t.taskId));
  });

  it('applies a new JOB_TIMEOUT_MS to the next task', async () => {
    holding = false;
    // Below the validated minimum is not allowed in a file: use the smallest valid limit and a
    // task held longer than it.
    await changeConfig({ WORKER_CONCURRENCY: 1, JOB_TIMEOUT_MS: 1000 });
    expect(h.config.current.JOB_TIMEOUT_MS).toBe(1000);
    scripted.afterStart = () => sleep(1500);
    const [{ taskId }] = await uploadTasks([99]);
    const [record] = await allEnded([taskId]);
    expect(record).toMatchObject({ status: 'timeout', errorCode: 'PROCESSING_TIMEOUT' });
    scripted.afterStart = undefined;
  });
});
