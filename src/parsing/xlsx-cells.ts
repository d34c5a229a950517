import { excelSerialToDate } from './excel-dates.js';
import { columnLimitExceeded, corruptedFile, lineTooLong, sharedStringsTooLarge } from './parse-errors.js';
import { SharedStringTable } from './shared-string-table.js';
import type { ParseLimits } from './types.js';
import {
  CELL_TYPE_BOOLEAN,
  CELL_TYPE_DATE,
  CELL_TYPE_ERROR,
  CELL_TYPE_INLINE,
  CELL_TYPE_SHARED,
  CELL_TYPE_STRING,
  GT,
  LT,
  SLASH,
  digitsValue,
  findBytes,
  isNameEndByte,
  nameAtBytes,
  readTagAttributes,
  stringItemTextBytes,
  utf8Text,
  type TagAttributes,
} from './xml-bytes.js';
import { decodeCellText } from './xml-scan.js';
import type { CellValue } from '../domain/index.js';

/**
 * The worksheet and shared-strings scanners of the xlsx reader. Rules:
 * - Inflated bytes go into a ByteWindow; a scan consumes every complete element and keeps the
 *   unfinished one for the next chunk. The search for an element's end resumes where the last
 *   search stopped, so an element spanning many chunks is searched once (linear), and an element
 *   larger than the per-row byte bound ends the read with LINE_TOO_LONG.
 * - Cells are scanned byte by byte in one pass (see xml-bytes.ts); only values become strings.
 * - Limits: characters per row (MAX_LINE_LENGTH, all cells together — shared strings count at their
 *   full length, so one long string referenced by many cells cannot multiply the work), columns,
 *   and the shared-string table's count and total characters.
 */

/** XML bytes one row (or one shared string item) may take, per character allowed in a row. */
const ROW_XML_BYTES_PER_CHAR = 8;
/** …plus this much markup. */
const ROW_XML_BASE_BYTES = 1024 * 1024;

export function maxElementBytes(limits: ParseLimits): number {
  return ROW_XML_BASE_BYTES + ROW_XML_BYTES_PER_CHAR * limits.maxLineLength;
}

/**
 * A growable window over a part's inflated bytes: the unconsumed tail of the previous chunk followed
 * by the new one. Growth doubles, so keeping a long unfinished element costs linear time overall.
 */
export class ByteWindow {
  private buf: Buffer = Buffer.alloc(0);
  private owned = false;
  start = 0;
  end = 0;

  append(chunk: Buffer): void {
    const tail = this.end - this.start;
    if (tail === 0) {
      this.buf = chunk;
      this.start = 0;
      this.end = chunk.length;
      this.owned = false;
      return;
    }
    if (this.owned && this.buf.length - this.end >= chunk.length) {
      chunk.copy(this.buf, this.end);
      this.end += chunk.length;
      return;
    }
    const next = Buffer.allocUnsafe(Math.max(tail + chunk.length, 2 * tail));
    this.buf.copy(next, 0, this.start, this.end);
    chunk.copy(next, tail);
    this.buf = next;
    this.start = 0;
    this.end = tail + chunk.length;
    this.owned = true;
  }

  /** The bytes up to `end` (an owned buffer has unused room after it). */
  view(): Buffer {
    return this.end === this.buf.length ? this.buf : this.buf.subarray(0, this.end);
  }
}

/** Element names of a part with namespace prefix `prefix` ("" or "x:"), as bytes. */
export interface PartNames {
  open: Buffer;
  close: Buffer;
  t: Buffer;
  rPh: Buffer;
  rPhClose: Buffer;
}

function partNames(prefix: string, element: string): PartNames {
  return {
    open: Buffer.from(`<${prefix}${element}`),
    close: Buffer.from(`</${prefix}${element}>`),
    t: Buffer.from(`${prefix}t`),
    rPh: Buffer.from(`${prefix}rPh`),
    rPhClose: Buffer.from(`</${prefix}rPh>`),
  };
}

