import { QueueManager } from '../queue/queue-manager.js';
import { RecoveryManager } from '../queue/recovery-manager.js';
import { TaskConsumer } from '../queue/task-consumer.js';
import { openRuntime } from './runtime.js';

/**
 * `dcs worker`: a standalone worker process (SPEC R3). Consumes tasks until SIGTERM/SIGINT, then
 * stops taking new ones, finishes (or after SHUTDOWN_GRACE_MS hands back) the current ones and exits.
 */
export async function runWorker(): Promise<void> {
  const rt = await openRuntime('worker');
  const { config, logger, db, fileStore } = rt;
  const c = config.current;
  if (!c.REDIS_URL && !c.REDIS_SENTINELS && !c.REDIS_CLUSTER_NODES) {
    logger.fatal('a worker needs Redis: set REDIS_URL (or REDIS_SENTINELS / REDIS_CLUSTER_NODES)');
    process.exit(2);
  }
  const queue = new QueueManager(c, logger);
  const consumer = new TaskConsumer({ db, fileStore, config, logger });
  const recovery = new RecoveryManager({ db, queue, config, logger });
  recovery.start();
  logger.info({ queue: c.QUEUE_NAME, concurrency: c.WORKER_CONCURRENCY, database: db.dialect }, 'worker started');
  process.send?.({ type: 'ready' });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, active: consumer.activeJobIds, graceMs: config.current.SHUTDOWN_GRACE_MS }, 'worker shutting down');
    recovery.stop();
    await consumer.close();
    await queue.close();
    await rt.close();
    logger.info('worker stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
