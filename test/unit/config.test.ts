/**
 * 属性14 (SPEC §4, R9.1/9.2): loadConfig reads every key from the environment and CONFIG_FILE
 * (JSON or YAML; the environment wins), applies the documented defaults, and rejects bad values
 * with a message naming the key (and the value, unless it is a secret); ConfigStore reloads on
 * SIGHUP and on a change of the file, applies only hot-reloadable keys and reports the others.
 */
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, ConfigStore, HOT_RELOADABLE_KEYS, MAX_TIMER_MS, configSchema, loadConfig, type ConfigChange } from '../../src/config/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dcs-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileCounter = 0;
function configFile(content: string, ext: 'json' | 'yaml' | 'yml' = 'json'): string {
  const path = join(dir, `config-${++fileCounter}.${ext}`);
  writeFileSync(path, content);
  return path;
}

function problemsOf(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be rejected`);
}

/** Integer keys with their bounds (inclusive); `max` undefined = no upper bound. Durations stop at the largest timer Node honours. */
const INTEGER_KEYS: Record<string, { min: number; max?: number }> = {
  PORT: { min: 0, max: 65535 },
  REDIS_RECONNECT_MAX_DELAY_MS: { min: 100, max: MAX_TIMER_MS },
  WORKER_COUNT: { min: 1, max: 256 },
  WORKER_CONCURRENCY: { min: 1, max: 64 },
  JOB_TIMEOUT_MS: { min: 1000, max: MAX_TIMER_MS },
  MAX_RETRIES: { min: 0, max: 100 },
  RETRY_BACKOFF_MS: { min: 0, max: MAX_TIMER_MS },
  LOCK_DURATION_MS: { min: 1000, max: MAX_TIMER_MS },
  STALLED_INTERVAL_MS: { min: 1000, max: MAX_TIMER_MS },
  RECOVERY_INTERVAL_MS: { min: 1000, max: MAX_TIMER_MS },
  RECOVERY_GRACE_MS: { min: 0, max: MAX_TIMER_MS },
  PROGRESS_INTERVAL_MS: { min: 10, max: MAX_TIMER_MS },
  SHUTDOWN_GRACE_MS: { min: 0, max: MAX_TIMER_MS },
  MAX_FILE_SIZE: { min: 1 },
  MAX_ROWS: { min: 1 },
  MAX_COLUMNS: { min: 1 },
  MAX_LINE_LENGTH: { min: 1 },
  MAX_UNCOMPRESSED_BYTES: { min: 1 },
  MAX_COMPRESSION_RATIO: { min: 1 },
  BATCH_SIZE: { min: 1, max: 100_000 },
  RETENTION_INTERVAL_MS: { min: 1000, max: MAX_TIMER_MS },
  PIPELINE_THREADS: { min: 0, max: 1 },
  PIPELINE_THREAD_MIN_BYTES: { min: 0 },
  DETECTION_MAX_VALUE_CHARS: { min: 1, max: 100_000 },
  PIPELINE_THREAD_MEMORY_MB: { min: 16, max: 65_536 },
  WORKER_NICE: { min: 0, max: 19 },
  SQLITE_ROWS_PER_STATEMENT: { min: 1, max: 4680 },
  MAX_BATCH_BYTES: { min: 1 },
  MAX_SHARED_STRINGS: { min: 1 },
  MAX_SHARED_STRING_CHARS: { min: 1 },
  MAX_SHEETS: { min: 1 },
  REQUEST_TIMEOUT_MS: { min: 1000, max: MAX_TIMER_MS },
  HEADERS_TIMEOUT_MS: { min: 1000, max: MAX_TIMER_MS },
  CONNECTION_TIMEOUT_MS: { min: 1000, max: MAX_TIMER_MS },
  RATE_LIMIT_PER_SECOND: { min: 0 },
  UPLOAD_RATE_LIMIT_PER_MINUTE: { min: 0 },
  MAX_SSE_CONNECTIONS: { min: 1 },
  MIN_FREE_DISK_BYTES: { min: 0 },
  INLINE_CONCURRENCY: { min: 1, max: 64 },
  INLINE_QUEUE: { min: 0 },
  PREVIEW_TIMEOUT_MS: { min: 1000, max: MAX_TIMER_MS },
  SYNC_TIMEOUT_MS: { min: 1000, max: MAX_TIMER_MS },
};

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      HOST: '127.0.0.1',
      PORT: 3000,
      DATA_DIR: resolve('./data'),
      DATABASE_URL: `sqlite:${resolve('./data', 'dcs.sqlite')}`,
      REDIS_PREFIX: 'dcs',
      QUEUE_NAME: 'data-cleaning',
      WORKER_COUNT: Math.max(1, availableParallelism()),
      WORKER_CONCURRENCY: 1,
      JOB_TIMEOUT_MS: 1_800_000,
      MAX_RETRIES: 3,
      RETRY_BACKOFF_MS: 1000,
      BATCH_SIZE: 1000,
      RESULT_TTL_DAYS: 7,
      LOG_LEVEL: 'info',
    });
    expect(c.REDIS_URL).toBeUndefined();
    expect(c.API_TOKEN).toBeUndefined();
  });

  it('knows exactly the keys this test suite checks (a new key needs a test and documentation)', () => {
    const tested = new Set([
      ...Object.keys(INTEGER_KEYS),
      'HOST',
      'DATA_DIR',
      'DATABASE_URL',
      'REDIS_URL',
      'REDIS_SENTINELS',
      'REDIS_SENTINEL_NAME',
      'REDIS_CLUSTER_NODES',
      'REDIS_PREFIX',
      'QUEUE_NAME',
      'RESULT_TTL_DAYS',
      'API_TOKEN',
      'LOG_LEVEL',
      'CONFIG_FILE',
      'FILE_STORE_URL',
      'S3_FORCE_PATH_STYLE',
      'REDIS_USERNAME',
      'REDIS_PASSWORD',
      'REDIS_TLS',
      'REDIS_TLS_CA_FILE',
      'REDIS_SENTINEL_PASSWORD',
      'SQLITE_WRITER_THREAD',
      'MYSQL_LOCAL_INFILE',
      'PUBLIC_HOSTS',
      'ALLOW_PUBLIC_WITHOUT_TOKEN',
    ]);
    expect(new Set(Object.keys(configSchema.shape))).toEqual(tested);
  });

  it('reads the exposure settings: no public host and no opt-out by default, the opt-out in words', () => {
    const defaults = loadConfig({});
    expect(defaults.ALLOW_PUBLIC_WITHOUT_TOKEN).toBe(false);
    expect(defaults.PUBLIC_HOSTS).toBeUndefined();
    expect(loadConfig({ ALLOW_PUBLIC_WITHOUT_TOKEN: 'yes', PUBLIC_HOSTS: 'dcs.example.com' })).toMatchObject({
      ALLOW_PUBLIC_WITHOUT_TOKEN: true,
      PUBLIC_HOSTS: 'dcs.example.com',
    });
    expect(problemsOf({ ALLOW_PUBLIC_WITHOUT_TOKEN: 'maybe' })).toContain('ALLOW_PUBLIC_WITHOUT_TOKEN:');
  });

  it('reads the storage bulk-path switches: on by default, flags in words', () => {
    const c = loadConfig({});
    expect([c.SQLITE_WRITER_THREAD, c.SQLITE_ROWS_PER_STATEMENT, c.MYSQL_LOCAL_INFILE]).toEqual([true, 500, true]);
    expect(loadConfig({ SQLITE_WRITER_THREAD: 'off', MYSQL_LOCAL_INFILE: '0' })).toMatchObject({ SQLITE_WRITER_THREAD: false, MYSQL_LOCAL_INFILE: false });
    expect(problemsOf({ MYSQL_LOCAL_INFILE: 'sometimes' })).toContain('MYSQL_LOCAL_INFILE:');
  });

  it('reads the file store and Redis security settings: URLs validated, flags in words, passwords never echoed', () => {
    const c = loadConfig({});
    expect([c.FILE_STORE_URL, c.S3_FORCE_PATH_STYLE, c.REDIS_TLS, c.REDIS_PASSWORD]).toEqual([undefined, false, false, undefined]);
    for (const url of ['file:/srv/dcs', 'file:///srv/dcs', 's3://dcs-uploads', 's3://dcs-uploads/prod/a'])
      expect(loadConfig({ FILE_STORE_URL: url }).FILE_STORE_URL).toBe(url);
    for (const url of ['/srv/dcs', 's3://', 's3://UPPER/x', 'https://bucket']) expect(problemsOf({ FILE_STORE_URL: url })).toContain('FILE_STORE_URL:');
    for (const [raw, value] of [
      ['true', true],
      ['YES', true],
      ['1', true],
      ['on', true],
      ['false', false],
      ['0', false],
      ['No', false],
      ['off', false],
    ] as const) {
      expect(loadConfig({ S3_FORCE_PATH_STYLE: raw, REDIS_TLS: raw })).toMatchObject({ S3_FORCE_PATH_STYLE: value, REDIS_TLS: value });
    }
    expect(problemsOf({ REDIS_TLS: 'maybe' })).toContain('REDIS_TLS:');
    const c2 = loadConfig({ REDIS_USERNAME: 'dcs', REDIS_PASSWORD: 's3cret', REDIS_SENTINEL_PASSWORD: 'other', REDIS_TLS_CA_FILE: '/etc/ca.pem' });
    expect([c2.REDIS_USERNAME, c2.REDIS_PASSWORD, c2.REDIS_SENTINEL_PASSWORD, c2.REDIS_TLS_CA_FILE]).toEqual(['dcs', 's3cret', 'other', '/etc/ca.pem']);
  });

  it('treats an empty environment variable as unset', () => {
    const c = loadConfig({ PORT: '', API_TOKEN: '', REDIS_URL: '' });
    expect([c.PORT, c.API_TOKEN, c.REDIS_URL]).toEqual([3000, undefined, undefined]);
  });

  it('accepts every integer key inside its bounds and rejects it outside, naming key and value', () => {
    const keyArb = fc.constantFrom(...Object.keys(INTEGER_KEYS));
    fc.assert(
      fc.property(keyArb, fc.integer({ min: 0, max: 2 ** 31 }), fc.boolean(), (key, raw, below) => {
        const { min, max } = INTEGER_KEYS[key];
        const inside = max === undefined ? min + (raw % 1_000_000) : min + (raw % (max - min + 1));
        expect(loadConfig({ [key]: ` ${inside} ` })[key as 'PORT']).toBe(inside);
        const outside = below || max === undefined ? min - 1 - (raw % 1000) : max + 1 + (raw % 1000);
        const message = problemsOf({ [key]: String(outside) });
        expect(message).toContain(`${key}:`);
        expect(message).toContain(String(outside));
      }),
      { numRuns: 300 },
    );
  });

  it('rejects non-numbers and fractions for integer keys, naming key and value', () => {
    const keyArb = fc.constantFrom(...Object.keys(INTEGER_KEYS));
    const badArb = fc.oneof(fc.constantFrom('abc', '1.5', '12ms', 'NaN', 'Infinity', '1,000', 'true'), fc.stringMatching(/^[a-z]{1,8}$/));
    fc.assert(
      fc.property(keyArb, badArb, (key, bad) => {
        const message = problemsOf({ [key]: bad });
        expect(message).toContain(`${key}:`);
        expect(message).toContain(`"${bad}"`);
      }),
      { numRuns: 200 },
    );
  });

  it('validates URLs, names and enumerations', () => {
    expect(problemsOf({ DATABASE_URL: 'oracle://db' })).toMatch(/DATABASE_URL:.*sqlite:/);
    expect(problemsOf({ REDIS_URL: 'http://localhost:6379' })).toMatch(/REDIS_URL:.*redis:\/\//);
    expect(problemsOf({ QUEUE_NAME: 'has space' })).toContain('QUEUE_NAME:');
    expect(problemsOf({ LOG_LEVEL: 'loud' })).toMatch(/LOG_LEVEL:.*"loud"/);
    expect(problemsOf({ RESULT_TTL_DAYS: '-1' })).toContain('RESULT_TTL_DAYS:');
    expect(problemsOf({ REDIS_SENTINELS: 'a:26379,b:26379' })).toContain('REDIS_SENTINEL_NAME');
    for (const url of ['sqlite:/tmp/x.sqlite', 'postgres://u@h/db', 'postgresql://u@h/db', 'mysql://u@h/db', 'mariadb://u@h/db']) {
      expect(loadConfig({ DATABASE_URL: url }).DATABASE_URL).toBe(url);
    }
    expect(loadConfig({ RESULT_TTL_DAYS: '0.5' }).RESULT_TTL_DAYS).toBe(0.5);
    expect(loadConfig({ REDIS_URL: 'rediss://h:6380/2' }).REDIS_URL).toBe('rediss://h:6380/2');
  });

  it('never repeats a secret or a password in a message', () => {
    const message = problemsOf({ DATABASE_URL: 'oracle://admin:s3cr3t@db/x', REDIS_URL: 'http://:hunter2@r:6379', PORT: 'x' });
    expect(message).not.toContain('s3cr3t');
    expect(message).not.toContain('hunter2');
    expect(message).toContain('DATABASE_URL:');
    expect(message).toContain('REDIS_URL:');
  });

  it('names every bad key at once', () => {
    const message = problemsOf({ PORT: 'x', MAX_RETRIES: '-1', LOG_LEVEL: 'loud' });
    for (const key of ['PORT', 'MAX_RETRIES', 'LOG_LEVEL']) expect(message).toContain(`${key}:`);
  });

  it('reads a JSON CONFIG_FILE, the environment winning', () => {
    const file = configFile(JSON.stringify({ WORKER_CONCURRENCY: 4, MAX_RETRIES: 5, API_TOKEN: 'from-file', HOST: '0.0.0.0' }));
    const c = loadConfig({ CONFIG_FILE: file, MAX_RETRIES: '2' });
    expect(c).toMatchObject({ WORKER_CONCURRENCY: 4, MAX_RETRIES: 2, API_TOKEN: 'from-file', HOST: '0.0.0.0', CONFIG_FILE: file });
  });

  it('reads a YAML CONFIG_FILE (.yaml and .yml), numbers as numbers and as strings', () => {
    const yaml = 'WORKER_CONCURRENCY: 3\nJOB_TIMEOUT_MS: "60000"\nREDIS_URL: redis://cache:6379\nLOG_LEVEL: debug\nAPI_TOKEN: 123456\n';
    for (const ext of ['yaml', 'yml'] as const) {
      const c = loadConfig({ CONFIG_FILE: configFile(yaml, ext) });
      expect(c).toMatchObject({ WORKER_CONCURRENCY: 3, JOB_TIMEOUT_MS: 60_000, REDIS_URL: 'redis://cache:6379', LOG_LEVEL: 'debug' });
      // A numeric token in YAML is still a token — never silently dropped (that would open the API).
      expect(c.API_TOKEN).toBe('123456');
    }
  });

  it('treats a key left empty in YAML as unset (the default applies)', () => {
    expect(loadConfig({ CONFIG_FILE: configFile('MAX_RETRIES:\nPORT: 8080\n', 'yaml') })).toMatchObject({ MAX_RETRIES: 3, PORT: 8080 });
  });

  it('rejects values of the wrong type in a file, naming the key', () => {
    expect(problemsOf({ CONFIG_FILE: configFile(JSON.stringify({ API_TOKEN: { nested: true } })) })).toContain('API_TOKEN:');
    expect(problemsOf({ CONFIG_FILE: configFile(JSON.stringify({ REDIS_SENTINELS: ['a:1', 'b:2'], REDIS_SENTINEL_NAME: 'm' })) })).toContain(
      'REDIS_SENTINELS:',
    );
    expect(problemsOf({ CONFIG_FILE: configFile(JSON.stringify({ WORKER_CONCURRENCY: true })) })).toContain('WORKER_CONCURRENCY:');
    expect(problemsOf({ CONFIG_FILE: configFile(JSON.stringify({ MAX_RETRIES: [2] })) })).toContain('MAX_RETRIES:');
  });

  it('reports unknown keys, unreadable files and syntax errors of CONFIG_FILE', () => {
    expect(problemsOf({ CONFIG_FILE: configFile(JSON.stringify({ WORKER_CONCURENCY: 2 })) })).toContain('WORKER_CONCURENCY: unknown key');
    expect(problemsOf({ CONFIG_FILE: join(dir, 'missing.json') })).toMatch(/CONFIG_FILE: cannot read/);
    expect(problemsOf({ CONFIG_FILE: configFile('{ "PORT": 80,') })).toMatch(/CONFIG_FILE: .* is not valid JSON/);
    expect(problemsOf({ CONFIG_FILE: configFile('PORT: [1, 2', 'yaml') })).toMatch(/CONFIG_FILE: .* is not valid YAML/);
    expect(problemsOf({ CONFIG_FILE: configFile('- a\n- b\n', 'yaml') })).toMatch(/CONFIG_FILE: .*object/);
  });
});

describe('ConfigStore (hot reload)', () => {
  const nextChange = (store: ConfigStore, timeoutMs = 5000) =>
    Promise.race([
      once(store, 'change').then(([change]) => change as ConfigChange),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no configuration change event')), timeoutMs)),
    ]);

  it('applies hot-reloadable keys and reports the others as needing a restart', () => {
    const env: NodeJS.ProcessEnv = { WORKER_CONCURRENCY: '1', PORT: '3000', MAX_RETRIES: '3' };
    const store = new ConfigStore(loadConfig(env), env);
    env.WORKER_CONCURRENCY = '2';
    env.MAX_RETRIES = '5';
    env.PORT = '4000';
    const change = store.reload();
    expect(change?.changed.sort()).toEqual(['MAX_RETRIES', 'WORKER_CONCURRENCY']);
    expect(change?.ignored).toEqual(['PORT']);
    expect(store.current).toMatchObject({ WORKER_CONCURRENCY: 2, MAX_RETRIES: 5, PORT: 3000 });
    expect(store.reload()?.changed ?? []).toEqual([]); // nothing new
  });

  it('applies any change of any hot key, and only those', () => {
    const hotIntegers = HOT_RELOADABLE_KEYS.filter((k) => k in INTEGER_KEYS);
    fc.assert(
      fc.property(fc.subarray(hotIntegers, { minLength: 1 }), fc.integer({ min: 1, max: 50 }), (keys, bump) => {
        const env: NodeJS.ProcessEnv = {};
        const store = new ConfigStore(loadConfig(env), env);
        const expected: Record<string, number> = {};
        for (const key of keys) {
          const { min, max } = INTEGER_KEYS[key];
          const before = store.current[key] as number;
          let value = Math.max(min, before + bump);
          if (max !== undefined && value > max) value = Math.max(min, before - bump);
          if (value === before) continue;
          env[key] = String(value);
          expected[key] = value;
        }
        const change = store.reload();
        expect((change?.changed ?? []).sort()).toEqual(Object.keys(expected).sort());
        expect(change?.ignored ?? []).toEqual([]);
        expect(store.current).toMatchObject(expected);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps the current configuration when the new one is invalid, and says why', () => {
    const env: NodeJS.ProcessEnv = { MAX_RETRIES: '3' };
    const store = new ConfigStore(loadConfig(env), env);
    const errors: Error[] = [];
    store.on('error', (err) => errors.push(err));
    env.MAX_RETRIES = 'many';
    expect(store.reload()).toBeUndefined();
    expect(store.current.MAX_RETRIES).toBe(3);
    expect(errors[0]?.message).toContain('MAX_RETRIES:');
  });

  it('reloads on SIGHUP', async () => {
    const file = configFile(JSON.stringify({ JOB_TIMEOUT_MS: 60_000 }));
    const env: NodeJS.ProcessEnv = { CONFIG_FILE: file };
    const store = new ConfigStore(loadConfig(env), env).watch();
    try {
      // Written without the watcher noticing in time is fine: SIGHUP is the explicit trigger.
      writeFileSync(file, JSON.stringify({ JOB_TIMEOUT_MS: 90_000 }));
      const changed = nextChange(store);
      process.kill(process.pid, 'SIGHUP');
      expect((await changed).next.JOB_TIMEOUT_MS).toBe(90_000);
      expect(store.current.JOB_TIMEOUT_MS).toBe(90_000);
    } finally {
      store.close();
    }
  });

  it('reloads when CONFIG_FILE is rewritten in place', async () => {
    const file = configFile('RETRY_BACKOFF_MS: 1000\n', 'yaml');
    const env: NodeJS.ProcessEnv = { CONFIG_FILE: file };
    const store = new ConfigStore(loadConfig(env), env).watch();
    try {
      const changed = nextChange(store);
      writeFileSync(file, 'RETRY_BACKOFF_MS: 2500\n');
      expect((await changed).changed).toEqual(['RETRY_BACKOFF_MS']);
      expect(store.current.RETRY_BACKOFF_MS).toBe(2500);
    } finally {
      store.close();
    }
  });

  it('reloads when CONFIG_FILE is replaced by a rename (editors, Kubernetes ConfigMaps)', async () => {
    const file = configFile(JSON.stringify({ WORKER_CONCURRENCY: 1 }));
    const env: NodeJS.ProcessEnv = { CONFIG_FILE: file };
    const store = new ConfigStore(loadConfig(env), env).watch();
    try {
      const first = nextChange(store);
      const replacement = `${file}.new`;
      writeFileSync(replacement, JSON.stringify({ WORKER_CONCURRENCY: 2 }));
      renameSync(replacement, file);
      expect((await first).next.WORKER_CONCURRENCY).toBe(2);
      // …and keeps watching the new file.
      const second = nextChange(store);
      writeFileSync(replacement, JSON.stringify({ WORKER_CONCURRENCY: 3 }));
      renameSync(replacement, file);
      expect((await second).next.WORKER_CONCURRENCY).toBe(3);
    } finally {
      store.close();
    }
  });

  it('stops listening after close()', async () => {
    const file = configFile(JSON.stringify({ MAX_RETRIES: 1 }));
    const env: NodeJS.ProcessEnv = { CONFIG_FILE: file };
    const store = new ConfigStore(loadConfig(env), env).watch();
    store.close();
    const changes: ConfigChange[] = [];
    store.on('change', (c) => changes.push(c));
    writeFileSync(file, JSON.stringify({ MAX_RETRIES: 2 }));
    await new Promise((r) => setTimeout(r, 1500));
    expect(changes).toEqual([]);
    expect(process.listenerCount('SIGHUP')).toBe(0);
  });
});