/**
 * Visits an element: the view, the start tag's `<` and `>`, and the index of its closing tag (−1
 * for a self-closing element). With `contentFindsClose`, close is UNKNOWN_CLOSE when the element's
 * end has not been searched yet: the visitor then parses the content up to its closing tag and
 * returns that index — or −1, without side effects, when the data ends first.
 */
export type ElementVisitor = (view: Buffer, lt: number, gt: number, close: number) => number | void;
const UNKNOWN_CLOSE = -2;

/** Finds complete `<element …>…</element>` (or `<element …/>`) occurrences, one feed call per chunk. */
export class ElementScanner {
  readonly names: PartNames;
  /** Where the search for the pending element's close tag resumes, relative to its start. */
  private resumeOffset = 0;

  constructor(
    prefix: string,
    element: string,
    private readonly maxBytes: number,
    private readonly tooLarge: () => Error,
    /**
     * The visitor finds the closing tag itself while parsing (one pass over a row instead of a
     * search and a parse); the search is only made for an element that spans chunks.
     */
    private readonly contentFindsClose = false,
  ) {
    this.names = partNames(prefix, element);
  }

  private readonly window = new ByteWindow();

  /**
   * Scans the next chunk of the part. The unfinished element left by the previous chunk is
   * completed with the head of this chunk up to its first closing tag (a small copy), and the rest
   * of the chunk is scanned where it lies, so chunks are not copied whole.
   */
  feed(chunk: Buffer, visit: ElementVisitor): void {
    const window = this.window;
    if (window.end > window.start) {
      const first = findBytes(chunk, this.names.close, 0, chunk.length);
      if (first === -1) {
        window.append(chunk);
        this.scan(window, visit);
        return;
      }
      const head = first + this.names.close.length;
      window.append(chunk.subarray(0, head));
      this.scan(window, visit);
      // What is left ends inside that closing tag, unless an element is still open (malformed
      // input): then keep everything and go the slow way.
      if (window.end - window.start > this.names.close.length) {
        window.append(chunk.subarray(head));
        this.scan(window, visit);
        return;
      }
      window.start = window.end = 0;
      this.resumeOffset = 0;
      chunk = chunk.subarray(head);
    }
    window.append(chunk);
    this.scan(window, visit);
  }

  /** Visits every complete element from window.start on and moves window.start past them. */
  private scan(window: ByteWindow, visit: ElementVisitor): void {
    const view = window.view();
    const { open, close: closeTag } = this.names;
    let pos = window.start;
    for (;;) {
      const lt = findBytes(view, open, pos, view.length);
      if (lt === -1) {
        pos = Math.max(pos, view.length - open.length);
        break;
      }
      const afterName = lt + open.length;
      if (afterName >= view.length) {
        pos = lt;
        break;
      }
      if (!isNameEndByte(view[afterName])) {
        pos = lt + 1;
        continue;
      }
      const gt = startTagEnd(view, afterName);
      if (gt === -1) {
        this.checkSize(view.length - lt);
        pos = lt;
        break;
      }
      if (view[gt - 1] === SLASH) {
        visit(view, lt, gt, -1);
        pos = gt + 1;
        continue;
      }
      if (this.contentFindsClose && this.resumeOffset === 0) {
        const found = visit(view, lt, gt, UNKNOWN_CLOSE);
        if (typeof found === 'number' && found >= 0) {
          pos = found + closeTag.length;
          continue;
        }
        // The data ended inside the element: from now on its end is searched first, resuming.
        this.checkSize(view.length - lt);
        this.resumeOffset = Math.max(gt + 1, view.length - closeTag.length + 1) - lt;
        pos = lt;
        break;
      }
      const close = findBytes(view, closeTag, Math.max(gt + 1, lt + this.resumeOffset), view.length);
      if (close === -1) {
        this.checkSize(view.length - lt);
        this.resumeOffset = Math.max(gt + 1, view.length - closeTag.length + 1) - lt;
        pos = lt;
        break;
      }
      this.resumeOffset = 0;
      visit(view, lt, gt, close);
      pos = close + closeTag.length;
    }
    window.start = pos;
  }

