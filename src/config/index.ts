import { EventEmitter } from 'node:events';
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const optionalString = z.string().trim().min(1).optional().catch(undefined);

/**
 * Every setting of the product. Names are the environment variable names (SPEC §4) — operators and
 * scripts rely on them. A CONFIG_FILE (JSON or YAML) may set the same keys; the environment wins.
 */
export const configSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(0, 65535).default(3000),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Default: an SQLite file in DATA_DIR. */
  DATABASE_URL: z.string().regex(/^(sqlite:|postgres(ql)?:\/\/|mysql:\/\/|mariadb:\/\/)/, 'must start with sqlite:, postgres://, postgresql://, mysql:// or mariadb://').optional(),
  /** Unset: `dcs start` runs a local redis-server under DATA_DIR/redis. */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, 'must start with redis:// or rediss://').optional(),
  /** Comma-separated host:port list; with REDIS_SENTINEL_NAME selects Sentinel mode. */
  REDIS_SENTINELS: optionalString,
  REDIS_SENTINEL_NAME: optionalString,
  /** Comma-separated host:port list of Cluster seed nodes; selects Cluster mode. */
  REDIS_CLUSTER_NODES: optionalString,
  /** BullMQ key prefix; in Cluster mode it is wrapped in {…} so all queue keys share one hash slot. */
  REDIS_PREFIX: z.string().min(1).default('dcs'),
  /** Reconnection: delay doubles from 100 ms up to this bound. */
  REDIS_RECONNECT_MAX_DELAY_MS: int(100).default(10_000),
  QUEUE_NAME: z.string().min(1).regex(/^[\w-]+$/, 'letters, digits, _ and - only').default('data-cleaning'),
  WORKER_COUNT: int(1, 256).default(Math.max(1, availableParallelism())),
  WORKER_CONCURRENCY: int(1, 64).default(1),
  JOB_TIMEOUT_MS: int(1000).default(1_800_000),
  MAX_RETRIES: int(0, 100).default(3),
  RETRY_BACKOFF_MS: int(0).default(1000),
  /** BullMQ lock: a job whose worker stops renewing for this long is considered stalled. */
  LOCK_DURATION_MS: int(1000).default(30_000),
  STALLED_INTERVAL_MS: int(1000).default(15_000),
  /** How often the recovery manager reconciles the database with the queue. */
  RECOVERY_INTERVAL_MS: int(1000).default(60_000),
  /** A pending record whose job is missing from the queue is re-enqueued after this long. */
  RECOVERY_GRACE_MS: int(0).default(30_000),
  /** Minimum interval between progress writes to Redis. */
  PROGRESS_INTERVAL_MS: int(10).default(250),
  /** On SIGTERM/SIGINT a worker finishes its current task within this time, else hands it back. */
  SHUTDOWN_GRACE_MS: int(0).default(25_000),
  MAX_FILE_SIZE: int(1).default(500 * 1024 * 1024),
  MAX_ROWS: int(1).default(10_000_000),
  MAX_COLUMNS: int(1).default(1000),
  MAX_LINE_LENGTH: int(1).default(1_000_000),
  MAX_UNCOMPRESSED_BYTES: int(1).default(4 * 1024 ** 3),
  MAX_COMPRESSION_RATIO: int(1).default(200),
  BATCH_SIZE: int(1, 100_000).default(1000),
  RESULT_TTL_DAYS: z.coerce.number().min(0).default(7),
  /** How often the retention job runs. */
  RETENTION_INTERVAL_MS: int(1000).default(3_600_000),
  API_TOKEN: optionalString,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CONFIG_FILE: optionalString,
});

export type Config = z.infer<typeof configSchema> & { DATABASE_URL: string };

