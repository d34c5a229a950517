import { open, type FileHandle } from 'node:fs/promises';
import Papa from 'papaparse';
import { createChunkDecoder, type EncodingGuess } from './encoding.js';
import { fileAccessError } from './detect.js';
import { alreadyIterated, corruptedFile, emptyFile, lineTooLong, throwIfAborted } from './parse-errors.js';
import { DEFAULT_BATCH_SIZE, RowBatcher, headersOf, isBlankRow } from './table-rows.js';
import type { OpenOptions, ParseLimits, TableDetails, TableEvent, TableReader } from './types.js';

/** Delimiters tried by detection, in order of preference on a tie. */
const CSV_DELIMITERS = [',', '\t', ';', '|'] as const;
export type CsvNewline = '\n' | '\r\n' | '\r';

/** Bytes read per file read; small enough that one chunk stays far below maxLineLength. */
const READ_CHUNK_BYTES = 256 * 1024;
/** Records looked at to detect the delimiter. */
const DELIMITER_SAMPLE_RECORDS = 50;
const QUOTE = '"';

/** The line break of a sample, ignoring quoted text (after Papa Parse's own guessLineEndings). */
export function guessNewline(sample: string): CsvNewline {
  const unquoted = sample.replace(/"[^"]*"/g, '');
  const firstCr = unquoted.indexOf('\r');
  const firstLf = unquoted.indexOf('\n');
  if (firstCr === -1) return '\n';
  if (firstLf !== -1 && firstLf < firstCr) return '\n';
  let crlf = 0;
  let cr = 0;
  for (let i = unquoted.indexOf('\r'); i !== -1; i = unquoted.indexOf('\r', i + 1)) {
    cr++;
    if (unquoted[i + 1] === '\n') crlf++;
  }
  return crlf >= cr / 2 ? '\r\n' : '\r';
}

function parseRecords(text: string, delimiter: string, newline: CsvNewline, preview?: number): Papa.ParseResult<string[]> {
  const parser = new Papa.Parser({ delimiter, newline, quoteChar: QUOTE, preview });
  return parser.parse(text, 0, false) as Papa.ParseResult<string[]>;
}

/**
 * Picks the delimiter that splits the first records of the sample into the most consistent number
 * of fields (> 1), quotes respected; a delimiter under which the quotes do not pair up (a quoted
 * field seen from the wrong delimiter) loses to one under which they do. A file without any
 * candidate delimiter is one column: ','.
 */
export function guessDelimiter(sample: string, newline: CsvNewline): string {
  // The last record of a partial sample may be cut; drop it unless it is the only one.
  const lastBreak = sample.lastIndexOf(newline);
  const text = lastBreak > 0 ? sample.slice(0, lastBreak) : sample;
  let best: DelimiterCandidate | undefined;
  for (const delimiter of CSV_DELIMITERS) {
    const parsed = parseRecords(text, delimiter, newline, DELIMITER_SAMPLE_RECORDS);
    const clean = !parsed.errors.some((e) => e.type === 'Quotes');
    const records = parsed.data.filter((r) => !isBlankRow(r));
    if (records.length === 0) continue;
    const counts = new Map<number, number>();
    for (const record of records) counts.set(record.length, (counts.get(record.length) ?? 0) + 1);
    let modalFields = 0;
    let modalCount = 0;
    for (const [fields, count] of counts) {
      if (count > modalCount || (count === modalCount && fields > modalFields)) {
        modalFields = fields;
        modalCount = count;
      }
    }
    // The header decides the columns: when it splits into a single field, this is not the delimiter.
    if (modalFields < 2 || records[0].length < 2) continue;
    const strayQuotes = strayQuoteCount(text, delimiter);
    const candidate = { delimiter, clean, consistency: modalCount / records.length, strayQuotes, fields: modalFields };
    if (!best || compareCandidates(candidate, best) > 0) best = candidate;
  }
  return best?.delimiter ?? ',';
}

interface DelimiterCandidate {
  delimiter: string;
  /** Quotes pair up (no Papa Parse quote errors). */
  clean: boolean;
  /** Share of records having the most common field count. */
  consistency: number;
  /** Quote characters inside unquoted fields: quoted fields cut apart by a wrong delimiter. */
  strayQuotes: number;
  fields: number;
}

/**
 * Positive when a is the better delimiter; on a full tie the earlier candidate stays. Quote
 * placement comes before field-count consistency: with the right delimiter every quote opens or
 * closes a field (or is doubled inside one), with a wrong one quoted fields are cut apart.
 */
