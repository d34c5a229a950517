import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDatabase } from '../../src/storage/index.js';
import { createIsolatedDatabase, sampleFileRecord, testDatabases, type IsolatedDatabase } from '../support/databases.js';

const ALL_MIGRATIONS = ['0001_initial_schema', '0002_narrow_result_rows'];

const STORAGE_MODULE = fileURLToPath(new URL('../../src/storage/index.ts', import.meta.url));

/**
 * A separate Node process (like a worker starting up) that opens the database and migrates it at
 * `startAt` (epoch ms), so that several children really migrate at the same moment.
 */
function migrateInChildProcess(url: string, startAt: number): Promise<{ code: number | null; output: string }> {
  const script = `
    const { createDatabase } = await import(process.env.STORAGE_MODULE);
    const db = createDatabase(process.env.DATABASE_URL);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(process.env.START_AT) - Date.now())));
    try { await db.migrate(); await db.ping(); } finally { await db.close(); }
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      env: { ...process.env, DATABASE_URL: url, STORAGE_MODULE, START_AT: String(startAt) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe.each(testDatabases())('migrations on $name', ({ name }) => {
  let scratch: IsolatedDatabase;

  beforeEach(async () => {
    scratch = await createIsolatedDatabase(name);
  });

  afterEach(async () => {
    await scratch.drop();
  });

  it('creates the schema once; migrating again changes nothing and keeps the data', async () => {
    const db = createDatabase(scratch.url);
    try {
      expect(await db.migrate()).toEqual(ALL_MIGRATIONS);
      const record = await db.createFileRecord(sampleFileRecord());
      expect(await db.migrate()).toEqual([]);
      expect((await db.getFileRecord(record.id))?.jobId).toBe(record.jobId);
    } finally {
      await db.close();
    }
  });

  it('lets several processes that start together migrate the same empty database', async () => {
    // Child start-up (loading TypeScript) takes a second or two; all three migrate at the same instant.
    const startAt = Date.now() + 5000;
    const results = await Promise.all([1, 2, 3].map(() => migrateInChildProcess(scratch.url, startAt)));
    for (const result of results) expect(result, result.output).toMatchObject({ code: 0 });

    const db = createDatabase(scratch.url);
    try {
      expect(await db.migrate()).toEqual([]);
      const record = await db.createFileRecord(sampleFileRecord());
      expect((await db.listFileRecords({ page: 1, pageSize: 10 })).files.map((f) => f.id)).toEqual([record.id]);
    } finally {
      await db.close();
    }
  });

  it('lets two instances of one process migrate at once', async () => {
    const first = createDatabase(scratch.url);
    const second = createDatabase(scratch.url);
    try {
      const [a, b] = await Promise.all([first.migrate(), second.migrate()]);
      // Exactly one of them applied the migration; the other found it applied.
      expect([...a, ...b]).toEqual(ALL_MIGRATIONS);
      await first.createFileRecord(sampleFileRecord());
      expect((await second.listFileRecords({ page: 1, pageSize: 10 })).total).toBe(1);
    } finally {
      await first.close();
      await second.close();
    }
  });
});
