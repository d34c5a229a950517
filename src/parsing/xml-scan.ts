/**
 * Small, allocation-light helpers for scanning the SpreadsheetML parts of an xlsx. The parts are
 * machine-written and regular (no DTDs, no CDATA in practice); the reader scans them directly
 * instead of building SAX events for every tag, which is what makes it several times faster than a
 * general XML parser here. Namespace prefixes (`<x:row>`, written by some .NET tools) are supported.
 */

const XML_ENTITY = /&(?:#x([0-9a-fA-F]+)|#(\d+)|(amp|lt|gt|quot|apos));/g;
const NAMED_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** OOXML escapes characters XML cannot carry (e.g. control characters) as _xHHHH_. */
const OOXML_ESCAPE = /_x([0-9A-Fa-f]{4})_/g;

function codePointText(code: number): string {
  return code >= 0 && code <= 0x10ffff ? String.fromCodePoint(code) : '\ufffd';
}

export function decodeXmlEntities(text: string): string {
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

const ATTRIBUTE = /([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g;

/** Attributes of one start tag's text (name → decoded value). Names keep their prefix. */
export function parseAttributes(tag: string): Record<string, string> {
  const attributes: Record<string, string> = {};
  ATTRIBUTE.lastIndex = 0;
  for (let m = ATTRIBUTE.exec(tag); m !== null; m = ATTRIBUTE.exec(tag)) {
    attributes[m[1]] = decodeXmlEntities(m[2] ?? m[3] ?? '');
  }
  return attributes;
}

/**
 * Where the value of attribute `name` starts inside a start tag's attribute text xml[from, to)
 * (the index after its opening quote), or −1. Allocates nothing: the hot path for the r/s/t
 * attributes of every cell. The value ends at the next occurrence of xml[result − 1].
 */
export function attributeValueAt(xml: string, from: number, to: number, name: string): number {
  let i = from;
  while (i < to) {
    const eq = xml.indexOf('=', i);
    if (eq === -1 || eq >= to) return -1;
    let nameEnd = eq;
    while (nameEnd > i && isSpace(xml.charCodeAt(nameEnd - 1))) nameEnd--;
    let quoteAt = eq + 1;
    while (quoteAt < to && isSpace(xml.charCodeAt(quoteAt))) quoteAt++;
    const quote = xml.charCodeAt(quoteAt);
    if (quote !== 34 && quote !== 39) return -1;
    const nameStart = nameEnd - name.length;
    if (nameStart >= i && xml.startsWith(name, nameStart) && isSpace(xml.charCodeAt(nameStart - 1))) return quoteAt + 1;
    const valueEnd = xml.indexOf(quote === 34 ? '"' : "'", quoteAt + 1);
    if (valueEnd === -1 || valueEnd > to) return -1;
    i = valueEnd + 1;
  }
  return -1;
}

/** The decoded value of attribute `name` in xml[from, to), or undefined. */
export function attributeValue(xml: string, from: number, to: number, name: string): string | undefined {
  const at = attributeValueAt(xml, from, to, name);
  if (at < 0) return undefined;
  const end = xml.indexOf(xml[at - 1], at);
  return decodeXmlEntities(xml.slice(at, end === -1 ? to : end));
}

/** A non-negative decimal integer written at xml[at…] (−1 when there is no digit). */
export function integerAt(xml: string, at: number): number {
  let value = 0;
  let i = at;
  for (; i < xml.length; i++) {
    const digit = xml.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  return i === at ? -1 : value;
}

/** 0-based column of a cell reference written at xml[at…] ("AB12" → 27), −1 without letters. */
export function columnIndexAt(xml: string, at: number): number {
  let column = 0;
  let i = at;
  for (; i < xml.length; i++) {
    const code = xml.charCodeAt(i) | 0x20; // lower-case
    if (code < 97 || code > 122) break;
    column = column * 26 + (code - 96);
    if (column > 1e9) break; // a forged reference; the column limit rejects it
  }
  return i === at ? -1 : column - 1;
}

function isSpace(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13;
}

/** Start tags `<prefix:name …>` of a whole (small) part, with their attributes, in document order. */
export function findTags(xml: string, localName: string): Record<string, string>[] {
  const pattern = new RegExp(`<(?:[\\w.-]+:)?${localName}(?=[\\s/>])([^>]*)>`, 'g');
  const tags: Record<string, string>[] = [];
  for (let m = pattern.exec(xml); m !== null; m = pattern.exec(xml)) tags.push(parseAttributes(m[1]));
  return tags;
}

/** The inner text of the first `<localName>…</localName>` element (undefined when absent). */
export function findElement(xml: string, localName: string): string | undefined {
  const pattern = new RegExp(`<(?:[\\w.-]+:)?${localName}(?=[\\s>])[^>]*>([\\s\\S]*?)</(?:[\\w.-]+:)?${localName}>`);
  return pattern.exec(xml)?.[1];
}

/** The namespace prefix ("x:" or "") of a part's root element. */
export function rootPrefix(xmlStart: string, rootName: string): string {
  const m = new RegExp(`<([\\w.-]+:)?${rootName}[\\s>]`).exec(xmlStart);
  return m?.[1] ?? '';
}

function isNameEnd(code: number): boolean {
  // space, tab, LF, CR, '>', '/'
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 62 || code === 47;
}

/** True when `xml` has the element name `name` (prefix included) starting at `at`. */
export function nameAt(xml: string, at: number, name: string): boolean {
  return xml.startsWith(name, at) && isNameEnd(xml.charCodeAt(at + name.length));
}

/**
 * The text of a rich/inline string (`<si>` or `<is>` content between from and to): every `<t>`
 * concatenated — the runs of rich text — except the phonetic guides in `<rPh>`.
 */
export function stringItemText(xml: string, from: number, to: number, prefix: string): string {
  const tName = `${prefix}t`;
  const rPhClose = `</${prefix}rPh>`;
  let text = '';
  let i = from;
  for (;;) {
    const lt = xml.indexOf('<', i);
    if (lt === -1 || lt >= to) break;
    if (nameAt(xml, lt + 1, tName)) {
      const tagEnd = xml.indexOf('>', lt);
      if (tagEnd === -1 || tagEnd >= to) break;
      if (xml.charCodeAt(tagEnd - 1) === 47) {
        i = tagEnd + 1;
        continue;
      }
      const close = xml.indexOf('<', tagEnd + 1);
      if (close === -1 || close > to) break;
      text += xml.slice(tagEnd + 1, close);
      i = close + 1;
    } else if (nameAt(xml, lt + 1, `${prefix}rPh`)) {
      const close = xml.indexOf(rPhClose, lt);
      i = close === -1 ? to : close + rPhClose.length;
    } else {
      i = lt + 1;
    }
  }
  return decodeCellText(text);
}

/** Number of rows of a dimension reference such as "A1:H200001" (undefined when unreadable). */
export function rowsOfRange(ref: string): number | undefined {
  const m = /^[A-Za-z]*(\d+)(?::[A-Za-z]*(\d+))?$/.exec(ref.trim());
  if (!m) return undefined;
  const first = Number(m[1]);
  const last = m[2] === undefined ? first : Number(m[2]);
  return last >= first ? last - first + 1 : undefined;
}
