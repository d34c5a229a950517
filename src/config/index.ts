import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

/**
 * Numbers come as strings from the environment and as numbers (or quoted strings) from a file.
 * Only a string that reads as a number is converted; anything else (true, [2], "12ms") reaches
 * z.number() unchanged and is rejected — z.coerce would turn true into 1 and [2] into 2.
 */
const numeric = (value: unknown) => (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value.trim())) ? Number(value.trim()) : value);
const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.preprocess(numeric, z.number().int().min(min).max(max));
/**
 * A duration in ms that ends up in a timer: Node fires a setTimeout longer than 2^31-1 ms (~24.8
 * days) after 1 ms, so a larger value would turn e.g. the recovery interval into a busy loop or
 * the shutdown grace period into none.
 */
export const MAX_TIMER_MS = 2_147_483_647;
const ms = (min: number) => int(min, MAX_TIMER_MS);
/** A yes/no setting: true/false, 1/0, yes/no, on/off (any case) from the environment or a file. */
const flag = z.preprocess((value) => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  return value;
}, z.boolean());
/**
 * Free text such as API_TOKEN: a YAML file may hold it as a number (`API_TOKEN: 123456`), which is
 * still that token — silently dropping it would leave the API open. Blank means unset; any other
 * type is an error naming the key.
 */
const optionalString = z
  .union([z.string(), z.number().transform(String)])
  .transform((v) => v.trim() || undefined)
  .optional();

/**
 * Every setting of the product. Names are the environment variable names (SPEC §4) — operators and
 * scripts rely on them. A CONFIG_FILE (JSON or YAML) may set the same keys; the environment wins.
 */
