import { getPriority, setPriority } from 'node:os';
import type { Logger } from '../logging.js';
import { QueueManager } from '../queue/queue-manager.js';
import { RecoveryManager } from '../queue/recovery-manager.js';
import { TaskConsumer } from '../queue/task-consumer.js';
import { openRuntime } from './runtime.js';

/**
 * Runs this worker below the API's CPU priority, so that with every worker busy on every core the
 * API still answers status polls at once. Linux sets the niceness per thread: it is set here on
 * the main thread before any task starts, and the cleaning threads it starts later inherit it.
 */
function lowerPriority(nice: number, logger: Logger): void {
  if (nice === 0) return;
  try {
    setPriority(Math.max(getPriority(), nice));
  } catch (err) {
    logger.warn({ err: String(err), nice }, 'could not lower the worker CPU priority (WORKER_NICE); running at normal priority');
  }
}

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
  lowerPriority(c.WORKER_NICE, logger);
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
