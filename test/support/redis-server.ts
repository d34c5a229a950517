/**
 * A private redis-server for tests that must stop, kill or restart Redis (never the machine's
 * shared one): free port, its own temp dir, optional AOF. Always `await server.stop()` in afterAll.
 *
 *   const redis = await RedisServer.start({ appendonly: true });
 *   … redis.url …
 *   await redis.restart();       // SIGTERM (AOF flushed) then start again on the same port and dir
 *   await redis.stop();          // and remove the dir
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

/** Servers still running when the test process exits (a timed-out suite skips its afterAll). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export class RedisServer {
  private child?: ChildProcess;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private readonly appendonly: boolean,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(options: { appendonly?: boolean } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), mkdtempSync(join(tmpdir(), 'dcs-redis-')), options.appendonly ?? false);
    await server.launch();
    return server;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  private async launch(): Promise<void> {
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--save',
      '',
      '--appendonly',
      this.appendonly ? 'yes' : 'no',
      '--appendfsync',
      'always',
      '--maxmemory-policy',
      'noeviction',
      '--daemonize',
      'no',
      '--logfile',
      join(this.dir, 'redis.log'),
    ];
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    live.add(child);
    child.once('exit', () => live.delete(child));
    const probe = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => undefined); // refused connections are expected until the server listens
    try {
      for (let i = 0; i < 100; i++) {
        if (!this.running) throw new Error(`redis-server exited early (see ${join(this.dir, 'redis.log')})`);
        try {
          await probe.connect();
          await probe.ping();
          return;
        } catch {
          probe.disconnect();
          await sleep(50);
        }
      }
      throw new Error('redis-server did not answer within 5 s');
    } finally {
      probe.disconnect();
    }
  }

  /** Stops the server: SIGTERM flushes the AOF; SIGKILL simulates a crash. Keeps the data dir. */
  async halt(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    child.kill(signal);
    await once(child, 'exit');
  }

  /** Starts it again on the same port and dir (AOF data is reloaded when enabled). */
  async resume(): Promise<void> {
    if (this.running) return;
    await this.launch();
  }

  async restart(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    await this.halt(signal);
    await this.resume();
  }

  async stop(): Promise<void> {
    await this.halt('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}
