/**
 * Text helpers for the small SpreadsheetML parts of an xlsx (workbook, relationships, styles) and
 * for cell text. Rules: every scan is LINEAR in the length of its input, whatever the input (no
 * `[^>]*>` or lazy `[\s\S]*?` regular expressions, which are quadratic on a part full of unclosed
 * tags); a malformed tag is skipped, never searched for again. The parts are machine-written and
 * regular (no DTDs; comments and processing instructions are skipped); namespace prefixes
 * (`<x:sheet>`, written by some .NET tools) are supported. The worksheets and the shared strings
 * are scanned as bytes instead (xlsx-cells.ts).
 */

const XML_ENTITY = /&(?:#x([0-9a-fA-F]+)|#(\d+)|(amp|lt|gt|quot|apos));/g;
const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** OOXML escapes characters XML cannot carry (e.g. control characters) as _xHHHH_. */
const OOXML_ESCAPE = /_x([0-9A-Fa-f]{4})_/g;

function codePointText(code: number): string {
  return code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
}

function decodeXmlEntities(text: string): string {
  if (text.indexOf('&') === -1) return text;
  return text.replace(XML_ENTITY, (_m, hex: string | undefined, dec: string | undefined, named: string | undefined) => {
    if (hex !== undefined) return codePointText(parseInt(hex, 16));
    if (dec !== undefined) return codePointText(parseInt(dec, 10));
    return NAMED_ENTITIES[named ?? 'amp'];
  });
}

/** Cell text as Excel shows it: XML entities, then OOXML _xHHHH_ escapes. */
export function decodeCellText(text: string): string {
  const decoded = decodeXmlEntities(text);
  if (decoded.indexOf('_x') === -1) return decoded;
  return decoded.replace(OOXML_ESCAPE, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

/**
 * Attributes of one start tag's attribute text (name → decoded value); names keep their prefix.
 * One pass: junk without `=` or an unquoted value is skipped, an unterminated quote ends the scan.
 */
export function parseAttributes(tag: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  const n = tag.length;
  let i = 0;
  while (i < n) {
    while (i < n && isSpace(tag.charCodeAt(i))) i++;
    const nameStart = i;
    while (i < n && !isSpace(tag.charCodeAt(i)) && tag.charCodeAt(i) !== 61) i++;
    const name = tag.slice(nameStart, i);
    while (i < n && isSpace(tag.charCodeAt(i))) i++;
    if (i >= n || tag.charCodeAt(i) !== 61) continue; // not `name=`: skip the word
    i++;
    while (i < n && isSpace(tag.charCodeAt(i))) i++;
    const quote = tag.charCodeAt(i);
    if (quote !== 34 && quote !== 39) continue;
    const end = tag.indexOf(quote === 34 ? '"' : "'", i + 1);
    if (end === -1) break;
    if (name !== '') attributes[name] = decodeXmlEntities(tag.slice(i + 1, end));
    i = end + 1;
  }
  return attributes;
}

/** One start tag found by scanTags. */
export interface StartTag {
  /** Qualified name as written (`x:sheet`). */
  name: string;
  /** Index of the `<`. */
  start: number;
  /** Index of the `>`. */
  end: number;
  /** The attribute text between the name and `>` (or `/>`). */
  attributes: string;
  selfClosing: boolean;
}

/** The local part of a qualified name (`x:sheet` → `sheet`). */
export function localNameOf(name: string): string {
  const colon = name.indexOf(':');
  return colon === -1 ? name : name.slice(colon + 1);
}

/**
 * Every start tag of `xml` in document order, in one linear pass: the next `>` is searched once and
 * remembered (a run of `<` without `>` does not search again for each), and a tag that holds
 * another `<` before its `>` is unclosed and skipped. Close tags, comments and declarations are
 * passed over. `visit` returns false to stop.
 */
export function scanTags(xml: string, visit: (tag: StartTag) => boolean | void): void {
  let gt = -1;
  let i = 0;
  for (;;) {
    const lt = xml.indexOf('<', i);
    if (lt === -1) return;
    if (gt <= lt) gt = xml.indexOf('>', lt + 1);
    if (gt === -1) return;
    const nextLt = xml.indexOf('<', lt + 1);
    i = lt + 1;
    if (nextLt !== -1 && nextLt < gt) continue; // unclosed tag
    i = gt + 1;
    const first = xml.charCodeAt(lt + 1);
    if (first === 47 || first === 33 || first === 63) continue; // </…>, <!…>, <?…?>
    let nameEnd = lt + 1;
    while (nameEnd < gt && !isSpace(xml.charCodeAt(nameEnd)) && xml.charCodeAt(nameEnd) !== 47) nameEnd++;
    const selfClosing = xml.charCodeAt(gt - 1) === 47;
    const tag: StartTag = {
      name: xml.slice(lt + 1, nameEnd),
      start: lt,
      end: gt,
      attributes: xml.slice(nameEnd, selfClosing ? gt - 1 : gt),
      selfClosing,
    };
    if (visit(tag) === false) return;
  }
}

/** Start tags `<prefix:name …>` of a (small) part with their attributes, in document order. */
export function findTags(xml: string, localName: string): Record<string, string>[] {
  const tags: Record<string, string>[] = [];
  scanTags(xml, (tag) => {
    if (localNameOf(tag.name) === localName) tags.push(parseAttributes(tag.attributes));
  });
  return tags;
}

/** The inner text of the first `<localName>…</localName>` element (undefined when absent or unclosed). */
export function findElement(xml: string, localName: string): string | undefined {
  let found: StartTag | undefined;
  scanTags(xml, (tag) => {
    if (localNameOf(tag.name) !== localName) return true;
    found = tag;
    return false;
  });
  if (!found) return undefined;
  if (found.selfClosing) return '';
  const close = xml.indexOf(`</${found.name}>`, found.end + 1);
  return close === -1 ? undefined : xml.slice(found.end + 1, close);
}

/** The namespace prefix ("x:" or "") of a part's root element, from the part's first bytes. */
export function rootPrefix(xmlStart: string, rootName: string): string {
  let prefix = '';
  scanTags(xmlStart, (tag) => {
    if (localNameOf(tag.name) !== rootName) return true;
    prefix = tag.name.slice(0, tag.name.length - rootName.length);
    return false;
  });
  return prefix;
}

/** Number of rows of a dimension reference such as "A1:H200001" (undefined when unreadable). */
export function rowsOfRange(ref: string): number | undefined {
  const m = /^[A-Za-z]*(\d+)(?::[A-Za-z]*(\d+))?$/.exec(ref.trim());
  if (!m) return undefined;
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  return last >= first ? last - first + 1 : undefined;
}
