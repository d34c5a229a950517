import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { loadConfigOrExit, openMigratedDatabase } from './runtime.js';

/** V8 flags for the children (the `dcs` bin sets the same in its shebang). */
export const WORKER_V8_FLAGS = ['--max-semi-space-size=64'];

const REDIS_INSTALL_HELP = `redis-server was not found on this machine.
Install it, or point the service at an existing Redis:
  Debian/Ubuntu:  sudo apt-get install -y redis-server
  Fedora/RHEL:    sudo dnf install -y redis
  macOS:          brew install redis
  or:             REDIS_URL=redis://host:6379 npm start`;

async function freePort(preferred: number): Promise<number> {
  const tryPort = (port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const address = server.address();
        server.close(() => resolve(typeof address === 'object' && address ? address.port : port));
      });
    });
  try {
    return await tryPort(preferred);
  } catch {
    return tryPort(0);
  }
}

/**
 * Starts a private redis-server with AOF persistence under DATA_DIR/redis, bound to 127.0.0.1 and
 * protected by a fresh random password (other local users and processes cannot use it). The
 * password goes to redis-server in a config file only its owner may read (not on the command line,
 * which `ps` shows) and to the children in REDIS_URL.
 */
async function startLocalRedis(dataDir: string, log: (msg: string) => void): Promise<{ url: string; child: ChildProcess }> {
  if (spawnSync('redis-server', ['--version']).error) {
    process.stderr.write(`${REDIS_INSTALL_HELP}\n`);
    process.exit(2);
  }
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  const port = await freePort(6390);
  const password = randomBytes(24).toString('hex');
  const secrets = join(dir, 'auth.conf');
  writeFileSync(secrets, `requirepass ${password}\n`, { mode: 0o600 });
  chmodSync(secrets, 0o600); // an existing file keeps its mode on write
  const child = spawn(
    'redis-server',
    [
      secrets,
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--daemonize',
      'no',
      '--logfile',
      join(dir, 'redis.log'),
      // BullMQ requires that keys are never evicted.
      '--maxmemory-policy',
      'noeviction',
    ],
    { stdio: 'ignore', detached: true },
  ); // own process group: Ctrl-C must not stop Redis before the workers
  const url = `redis://:${password}@127.0.0.1:${port}`;
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on('error', () => undefined); // refused while redis-server starts: retried below
  for (let i = 0; i < 100; i++) {
    if (child.exitCode !== null) throw new Error(`redis-server exited with code ${child.exitCode}; see ${join(dir, 'redis.log')}`);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      log(`local redis-server on 127.0.0.1:${port} with a password (AOF in ${dir})`);
      return { url, child };
    } catch {
      probe.disconnect();
      await sleep(100);
    }
  }
  throw new Error(`redis-server did not start; see ${join(dir, 'redis.log')}`);
}

/**
 * `dcs start`: everything on one machine — a local redis-server when REDIS_URL is unset, the API
 * (with the web UI) and WORKER_COUNT worker processes, all restarted if they crash. Ctrl-C stops
 * the workers gracefully (their tasks finish or go back to the queue), then the API, then Redis.
 */
export async function runStart(entry: string): Promise<void> {
  const { config, logger } = loadConfigOrExit('start');
  const c = config.current;
  mkdirSync(c.DATA_DIR, { recursive: true });
  const log = (msg: string) => logger.info(msg);

  // Migrate once here, so the children start against a ready schema.
  const db = await openMigratedDatabase(c.DATABASE_URL, logger);
  await db.close();

  let redis: { url: string; child: ChildProcess } | undefined;
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: c.DATA_DIR, DATABASE_URL: c.DATABASE_URL };
  if (!c.REDIS_URL && !c.REDIS_SENTINELS && !c.REDIS_CLUSTER_NODES) {
    redis = await startLocalRedis(c.DATA_DIR, log);
    env.REDIS_URL = redis.url;
  }

  let stopping = false;
  const children = new Set<ChildProcess>();
  const launch = (role: 'api' | 'worker', index: number) => {
    // A larger young generation cuts garbage-collection time of the row pipeline by about a quarter.
    const child = fork(entry, [role], {
      env: { ...env, DCS_WORKER_INDEX: String(index) },
      stdio: 'inherit',
      execArgv: [...process.execArgv, ...WORKER_V8_FLAGS],
    });
    children.add(child);
    const started = Date.now();
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (stopping) return;
      // Restart crashed children; back off if they die right away (e.g. a bad configuration).
      const delay = Date.now() - started < 5000 ? 3000 : 500;
      logger.error({ role, index, code, signal, restartInMs: delay }, `${role} exited unexpectedly, restarting`);
      setTimeout(() => !stopping && launch(role, index), delay);
    });
    return child;
  };

  const api = launch('api', 0);
  for (let i = 0; i < c.WORKER_COUNT; i++) launch('worker', i + 1);
  api.on('message', (msg: { type?: string; address?: string }) => {
    if (msg?.type === 'listening') {
      const shown = msg.address?.replace('127.0.0.1', 'localhost');
      process.stdout.write(
        `\n  数据清洗服务已启动 / Data cleaning service is running\n  UI:      ${shown}/\n  API:     ${shown}/api\n  Workers: ${c.WORKER_COUNT}   Database: ${c.DATABASE_URL.split(':')[0]}   Redis: ${redis ? 'local (AOF)' : 'external'}\n  Press Ctrl-C to stop.\n\n`,
      );
    }
  });

  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping all processes');
    const exited = (child: ChildProcess) =>
      new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
    const workers = [...children].filter((ch) => ch !== api);
    for (const w of workers) w.kill('SIGTERM');
    await Promise.race([Promise.all(workers.map(exited)), sleep(c.SHUTDOWN_GRACE_MS + 10_000)]);
    api.kill('SIGTERM');
    await Promise.race([exited(api), sleep(10_000)]);
    for (const ch of children) ch.kill('SIGKILL');
    if (redis) {
      redis.child.kill('SIGTERM'); // redis-server flushes its AOF on SIGTERM
      await Promise.race([exited(redis.child), sleep(10_000)]);
    }
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
  // Configuration reload reaches every process (each re-reads env + CONFIG_FILE).
  process.on('SIGHUP', () => {
    for (const child of children) child.kill('SIGHUP');
  });
  redis?.child.on('exit', (code) => {
    if (!stopping) {
      logger.fatal({ code }, 'local redis-server exited; stopping');
      void stop('SIGTERM');
    }
  });
}
