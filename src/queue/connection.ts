import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging.js';

export type RedisClient = Redis | Cluster;

export type RedisSettings = Pick<
  Config,
  | 'REDIS_URL'
  | 'REDIS_SENTINELS'
  | 'REDIS_SENTINEL_NAME'
  | 'REDIS_CLUSTER_NODES'
  | 'REDIS_PREFIX'
  | 'REDIS_RECONNECT_MAX_DELAY_MS'
  | 'REDIS_USERNAME'
  | 'REDIS_PASSWORD'
  | 'REDIS_TLS'
  | 'REDIS_TLS_CA_FILE'
  | 'REDIS_SENTINEL_PASSWORD'
>;

export type ConnectionRole =
  /** Commands that must fail fast while Redis is down (API: enqueue, status reads). */
  | 'client'
  /** Blocking commands of BullMQ workers and event listeners: wait for Redis instead of failing. */
  | 'blocking';

function hostPorts(list: string): { host: string; port: number }[] {
  return list.split(',').map((entry) => {
    const [host, port] = entry.trim().split(':');
    return { host, port: Number(port || 6379) };
  });
}

/**
 * TLS options, or undefined for plain TCP. A single server uses TLS when its URL is rediss://;
 * Sentinel and Cluster when REDIS_TLS is set. REDIS_TLS_CA_FILE adds a CA (self-signed
 * certificates); otherwise Node's default CAs apply. Certificates are always verified.
 */
function tlsOptions(settings: RedisSettings, enabled: boolean): ConnectionOptions | undefined {
  if (!enabled) return undefined;
  if (!settings.REDIS_TLS_CA_FILE) return {};
  try {
    return { ca: readFileSync(settings.REDIS_TLS_CA_FILE) };
  } catch (err) {
    throw new Error(`REDIS_TLS_CA_FILE: cannot read ${settings.REDIS_TLS_CA_FILE}: ${(err as Error).message}`);
  }
}

/** Credentials of the data nodes (Sentinel-managed or Cluster); a single server's URL may carry its own. */
function credentials(settings: RedisSettings): Pick<RedisOptions, 'username' | 'password'> {
  return {
    ...(settings.REDIS_USERNAME ? { username: settings.REDIS_USERNAME } : {}),
    ...(settings.REDIS_PASSWORD ? { password: settings.REDIS_PASSWORD } : {}),
  };
}

/** BullMQ key prefix. In Cluster mode the {hash tag} keeps every key of a queue in one slot. */
export function queuePrefix(settings: RedisSettings): string {
  return settings.REDIS_CLUSTER_NODES ? `{${settings.REDIS_PREFIX}}` : settings.REDIS_PREFIX;
}

/** Where Redis is, for logs (never with the password). */
export function describeRedis(settings: RedisSettings): string {
  const tls = settings.REDIS_TLS ? ' (tls)' : '';
  if (settings.REDIS_CLUSTER_NODES) return `cluster ${settings.REDIS_CLUSTER_NODES}${tls}`;
  if (settings.REDIS_SENTINELS) return `sentinel ${settings.REDIS_SENTINEL_NAME}@${settings.REDIS_SENTINELS}${tls}`;
  if (!settings.REDIS_URL) return 'redis (not configured)';
  const url = new URL(settings.REDIS_URL);
  return `${url.protocol}//${url.hostname}:${url.port || 6379}${url.pathname}`;
}

/**
 * Creates an ioredis connection for single server, Sentinel or Cluster, with the password and
 * TLS settings of each mode (see {@link tlsOptions}, {@link credentials}). Reconnection uses
 * exponential backoff (100 ms doubling, capped at REDIS_RECONNECT_MAX_DELAY_MS) and logs each
 * attempt, the loss and the recovery once, so an outage reads clearly in the log.
 */
export function createRedisConnection(settings: RedisSettings, role: ConnectionRole, logger?: Logger): RedisClient {
  let attempt = 0;
  const retryStrategy = (times: number) => {
    attempt = times;
    const delay = Math.min(100 * 2 ** Math.min(times - 1, 20), settings.REDIS_RECONNECT_MAX_DELAY_MS);
    const jittered = Math.round(delay * (0.8 + Math.random() * 0.4));
    logger?.warn({ attempt: times, delayMs: jittered, redis: describeRedis(settings) }, 'redis connection lost, reconnecting');
    return jittered;
  };
  const common: RedisOptions = {
    retryStrategy,
    // Workers must wait through an outage; API commands must fail fast so requests get a clear 503.
    maxRetriesPerRequest: role === 'blocking' ? null : 1,
    enableOfflineQueue: role === 'blocking',
    connectTimeout: 5000,
    lazyConnect: false,
  };

  let client: RedisClient;
  if (settings.REDIS_CLUSTER_NODES) {
    const tls = tlsOptions(settings, settings.REDIS_TLS);
    const options: ClusterOptions = {
      clusterRetryStrategy: retryStrategy,
      enableOfflineQueue: role === 'blocking',
      redisOptions: { maxRetriesPerRequest: common.maxRetriesPerRequest, connectTimeout: 5000, ...credentials(settings), ...(tls ? { tls } : {}) },
    };
    client = new Cluster(hostPorts(settings.REDIS_CLUSTER_NODES), options);
  } else if (settings.REDIS_SENTINELS) {
    const tls = tlsOptions(settings, settings.REDIS_TLS);
    client = new Redis({
      ...common,
      ...credentials(settings),
      sentinels: hostPorts(settings.REDIS_SENTINELS),
      name: settings.REDIS_SENTINEL_NAME,
      sentinelRetryStrategy: retryStrategy,
      ...(settings.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: settings.REDIS_SENTINEL_PASSWORD } : {}),
      // The sentinels and the master they name are reached over TLS alike.
      ...(tls ? { tls, sentinelTLS: tls, enableTLSForSentinelMode: true } : {}),
    });
  } else {
    if (!settings.REDIS_URL) throw new Error('REDIS_URL is not set');
    const url = new URL(settings.REDIS_URL);
    const tls = tlsOptions(settings, url.protocol === 'rediss:');
    client = new Redis(settings.REDIS_URL, {
      ...common,
      // The URL's own credentials win; REDIS_PASSWORD/USERNAME fill in when it has none.
      ...(url.password ? {} : credentials(settings)),
      ...(tls ? { tls } : {}),
    });
  }

  client.on('ready', () => {
    if (attempt > 0) logger?.info({ afterAttempts: attempt, redis: describeRedis(settings) }, 'redis connection re-established');
    attempt = 0;
  });
  // ioredis emits 'error' for every failed reconnect; the retry strategy already logs them.
  client.on('error', (err: Error) => logger?.debug({ err: err.message }, 'redis error'));
  return client;
}
