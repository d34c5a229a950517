import { PassThrough } from 'node:stream';
import archiver, { type Archiver } from 'archiver';
import type { ExportSheet, TableWriter } from './types.js';
import { OutputGuard, type OutputStream } from './stream-util.js';

/** Excel's hard limits: rows per worksheet (header included), characters per cell, sheet-name length. */
const EXCEL_MAX_ROWS = 1_048_576;
export const EXCEL_MAX_CELL_CHARS = 32_767;
const SHEET_NAME_MAX = 31;

/** Default bound on sheet XML waiting for the zip stage (compression) and the output. */
const DEFAULT_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
/**
 * Lowest accepted bound: the stage's readable side alone can hold ~80 KiB (16 KiB high-water mark
 * plus one piece) without any 'drain' to wait for, so a smaller bound could never be met.
 */
const MIN_MAX_BUFFERED_BYTES = 128 * 1024;

export interface XlsxWriterOptions {
  /** Data rows per worksheet before continuing on a new one; default Excel's limit minus the header. */
  maxDataRowsPerSheet?: number;
  /** Back off once this much uncompressed sheet XML is waiting downstream (default 4 MiB, at least 128 KiB). */
  maxBufferedBytes?: number;
}

/**
 * A valid worksheet name: characters Excel forbids (`[]:*?/\`) become `_`, apostrophes are
 * stripped from both ends, at most 31 characters (never splitting a surrogate pair), and a fallback
 * for empty names and Excel's reserved name "History".
 */