  private checkSize(bytes: number): void {
    if (bytes > this.maxBytes) throw this.tooLarge();
  }
}

/**
 * The `>` of a start tag whose name ends before `from`: −1 when the data ends first (more must be
 * read); CORRUPTED_FILE when another `<` comes first (an unclosed tag).
 */
function startTagEnd(view: Buffer, from: number): number {
  const n = view.length;
  for (let i = from; i < n; i++) {
    const code = view[i];
    if (code === GT) return i;
    if (code === LT) throw unclosedTag();
  }
  return -1;
}

function unclosedTag(): Error {
  return corruptedFile('工作表 XML 结构损坏（标签没有闭合）');
}

/** Reads the shared-string table, enforcing its count and total-character limits. */
export class SharedStringsBuilder {
  readonly strings = new SharedStringTable();
  private chars = 0;
  private readonly scanner: ElementScanner;

  constructor(
    prefix: string,
    private readonly limits: ParseLimits,
  ) {
    this.scanner = new ElementScanner(prefix, 'si', maxElementBytes(limits), () => lineTooLong(limits.maxLineLength));
  }

  feed(chunk: Buffer): void {
    const { t, rPh, rPhClose } = this.scanner.names;
    this.scanner.feed(chunk, (view, _lt, gt, close) => {
      const text = close === -1 ? '' : stringItemTextBytes(view, gt + 1, close, t, rPh, rPhClose);
      this.chars += text.length;
      if (this.strings.size >= this.limits.maxSharedStrings) throw sharedStringsTooLarge('count', this.limits.maxSharedStrings);
      if (this.chars > this.limits.maxSharedStringChars) throw sharedStringsTooLarge('chars', this.limits.maxSharedStringChars);
      this.strings.add(text);
    });
  }
}

/** What converting a sheet's cells needs from the workbook. */
export interface CellContext {
  sharedStrings?: SharedStringTable;
  dateStyles: boolean[];
  date1904: boolean;
  limits: ParseLimits;
  sheetName: string;
}

/** One parsed row: dense cells (missing ones null, trailing blanks dropped) and their total characters. */
export interface ParsedRow {
  cells: CellValue[];
  chars: number;
}

const NO_TEXT = -1;

/**
 * Turns the bytes of one `<row>`'s content into cells. One instance per sheet; the buffers of the
 * element names are built once for the sheet's namespace prefix.
 */
export class RowParser {
  private readonly cName: Buffer;
  private readonly vName: Buffer;
  private readonly fName: Buffer;
  private readonly isName: Buffer;
  private readonly isClose: Buffer;
  private readonly tName: Buffer;
  private readonly rPhName: Buffer;
  private readonly rPhClose: Buffer;
  private readonly attrs: TagAttributes = { r: -1, s: 0, t: 0 };
  // The current cell, reset per cell (fields rather than an object: the hot path allocates nothing).
  private valueStart = NO_TEXT;
  private valueEnd = 0;
  private formulaStart = NO_TEXT;
  private formulaEnd = 0;
  private inline: string | undefined;

  constructor(
    prefix: string,
    private readonly context: CellContext,
  ) {
    this.cName = Buffer.from(`${prefix}c`);
    this.vName = Buffer.from(`${prefix}v`);
    this.fName = Buffer.from(`${prefix}f`);
    this.isName = Buffer.from(`${prefix}is`);
    this.isClose = Buffer.from(`</${prefix}is>`);
    this.tName = Buffer.from(`${prefix}t`);
    this.rPhName = Buffer.from(`${prefix}rPh`);
    this.rPhClose = Buffer.from(`</${prefix}rPh>`);
    this.rowName = Buffer.from(`${prefix}row`);
  }

