import { posix } from 'node:path';
import type { Entry, ZipFile } from 'yauzl';
import { fileAccessError } from './detect.js';
import { createChunkDecoder } from './encoding.js';
import { excelSerialToDate, isDateFormat } from './excel-dates.js';
import { alreadyIterated, columnLimitExceeded, corruptedFile, emptyFile, errnoCode, lineTooLong, throwIfAborted } from './parse-errors.js';
import { DEFAULT_BATCH_SIZE, RowBatcher, headersOf, isBlankRow } from './table-rows.js';
import type { OpenOptions, ParseLimits, TableDetails, TableEvent, TableReader } from './types.js';
import {
  attributeValue,
  attributeValueAt,
  columnIndexAt,
  integerAt,
  decodeCellText,
  findElement,
  findTags,
  nameAt,
  rootPrefix,
  rowsOfRange,
  stringItemText,
} from './xml-scan.js';
import { checkZipBomb, closeZipArchive, inflateEntry, mapInflateError, openZipArchive, readEntryText, type ZipArchive } from './zip.js';
import { isAppError } from '../errors.js';
import type { CellValue } from '../domain/index.js';

/**
 * Streaming xlsx reader: yauzl gives random access to the zip (central directory checked against
 * the zip-bomb limits before anything is inflated), so the small parts (workbook, relationships,
 * styles, shared strings) are read first and then each worksheet is inflated and scanned row by
 * row in workbook order — never buffered whole, never copied to a temp file.
 *
 * exceljs's streaming WorkbookReader was measured first (48k rows/s on a 200k-row, 8-column
 * sheet) and has gaps that matter here: it drops all but the last run of rich inline strings,
 * turns boolean/error formula results into numbers, needs a `sheetN.xml` naming, emits sheets in
 * zip order, and spools sheets to temp files when sharedStrings.xml comes after them.
 */

/** A row's XML larger than this is not a table row (max 16,384 cells of 32,767 characters is the Excel cap). */
const MAX_ROW_XML_CHARS = 32 * 1024 * 1024;
/** Bytes of a sheet part inflated at open to read its `<dimension ref>` (it comes first). */
const DIMENSION_PEEK_BYTES = 4096;

const REL_WORKSHEET = /\/worksheet$/;
const REL_SHARED_STRINGS = /\/sharedStrings$/;
const REL_STYLES = /\/styles$/;
const REL_OFFICE_DOCUMENT = /\/officeDocument$/;

interface SheetPart {
  name: string;
  entry: Entry;
  /** Data rows announced by `<dimension ref>` (header excluded), when credible. */
  dimensionRows?: number;
}

interface WorkbookInfo {
  sheets: SheetPart[];
  date1904: boolean;
  sharedStrings?: Entry;
  /** Per cell style (xf) index: whether its number format is a date. */
  dateStyles: boolean[];
}

interface Relationship {
  type: string;
  target: string;
}

function resolveTarget(fromPart: string, target: string): string {
  if (target.startsWith('/')) return posix.normalize(target.slice(1));
  return posix.normalize(posix.join(posix.dirname(fromPart), target));
}

function relsPathOf(part: string): string {
  return posix.join(posix.dirname(part), '_rels', `${posix.basename(part)}.rels`);
}

async function readRelationships(zip: ZipFile, entries: Map<string, Entry>, part: string): Promise<Map<string, Relationship>> {
  const rels = new Map<string, Relationship>();
  const entry = entries.get(relsPathOf(part));
  if (!entry) return rels;
  for (const rel of findTags(await readEntryText(zip, entry), 'Relationship')) {
    if (rel.Id && rel.Target && rel.TargetMode !== 'External') rels.set(rel.Id, { type: rel.Type ?? '', target: resolveTarget(part, rel.Target) });
  }
  return rels;
}

function parseDateStyles(stylesXml: string): boolean[] {
  const customFormats = new Map<number, string>();
  for (const fmt of findTags(findElement(stylesXml, 'numFmts') ?? '', 'numFmt')) {
    customFormats.set(Number(fmt.numFmtId), fmt.formatCode ?? '');
  }
  return findTags(findElement(stylesXml, 'cellXfs') ?? '', 'xf').map((xf) => {
    const id = Number(xf.numFmtId ?? 0);
    return isDateFormat(id, customFormats.get(id));
  });
}

