import { mkdirSync } from 'node:fs';
import { ConfigStore, loadConfig, type Config } from '../config/index.js';
import { createLogger, type Logger } from '../logging.js';
import { createDatabase, LocalFileStore, type Database, type FileStore } from '../storage/index.js';

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

/** Database (migrated) and file store shared by the API and worker roles. */
export async function openRuntime(role: string): Promise<Runtime> {
  const { config, logger } = loadConfigOrExit(role);
  const c = config.current;
  mkdirSync(c.DATA_DIR, { recursive: true });
  const db = await createDatabase(c.DATABASE_URL, { logger });
  await db.migrate();
  // Keys are 'uploads/<id>' and 'exports/…': the store's root is DATA_DIR (uploads in DATA_DIR/uploads).
  const fileStore = new LocalFileStore(c.DATA_DIR);
  return {
    config,
    logger,
    db,
    fileStore,
    async close() {
      config.close();
      await db.close();
    },
  };
}