/** Keys that take effect without a restart (SIGHUP or a change of CONFIG_FILE). */
export const HOT_RELOADABLE_KEYS = [
  'WORKER_CONCURRENCY',
  'JOB_TIMEOUT_MS',
  'MAX_RETRIES',
  'RETRY_BACKOFF_MS',
  'PROGRESS_INTERVAL_MS',
  'SHUTDOWN_GRACE_MS',
  'RECOVERY_INTERVAL_MS',
  'RECOVERY_GRACE_MS',
  'RESULT_TTL_DAYS',
  'MAX_FILE_SIZE',
  'MAX_ROWS',
  'MAX_COLUMNS',
  'MAX_LINE_LENGTH',
  'BATCH_SIZE',
  'LOG_LEVEL',
] as const satisfies readonly (keyof Config)[];

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`配置无效 / invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Source = Record<string, unknown>;

function readConfigFile(file: string): Source {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`CONFIG_FILE: cannot read ${file}: ${(err as Error).message}`]);
  }
  try {
    const data: unknown = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
    if (data === null || data === undefined) return {};
    if (typeof data !== 'object' || Array.isArray(data)) throw new Error('top level must be an object of KEY: value');
    return data as Source;
  } catch (err) {
    throw new ConfigError([`CONFIG_FILE: ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(err as Error).message}`]);
  }
}

/**
 * Builds the validated configuration from the environment and the optional CONFIG_FILE.
 * Throws ConfigError naming every bad key and what is wrong with it.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const known = new Set(Object.keys(configSchema.shape));
  const fromEnv: Source = {};
  for (const key of known) {
    const value = env[key];
    if (value !== undefined && value !== '') fromEnv[key] = value;
  }
  const file = typeof fromEnv.CONFIG_FILE === 'string' ? resolve(fromEnv.CONFIG_FILE) : undefined;
  const fromFile = file ? readConfigFile(file) : {};
  const unknownKeys = Object.keys(fromFile).filter((k) => !known.has(k));
  const result = configSchema.safeParse({ ...fromFile, ...fromEnv });
  const problems = unknownKeys.map((k) => `${k}: unknown key in CONFIG_FILE`);
  if (!result.success) {
    for (const issue of result.error.issues) problems.push(`${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  if (problems.length > 0 || !result.success) throw new ConfigError(problems);
  const config = result.data;
  if (config.REDIS_SENTINELS && !config.REDIS_SENTINEL_NAME) throw new ConfigError(['REDIS_SENTINEL_NAME: required with REDIS_SENTINELS']);
  const dataDir = resolve(config.DATA_DIR);
  return {
    ...config,
    DATA_DIR: dataDir,
    CONFIG_FILE: file,
    DATABASE_URL: config.DATABASE_URL ?? `sqlite:${resolve(dataDir, 'dcs.sqlite')}`,
  };
}

export type ConfigChange = { next: Config; previous: Config; changed: (keyof Config)[]; ignored: (keyof Config)[] };

/**
 * Holds the current configuration and reloads it on SIGHUP or when CONFIG_FILE changes.
 * Only HOT_RELOADABLE_KEYS are applied; other changed keys are reported as ignored (restart needed).
 * An invalid new configuration is rejected as a whole and the current one stays.
 */
export class ConfigStore extends EventEmitter<{ change: [ConfigChange]; error: [Error] }> {
  private config: Config;
  private watcher?: FSWatcher;
  private readonly onSighup = () => this.reload();
  private debounce?: NodeJS.Timeout;

  constructor(
    initial: Config,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {
    super();
    this.config = initial;
  }

  get current(): Config {
    return this.config;
  }

  /** Starts listening for SIGHUP and CONFIG_FILE changes. */
  watch(): this {
    process.on('SIGHUP', this.onSighup);
    const file = this.config.CONFIG_FILE;
    if (file && existsSync(file)) {
      this.watcher = watch(file, () => {
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.reload(), 100);
      });
    }
    return this;
  }

  close(): void {
    process.off('SIGHUP', this.onSighup);
    clearTimeout(this.debounce);
    this.watcher?.close();
  }

  /** Re-reads env + file; returns the change applied, or undefined when invalid or unchanged. */
  reload(): ConfigChange | undefined {
    let loaded: Config;
    try {
      loaded = loadConfig(this.env);
    } catch (err) {
      this.emit('error', err as Error);
      return undefined;
    }
    const previous = this.config;
    const hot = new Set<keyof Config>(HOT_RELOADABLE_KEYS);
    const changed: (keyof Config)[] = [];
    const ignored: (keyof Config)[] = [];
    const next: Config = { ...previous };
    for (const key of Object.keys(loaded) as (keyof Config)[]) {
      if (loaded[key] === previous[key]) continue;
      if (hot.has(key)) {
        (next as Record<string, unknown>)[key] = loaded[key];
        changed.push(key);
      } else {
        ignored.push(key);
      }
    }
    if (changed.length === 0 && ignored.length === 0) return undefined;
    this.config = next;
    const change = { next, previous, changed, ignored };
    this.emit('change', change);
    return change;
  }
}