async function peekDimensionRows(zip: ZipFile, entry: Entry): Promise<number | undefined> {
  let head = '';
  for await (const chunk of inflateEntry(zip, entry)) {
    head += chunk.toString('latin1');
    if (head.length >= DIMENSION_PEEK_BYTES) break;
  }
  const dimension = findTags(head.split(/<(?:[\w.-]+:)?sheetData[\s>]/)[0], 'dimension')[0];
  const rows = dimension?.ref ? rowsOfRange(dimension.ref) : undefined;
  // Some writers always put "A1"; a one-row dimension on a big part is not believable.
  if (rows === undefined || (rows <= 1 && entry.uncompressedSize > 64 * 1024)) return undefined;
  return rows - 1;
}

async function readWorkbookInfo(zip: ZipFile, entries: Map<string, Entry>): Promise<WorkbookInfo> {
  const rootRels = await readRelationships(zip, entries, '');
  const workbookPath = [...rootRels.values()].find((r) => REL_OFFICE_DOCUMENT.test(r.type))?.target ?? 'xl/workbook.xml';
  const workbookEntry = entries.get(workbookPath) ?? entries.get('xl/workbook.xml');
  if (!workbookEntry) throw corruptedFile('缺少工作簿定义（xl/workbook.xml）');
  const workbookXml = await readEntryText(zip, workbookEntry);
  const rels = await readRelationships(zip, entries, workbookEntry.fileName);
  const workbookPr = findTags(workbookXml, 'workbookPr')[0] ?? {};
  const date1904 = workbookPr.date1904 === '1' || workbookPr.date1904 === 'true';

  const sheets: SheetPart[] = [];
  for (const sheet of findTags(findElement(workbookXml, 'sheets') ?? '', 'sheet')) {
    const relId = Object.entries(sheet).find(([name]) => name === 'r:id' || name.endsWith(':id'))?.[1];
    const rel = relId === undefined ? undefined : rels.get(relId);
    if (!rel || !REL_WORKSHEET.test(rel.type)) continue; // chart sheets, dialog sheets…
    const entry = entries.get(rel.target);
    if (entry) sheets.push({ name: sheet.name ?? `Sheet${sheets.length + 1}`, entry });
  }
  const relTargets = [...rels.values()];
  const sharedStringsPath = relTargets.find((r) => REL_SHARED_STRINGS.test(r.type))?.target ?? 'xl/sharedStrings.xml';
  const stylesPath = relTargets.find((r) => REL_STYLES.test(r.type))?.target ?? 'xl/styles.xml';
  const stylesEntry = entries.get(stylesPath);
  const dateStyles = stylesEntry ? parseDateStyles(await readEntryText(zip, stylesEntry)) : [];
  for (const sheet of sheets) sheet.dimensionRows = await peekDimensionRows(zip, sheet.entry);
  return { sheets, date1904, sharedStrings: entries.get(sharedStringsPath), dateStyles };
}

/** Any failure while reading a part: AppErrors pass, fs errors are described, the rest is corruption. */
function toReadError(err: unknown, path: string, part: string): Error {
  if (isAppError(err)) return err;
  if (errnoCode(err) !== undefined && !/^Z_/.test(errnoCode(err) ?? '')) return fileAccessError(err, path);
  return mapInflateError(err, part);
}

/**
 * A copy of a string that no longer points into the (large) chunk it was sliced from: V8 slices
 * share their parent, so a table of slices would keep every chunk of sharedStrings.xml alive.
 */
function detached(text: string): string {
  return text.length < 13 ? text : (' ' + text).slice(1);
}

/** What one `<c>` holds, before conversion (one instance reused for every cell). */
interface CellDraft {
  type: string | undefined;
  style: number;
  value: string | undefined;
  formula: string | undefined;
  inline: string | undefined;
}

export class XlsxTableReader implements TableReader {
  readonly details: TableDetails;
  private readonly batchSize: number;
  private readonly signal?: AbortSignal;
  private closed = false;
  private iterated = false;
  private finished = false;
  private dataRows = 0;
  private sharedStrings?: string[];
  private readonly totalSheetBytes: number;
  private consumedSheetBytes = 0;
  private readonly draft: CellDraft = { type: undefined, style: 0, value: undefined, formula: undefined, inline: undefined };