export function sanitizeSheetName(name: string, fallback = 'Sheet1'): string {
  let clean = name.replace(/[[\]:*?/\\]/g, '_').replace(/^'+|'+$/g, '');
  clean = truncateUtf16(clean, SHEET_NAME_MAX).replace(/'+$/, '');
  if (clean.trim() === '') return fallback;
  if (clean.toLowerCase() === 'history') return 'History_';
  return clean;
}

/** Cuts to at most `max` UTF-16 units without leaving half of a surrogate pair. */
function truncateUtf16(text: string, max: number): string {
  if (text.length <= max) return text;
  const lastKept = text.charCodeAt(max - 1);
  const cut = lastKept >= 0xd800 && lastKept <= 0xdbff ? max - 1 : max;
  return text.slice(0, cut);
}

/** Name of the n-th (n ≥ 2) worksheet of an export that overflows Excel's row limit. */
function continuationSheetName(base: string, n: number): string {
  const suffix = ` (${n})`;
  return truncateUtf16(base, SHEET_NAME_MAX - suffix.length) + suffix;
}

/** Deflate level of the zip: 1 compresses ~2× faster than the default 6 for a file a few % larger (measured in bench/export.ts). */
const DEFLATE_LEVEL = 1;
/** Sheet XML is handed to the zip stage in pieces of this many bytes (fewer, larger deflate calls)… */
const PIECE_CHARS = 256 * 1024;
/** …at most 1/16 of maxBufferedBytes, so that one piece past the high-water mark stays under the bound. */
const PIECE_SHARE_OF_BUFFER = 16;
/**
 * Output chunk of the deflate stream: zlib's default 16 KiB makes one thread-pool round trip per
 * 16 KiB, and that ping-pong, not the compression, bounded the writer.
 */
const DEFLATE_CHUNK_BYTES = 256 * 1024;

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';
const PKG_REL_NS = 'http://schemas.openxmlformats.org/package/2006/relationships';
const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
/** The header row stays visible while scrolling (one element; a bold header would need a style per cell). */
const SHEET_HEAD =
  `${XML_DECLARATION}<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheetViews><sheetView workbookViewId="0">` +
  '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews><sheetData>';
const SHEET_TAIL = '</sheetData></worksheet>';
const STYLES_XML =
  `${XML_DECLARATION}<styleSheet xmlns="${MAIN_NS}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>` +
  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  '<cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/></cellXfs>' +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>';

/** Column letters of the first columns, computed once ("A", "B", … "AA" …). */
const columnLetters: string[] = [];
function columnLetter(index: number): string {
  while (columnLetters.length <= index) {
    let name = '';
    for (let n = columnLetters.length + 1; n > 0; n = Math.floor((n - 1) / 26)) name = String.fromCharCode(65 + ((n - 1) % 26)) + name;
    columnLetters.push(name);
  }
  return columnLetters[index];
}

/** Characters XML 1.0 cannot carry (dropped), and what must be escaped in text. */
const NEEDS_ESCAPE = /[&<>\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|_x[0-9A-Fa-f]{4}_/;
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;
const AMP = /&/g;
const LESS = /</g;
const GREATER = />/g;
/** Text that reads like an OOXML _xHHHH_ escape: its underscore is escaped so readers keep it as typed. */
const OOXML_ESCAPE_LOOKALIKE = /_x([0-9A-Fa-f]{4})_/g;

function xmlText(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(XML_FORBIDDEN, '').replace(AMP, '&amp;').replace(LESS, '&lt;').replace(GREATER, '&gt;').replace(OOXML_ESCAPE_LOOKALIKE, '_x005F_x$1_');
}

function xmlAttribute(text: string): string {
  return xmlText(text).replace(/"/g, '&quot;');
}

/** Leading or trailing blanks and line breaks are kept only with xml:space="preserve". */
function needsPreserve(text: string): boolean {
  return text.charCodeAt(0) <= 0x20 || text.charCodeAt(text.length - 1) <= 0x20;
}

/**
 * One `<row>` of inline-string cells; empty cells are left out. Every cell carries its reference
 * (`r`): the schema makes it optional, but readers such as exceljs need it.
 */
function rowXml(rowNumber: number, cells: readonly string[]): string {
  let xml = `<row r="${rowNumber}">`;
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell === '') continue;
    const text = xmlText(toCellText(cell));
    xml += `<c r="${columnLetter(i)}${rowNumber}" t="inlineStr"><is>`;
    xml += needsPreserve(text) ? `<t xml:space="preserve">${text}</t></is></c>` : `<t>${text}</t></is></c>`;
  }
  return xml + '</row>';
}

/**
 * Streams an .xlsx workbook to `out`: the sheet XML is written here (inline strings, no shared
 * strings table, no styles beyond the default, every cell a string — never a formula; empty cells
 * left out) and zipped by archiver at deflate level 1, deflating on zlib's thread pool while this
 * thread writes the next rows. When more than `maxBufferedBytes` of sheet XML waits for
 * compression/output, writeRows waits for it to drain, so memory stays flat. Past Excel's
 * 1,048,576-row limit the table continues on "name (2)", "name (3)"… with the header repeated.
 * Cells longer than Excel's 32,767 characters are truncated (Excel refuses the file otherwise),
 * CR/CRLF line breaks become LF, and characters XML cannot carry (C0 controls other than TAB/LF)
 * are dropped. Every row must have exactly as many cells as the header. Calls must not overlap:
 * await each writeRows before the next.
 *
 * exceljs's streaming WorkbookWriter was used before: building its row and cell models cost
 * ~4× the time of writing the XML directly (bench/export.ts).
 */
export class XlsxTableWriter implements TableWriter {
  private readonly guard: OutputGuard;
  private readonly archive: Archiver;
  private readonly columns: readonly string[];
  private readonly baseName: string;
  private readonly maxDataRowsPerSheet: number;
  private readonly maxBufferedBytes: number;
  private readonly sheetNames: string[] = [];
  private readonly pieceChars: number;
  private sheet!: PassThrough;
  /** Encoded sheet XML not yet handed to the zip stage (rows are encoded once, straight into it). */
  private piece: Buffer;
  private used = 0;
  private rowsInSheet = 0;
  private state: 'open' | 'closing' | 'aborted' = 'open';
  private closing: Promise<void> | undefined;

  constructor(out: OutputStream, sheet: ExportSheet, options: XlsxWriterOptions = {}) {
    this.guard = new OutputGuard(out);
    this.columns = sheet.columns;
    this.baseName = sanitizeSheetName(sheet.name);
    this.maxDataRowsPerSheet = Math.max(1, options.maxDataRowsPerSheet ?? EXCEL_MAX_ROWS - 1);
    this.maxBufferedBytes = Math.max(MIN_MAX_BUFFERED_BYTES, options.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES);
    this.pieceChars = Math.min(PIECE_CHARS, Math.floor(this.maxBufferedBytes / PIECE_SHARE_OF_BUFFER));
    this.piece = Buffer.allocUnsafe(this.pieceChars);
    this.archive = archiver('zip', { zlib: { level: DEFLATE_LEVEL, chunkSize: DEFLATE_CHUNK_BYTES } });
    // An archiver failure ends the output with it; the guard reports it to the caller.
    this.archive.on('error', (error: Error) => (out.destroy ? out.destroy(error) : out.emit('error', error)));
    this.archive.pipe(out as NodeJS.WritableStream);
    this.startWorksheet(this.baseName);
  }

  /** Sheet XML written but not yet taken by the zip stage. */
  get bufferedBytes(): number {
    return this.sheet.writableLength + this.sheet.readableLength;
  }

  async writeRows(rows: readonly (readonly string[])[]): Promise<void> {
    this.assertOpen();
    this.guard.throwIfFailed();
    for (const row of rows) {
      if (row.length !== this.columns.length) {
        throw new RangeError(`XLSX export row has ${row.length} cells, expected ${this.columns.length}`);
      }
      if (this.rowsInSheet === this.maxDataRowsPerSheet) {
        this.endWorksheet();
        this.startWorksheet(continuationSheetName(this.baseName, this.sheetNames.length + 1));
      }
      this.rowsInSheet += 1;
      if (!this.append(rowXml(this.rowsInSheet + 1, row))) await this.relieveBackpressure();
    }
    if (!this.flushPending() || this.bufferedBytes > this.maxBufferedBytes) await this.relieveBackpressure();
  }

  close(): Promise<void> {
    if (this.state === 'aborted') return Promise.reject(new Error('XLSX export was aborted'));
    this.closing ??= this.finish();
    return this.closing;
  }

  async abort(): Promise<void> {
    if (this.state === 'aborted') return;
    this.state = 'aborted';
    this.archive.abort();
    this.sheet.destroy();
    await this.guard.destroy();
  }

  private async finish(): Promise<void> {
    this.state = 'closing';
    this.guard.throwIfFailed();
    this.endWorksheet();
    for (const [name, xml] of this.packageParts()) this.archive.append(xml, { name });
    // archiver only reports output errors through 'error'; racing against the guard keeps an
    // earlier failure from leaving finalize() pending forever.
    await Promise.race([this.archive.finalize(), this.failureOfOutput()]);
    await this.guard.finished();
  }

  /**
   * Encodes `xml` into the current piece, handing the piece to the zip stage first when it cannot
   * fit; false when the stage asks to wait for 'drain'.
   */
  private append(xml: string): boolean {
    // A UTF-16 unit never takes more than 3 bytes of UTF-8.
    if (xml.length * 3 <= this.piece.length - this.used) {
      this.used += this.piece.write(xml, this.used);
      return true;
    }
    const accepted = this.flushPending();
    if (xml.length * 3 <= this.piece.length) {
      this.used = this.piece.write(xml, 0);
      return accepted;
    }
    return this.sheet.write(xml) && accepted;
  }

  /** Hands the encoded piece to the zip stage (which keeps it); false when it asks to wait for 'drain'. */
  private flushPending(): boolean {
    if (this.used === 0) return true;
    const filled = this.piece.subarray(0, this.used);
    this.piece = Buffer.allocUnsafe(this.piece.length);
    this.used = 0;
    return this.sheet.write(filled);
  }

  private startWorksheet(name: string): void {
    this.sheetNames.push(name);
    // The writable side holds what waits for the zip stage; half the bound leaves room for the
    // readable side (16 KiB) and one piece written past the high-water mark.
    const highWaterMark = this.maxBufferedBytes / 2;
    this.sheet = new PassThrough({ writableHighWaterMark: highWaterMark, decodeStrings: true });
    this.archive.append(this.sheet, { name: `xl/worksheets/sheet${this.sheetNames.length}.xml` });
    this.sheet.write(SHEET_HEAD + rowXml(1, this.columns));
    this.rowsInSheet = 0;
  }

  private endWorksheet(): void {
    this.flushPending();
    this.sheet.end(SHEET_TAIL);
  }

  /** Workbook, relationships, content types and styles, once the sheets are known. */
  private packageParts(): [string, string][] {
    const sheets = this.sheetNames.map((name, i) => `<sheet name="${xmlAttribute(name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`).join('');
    const sheetRels = this.sheetNames
      .map((_n, i) => `<Relationship Id="rId${i + 1}" Type="${REL_NS}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`)
      .join('');
    const sheetTypes = this.sheetNames
      .map(
        (_n, i) =>
          `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`,
      )
      .join('');
    const stylesId = `rId${this.sheetNames.length + 1}`;
    return [
      [
        '[Content_Types].xml',
        `${XML_DECLARATION}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>' +
          '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
          '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
          `${sheetTypes}</Types>`,
      ],
      [
        '_rels/.rels',
        `${XML_DECLARATION}<Relationships xmlns="${PKG_REL_NS}"><Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
      ],
      [
        'xl/workbook.xml',
        `${XML_DECLARATION}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><bookViews><workbookView/></bookViews><sheets>${sheets}</sheets></workbook>`,
      ],
      [
        'xl/_rels/workbook.xml.rels',
        `${XML_DECLARATION}<Relationships xmlns="${PKG_REL_NS}">${sheetRels}<Relationship Id="${stylesId}" Type="${REL_NS}/styles" Target="styles.xml"/></Relationships>`,
      ],
      ['xl/styles.xml', STYLES_XML],
    ];
  }

  private async relieveBackpressure(): Promise<void> {
    while (this.sheet.writableNeedDrain) {
      this.guard.throwIfFailed();
      await this.guard.waitForDrain(this.sheet);
    }
  }

  private failureOfOutput(): Promise<never> {
    return new Promise<never>((_resolve, reject) => {
      const check = (): void => {
        if (this.guard.error) reject(this.guard.error);
      };
      check();
      this.guard.out.once('error', check);
      this.guard.out.once('close', check);
    });
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new Error(`XLSX export is ${this.state === 'aborted' ? 'aborted' : 'closed'}`);
  }
}

const CARRIAGE_RETURNS = /\r\n?/g;

/** Line breaks become LF, Excel's in-cell line break, and text is cut at Excel's cell limit. */
function toCellText(cell: string): string {
  const text = cell.includes('\r') ? cell.replace(CARRIAGE_RETURNS, '\n') : cell;
  return text.length > EXCEL_MAX_CELL_CHARS ? truncateUtf16(text, EXCEL_MAX_CELL_CHARS) : text;
}