function compareCandidates(a: DelimiterCandidate, b: DelimiterCandidate): number {
  if (a.clean !== b.clean) return a.clean ? 1 : -1;
  if (a.strayQuotes !== b.strayQuotes) return b.strayQuotes - a.strayQuotes;
  if (Math.abs(a.consistency - b.consistency) > 1e-9) return a.consistency - b.consistency;
  return a.fields - b.fields;
}

/** Counts quote characters that sit inside unquoted fields when `text` is split on `delimiter`. */
function strayQuoteCount(text: string, delimiter: string): number {
  let stray = 0;
  let atFieldStart = true;
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === QUOTE) {
        if (text[i + 1] === QUOTE) i++;
        else quoted = false;
      }
      continue;
    }
    if (ch === delimiter || ch === '\n' || ch === '\r') {
      atFieldStart = true;
      continue;
    }
    if (ch === QUOTE) {
      if (atFieldStart) quoted = true;
      else stray++;
    }
    atFieldStart = false;
  }
  return stray;
}

export interface CsvSource {
  path: string;
  size: number;
  encoding: EncodingGuess;
  /** Bytes of the file the encoding sample was decoded from (for the first row estimate). */
  sampleBytes: number;
}

/**
 * Streaming CSV reader. The file is read in chunks by a pull loop (the next chunk is read only when
 * the consumer asks for more rows, so memory stays flat whatever the file size), decoded with a
 * streaming TextDecoder and split into records by Papa Parse's low-level Parser, which is fed the
 * unfinished tail of the previous chunk exactly as Papa's own ChunkStreamer does.
 *
 * Row numbers are record numbers as a spreadsheet shows the file: every record counts, blank ones
 * included (they are skipped but keep their number), and a quoted record spanning several physical
 * lines is one row. The header is the first non-blank record, so it is row 1 unless the file starts
 * with blank lines.
 */
class CsvTableReader implements TableReader {
  readonly details: TableDetails;
  private readonly limits: ParseLimits;
  private readonly newline: CsvNewline;
  private readonly delimiter: string;
  private readonly batchSize: number;
  private readonly signal?: AbortSignal;
  private file?: FileHandle;
  private closed = false;
  private iterated = false;
  private bytesConsumed = 0;
  private dataRows = 0;
  private finished = false;
  private readonly sampleEstimate?: number;

  constructor(
    private readonly source: CsvSource,
    options: OpenOptions,
    limits: ParseLimits,
  ) {
    this.limits = limits;
    this.batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
    this.signal = options.signal;
    const sampleText = withoutNul(source.encoding.text);
    this.newline = guessNewline(sampleText);
    this.delimiter = options.delimiter ?? guessDelimiter(sampleText, this.newline);
    this.details = { format: 'csv', encoding: source.encoding.encoding, delimiter: this.delimiter, sheetCount: 1, removedNulBytes: 0 };
    this.sampleEstimate = estimateFromSample(sampleText, source.sampleBytes, this.delimiter, this.newline, source.size);
  }

  estimatedTotalRows(): number | undefined {
    if (this.finished) return this.dataRows;
    if (this.dataRows === 0 || this.bytesConsumed === 0) return this.sampleEstimate;
    return Math.max(this.dataRows, Math.round((this.dataRows * this.source.size) / this.bytesConsumed));
  }

  async close(): Promise<void> {
    this.closed = true;
    const file = this.file;
    this.file = undefined;
    await file?.close();
  }

  [Symbol.asyncIterator](): AsyncIterator<TableEvent> {
    if (this.iterated) throw alreadyIterated();
    this.iterated = true;
    return this.read();
  }