  constructor(
    private readonly path: string,
    private readonly archive: ZipArchive,
    private readonly workbook: WorkbookInfo,
    private readonly limits: ParseLimits,
    options: OpenOptions,
  ) {
    this.batchSize = Math.max(1, options.batchSize ?? DEFAULT_BATCH_SIZE);
    this.signal = options.signal;
    this.details = { format: 'xlsx', sheetCount: workbook.sheets.length, date1904: workbook.date1904 };
    this.totalSheetBytes = workbook.sheets.reduce((sum, s) => sum + s.entry.uncompressedSize, 0);
  }

  estimatedTotalRows(): number | undefined {
    if (this.finished) return this.dataRows;
    const sheets = this.workbook.sheets;
    if (sheets.every((s) => s.dimensionRows !== undefined)) {
      return Math.max(
        this.dataRows,
        sheets.reduce((sum, s) => sum + (s.dimensionRows ?? 0), 0),
      );
    }
    if (this.consumedSheetBytes === 0 || this.dataRows === 0) return undefined;
    return Math.max(this.dataRows, Math.round((this.dataRows * this.totalSheetBytes) / this.consumedSheetBytes));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.sharedStrings = undefined;
    await closeZipArchive(this.archive);
  }

  [Symbol.asyncIterator](): AsyncIterator<TableEvent> {
    if (this.iterated) throw alreadyIterated();
    this.iterated = true;
    return this.read();
  }

  private async *read(): AsyncGenerator<TableEvent> {
    const rows = new RowBatcher(this.limits, this.batchSize);
    try {
      if (this.workbook.sharedStrings) this.sharedStrings = await this.readSharedStrings(this.workbook.sharedStrings);
      for (const sheet of this.workbook.sheets) {
        if (this.closed) return;
        yield* this.readSheet(sheet, rows);
      }
      const last = rows.flush();
      if (last) yield last;
      if (rows.sheetCount === 0) throw emptyFile('工作簿中没有任何包含数据的工作表');
      this.dataRows = rows.dataRows;
      this.details.sheetCount = rows.sheetCount;
      this.finished = true;
    } finally {
      await this.close();
    }
  }

  /** Inflates a part and hands its text on in pieces, keeping memory to one piece. */
  private async *partText(entry: Entry, countTowardsProgress: boolean): AsyncGenerator<string> {
    const decoder = createChunkDecoder('utf-8');
    try {
      for await (const bytes of inflateEntry(this.archive.zip, entry)) {
        throwIfAborted(this.signal);
        if (this.closed) return;
        if (countTowardsProgress) this.consumedSheetBytes += bytes.length;
        yield decoder.write(bytes);
      }
      yield decoder.end();
    } catch (err) {
      throw toReadError(err, this.path, entry.fileName);
    }
  }

  private async readSharedStrings(entry: Entry): Promise<string[]> {
    const strings: string[] = [];
    let prefix: string | undefined;
    let buffer = '';
    for await (const text of this.partText(entry, false)) {
      buffer += text;
      prefix ??= rootPrefix(buffer.slice(0, 1024), 'sst');
      const open = `<${prefix}si`;
      const close = `</${prefix}si>`;
      let pos = 0;
      for (;;) {
        const start = buffer.indexOf(open, pos);
        if (start === -1) {
          pos = Math.max(pos, buffer.length - open.length);
          break;
        }
        const tagEnd = buffer.indexOf('>', start);
        if (tagEnd === -1) {
          pos = start;
          break;
        }
        if (buffer.charCodeAt(tagEnd - 1) === 47) {
          strings.push('');
          pos = tagEnd + 1;
          continue;
        }
        const end = buffer.indexOf(close, tagEnd);
        if (end === -1) {
          pos = start;
          break;
        }
        strings.push(detached(stringItemText(buffer, tagEnd + 1, end, prefix)));
        pos = end + close.length;
      }
      buffer = buffer.slice(pos);
      if (buffer.length > MAX_ROW_XML_CHARS) throw lineTooLong(this.limits.maxLineLength);
    }
    return strings;
  }

