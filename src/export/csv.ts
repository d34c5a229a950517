import type { ExportSheet, TableWriter } from './types.js';
import { OutputGuard, type OutputStream } from './stream-util.js';

/** Excel only detects UTF-8 in a CSV when it starts with a byte-order mark. */
const BOM = '\uFEFF';
const LINE_END = '\r\n';

/** Rows are encoded into buffers of this size, each written to the stream once full. */
const CHUNK_BYTES = 256 * 1024;

/** A cell must be quoted (RFC 4180) when it holds one of these. */
const NEEDS_QUOTES = /[",\r\n]/;
const QUOTE = /"/g;
/** A cell a spreadsheet reads as a number, not a formula, although it may start with + or -. */
const PLAIN_NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

const CODE_EQUALS = 0x3d;
const CODE_PLUS = 0x2b;
const CODE_MINUS = 0x2d;
const CODE_AT = 0x40;
const CODE_TAB = 0x09;
const CODE_CR = 0x0d;
const CODE_SPACE = 0x20;

/**
 * Whether a spreadsheet could take the cell for a formula (OWASP "CSV injection"): it starts with
 * = + - @ TAB or CR and is not simply a number such as -12.5 or +3.
 */
export function looksLikeFormula(value: string): boolean {
  const first = value.charCodeAt(0);
  if (first === CODE_EQUALS || first === CODE_AT || first === CODE_TAB || first === CODE_CR) return true;
  if (first === CODE_PLUS || first === CODE_MINUS) return !PLAIN_NUMBER.test(value);
  return false;
}

/**
 * A separator a spreadsheet may split a cell on when it opens the file with another delimiter
 * (comma; semicolon in many locales; tab), then blanks, then a formula character: `a;=1+1` is two
 * cells, the second a formula, in a semicolon-locale Excel (issue 10.6).
 */
const SPLIT_FORMULA = /[,;\t] *[=+\-@]/;
const SPLIT_SEGMENT = /([,;\t] *)([=+\-@][^,;\t]*)/g;

/**
 * The cell with a single quote before every formula-looking part that follows a separator, or
 * undefined when there is none (the common case: one regular-expression test).
 */
function neutralizeSplitFormulas(value: string): string | undefined {
  if (!SPLIT_FORMULA.test(value)) return undefined;
  let changed = false;
  const text = value.replace(SPLIT_SEGMENT, (match: string, separator: string, segment: string) => {
    if (!looksLikeFormula(segment)) return match;
    changed = true;
    return `${separator}'${segment}`;
  });
  return changed ? text : undefined;
}

/** 1 for the ASCII characters that need a closer look when a cell starts with them. */
const SPECIAL_FIRST = new Uint8Array(128);
for (const code of [CODE_EQUALS, CODE_PLUS, CODE_MINUS, CODE_AT, CODE_TAB, CODE_CR, CODE_SPACE]) SPECIAL_FIRST[code] = 1;

function quoted(text: string): string {
  return `"${text.replace(QUOTE, '""')}"`;
}

/**
 * One cell as CSV text: formula-looking text gets a leading single quote (shown as text by
 * spreadsheets) — at its start and after every separator a spreadsheet might split it on — then
 * RFC 4180 quoting when the cell holds a delimiter, quote, CR or LF, or has
 * leading/trailing blanks (which some readers would otherwise trim).
 */
export function csvCell(value: string): string {
  const length = value.length;
  if (length === 0) return value;
  const split = neutralizeSplitFormulas(value);
  // Quoted, so that a reader splitting on that separator keeps the cell whole; the quotes inside
  // protect readers that split anyway.
  if (split !== undefined) return quoted(looksLikeFormula(split) ? `'${split}` : split);
  const first = value.charCodeAt(0);
  if (first < 128 && SPECIAL_FIRST[first] === 1) {
    // Rare path: may need the formula prefix and/or quoting for a leading blank.
    const text = looksLikeFormula(value) ? `'${value}` : value;
    const textFirst = text.charCodeAt(0);
    const textLast = text.charCodeAt(text.length - 1);
    const blankEdge = textFirst === CODE_SPACE || textFirst === CODE_TAB || textLast === CODE_SPACE || textLast === CODE_TAB;
    return blankEdge || NEEDS_QUOTES.test(text) ? quoted(text) : text;
  }
  const last = value.charCodeAt(length - 1);
  return last === CODE_SPACE || last === CODE_TAB || NEEDS_QUOTES.test(value) ? quoted(value) : value;
}

/**
 * One CSV record including its CRLF terminator. A record of one empty cell is written as `""`:
 * a bare empty line is skipped as blank by many readers.
 */
function csvLine(cells: readonly string[]): string {
  if (cells.length === 1 && cells[0] === '') return '""' + LINE_END;
  let line = cells.length > 0 ? csvCell(cells[0]) : '';
  for (let i = 1; i < cells.length; i++) line += ',' + csvCell(cells[i]);
  return line + LINE_END;
}

/**
 * Streams a CSV file (UTF-8 with BOM, CRLF, comma-delimited) to `out`. Each row is encoded
 * straight into a 256 KiB chunk buffer that is written once full (one native UTF-8 encode per row
 * and no big string ropes, which are slow to flatten once they hold CJK text); a write that fills
 * the stream's buffer waits for 'drain', so memory stays flat. Every row must have exactly as many
 * cells as the header. Calls must not overlap: await each writeRows before the next.
 */
export class CsvTableWriter implements TableWriter {
  private readonly guard: OutputGuard;
  private readonly width: number;
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private state: 'open' | 'closing' | 'aborted' = 'open';
  private closing: Promise<void> | undefined;

  constructor(out: OutputStream, sheet: ExportSheet) {
    this.guard = new OutputGuard(out);
    this.width = sheet.columns.length;
    this.append(BOM + csvLine(sheet.columns));
  }

  async writeRows(rows: readonly (readonly string[])[]): Promise<void> {
    this.assertOpen();
    this.guard.throwIfFailed();
    for (const row of rows) {
      if (row.length !== this.width) {
        throw new RangeError(`CSV export row has ${row.length} cells, expected ${this.width}`);
      }
      if (this.append(csvLine(row))) await this.guard.waitForDrain(this.guard.out);
    }
  }

  close(): Promise<void> {
    if (this.state === 'aborted') return Promise.reject(new Error('CSV export was aborted'));
    this.closing ??= this.finish();
    return this.closing;
  }

  async abort(): Promise<void> {
    if (this.state === 'aborted') return;
    this.state = 'aborted';
    this.used = 0;
    await this.guard.destroy();
  }

  /**
   * Encodes `text` into the chunk, or (when it cannot fit) writes out the chunk and starts a new
   * one. Returns true when the stream asked the writer to wait for 'drain'.
   */
  private append(text: string): boolean {
    // A UTF-16 unit never takes more than 3 bytes of UTF-8.
    const worstCase = text.length * 3;
    if (worstCase <= CHUNK_BYTES - this.used) {
      this.used += this.chunk.write(text, this.used);
      return false;
    }
    let accepted = this.emitChunk();
    if (worstCase <= CHUNK_BYTES) {
      this.used += this.chunk.write(text, this.used);
    } else {
      accepted = this.guard.out.write(Buffer.from(text, 'utf8'));
    }
    return !accepted;
  }

  /**
   * Hands the filled part of the chunk to the stream (which keeps it) and starts a fresh chunk.
   * Returns false when the stream's buffer is full.
   */
  private emitChunk(): boolean {
    if (this.used === 0) return true;
    const filled = this.chunk.subarray(0, this.used);
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    return this.guard.out.write(filled);
  }

  private async finish(): Promise<void> {
    this.state = 'closing';
    this.guard.throwIfFailed();
    this.emitChunk();
    this.guard.out.end();
    await this.guard.finished();
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new Error(`CSV export is ${this.state === 'aborted' ? 'aborted' : 'closed'}`);
  }
}
