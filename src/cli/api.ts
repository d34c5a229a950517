import { Metrics } from '../http/metrics.js';
import { buildApp, ExposureError } from '../http/app.js';
import { QueueManager } from '../queue/queue-manager.js';
import { RecoveryManager } from '../queue/recovery-manager.js';
import { TaskProducer } from '../queue/task-producer.js';
import { RetentionJob } from '../storage/index.js';
import { openRuntime, packageVersion, parseLimitsOf } from './runtime.js';

/** `dcs api`: the HTTP API (+ web UI), recovery and retention. Processing happens in workers. */
export async function runApi(): Promise<void> {
  const rt = await openRuntime('api');
  const { config, logger, db, fileStore } = rt;
  const c = config.current;
  const hasRedis = Boolean(c.REDIS_URL || c.REDIS_SENTINELS || c.REDIS_CLUSTER_NODES);
  if (!hasRedis) logger.warn('no REDIS_URL: only synchronous uploads (?mode=sync) are possible');
  const queue = hasRedis ? new QueueManager(c, logger) : undefined;
  // With the database, timed-out and cancelled tasks (failed jobs in BullMQ) count as their own outcomes.
  const metrics = new Metrics(queue, db);
  const producer = new TaskProducer({ db, fileStore, queue, logger, maxFileSize: () => config.current.MAX_FILE_SIZE });
  let app;
  try {
    app = await buildApp({
      config,
      db,
      fileStore,
      queue,
      producer,
      metrics,
      logger,
      version: packageVersion(),
      parseLimits: () => parseLimitsOf(config.current),
    });
  } catch (err) {
    if (!(err instanceof ExposureError)) throw err;
    // Refused before listening: say what to do, on the console as well as in the log.
    logger.fatal(err.message);
    process.stderr.write(`dcs api: ${err.message}\n`);
    metrics.close();
    await queue?.close();
    await rt.close();
    process.exit(1);
  }
  const recovery = queue ? new RecoveryManager({ db, queue, config, logger }) : undefined;
  recovery?.start();
  const retention = new RetentionJob({ database: db, fileStore, maxAgeMs: () => config.current.RESULT_TTL_DAYS * 86_400_000, logger });
  retention.start(c.RETENTION_INTERVAL_MS);

  const address = await app.listen({ host: c.HOST, port: c.PORT });
  logger.info({ address, database: db.dialect }, `API listening on ${address}`);
  process.send?.({ type: 'listening', address });

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'API shutting down');
    recovery?.stop();
    await retention.stop();
    await app.close().catch(() => undefined);
    metrics.close();
    await queue?.close();
    await rt.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