  private async *readSheet(sheet: SheetPart, rows: RowBatcher): AsyncGenerator<TableEvent> {
    let prefix: string | undefined;
    let headerLength = -1;
    let buffer = '';
    let previousRow = 0;
    const events: TableEvent[] = [];
    for await (const text of this.partText(sheet.entry, true)) {
      buffer += text;
      prefix ??= rootPrefix(buffer.slice(0, 2048), 'worksheet');
      const open = `<${prefix}row`;
      const close = `</${prefix}row>`;
      let pos = 0;
      for (;;) {
        let start = buffer.indexOf(open, pos);
        while (start !== -1 && !nameAt(buffer, start + 1, `${prefix}row`)) start = buffer.indexOf(open, start + 1);
        if (start === -1) {
          pos = Math.max(pos, buffer.length - open.length);
          break;
        }
        const tagEnd = buffer.indexOf('>', start);
        if (tagEnd === -1) {
          pos = start;
          break;
        }
        const rowAt = attributeValueAt(buffer, start + open.length, tagEnd, 'r');
        const rowNumber = rowAt < 0 ? -1 : integerAt(buffer, rowAt);
        previousRow = rowNumber > 0 ? rowNumber : previousRow + 1;
        if (buffer.charCodeAt(tagEnd - 1) === 47) {
          pos = tagEnd + 1; // <row r="5"/>: an empty row
          continue;
        }
        const end = buffer.indexOf(close, tagEnd);
        if (end === -1) {
          pos = start;
          break;
        }
        pos = end + close.length;
        const cells = this.rowCells(buffer, tagEnd + 1, end, prefix, sheet.name, previousRow);
        if (isBlankRow(cells)) continue;
        if (headerLength < 0) {
          const headers = headersOf(cells);
          headerLength = headers.length;
          const pending = rows.flush();
          if (pending) events.push(pending);
          events.push(rows.sheetEvent(sheet.name, headers));
          continue;
        }
        while (cells.length < headerLength) cells.push(null);
        const batch = rows.add(previousRow, cells);
        if (batch) events.push(batch);
      }
      buffer = buffer.slice(pos);
      if (buffer.length > MAX_ROW_XML_CHARS) throw lineTooLong(this.limits.maxLineLength, previousRow + 1);
      this.dataRows = rows.dataRows;
      for (const event of events) yield event;
      events.length = 0;
    }
  }

  /** The cells of one `<row>`'s content: a dense array (missing cells null), trailing blanks dropped. */
  private rowCells(xml: string, from: number, to: number, prefix: string, sheetName: string, rowNumber: number): CellValue[] {
    const cells: CellValue[] = [];
    const cName = `${prefix}c`;
    const cClose = `</${prefix}c>`;
    let nextColumn = 0;
    let i = from;
    for (;;) {
      const lt = xml.indexOf('<', i);
      if (lt === -1 || lt >= to) break;
      if (!nameAt(xml, lt + 1, cName)) {
        i = lt + 1;
        continue;
      }
      const tagEnd = xml.indexOf('>', lt);
      const attributesFrom = lt + 1 + cName.length;
      const refAt = attributeValueAt(xml, attributesFrom, tagEnd, 'r');
      const referenced = refAt < 0 ? -1 : columnIndexAt(xml, refAt);
      const column = referenced >= 0 ? referenced : nextColumn;
      nextColumn = column + 1;
      const styleAt = attributeValueAt(xml, attributesFrom, tagEnd, 's');
      const draft = this.draft;
      draft.type = attributeValue(xml, attributesFrom, tagEnd, 't');
      draft.style = styleAt < 0 ? 0 : integerAt(xml, styleAt);
      draft.value = undefined;
      draft.formula = undefined;
      draft.inline = undefined;
      if (xml.charCodeAt(tagEnd - 1) === 47) {
        i = tagEnd + 1;
        continue; // <c r="B2" s="1"/>: a styled empty cell
      }
      const cellEnd = xml.indexOf(cClose, tagEnd);
      const contentEnd = cellEnd === -1 || cellEnd > to ? to : cellEnd;
      readCellContent(xml, tagEnd + 1, contentEnd, prefix, draft);
      i = contentEnd + cClose.length;
      const value = this.cellValue(draft, rowNumber);
      if (value !== null) {
        // Checked before padding, so a reference like "XFD1" or a forged one cannot allocate a huge row.
        if (column >= this.limits.maxColumns) throw columnLimitExceeded(this.limits.maxColumns, column + 1, sheetName);
        while (cells.length < column) cells.push(null);
        cells[column] = value;
      }
    }
    return cells;
  }

