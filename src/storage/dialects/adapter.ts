/**
 * One adapter per SQL engine, behind this interface (the layout of Kysely's dialects: everything
 * engine-specific lives in the engine's own file, nothing outside `dialects/` branches on the
 * engine). What differs per engine:
 * - how a write transaction is opened and which lock makes it safe (SQLite: BEGIN IMMEDIATE under a
 *   per-file process lock; PostgreSQL/MySQL: a transaction plus SELECT … FOR UPDATE of the record);
 * - how timestamps are stored (ISO text on SQLite, native types elsewhere);
 * - how migrations are locked;
 * - the bulk path for result rows, which opens its own fenced transaction on the driver;
 * - how a bounded chunk of result rows is deleted.
 */
import type { Kysely } from 'kysely';
import type { AttemptCheck, ResultTable } from '../attempt-fence.js';
import type { DialectName } from '../model.js';
import type { EncodedBatch, WrittenCounts } from '../row-encoding.js';
import type { StorageSchema } from '../schema.js';

/** Which rows of a job a chunked delete removes: all of them, or those not of its live attempt. */
export type ResultRowSelection = 'all' | 'stale';

export interface DialectAdapter {
  readonly dialect: DialectName;
  /** Query builder on the engine's pool (or SQLite connection). */
  readonly kysely: Kysely<StorageSchema>;
  /** Whether a locked read of the record needs FOR UPDATE (SQLite's write transaction already excludes writers). */
  readonly locksRows: boolean;
  /** A timestamp as the engine stores it. */
  time(date: Date): Date | string;
  /** Runs `work` in a write transaction. */
  transaction<T>(work: (db: Kysely<StorageSchema>) => Promise<T>): Promise<T>;
  /** Runs the migrator under the engine's migration lock. */
  migrate(run: (db: Kysely<StorageSchema>, migrationTableSchema: string | undefined) => Promise<string[]>): Promise<string[]>;
  /**
   * Stores one batch with the engine's bulk path in one transaction that first reads the job's
   * record under its lock and passes it to `check` (which throws when the attempt is stale).
   */
  writeResults(batch: EncodedBatch, check: AttemptCheck): Promise<WrittenCounts>;
  /** Deletes at most `limit` rows of a file from `table`; returns how many went. */
  deleteResultChunk(table: ResultTable, fileKey: number, which: ResultRowSelection, limit: number): Promise<number>;
  /** Starts what result-row writes need ahead of the first batch (SQLite: its writer thread); resolves when it is ready. */
  prepareWrites?(): Promise<void>;
  /** Closes the pool, connection and any writer thread. */
  close(): Promise<void>;
}
