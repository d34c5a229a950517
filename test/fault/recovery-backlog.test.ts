/**
 * Uploads accepted while Redis was down are enqueued by the RecoveryManager even when more than one
 * scan batch (500) of healthy tasks waits in the queue ahead of them. The oldest-first scan alone
 * would only see the backlog (all owned by BullMQ) and leave the newer orphans unqueued until the
 * backlog drained. In-process (database, queue and recovery manager in the test), no workers.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigStore, loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logging.js';
import { QueueManager } from '../../src/queue/queue-manager.js';
import { RecoveryManager } from '../../src/queue/recovery-manager.js';
import { createDatabase, type Database } from '../../src/storage/index.js';
import { sampleFileRecord } from '../support/databases.js';
import { scratchDir } from '../support/fault.js';
import { RedisServer } from '../support/redis-server.js';

const BACKLOG = 600;

describe('recovery with a large healthy backlog', () => {
  const dir = scratchDir('recovery-backlog');
  let redis: RedisServer;
  let db: Database;
  let queue: QueueManager;
  let recovery: RecoveryManager;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const env = {
      DATA_DIR: dir.path,
      DATABASE_URL: `sqlite:${join(dir.path, 'db.sqlite')}`,
      REDIS_URL: redis.url,
      REDIS_PREFIX: 'backlog',
      RECOVERY_GRACE_MS: '0',
      LOG_LEVEL: 'silent',
    };
    const config = new ConfigStore(loadConfig(env), env);
    const logger = createLogger({ level: 'silent' });
    db = createDatabase(config.current.DATABASE_URL);
    await db.migrate();
    queue = new QueueManager(config.current, logger);
    await queue.waitUntilReady();
    recovery = new RecoveryManager({ db, queue, config, logger });
  });

  afterAll(async () => {
    await queue?.queue.obliterate({ force: true }).catch(() => undefined);
    await queue?.close();
    await db?.close();
    await redis?.stop();
    dir.remove();
  });

  it('enqueues an upload that never reached the queue, behind 600 waiting tasks', async () => {
    for (let i = 0; i < BACKLOG; i++) {
      const record = await db.createFileRecord(sampleFileRecord());
      await queue.enqueue({ jobId: record.jobId, fileId: record.id });
      await db.updateFileRecord(record.jobId, { enqueuedAt: new Date() });
    }
    // Accepted while Redis was down: recorded, never enqueued.
    const orphan = await db.createFileRecord(sampleFileRecord());
    await new Promise((r) => setTimeout(r, 5));
    expect((await queue.counts()).waiting).toBe(BACKLOG);

    const report = await recovery.reconcile();
    expect(report.skipped).toBe(false);
    expect(report.enqueued).toEqual([orphan.jobId]);
    expect(report.requeued).toEqual([]);
    expect((await queue.getTaskState(orphan.jobId))?.state).toBe('waiting');
    expect((await db.getFileRecordByJobId(orphan.jobId))?.enqueuedAt).not.toBeNull();
    expect((await queue.counts()).waiting).toBe(BACKLOG + 1);
  }, 120_000);
});