  private cellValue(cell: CellDraft, rowNumber: number): CellValue {
    const raw = cell.value;
    let value: CellValue;
    if (raw === undefined) {
      if (cell.inline !== undefined) value = cell.inline;
      // A formula never calculated (no cached result): its text, so the user sees what is there.
      else if (cell.formula) value = `=${decodeCellText(cell.formula)}`;
      else return null;
    } else {
      switch (cell.type) {
        case 's': {
          if (!this.sharedStrings) throw corruptedFile('单元格引用了共享字符串，但工作簿缺少共享字符串表（sharedStrings.xml）');
          const text = this.sharedStrings[Number(raw)];
          if (text === undefined) throw corruptedFile(`第 ${rowNumber} 行引用了不存在的共享字符串 ${raw}`);
          value = text;
          break;
        }
        case 'inlineStr':
          value = cell.inline ?? decodeCellText(raw);
          break;
        case 'str':
        case 'e':
          value = decodeCellText(raw);
          break;
        case 'b':
          value = raw === '1' || raw === 'true';
          break;
        case 'd':
          value = isoCellDate(raw);
          break;
        default: {
          const number = Number(raw);
          if (raw.trim() === '' || !Number.isFinite(number)) value = decodeCellText(raw);
          else if (this.workbook.dateStyles[cell.style]) value = excelSerialToDate(number, this.workbook.date1904) ?? number;
          else value = number;
        }
      }
    }
    if (typeof value === 'string' && value.length > this.limits.maxLineLength) throw lineTooLong(this.limits.maxLineLength, rowNumber);
    return value;
  }
}

/** `t="d"` cells hold ISO 8601 text; without a zone it is the shown wall time. */
function isoCellDate(text: string): CellValue {
  const zoned = /[zZ]|[+-]\d\d:?\d\d$/.test(text) || !text.includes('T') ? text : `${text}Z`;
  const date = new Date(zoned);
  return Number.isNaN(date.getTime()) ? text : date;
}

/** Fills value (`<v>`), formula (`<f>`) and inline string (`<is>`) of a cell from its content. */
function readCellContent(xml: string, from: number, to: number, prefix: string, draft: CellDraft): void {
  let i = from;
  for (;;) {
    const lt = xml.indexOf('<', i);
    if (lt === -1 || lt >= to) return;
    const tagEnd = xml.indexOf('>', lt);
    if (tagEnd === -1 || tagEnd > to) return;
    const selfClosing = xml.charCodeAt(tagEnd - 1) === 47;
    if (nameAt(xml, lt + 1, `${prefix}v`)) {
      if (selfClosing) {
        i = tagEnd + 1;
        continue;
      }
      const close = xml.indexOf('<', tagEnd + 1);
      draft.value = xml.slice(tagEnd + 1, close === -1 ? to : close);
      i = close === -1 ? to : close + 1;
    } else if (nameAt(xml, lt + 1, `${prefix}f`)) {
      if (selfClosing) {
        draft.formula ??= '';
        i = tagEnd + 1;
        continue;
      }
      const close = xml.indexOf('<', tagEnd + 1);
      draft.formula = xml.slice(tagEnd + 1, close === -1 ? to : close);
      i = close === -1 ? to : close + 1;
    } else if (nameAt(xml, lt + 1, `${prefix}is`)) {
      const closeTag = `</${prefix}is>`;
      const close = selfClosing ? tagEnd : xml.indexOf(closeTag, tagEnd);
      const end = close === -1 || close > to ? to : close;
      draft.inline = selfClosing ? '' : stringItemText(xml, tagEnd + 1, end, prefix);
      i = selfClosing ? tagEnd + 1 : end + closeTag.length;
    } else {
      i = tagEnd + 1;
    }
  }
}

export async function openXlsxReader(path: string, _size: number, options: OpenOptions, limits: ParseLimits): Promise<TableReader> {
  const archive = await openZipArchive(path);
  try {
    checkZipBomb(archive.entries.values(), limits);
    const workbook = await readWorkbookInfo(archive.zip, archive.entries);
    return new XlsxTableReader(path, archive, workbook, limits, options);
  } catch (err) {
    await closeZipArchive(archive);
    throw toReadError(err, path, 'xl/workbook.xml');
  }
}