export const configSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: int(0, 65535).default(3000),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Default: an SQLite file in DATA_DIR. */
  DATABASE_URL: z
    .string()
    .regex(/^(sqlite:|postgres(ql)?:\/\/|mysql:\/\/|mariadb:\/\/)/, 'must start with sqlite:, postgres://, postgresql://, mysql:// or mariadb://')
    .optional(),
  /** Unset: `dcs start` runs a local redis-server under DATA_DIR/redis. */
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  /** Comma-separated host:port list; with REDIS_SENTINEL_NAME selects Sentinel mode. */
  REDIS_SENTINELS: optionalString,
  REDIS_SENTINEL_NAME: optionalString,
  /** Comma-separated host:port list of Cluster seed nodes; selects Cluster mode. */
  REDIS_CLUSTER_NODES: optionalString,
  /** BullMQ key prefix; in Cluster mode it is wrapped in {…} so all queue keys share one hash slot. */
  REDIS_PREFIX: z.string().min(1).default('dcs'),
  /** Reconnection: delay doubles from 100 ms up to this bound. */
  REDIS_RECONNECT_MAX_DELAY_MS: ms(100).default(10_000),
  QUEUE_NAME: z
    .string()
    .min(1)
    .regex(/^[\w-]+$/, 'letters, digits, _ and - only')
    .default('data-cleaning'),
  WORKER_COUNT: int(1, 256).default(Math.max(1, availableParallelism())),
  WORKER_CONCURRENCY: int(1, 64).default(1),
  JOB_TIMEOUT_MS: ms(1000).default(1_800_000),
  MAX_RETRIES: int(0, 100).default(3),
  RETRY_BACKOFF_MS: ms(0).default(1000),
  /** BullMQ lock: a job whose worker stops renewing for this long is considered stalled. */
  LOCK_DURATION_MS: ms(1000).default(30_000),
  STALLED_INTERVAL_MS: ms(1000).default(15_000),
  /** How often the recovery manager reconciles the database with the queue. */
  RECOVERY_INTERVAL_MS: ms(1000).default(60_000),
  /** A pending record whose job is missing from the queue is re-enqueued after this long. */
  RECOVERY_GRACE_MS: ms(0).default(30_000),
  /** Minimum interval between progress writes to Redis. */
  PROGRESS_INTERVAL_MS: ms(10).default(250),
  /** On SIGTERM/SIGINT a worker finishes its current task within this time, else hands it back. */
  SHUTDOWN_GRACE_MS: ms(0).default(25_000),
  MAX_FILE_SIZE: int(1).default(500 * 1024 * 1024),
  MAX_ROWS: int(1).default(10_000_000),
  MAX_COLUMNS: int(1).default(1000),
  MAX_LINE_LENGTH: int(1).default(1_000_000),
  MAX_UNCOMPRESSED_BYTES: int(1).default(2 * 1024 ** 3),
  MAX_COMPRESSION_RATIO: int(1).default(100),
  BATCH_SIZE: int(1, 100_000).default(1000),
  RESULT_TTL_DAYS: z.preprocess(numeric, z.number().min(0)).default(7),
  /** How often the retention job runs. */
  RETENTION_INTERVAL_MS: ms(1000).default(3_600_000),
  API_TOKEN: optionalString,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  CONFIG_FILE: optionalString,
  /**
   * Where uploads are stored: `file:<dir>` (default: DATA_DIR) or `s3://<bucket>/<prefix>` for an
   * S3-compatible object store (credentials, region and endpoint: the standard AWS_* variables).
   */
  FILE_STORE_URL: z
    .string()
    .regex(/^(file:|s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/|$))/, 'must be file:<dir> or s3://<bucket>/<prefix>')
    .optional(),
  /** Path-style S3 URLs (http://host/bucket/key): MinIO and most self-hosted stores need it. */
  S3_FORCE_PATH_STYLE: flag.default(false),
  /** Username (Redis 6 ACL) for Sentinel/Cluster data nodes; with REDIS_URL put it in the URL. */
  REDIS_USERNAME: optionalString,
  /** Password for Sentinel/Cluster data nodes (and single-server when REDIS_URL carries none). */
  REDIS_PASSWORD: optionalString,
  /** TLS to Sentinel/Cluster nodes (single server: use a rediss:// REDIS_URL). */
  REDIS_TLS: flag.default(false),
  /** PEM file of the CA that signed the Redis servers' certificates (default: the system's CAs). */
  REDIS_TLS_CA_FILE: optionalString,
  /** Password of the Sentinels themselves (sentinel `requirepass`), when they have one. */
  REDIS_SENTINEL_PASSWORD: optionalString,
  /** Worker threads that parse and clean one file while the calling thread writes (0: no thread). */
  PIPELINE_THREADS: int(0, 1).default(1),
  /** CSVs smaller than this (bytes) are cleaned inline: a thread's start-up costs more than they do. */
  PIPELINE_THREAD_MIN_BYTES: int(0).default(1024 ** 2),
  /** Heap limit (old generation, MB) of a cleaning thread; a file that needs more fails cleanly. */
  PIPELINE_THREAD_MEMORY_MB: int(16, 65_536).default(1024),
  /** Parse limits of issue 10 (docs/CONFIGURATION.md): text per batch of rows, xlsx shared strings and sheets. */
  MAX_BATCH_BYTES: int(1).default(64 * 1024 ** 2),
  MAX_SHARED_STRINGS: int(1).default(16_000_000),
  MAX_SHARED_STRING_CHARS: int(1).default(128_000_000),
  MAX_SHEETS: int(1).default(256),
  /** Longest cell (characters) that value-based column-type detection looks at; longer ones fit no type. */
  DETECTION_MAX_VALUE_CHARS: int(1, 100_000).default(200),
  // HTTP exposure and limits of the API (docs/SECURITY.md).
  /** Comma-separated host names (or host:port) the API answers besides loopback names; `*` = any. */
  PUBLIC_HOSTS: optionalString,
  /** `true` lets the API listen on a non-loopback HOST without API_TOKEN (trusted networks only). */
  ALLOW_PUBLIC_WITHOUT_TOKEN: flag.default(false),
  /** Longest time to receive a whole request, body included (slow uploads are cut off). */
  REQUEST_TIMEOUT_MS: ms(1000).default(600_000),
  /** Longest time to receive a request's headers. */
  HEADERS_TIMEOUT_MS: ms(1000).default(30_000),
  /** A connection idle (nothing received or sent) this long is closed. */
  CONNECTION_TIMEOUT_MS: ms(1000).default(120_000),
  /** Requests per client (IP) per second to the API; 0 = no limit. */
  RATE_LIMIT_PER_SECOND: int(0).default(2000),
  /** Uploads and previews per client (IP) per minute; 0 = no limit. */
  UPLOAD_RATE_LIMIT_PER_MINUTE: int(0).default(600),
  /** Open SSE progress streams per API instance. */
  MAX_SSE_CONNECTIONS: int(1).default(1000),
  /** Uploads are refused (507) while the file store's disk has less free space than this. */
  MIN_FREE_DISK_BYTES: int(0).default(1024 ** 3),
  /** Previews and synchronous uploads that run at once (each in a worker thread); more wait. */
  INLINE_CONCURRENCY: int(1, 64).default(2),
  /** Previews and synchronous uploads that may wait for a thread; more are refused (503). */
  INLINE_QUEUE: int(0).default(20),
  /** Time limit of one preview (its thread is stopped after it). */
  PREVIEW_TIMEOUT_MS: ms(1000).default(30_000),
  /** Time limit of one synchronous upload's processing. */
  SYNC_TIMEOUT_MS: ms(1000).default(1_800_000),
  /** CPU niceness of a worker process (0 = the API's priority, 19 = lowest): busy workers leave the API responsive. */
  WORKER_NICE: int(0, 19).default(10),
  /** SQLite: result rows are written from a thread of their own (the event loop never waits on SQLite). */
  SQLITE_WRITER_THREAD: flag.default(true),
  /** SQLite: rows per multi-row INSERT of result rows (SQLite allows 32,766 parameters: 4,680 rows of 7). */
  SQLITE_ROWS_PER_STATEMENT: int(1, 4680).default(500),
  /** MySQL: result rows through LOAD DATA LOCAL INFILE (falls back to INSERTs, logged, when the server refuses). */
  MYSQL_LOCAL_INFILE: flag.default(true),
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
  'MAX_UNCOMPRESSED_BYTES',
  'MAX_COMPRESSION_RATIO',
  'BATCH_SIZE',
  'LOG_LEVEL',
  'PIPELINE_THREADS',
  'PIPELINE_THREAD_MIN_BYTES',
  'PIPELINE_THREAD_MEMORY_MB',
  'MAX_BATCH_BYTES',
  'MAX_SHARED_STRINGS',
  'MAX_SHARED_STRING_CHARS',
  'MAX_SHEETS',
  'DETECTION_MAX_VALUE_CHARS',
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
    // `KEY:` with no value (YAML null) means "not set here": the default or the environment applies.
    return Object.fromEntries(Object.entries(data).filter(([, value]) => value !== null));
  } catch (err) {
    throw new ConfigError([`CONFIG_FILE: ${file} is not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(err as Error).message}`]);
  }
}

