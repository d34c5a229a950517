/**
 * Safe exposure (issue 10.3/10.4), one test per rule: the API refuses to start on a public HOST
 * without a token (unless told the network is trusted), answers only its own host names, refuses
 * cross-site state changes, keeps the dashboard read-only without a token, answers a malformed
 * cookie with 401, rate-limits per client, caps SSE streams, refuses uploads on a full disk, and
 * never puts driver text or local paths in an answer.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExposureError } from '../../src/http/app.js';
import { redactPaths } from '../../src/http/errors.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { createIsolatedDatabase, type IsolatedDatabase } from '../support/databases.js';
import { call, csvText, expectError, postForm, REDIS_URL, uploadContent } from '../support/http-client.js';
import { ROOT } from '../support/stack.js';

const CLI = join(ROOT, 'dist/src/cli/main.js');

const API = '/api/data-cleaning';
const TOKEN = 'exposure-token-1';
const PEOPLE = csvText([
  ['姓名', '手机号'],
  ['张三', '13812345678'],
]);

/** A raw request (fetch does not let a caller choose the Host header). */
function rawRequest(
  baseUrl: string,
  path: string,
  o: { method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: Record<string, unknown> }> {
  const url = new URL(path, baseUrl);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: o.method ?? 'GET', headers: o.headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = { text };
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('safe exposure', () => {
  let scratch: IsolatedDatabase;
  /** No token, public host names configured, small limits. */
  let open: TestApp;
  /** With a token. */
  let secured: TestApp;

  beforeAll(async () => {
    scratch = await createIsolatedDatabase('sqlite');
    [open, secured] = await Promise.all([
      startTestApp({
        databaseUrl: scratch.url,
        redisUrl: REDIS_URL,
        env: { PUBLIC_HOSTS: 'data.example.org, tools.example.org:8443', MAX_SSE_CONNECTIONS: '2' },
      }),
      startTestApp({ databaseUrl: scratch.url, redisUrl: REDIS_URL, env: { API_TOKEN: TOKEN } }),
    ]);
  });
  afterAll(async () => {
    await open?.close();
    await secured?.close();
    await scratch?.drop();
  });

  describe('start', () => {
    it('a non-loopback HOST without API_TOKEN is refused, with a message that says how to set one', async () => {
      const refused = startTestApp({ databaseUrl: scratch.url, env: { HOST: '0.0.0.0' } });
      await expect(refused).rejects.toBeInstanceOf(ExposureError);
      await expect(refused).rejects.toThrow(/API_TOKEN=.*openssl rand/);
    });

    it('starts on a public HOST with a token, or with the explicit trusted-network opt-out', async () => {
      const envs: Record<string, string>[] = [
        { HOST: '0.0.0.0', API_TOKEN: TOKEN },
        { HOST: '0.0.0.0', ALLOW_PUBLIC_WITHOUT_TOKEN: 'true' },
      ];
      for (const env of envs) {
        const app = await startTestApp({ databaseUrl: scratch.url, env });
        expect((await call(app.baseUrl, '/health/live')).status).toBe(200);
        await app.close();
      }
    });

    it.runIf(existsSync(CLI))('dcs api exits with that message instead of listening', () => {
      const run = spawnSync(process.execPath, [CLI, 'api'], {
        env: {
          ...process.env,
          HOST: '0.0.0.0',
          PORT: '0',
          API_TOKEN: '',
          DATABASE_URL: scratch.url,
          DATA_DIR: join(tmpdir(), 'dcs-exposure'),
          LOG_LEVEL: 'fatal',
        },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status).toBe(1);
      expect(run.stderr).toMatch(/API_TOKEN/);
      expect(run.stderr).toMatch(/ALLOW_PUBLIC_WITHOUT_TOKEN=true/);
    });
  });

  describe('Host header allowlist', () => {
    it.each(['localhost', 'localhost:3000', '127.0.0.1', '127.0.0.1:8080', '[::1]:3000', 'data.example.org', 'DATA.example.org:443', 'tools.example.org:8443'])(
      'answers Host: %s',
      async (host) => {
        expect((await rawRequest(open.baseUrl, '/api/config', { headers: { host } })).status).toBe(200);
      },
    );

    it.each(['evil.example', 'attacker.test:3000', '192.168.1.10', 'tools.example.org:9999', 'data.example.org.evil.example'])(
      'refuses Host: %s with 403',
      async (host) => {
        const res = await rawRequest(open.baseUrl, '/api/data-cleaning/files', { headers: { host } });
        expect(res.status).toBe(403);
        expect(res.body.errorCode).toBe('FORBIDDEN');
      },
    );
  });

  describe('cross-site state changes', () => {
    const cancel = `${API}/tasks/00000000-0000-4000-8000-000000000000/cancel`;

    it.each([
      ['a foreign Origin', { origin: 'https://evil.example' }],
      ['Origin: null', { origin: 'null' }],
      ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site' }],
    ])('refuses a POST with %s (403 FORBIDDEN)', async (_label, headers) => {
      expectError(await call(open.baseUrl, cancel, { method: 'POST', headers }), 403, 'FORBIDDEN');
    });

    it('refuses a cross-site multipart upload before reading it; nothing is stored', async () => {
      const before = (await open.db.listFileRecords({ page: 1, pageSize: 1 })).total;
      const res = await postForm(open.baseUrl, `${API}/upload`, [{ name: 'file', value: PEOPLE, filename: 'a.csv' }], { origin: 'https://evil.example' });
      expectError(res, 403, 'FORBIDDEN');
      expect((await open.db.listFileRecords({ page: 1, pageSize: 1 })).total).toBe(before);
    });

    it.each([
      ['the same Origin', (base: string) => ({ origin: base })],
      ['the UI header', () => ({ origin: 'https://evil.example', 'x-dcs-client': 'web' })],
      ['no Origin (a client that is not a browser)', () => ({})],
      ['Sec-Fetch-Site: same-origin', () => ({ 'sec-fetch-site': 'same-origin' })],
    ])('accepts a POST with %s', async (_label, headers) => {
      expectError(await call(open.baseUrl, cancel, { method: 'POST', headers: headers(open.baseUrl) }), 404, 'JOB_NOT_FOUND');
    });

    it('reads stay open to any origin (GET is not a state change)', async () => {
      expect((await call(open.baseUrl, `${API}/files`, { headers: { origin: 'https://evil.example' } })).status).toBe(200);
    });
  });

  describe('queue dashboard', () => {
    it('without a token it can be looked at but not used', async () => {
      expect((await call(open.baseUrl, '/admin/queues')).status).toBe(200);
      const queues = await call<{ queues: { readOnlyMode: boolean }[] }>(open.baseUrl, '/admin/queues/api/queues');
      expect(queues.status).toBe(200);
      expect(queues.body.queues.every((q) => q.readOnlyMode)).toBe(true);
      const name = encodeURIComponent(open.config.current.QUEUE_NAME);
      for (const [method, path] of [
        ['PUT', `/admin/queues/api/queues/${name}/retry/failed`],
        ['PUT', `/admin/queues/api/queues/${name}/clean/completed`],
        ['PUT', `/admin/queues/api/queues/${name}/pause`],
      ]) {
        expectError(await call(open.baseUrl, path, { method }), 403, 'FORBIDDEN');
      }
    });

    it('with a token it requires the token and may act', async () => {
      expectError(await call(secured.baseUrl, '/admin/queues/api/queues'), 401, 'UNAUTHORIZED');
      const queues = await call<{ queues: { readOnlyMode: boolean }[] }>(secured.baseUrl, '/admin/queues/api/queues', {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(queues.status).toBe(200);
      expect(queues.body.queues.every((q) => !q.readOnlyMode)).toBe(true);
    });

    it.each(['%E0%A4%A', '%', '%zz', 'wrong-token'])('a dcs_token cookie of %s is 401, never 500', async (cookie) => {
      expectError(await call(secured.baseUrl, '/admin/queues', { headers: { cookie: `dcs_token=${cookie}` } }), 401, 'UNAUTHORIZED');
    });
  });

  describe('limits', () => {
    it('rate limit per client: beyond RATE_LIMIT_PER_SECOND answers 429 RATE_LIMITED; health stays open', async () => {
      const limitedApp = await startTestApp({ databaseUrl: scratch.url, env: { RATE_LIMIT_PER_SECOND: '40' } });
      try {
        const answers = await Promise.all(Array.from({ length: 120 }, () => call(limitedApp.baseUrl, '/api/config')));
        const limited = answers.filter((a) => a.status === 429);
        expect(limited.length).toBeGreaterThan(0);
        expect(limited[0].body).toMatchObject({ errorCode: 'RATE_LIMITED' });
        expect(limited[0].headers.get('retry-after')).toBeTruthy();
        const health = await Promise.all(Array.from({ length: 120 }, () => call(limitedApp.baseUrl, '/health/live')));
        expect(health.every((h) => h.status === 200)).toBe(true);
      } finally {
        await limitedApp.close();
      }
    });

    it('SSE streams beyond MAX_SSE_CONNECTIONS are refused with 429', async () => {
      const res = await uploadContent(open.baseUrl, 'a.csv', PEOPLE);
      expect(res.status).toBe(202);
      const taskId = (res.body as { taskId: string }).taskId;
      const controllers = [new AbortController(), new AbortController()];
      const streams = await Promise.all(controllers.map((c) => fetch(`${open.baseUrl}${API}/events/${taskId}`, { signal: c.signal })));
      expect(streams.map((s) => s.status)).toEqual([200, 200]);
      expectError(await call(open.baseUrl, `${API}/events/${taskId}`), 429, 'RATE_LIMITED');
      for (const c of controllers) c.abort();
    });

    it('an upload is refused with 507 while free disk space is below MIN_FREE_DISK_BYTES', async () => {
      const full = await startTestApp({ databaseUrl: scratch.url, env: { MIN_FREE_DISK_BYTES: String(Number.MAX_SAFE_INTEGER) } });
      try {
        expectError(await uploadContent(full.baseUrl, 'a.csv', PEOPLE, { mode: 'sync' }), 507, 'INSUFFICIENT_STORAGE');
      } finally {
        await full.close();
      }
    });
  });

  describe('no leaks', () => {
    it('readiness names a failed check without the driver text', async () => {
      const app = await startTestApp({ databaseUrl: scratch.url });
      try {
        await app.db.close();
        const res = await call<{ checks: { database: { status: string; error: string } } }>(app.baseUrl, '/health/ready');
        expect(res.status).toBe(503);
        expect(res.body.checks.database).toEqual({ status: 'error', error: 'database unavailable' });
      } finally {
        await app.close().catch(() => undefined);
      }
    });

    it('local directories in messages and details are replaced', () => {
      const dir = join(tmpdir(), 'dcs-x', 'uploads', 'abc');
      expect(redactPaths(`ENOENT: no such file or directory, open '${dir}'`)).toBe("ENOENT: no such file or directory, open '…'");
      expect(redactPaths({ path: dir, nested: [`at ${process.cwd()}/src/x.ts:1`], n: 1 })).toEqual({ path: '…', nested: ['at …'], n: 1 });
      expect(redactPaths('2026/11/27 张三 /api/data-cleaning/files')).toBe('2026/11/27 张三 /api/data-cleaning/files');
    });
  });
});
