/**
 * A single Redis server over TLS with a password: a `rediss://` REDIS_URL verified against
 * REDIS_TLS_CA_FILE, REDIS_PASSWORD used when the URL carries none, and the failures an operator
 * meets — an unknown CA, a wrong password — surface as errors instead of a silent plain connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import { createRedisConnection, type RedisClient } from '../../src/queue/connection.js';
import { freePort } from '../support/redis-server.js';
import { makeCertificates } from '../support/redis-topology.js';

describe('single Redis server with TLS and a password', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dcs-redis-tls-'));
  const password = `pw-${Math.random().toString(36).slice(2)}`;
  let port: number;
  let ca: string;
  let server: ChildProcess;

  beforeAll(async () => {
    const certs = makeCertificates(dir);
    ca = certs.ca;
    port = await freePort();
    server = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--tls-cert-file',
        certs.cert,
        '--tls-key-file',
        certs.key,
        '--tls-ca-cert-file',
        certs.ca,
        '--tls-auth-clients',
        'no',
        '--requirepass',
        password,
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--dir',
        dir,
      ],
      { stdio: 'ignore' },
    );
    await sleep(300);
  });

  afterAll(() => {
    server?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  /** The first answer of a connection: PONG, or the error that stopped it. */
  async function firstAnswer(client: RedisClient): Promise<string> {
    try {
      return await Promise.race([client.ping(), new Promise<string>((_, reject) => client.once('error', reject))]);
    } catch (err) {
      return `error: ${(err as Error).message}`;
    } finally {
      client.disconnect();
    }
  }

  const connect = (env: Record<string, string>) => createRedisConnection({ ...loadConfig(env), REDIS_RECONNECT_MAX_DELAY_MS: 100 }, 'blocking');

  it('connects with rediss://, the CA file and the password from the URL or REDIS_PASSWORD', async () => {
    expect(await firstAnswer(connect({ REDIS_URL: `rediss://:${password}@127.0.0.1:${port}`, REDIS_TLS_CA_FILE: ca }))).toBe('PONG');
    expect(await firstAnswer(connect({ REDIS_URL: `rediss://127.0.0.1:${port}`, REDIS_PASSWORD: password, REDIS_TLS_CA_FILE: ca }))).toBe('PONG');
  });

  it('refuses a server whose certificate it cannot verify, and a wrong password', async () => {
    expect(await firstAnswer(connect({ REDIS_URL: `rediss://:${password}@127.0.0.1:${port}` }))).toMatch(/certificate/i);
    expect(await firstAnswer(connect({ REDIS_URL: `rediss://127.0.0.1:${port}`, REDIS_PASSWORD: 'wrong', REDIS_TLS_CA_FILE: ca }))).toMatch(
      /WRONGPASS|invalid username-password/i,
    );
  });
});
