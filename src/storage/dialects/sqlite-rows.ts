/**
 * SQLite's bulk path for result rows, on one better-sqlite3 connection: the attempt check and the
 * inserts in one IMMEDIATE transaction (the write lock is the fence). Runs on the writer thread
 * (sqlite-writer-thread.ts), or on the calling thread for an in-memory database.
 *
 * Rows go through large multi-row INSERTs (`rowsPerStatement` rows per statement, one prepared
 * statement per row count, cached): one statement call per few hundred rows instead of one per row
 * is where the time goes on SQLite. Rows already stored (same file, sheet, row) are skipped.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { fenceQuery, type AttemptCheck, type AttemptOwner, type AttemptRow } from '../attempt-fence.js';
import { reasonAt, type EncodedBatch, type WrittenCounts } from '../row-encoding.js';

/**
 * A batch as the SQLite writer takes it: the JSON texts of the columns and the (sheet, row)
 * positions. Encoded once on the calling thread — a few strings and a typed array per table cross
 * to the writer thread about 5× cheaper than the nested arrays of cell values they come from.
 */
export interface RowTexts {
  jobId: string;
  token: string;
  /** sheet_index, row_number of each clean row, interleaved. */
  cleanPositions: Int32Array;
  cleanData: string[];
  exceptionPositions: Int32Array;
  exceptionData: string[];
  exceptionErrors: string[];
  exceptionReasons: string[];
}

function positions(rows: readonly { sheetIndex: number; rowNumber: number }[]): Int32Array {
  const out = new Int32Array(rows.length * 2);
  for (let i = 0; i < rows.length; i++) {
    out[2 * i] = rows[i].sheetIndex;
    out[2 * i + 1] = rows[i].rowNumber;
  }
  return out;
}

export function encodeRowTexts(batch: EncodedBatch): RowTexts {
  return {
    jobId: batch.jobId,
    token: batch.token,
    cleanPositions: positions(batch.clean),
    cleanData: batch.clean.map((r) => JSON.stringify(r.values)),
    exceptionPositions: positions(batch.exceptions),
    exceptionData: batch.exceptions.map((r) => JSON.stringify(r.values)),
    exceptionErrors: batch.exceptions.map((r) => JSON.stringify(r.errors)),
    exceptionReasons: batch.exceptions.map((_, i) => reasonAt(batch, i)),
  };
}

/** SQLite allows 32,766 parameters per statement; exception rows have 7. */
const MAX_ROWS_PER_STATEMENT = Math.floor(32_766 / 7);

/** Default rows per multi-row INSERT (measured: 200–1000 are within a few % of each other; 50 is ~15 % slower). */
export const DEFAULT_SQLITE_ROWS_PER_STATEMENT = 500;

/** Prepared multi-row INSERTs of one table, one per row count. */
class MultiRowInsert {
  private readonly statements = new Map<number, BetterSqlite3.Statement>();

  constructor(
    private readonly sqlite: BetterSqlite3.Database,
    private readonly head: string,
    private readonly placeholders: string,
  ) {}

  /** Inserts `count` rows, `perStatement` at a time; `addRow` appends row i's parameters. */
  run(count: number, perStatement: number, addRow: (index: number, params: (string | number)[]) => void): number {
    let stored = 0;
    for (let start = 0; start < count; start += perStatement) {
      const end = Math.min(count, start + perStatement);
      const params: (string | number)[] = [];
      for (let i = start; i < end; i++) addRow(i, params);
      stored += this.statement(end - start).run(params).changes;
    }
    return stored;
  }

  private statement(rows: number): BetterSqlite3.Statement {
    let statement = this.statements.get(rows);
    if (!statement) {
      // Batches of one size leave the same remainders; an odd mix must not grow the cache unbounded.
      if (this.statements.size >= 64) this.statements.clear();
      statement = this.sqlite.prepare(`${this.head} ${Array<string>(rows).fill(this.placeholders).join(',')} on conflict do nothing`);
      this.statements.set(rows, statement);
    }
    return statement;
  }
}

export class SqliteRowWriter {
  private readonly clean: MultiRowInsert;
  private readonly exceptions: MultiRowInsert;
  private readonly perStatement: number;
  private readonly fenced: (rows: RowTexts, check: AttemptCheck) => WrittenCounts;

  constructor(sqlite: BetterSqlite3.Database, rowsPerStatement = DEFAULT_SQLITE_ROWS_PER_STATEMENT) {
    this.perStatement = Math.max(1, Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(rowsPerStatement)));
    this.clean = new MultiRowInsert(sqlite, 'insert into clean_data (file_key, attempt, sheet_index, "row_number", data) values', '(?,?,?,?,?)');
    this.exceptions = new MultiRowInsert(
      sqlite,
      'insert into error_logs (file_key, attempt, sheet_index, "row_number", data, errors, message) values',
      '(?,?,?,?,?,?,?)',
    );
    const fence = sqlite.prepare<[string], AttemptRow>(fenceQuery('?', false));
    const transaction = sqlite.transaction((rows: RowTexts, check: AttemptCheck) => this.insert(rows, check(fence.get(rows.jobId))));
    this.fenced = (rows, check) => transaction.immediate(rows, check);
  }

  /** Checks the attempt and stores the rows, in one IMMEDIATE transaction. */
  write(rows: RowTexts, check: AttemptCheck): WrittenCounts {
    return this.fenced(rows, check);
  }

  private insert(rows: RowTexts, { fileKey, attempt }: AttemptOwner): WrittenCounts {
    const { cleanPositions: cp, cleanData, exceptionPositions: ep, exceptionData, exceptionErrors, exceptionReasons } = rows;
    const cleanRows = this.clean.run(cleanData.length, this.perStatement, (i, params) => {
      params.push(fileKey, attempt, cp[2 * i], cp[2 * i + 1], cleanData[i]);
    });
    const exceptionRows = this.exceptions.run(exceptionData.length, this.perStatement, (i, params) => {
      params.push(fileKey, attempt, ep[2 * i], ep[2 * i + 1], exceptionData[i], exceptionErrors[i], exceptionReasons[i]);
    });
    return { cleanRows, exceptionRows };
  }
}