  private readonly rowName: Buffer;
  /** Index of the `</row>` that ended the last parse. */
  closeAt = -1;

  /**
   * The cells of the row whose content starts at view[from], up to its `</row>` (closeAt);
   * undefined when `to` comes first (the row continues in the next chunk).
   */
  parse(view: Buffer, from: number, to: number, rowNumber: number): ParsedRow | undefined {
    // Every search inside the row stops at its end.
    const row = view;
    const n = to;
    const { maxColumns, maxLineLength } = this.context.limits;
    const cells: CellValue[] = [];
    let chars = 0;
    let nextColumn = 0;
    let i = from;
    for (;;) {
      while (i < n && row[i] !== LT) i++;
      if (i >= n) return undefined;
      const lt = i;
      if (!nameAtBytes(row, lt + 1, this.cName)) {
        if (row[lt + 1] === SLASH && nameAtBytes(row, lt + 2, this.rowName)) {
          this.closeAt = lt;
          break;
        }
        i = lt + 1;
        continue;
      }
      const gt = tagEndIn(row, lt + 1, n);
      if (gt < 0) return undefined;
      const selfClosing = row[gt - 1] === SLASH;
      readTagAttributes(row, lt + 1 + this.cName.length, selfClosing ? gt - 1 : gt, false, this.attrs);
      const column = this.attrs.r >= 0 ? this.attrs.r : nextColumn;
      nextColumn = column + 1;
      if (selfClosing) {
        i = gt + 1;
        continue; // <c r="B2" s="1"/>: a styled empty cell
      }
      i = this.readContent(row, gt + 1, n);
      if (i >= n) return undefined;
      const value = this.cellValue(row, rowNumber);
      if (value === null) continue;
      // Checked before padding, so a reference like "XFD1" or a forged one cannot allocate a huge row.
      if (column >= maxColumns) throw columnLimitExceeded(maxColumns, column + 1, this.context.sheetName);
      if (typeof value === 'string') {
        chars += value.length;
        if (chars > maxLineLength) throw lineTooLong(maxLineLength, rowNumber);
      }
      while (cells.length < column) cells.push(null);
      cells[column] = value;
    }
    return { cells, chars };
  }

  /** Reads `<v>`, `<f>` and `<is>` of a cell whose content starts at `from`; returns the index after `</c>`. */
  private readContent(row: Buffer, from: number, n: number): number {
    this.valueStart = NO_TEXT;
    this.formulaStart = NO_TEXT;
    this.inline = undefined;
    let i = from;
    for (;;) {
      while (i < n && row[i] !== LT) i++;
      if (i >= n) return n;
      const lt = i;
      if (row[lt + 1] === SLASH) {
        if (nameAtBytes(row, lt + 2, this.cName)) {
          const gt = tagEndIn(row, lt + 2, n);
          return gt < 0 ? n : gt + 1;
        }
        if (nameAtBytes(row, lt + 2, this.rowName)) return lt; // the row ended without </c>
        i = lt + 1; // </v>, </f>…
        continue;
      }
      if (nameAtBytes(row, lt + 1, this.vName)) {
        const gt = tagEndIn(row, lt + 1, n);
        if (gt < 0) return n;
        i = gt + 1;
        if (row[gt - 1] === SLASH) continue;
        while (i < n && row[i] !== LT) i++;
        this.valueStart = gt + 1;
        this.valueEnd = i;
      } else if (nameAtBytes(row, lt + 1, this.fName)) {
        const gt = tagEndIn(row, lt + 1, n);
        if (gt < 0) return n;
        i = gt + 1;
        if (row[gt - 1] === SLASH) {
          if (this.formulaStart === NO_TEXT) this.formulaEnd = this.formulaStart = gt; // empty formula
          continue;
        }
        while (i < n && row[i] !== LT) i++;
        this.formulaStart = gt + 1;
        this.formulaEnd = i;
      } else if (nameAtBytes(row, lt + 1, this.isName)) {
        const gt = tagEndIn(row, lt + 1, n);
        if (gt < 0) return n;
        if (row[gt - 1] === SLASH) {
          this.inline = '';
          i = gt + 1;
          continue;
        }
        const close = findBytes(row, this.isClose, gt + 1, n);
        const end = close === -1 ? n : close;
        this.inline = stringItemTextBytes(row, gt + 1, end, this.tName, this.rPhName, this.rPhClose);
        i = close === -1 ? n : close + this.isClose.length;
      } else if (nameAtBytes(row, lt + 1, this.cName)) {
        return lt; // the next cell began without this one being closed
      } else {
        i = lt + 1;
      }
    }
  }

