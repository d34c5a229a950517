import { mkdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigStore, loadConfig, type Config } from '../config/index.js';
import { createLogger, type Logger } from '../logging.js';
import { classifyError } from '../queue/error-handler.js';
import { createDatabase, createFileStore, type Database, type DatabaseOptions, type FileStore } from '../storage/index.js';

export { packageVersion, parseLimitsOf } from './common.js';

export interface Runtime {
  config: ConfigStore;
  logger: Logger;
  db: Database;
  fileStore: FileStore;
  close(): Promise<void>;
}

/** Loads the configuration (exits with a clear message when invalid) and a logger for a role. */
export function loadConfigOrExit(role: string): { config: ConfigStore; logger: Logger } {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger({ level: config.LOG_LEVEL, name: role });
  const store = new ConfigStore(config).watch();
  store.on('error', (err) => logger.error({ err: err.message }, 'configuration reload rejected; keeping the current configuration'));
  store.on('change', ({ changed, ignored, next }) => {
    if (changed.includes('LOG_LEVEL')) logger.level = next.LOG_LEVEL;
    logger.info({ changed, ignoredNeedRestart: ignored }, 'configuration reloaded');
  });
  return { config: store, logger };
}

/** How long a starting process waits for an unreachable database before giving up. */
const DATABASE_START_WAIT_MS = 120_000;

/**
 * Opens and migrates the database. A database that is not reachable yet (a restart, all services
 * started together) is waited for — retryable errors only, backoff 1 s doubling to 10 s, at most
 * DATABASE_START_WAIT_MS — instead of crash-looping; anything else (bad URL, credentials, a failed
 * migration) fails at once.
 */
export async function openMigratedDatabase(
  url: string,
  logger: Logger,
  waitMs = DATABASE_START_WAIT_MS,
  options: Omit<DatabaseOptions, 'logger'> = {},
): Promise<Database> {
  const db = createDatabase(url, { ...options, logger });
  const deadline = Date.now() + waitMs;
  for (let attempt = 1; ; attempt++) {
    try {
      await db.migrate();
      if (attempt > 1) logger.info({ attempts: attempt }, 'database reachable, starting');
      return db;
    } catch (err) {
      const classified = classifyError(err);
      const delayMs = Math.min(1000 * 2 ** (attempt - 1), 10_000);
      // INTERNAL_ERROR is the classifier's "unknown" (e.g. bad credentials): not worth waiting for.
      if (classified.kind !== 'retryable' || classified.code === 'INTERNAL_ERROR' || Date.now() + delayMs > deadline) {
        await db.close().catch(() => undefined);
        throw err;
      }
      logger.warn({ code: classified.code, err: classified.message, attempt, retryInMs: delayMs }, 'database unavailable at start; waiting for it');
      await sleep(delayMs);
    }
  }
}

/** Database (migrated) and file store shared by the API and worker roles. */
export async function openRuntime(role: string): Promise<Runtime> {
  const { config, logger } = loadConfigOrExit(role);
  const c = config.current;
  mkdirSync(c.DATA_DIR, { recursive: true });
  const db = await openMigratedDatabase(c.DATABASE_URL, logger, DATABASE_START_WAIT_MS, {
    sqliteWriterThread: c.SQLITE_WRITER_THREAD,
    sqliteRowsPerStatement: c.SQLITE_ROWS_PER_STATEMENT,
    mysqlLocalInfile: c.MYSQL_LOCAL_INFILE,
  });
  // FILE_STORE_URL unset: the store's root is DATA_DIR (uploads in DATA_DIR/uploads).
  const fileStore = await createFileStore(c);
  if (fileStore.check) {
    // Only a diagnostic: every operation reports FILE_STORE_UNAVAILABLE (retryable) on its own.
    await fileStore.check().then(
      () => logger.info({ fileStore: fileStore.describe('') }, 'file store reachable'),
      (err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'file store not reachable at start; operations will retry'),
    );
  }
  return {
    config,
    logger,
    db,
    fileStore,
    async close() {
      config.close();
      fileStore.close?.();
      await db.close();
    },
  };
}
