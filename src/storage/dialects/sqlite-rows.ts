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
 * Texts back to back in one string, with the length of each. Posting one string to the writer
 * thread is one copy; an array of strings is cloned string by string (profiled on 1 M rows: posting
 * the arrays cost the main thread 2.3 s, as much as encoding them).
 */
interface PackedTexts {
  text: string;
  lengths: Int32Array;
}

/**
 * A batch as the SQLite writer takes it: the JSON texts of the columns and the (sheet, row)
 * positions, encoded once on the calling thread.
 */
export interface RowTexts {
  jobId: string;
  token: string;
  /** sheet_index, row_number of each clean row, interleaved. */
  cleanPositions: Int32Array;
  /** data of each clean row. */
  cleanTexts: PackedTexts;
  exceptionPositions: Int32Array;
  /** data, errors, message of each exception row, in that order. */
  exceptionTexts: PackedTexts;
}

function positions(rows: readonly { sheetIndex: number; rowNumber: number }[]): Int32Array {
  const out = new Int32Array(rows.length * 2);
  for (let i = 0; i < rows.length; i++) {
    out[2 * i] = rows[i].sheetIndex;
    out[2 * i + 1] = rows[i].rowNumber;
  }
  return out;
}

/** Builds PackedTexts: concatenated rather than joined, V8 builds a rope and flattens it once, when posted. */
class TextPacker {
  private text = '';
  private at = 0;
  private readonly lengths: Int32Array;

  constructor(count: number) {
    this.lengths = new Int32Array(count);
  }

  add(value: string): void {
    this.text += value;
    this.lengths[this.at++] = value.length;
  }

  done(): PackedTexts {
    return { text: this.text, lengths: this.lengths };
  }
}

/** Reads PackedTexts back in order. */
class TextReader {
  private at = 0;
  private offset = 0;

  constructor(private readonly packed: PackedTexts) {}

  next(): string {
    const end = this.offset + this.packed.lengths[this.at++];
    const value = this.packed.text.slice(this.offset, end);
    this.offset = end;
    return value;
  }
}

export function encodeRowTexts(batch: EncodedBatch): RowTexts {
  const clean = new TextPacker(batch.clean.length);
  for (const r of batch.clean) clean.add(JSON.stringify(r.values));
  const exceptions = new TextPacker(batch.exceptions.length * 3);
  batch.exceptions.forEach((r, i) => {
    exceptions.add(JSON.stringify(r.values));
    exceptions.add(JSON.stringify(r.errors));
    exceptions.add(reasonAt(batch, i));
  });
  return {
    jobId: batch.jobId,
    token: batch.token,
    cleanPositions: positions(batch.clean),
    cleanTexts: clean.done(),
    exceptionPositions: positions(batch.exceptions),
    exceptionTexts: exceptions.done(),
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
    const { cleanPositions: cp, exceptionPositions: ep } = rows;
    const clean = new TextReader(rows.cleanTexts);
    const cleanRows = this.clean.run(cp.length / 2, this.perStatement, (i, params) => {
      params.push(fileKey, attempt, cp[2 * i], cp[2 * i + 1], clean.next());
    });
    const exceptions = new TextReader(rows.exceptionTexts);
    const exceptionRows = this.exceptions.run(ep.length / 2, this.perStatement, (i, params) => {
      params.push(fileKey, attempt, ep[2 * i], ep[2 * i + 1], exceptions.next(), exceptions.next(), exceptions.next());
    });
    return { cleanRows, exceptionRows };
  }
}
