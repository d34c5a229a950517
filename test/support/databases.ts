/**
 * Databases for integration tests: every suite runs against SQLite, PostgreSQL and MySQL/MariaDB,
 * each test file in its own scratch schema/database so suites never see each other's rows.
 *
 *   describe.each(testDatabases())('$name', ({ name }) => {
 *     let scratch: IsolatedDatabase;
 *     beforeAll(async () => { scratch = await createIsolatedDatabase(name); });
 *     afterAll(() => scratch.drop());
 *     // createDatabase(scratch.url) …
 *   });
 *
 * Server URLs come from TEST_POSTGRES_URL / TEST_MYSQL_URL. In CI (env CI set) both must be
 * present — a dialect must never be skipped silently; locally they default to the services of the
 * development machine.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import pg from 'pg';

export type DatabaseKind = 'sqlite' | 'postgres' | 'mysql';

/** A dialect under test and the URL of its server (SQLite: in-memory). */
export interface TestDatabase {
  name: DatabaseKind;
  url: string;
}

/** A scratch database of its own; `drop()` removes it and everything in it. */
export interface IsolatedDatabase {
  name: DatabaseKind;
  /** A DATABASE_URL that reaches only the scratch schema/database. */
  url: string;
  drop(): Promise<void>;
}

const LOCAL_DEFAULTS = {
  postgres: 'postgres://postgres@127.0.0.1:5432/test',
  mysql: 'mysql://root@127.0.0.1:3306/test',
} as const;

function serverUrl(kind: 'postgres' | 'mysql'): string {
  const variable = kind === 'postgres' ? 'TEST_POSTGRES_URL' : 'TEST_MYSQL_URL';
  const url = process.env[variable];
  if (url) return url;
  if (process.env.CI) {
    throw new Error(`${variable} is not set: in CI every dialect must be tested (set it to the ${kind} server's URL)`);
  }
  return LOCAL_DEFAULTS[kind];
}

/** The three dialects with their server URLs; throws in CI when a server URL is missing. */
export function testDatabases(): TestDatabase[] {
  return [
    { name: 'sqlite', url: 'sqlite::memory:' },
    { name: 'postgres', url: serverUrl('postgres') },
    { name: 'mysql', url: serverUrl('mysql') },
  ];
}

/** The URL of one dialect's server (SQLite: in-memory). */
export function testDatabaseUrl(kind: DatabaseKind): string {
  const found = testDatabases().find((d) => d.name === kind);
  if (!found) throw new Error(`unknown database kind ${kind}`);
  return found.url;
}

function scratchName(): string {
  return `t_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
}

/**
 * A fresh, empty database for one test file: a temporary SQLite file, a PostgreSQL schema (selected
 * through `options=-c search_path=…` in the URL) or a MySQL database. The server's own `test`
 * database is never dropped.
 */
export async function createIsolatedDatabase(kind: DatabaseKind | TestDatabase): Promise<IsolatedDatabase> {
  const name: DatabaseKind = typeof kind === 'string' ? kind : kind.name;
  const scratch = scratchName();
  switch (name) {
    case 'sqlite': {
      const dir = await mkdtemp(join(tmpdir(), 'dcs-sqlite-'));
      return {
        name,
        url: `sqlite:${join(dir, `${scratch}.sqlite`)}`,
        drop: () => rm(dir, { recursive: true, force: true }),
      };
    }
    case 'postgres': {
      const admin = typeof kind === 'string' ? serverUrl('postgres') : kind.url;
      await withPostgres(admin, (client) => client.query(`create schema "${scratch}"`));
      const url = new URL(admin);
      url.searchParams.set('options', `-c search_path=${scratch}`);
      return {
        name,
        url: url.toString(),
        drop: () => withPostgres(admin, (client) => client.query(`drop schema if exists "${scratch}" cascade`)).then(() => undefined),
      };
    }
    case 'mysql': {
      const admin = typeof kind === 'string' ? serverUrl('mysql') : kind.url;
      await withMysql(admin, (connection) => connection.query(`create database \`${scratch}\` character set utf8mb4 collate utf8mb4_bin`));
      const url = new URL(admin);
      url.pathname = `/${scratch}`;
      return {
        name,
        url: url.toString(),
        drop: () => withMysql(admin, (connection) => connection.query(`drop database if exists \`${scratch}\``)).then(() => undefined),
      };
    }
  }
}

/** Runs `work` on a one-off PostgreSQL client (for test setup and fault injection). */
export async function withPostgres<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** Runs `work` on a one-off MySQL connection (for test setup and fault injection). */
export async function withMysql<T>(url: string, work: (connection: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection({ uri: url.replace(/^mariadb:/, 'mysql:') });
  try {
    return await work(connection);
  } finally {
    await connection.end();
  }
}

let sampleCounter = 0;

/**
 * A valid input for Database.createFileRecord with unique ids; override any field. Typed
 * structurally so this helper does not depend on the storage module.
 */
export function sampleFileRecord<T extends object = Record<string, never>>(overrides?: T) {
  sampleCounter++;
  const suffix = `${Date.now().toString(16)}-${sampleCounter.toString(16).padStart(4, '0')}-${randomBytes(6).toString('hex')}`;
  return {
    id: `f-${suffix}`,
    jobId: `j-${suffix}`,
    originalName: `upload-${sampleCounter}.csv`,
    size: 1024,
    fileType: 'csv' as const,
    mimeType: 'text/csv',
    storageKey: `uploads/s-${suffix}`,
    ...overrides,
  };
}