  private async *chunks(): AsyncGenerator<string> {
    try {
      this.file = await open(this.source.path, 'r');
    } catch (err) {
      throw fileAccessError(err, this.source.path);
    }
    const decoder = createChunkDecoder(this.source.encoding.encoding);
    const buffer = Buffer.allocUnsafe(READ_CHUNK_BYTES);
    let position = this.source.encoding.bomLength;
    for (;;) {
      throwIfAborted(this.signal);
      if (this.closed || !this.file) return;
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.file.read(buffer, 0, READ_CHUNK_BYTES, position));
      } catch (err) {
        throw fileAccessError(err, this.source.path);
      }
      if (bytesRead === 0) break;
      position += bytesRead;
      this.bytesConsumed = position;
      const text = this.removeNul(decoder.write(buffer.subarray(0, bytesRead)));
      if (text.length > 0) yield text;
    }
    const tail = this.removeNul(decoder.end());
    if (tail.length > 0) yield tail;
  }

  /** A stray NUL is damage, not data (issue 10.5): removed and counted. */
  private removeNul(text: string): string {
    if (text.indexOf('\0') === -1) return text;
    let count = 0;
    for (let i = text.indexOf('\0'); i !== -1; i = text.indexOf('\0', i + 1)) count++;
    this.details.removedNulBytes += count;
    return withoutNul(text);
  }

  private async *read(): AsyncGenerator<TableEvent> {
    const { maxLineLength } = this.limits;
    const parser = new Papa.Parser({ delimiter: this.delimiter, newline: this.newline, quoteChar: QUOTE });
    const state: RecordState = { rows: new RowBatcher(this.limits, this.batchSize), headerSeen: false, recordNumber: 0, damaged: false };
    let pending = '';
    try {
      for await (const chunk of this.chunks()) {
        const aggregate = pending + chunk;
        const result = parser.parse(aggregate, 0, true) as Papa.ParseResult<string[]>;
        pending = aggregate.substring(result.meta.cursor);
        // The unfinished record is all that is carried over: bounding it bounds memory.
        if (pending.length > maxLineLength) throw lineTooLong(maxLineLength, state.recordNumber + 1);
        state.damaged = aggregate.indexOf(REPLACEMENT) !== -1;
        yield* this.recordEvents(state, result.data, aggregate.length > maxLineLength);
      }
      if (this.closed) return;
      const result = parser.parse(pending, 0, false) as Papa.ParseResult<string[]>;
      const unclosed = result.errors.find((e) => e.code === 'MissingQuotes');
      if (unclosed) {
        const rowNumber = state.recordNumber + (unclosed.row ?? 0) + 1;
        throw corruptedFile(`第 ${rowNumber} 行的引号没有闭合（文件可能被截断）`, undefined, { rowNumber });
      }
      state.damaged = pending.indexOf(REPLACEMENT) !== -1;
      yield* this.recordEvents(state, result.data, pending.length > maxLineLength);
      const last = state.rows.flush();
      if (last) yield last;
      if (!state.headerSeen) throw emptyFile('文件只包含空行');
      this.dataRows = state.rows.dataRows;
      this.finished = true;
    } finally {
      await this.close();
    }
  }

  /** Turns complete records into events: header first, then data rows in batches. */
  private *recordEvents(state: RecordState, records: string[][], checkLengths: boolean): Generator<TableEvent> {
    const { maxLineLength } = this.limits;
    for (const cells of records) {
      state.recordNumber++;
      state.rows.checkColumns(cells.length);
      if (checkLengths && recordLength(cells) > maxLineLength) throw lineTooLong(maxLineLength, state.recordNumber);
      if (isBlankRow(cells)) continue;
      if (!state.headerSeen) {
        state.headerSeen = true;
        yield state.rows.sheetEvent('Sheet1', headersOf(cells));
        continue;
      }
      const batch = state.rows.add(state.recordNumber, cells, undefined, state.damaged && hasReplacement(cells));
      this.dataRows = state.rows.dataRows;
      if (batch) yield batch;
    }
  }
}

interface RecordState {
  rows: RowBatcher;
  headerSeen: boolean;
  /** Records seen so far, blank ones included: the spreadsheet row number of the last one. */
  recordNumber: number;
  /** The text being parsed holds U+FFFD somewhere: its rows are checked one by one. */
  damaged: boolean;
}

/**
 * What the decoder puts where bytes are not valid in the file's encoding. A row holding it is
 * flagged invalidEncoding (a U+FFFD written into the file itself is damage from an earlier
 * conversion, and is flagged the same way).
 */
const REPLACEMENT = '\ufffd';

function hasReplacement(cells: readonly string[]): boolean {
  for (const cell of cells) if (cell.indexOf(REPLACEMENT) !== -1) return true;
  return false;
}

function withoutNul(text: string): string {
  return text.indexOf('\0') === -1 ? text : text.replaceAll('\0', '');
}

/** Characters of a record without its quotes: enough to tell a runaway record from a normal one. */
function recordLength(cells: readonly string[]): number {
  let length = cells.length - 1;
  for (const cell of cells) length += cell.length;
  return length;
}

/** Data rows expected from the average record size of the sample (shown before reading starts). */
function estimateFromSample(sample: string, sampleBytes: number, delimiter: string, newline: CsvNewline, fileSize: number): number | undefined {
  if (sample.length === 0) return undefined;
  const records = parseRecords(sample, delimiter, newline).data.filter((r) => !isBlankRow(r)).length;
  if (records === 0) return undefined;
  return Math.max(0, Math.round((records * fileSize) / Math.max(1, sampleBytes)) - 1);
}

export function openCsvReader(source: CsvSource, options: OpenOptions, limits: ParseLimits): TableReader {
  return new CsvTableReader(source, options, limits);
}
