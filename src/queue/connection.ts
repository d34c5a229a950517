import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging.js';

export type RedisClient = Redis | Cluster;

export type RedisSettings = Pick<
  Config,
  'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME' | 'REDIS_CLUSTER_NODES' | 'REDIS_PREFIX' | 'REDIS_RECONNECT_MAX_DELAY_MS'
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

/** BullMQ key prefix. In Cluster mode the {hash tag} keeps every key of a queue in one slot. */
export function queuePrefix(settings: RedisSettings): string {
  return settings.REDIS_CLUSTER_NODES ? `{${settings.REDIS_PREFIX}}` : settings.REDIS_PREFIX;
}

/** Where Redis is, for logs (never with the password). */
export function describeRedis(settings: RedisSettings): string {
  if (settings.REDIS_CLUSTER_NODES) return `cluster ${settings.REDIS_CLUSTER_NODES}`;
  if (settings.REDIS_SENTINELS) return `sentinel ${settings.REDIS_SENTINEL_NAME}@${settings.REDIS_SENTINELS}`;
  if (!settings.REDIS_URL) return 'redis (not configured)';
  const url = new URL(settings.REDIS_URL);
  return `${url.protocol}//${url.hostname}:${url.port || 6379}${url.pathname}`;
}

/**
 * Creates an ioredis connection for single server, Sentinel or Cluster. Reconnection uses
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
    const options: ClusterOptions = {
      clusterRetryStrategy: retryStrategy,
      enableOfflineQueue: role === 'blocking',
      redisOptions: { maxRetriesPerRequest: common.maxRetriesPerRequest, connectTimeout: 5000 },
    };
    client = new Cluster(hostPorts(settings.REDIS_CLUSTER_NODES), options);
  } else if (settings.REDIS_SENTINELS) {
    client = new Redis({
      ...common,
      sentinels: hostPorts(settings.REDIS_SENTINELS),
      name: settings.REDIS_SENTINEL_NAME,
      sentinelRetryStrategy: retryStrategy,
    });
  } else {
    if (!settings.REDIS_URL) throw new Error('REDIS_URL is not set');
    client = new Redis(settings.REDIS_URL, common);
  }

  client.on('ready', () => {
    if (attempt > 0) logger?.info({ afterAttempts: attempt, redis: describeRedis(settings) }, 'redis connection re-established');
    attempt = 0;
  });
  // ioredis emits 'error' for every failed reconnect; the retry strategy already logs them.
  client.on('error', (err: Error) => logger?.debug({ err: err.message }, 'redis error'));
  return client;
}