/** Keys whose values are never repeated in a message. */
const SECRET_KEYS = new Set(['API_TOKEN', 'REDIS_PASSWORD', 'REDIS_SENTINEL_PASSWORD']);

/** A rejected value as the message shows it: quoted, shortened, URL passwords masked. */
function shownValue(key: string, value: unknown): string {
  if (SECRET_KEYS.has(key)) return '';
  let text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  text = text.replace(/(\/\/[^/@\s]*?:)[^/@\s]*@/g, '$1***@');
  if (text.length > 80) text = `${text.slice(0, 77)}...`;
  return ` (got ${JSON.stringify(text)})`;
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
    const input: Source = { ...fromFile, ...fromEnv };
    for (const issue of result.error.issues) {
      const key = issue.path.join('.') || '(root)';
      problems.push(`${key}: ${issue.message}${key in input ? shownValue(key, input[key]) : ''}`);
    }
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

/** How often a watched CONFIG_FILE is checked for changes. */
const CONFIG_POLL_MS = 1000;

/** The file's bytes, or undefined while it cannot be read (e.g. between delete and create). */
function fileContent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

export type ConfigChange = { next: Config; previous: Config; changed: (keyof Config)[]; ignored: (keyof Config)[] };

/**
 * Holds the current configuration and reloads it on SIGHUP or when CONFIG_FILE changes.
 * Only HOT_RELOADABLE_KEYS are applied; other changed keys are reported as ignored (restart needed).
 * An invalid new configuration is rejected as a whole and the current one stays.
 */
export class ConfigStore extends EventEmitter<{ change: [ConfigChange]; error: [Error] }> {
  private config: Config;
  private poll?: NodeJS.Timeout;
  private debounce?: NodeJS.Timeout;
  private readonly onSighup = () => this.reload();

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

  /**
   * Starts listening for SIGHUP and CONFIG_FILE changes. The file's content is compared once a
   * second by path: an inode watch stops firing after the file is replaced by a rename (editors,
   * Kubernetes ConfigMaps), and mtime/size miss a same-size rewrite within one clock tick.
   * A config file is small; reading it once a second costs nothing measurable.
   */
  watch(): this {
    process.on('SIGHUP', this.onSighup);
    const file = this.config.CONFIG_FILE;
    if (file) {
      let last = fileContent(file);
      this.poll = setInterval(() => {
        const now = fileContent(file);
        if (now === last || (now && last && now.equals(last))) return;
        last = now;
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => this.reload(), 100);
      }, CONFIG_POLL_MS);
      this.poll.unref();
    }
    return this;
  }

  close(): void {
    process.off('SIGHUP', this.onSighup);
    clearInterval(this.poll);
    clearTimeout(this.debounce);
    this.poll = undefined;
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
