import { posix } from 'node:path';
import type { Entry, ZipFile } from 'yauzl';
import { isDateFormat } from './excel-dates.js';
import { corruptedFile, sheetLimitExceeded } from './parse-errors.js';
import type { ParseLimits } from './types.js';
import { findElement, findTags, localNameOf, parseAttributes, rowsOfRange, scanTags } from './xml-scan.js';
import { inflateEntry, readEntryText } from './zip.js';

/**
 * What the xlsx reader learns before reading rows: the worksheets in workbook order (each distinct
 * part once: repeated `<sheet r:id>` references, or several ids pointing at one part, are read
 * once — and count once against maxSheets), the date system, the shared-strings part and which
 * cell styles are dates. Only small parts are read here, each fully and with the linear scanners
 * of xml-scan.ts.
 */

/** Bytes of a sheet part inflated at open to read its `<dimension ref>` (it comes first). */
const DIMENSION_PEEK_BYTES = 4096;

const REL_WORKSHEET = /\/worksheet$/;
const REL_SHARED_STRINGS = /\/sharedStrings$/;
const REL_STYLES = /\/styles$/;
const REL_OFFICE_DOCUMENT = /\/officeDocument$/;

export interface SheetPart {
  name: string;
  entry: Entry;
  /** Data rows announced by `<dimension ref>` (header excluded), when credible. */
  dimensionRows?: number;
}

export interface WorkbookInfo {
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

/** The `<dimension ref>` of a sheet's first bytes, before `<sheetData>`. */
function dimensionRef(head: string): string | undefined {
  let ref: string | undefined;
  scanTags(head, (tag) => {
    const local = localNameOf(tag.name);
    if (local === 'sheetData') return false;
    if (local !== 'dimension') return true;
    ref = parseAttributes(tag.attributes).ref;
    return false;
  });
  return ref;
}

async function peekDimensionRows(zip: ZipFile, entry: Entry): Promise<number | undefined> {
  let head = '';
  for await (const chunk of inflateEntry(zip, entry)) {
    head += chunk.toString('latin1', 0, Math.min(chunk.length, DIMENSION_PEEK_BYTES));
    if (head.length >= DIMENSION_PEEK_BYTES) break;
  }
  const ref = dimensionRef(head.slice(0, DIMENSION_PEEK_BYTES));
  const rows = ref ? rowsOfRange(ref) : undefined;
  // Some writers always put "A1"; a one-row dimension on a big part is not believable.
  if (rows === undefined || (rows <= 1 && entry.uncompressedSize > 64 * 1024)) return undefined;
  return rows - 1;
}

/** The worksheets named by workbook.xml, each distinct part once, at most maxSheets of them. */
function worksheetParts(workbookXml: string, rels: Map<string, Relationship>, entries: Map<string, Entry>, limits: ParseLimits): SheetPart[] {
  const sheets: SheetPart[] = [];
  const seen = new Set<string>();
  for (const sheet of findTags(findElement(workbookXml, 'sheets') ?? '', 'sheet')) {
    const relId = Object.entries(sheet).find(([name]) => name === 'r:id' || name.endsWith(':id'))?.[1];
    const rel = relId === undefined ? undefined : rels.get(relId);
    if (!rel || !REL_WORKSHEET.test(rel.type)) continue; // chart sheets, dialog sheets…
    const entry = entries.get(rel.target);
    if (!entry || seen.has(rel.target)) continue;
    seen.add(rel.target);
    if (sheets.length >= limits.maxSheets) throw sheetLimitExceeded(limits.maxSheets, sheets.length + 1);
    sheets.push({ name: sheet.name ?? `Sheet${sheets.length + 1}`, entry });
  }
  return sheets;
}

export async function readWorkbookInfo(zip: ZipFile, entries: Map<string, Entry>, limits: ParseLimits): Promise<WorkbookInfo> {
  const rootRels = await readRelationships(zip, entries, '');
  const workbookPath = [...rootRels.values()].find((r) => REL_OFFICE_DOCUMENT.test(r.type))?.target ?? 'xl/workbook.xml';
  const workbookEntry = entries.get(workbookPath) ?? entries.get('xl/workbook.xml');
  if (!workbookEntry) throw corruptedFile('缺少工作簿定义（xl/workbook.xml）');
  const workbookXml = await readEntryText(zip, workbookEntry);
  const rels = await readRelationships(zip, entries, workbookEntry.fileName);
  const workbookPr = findTags(workbookXml, 'workbookPr')[0] ?? {};
  const date1904 = workbookPr.date1904 === '1' || workbookPr.date1904 === 'true';
  const sheets = worksheetParts(workbookXml, rels, entries, limits);
  const relTargets = [...rels.values()];
  const sharedStringsPath = relTargets.find((r) => REL_SHARED_STRINGS.test(r.type))?.target ?? 'xl/sharedStrings.xml';
  const stylesPath = relTargets.find((r) => REL_STYLES.test(r.type))?.target ?? 'xl/styles.xml';
  const stylesEntry = entries.get(stylesPath);
  const dateStyles = stylesEntry ? parseDateStyles(await readEntryText(zip, stylesEntry)) : [];
  for (const sheet of sheets) sheet.dimensionRows = await peekDimensionRows(zip, sheet.entry);
  return { sheets, date1904, sharedStrings: entries.get(sharedStringsPath), dateStyles };
}