  private cellValue(row: Buffer, rowNumber: number): CellValue {
    const { valueStart, valueEnd } = this;
    const type = this.attrs.t;
    if (valueStart === NO_TEXT) {
      if (this.inline !== undefined) return this.inline;
      // A formula never calculated (no cached result): its text, neutralized with a leading
      // apostrophe so that no export hands it to a spreadsheet as a live formula (issue 10.6).
      if (this.formulaStart !== NO_TEXT && this.formulaEnd > this.formulaStart) {
        return `'=${decodeCellText(utf8Text(row, this.formulaStart, this.formulaEnd))}`;
      }
      return null;
    }
    switch (type) {
      case CELL_TYPE_SHARED: {
        const strings = this.context.sharedStrings;
        if (!strings) throw corruptedFile('单元格引用了共享字符串，但工作簿缺少共享字符串表（sharedStrings.xml）');
        let index = digitsValue(row, valueStart, valueEnd);
        if (index < 0) index = Number(utf8Text(row, valueStart, valueEnd));
        const text = strings.get(index);
        if (text === undefined) throw corruptedFile(`第 ${rowNumber} 行引用了不存在的共享字符串 ${utf8Text(row, valueStart, valueEnd)}`);
        return text;
      }
      case CELL_TYPE_INLINE:
        return this.inline ?? decodeCellText(utf8Text(row, valueStart, valueEnd));
      case CELL_TYPE_STRING:
      case CELL_TYPE_ERROR:
        return decodeCellText(utf8Text(row, valueStart, valueEnd));
      case CELL_TYPE_BOOLEAN: {
        const raw = utf8Text(row, valueStart, valueEnd);
        return raw === '1' || raw === 'true';
      }
      case CELL_TYPE_DATE:
        return isoCellDate(utf8Text(row, valueStart, valueEnd));
      default:
        return this.numberValue(row, valueStart, valueEnd);
    }
  }

  private numberValue(row: Buffer, from: number, to: number): CellValue {
    let number = digitsValue(row, from, to);
    if (number < 0) {
      const raw = utf8Text(row, from, to);
      number = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(number)) return decodeCellText(raw);
    }
    if (this.context.dateStyles[this.attrs.s]) return excelSerialToDate(number, this.context.date1904) ?? number;
    return number;
  }
}

/** The `>` of a tag inside a row: −1 when the data ends first; another `<` first is corruption. */
function tagEndIn(row: Buffer, from: number, n: number): number {
  for (let i = from; i < n; i++) {
    const code = row[i];
    if (code === GT) return i;
    if (code === LT) throw unclosedTag();
  }
  return -1;
}

/** `t="d"` cells hold ISO 8601 text; without a zone it is the shown wall time. */
function isoCellDate(text: string): CellValue {
  const zoned = /[zZ]|[+-]\d\d:?\d\d$/.test(text) || !text.includes('T') ? text : `${text}Z`;
  const date = new Date(zoned);
  return Number.isNaN(date.getTime()) ? text : date;
}
