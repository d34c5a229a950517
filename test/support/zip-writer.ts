import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';

/**
 * A minimal zip writer for tests: hostile files need control a normal writer does not give
 * (lying sizes, entries streamed from a generator so a highly compressible "bomb" never exists in
 * memory, arbitrary names). Not for production use.
 */

export interface ZipEntrySpec {
  name: string;
  /** Content, or a generator of content pieces (streamed through deflate). */
  data: string | Buffer | (() => Iterable<string | Buffer>);
  /** Store without compression. */
  store?: boolean;
  /** Write this uncompressed size into the headers instead of the real one (lying archive). */
  declaredSize?: number;
}

interface Written {
  name: Buffer;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
  method: number;
}

function localHeader(e: Omit<Written, 'offset'>): Buffer {
  const header = Buffer.alloc(30);
  header.writeUInt32LE(0x04034b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt16LE(0x0800, 6); // UTF-8 names
  header.writeUInt16LE(e.method, 8);
  header.writeUInt32LE(0, 10);
  header.writeUInt32LE(e.crc >>> 0, 14);
  header.writeUInt32LE(e.compressedSize, 18);
  header.writeUInt32LE(e.size, 22);
  header.writeUInt16LE(e.name.length, 26);
  header.writeUInt16LE(0, 28);
  return Buffer.concat([header, e.name]);
}

function centralHeader(e: Written): Buffer {
  const header = Buffer.alloc(46);
  header.writeUInt32LE(0x02014b50, 0);
  header.writeUInt16LE(20, 4);
  header.writeUInt16LE(20, 6);
  header.writeUInt16LE(0x0800, 8);
  header.writeUInt16LE(e.method, 10);
  header.writeUInt32LE(0, 12);
  header.writeUInt32LE(e.crc >>> 0, 16);
  header.writeUInt32LE(e.compressedSize, 20);
  header.writeUInt32LE(e.size, 24);
  header.writeUInt16LE(e.name.length, 28);
  header.writeUInt32LE(e.offset, 42);
  return Buffer.concat([header, e.name]);
}

/** Deflates a generator's pieces; returns the compressed bytes, CRC and size (content never held whole). */
async function deflatePieces(pieces: Iterable<string | Buffer>): Promise<{ compressed: Buffer; crc: number; size: number }> {
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  let crc = 0;
  let size = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = async (): Promise<void> => {
    const bytes = Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    crc = crc32(bytes, crc);
    size += bytes.length;
    if (!deflate.write(bytes)) await once(deflate, 'drain');
  };
  for (const piece of pieces) {
    const bytes = typeof piece === 'string' ? Buffer.from(piece) : piece;
    pending.push(bytes);
    pendingBytes += bytes.length;
    if (pendingBytes >= 1 << 20) await flush(); // big writes: deflate is slow with tiny ones
  }
  await flush();
  deflate.end();
  await once(deflate, 'end');
  return { compressed: Buffer.concat(out), crc, size };
}

export async function writeZip(path: string, entries: ZipEntrySpec[]): Promise<void> {
  const file = createWriteStream(path);
  const written: Written[] = [];
  let offset = 0;
  const put = async (bytes: Buffer): Promise<void> => {
    offset += bytes.length;
    if (!file.write(bytes)) await once(file, 'drain');
  };
  for (const entry of entries) {
    let compressed: Buffer;
    let crc: number;
    let size: number;
    const method = entry.store ? 0 : 8;
    if (typeof entry.data === 'function') {
      ({ compressed, crc, size } = await deflatePieces(entry.data()));
    } else {
      const bytes = typeof entry.data === 'string' ? Buffer.from(entry.data) : entry.data;
      crc = crc32(bytes);
      size = bytes.length;
      compressed = entry.store ? bytes : deflateRawSync(bytes);
    }
    const record = { name: Buffer.from(entry.name), crc, compressedSize: compressed.length, size: entry.declaredSize ?? size, method };
    written.push({ ...record, offset });
    await put(localHeader(record));
    await put(compressed);
  }
  const directoryOffset = offset;
  for (const entry of written) await put(centralHeader(entry));
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(written.length, 8);
  end.writeUInt16LE(written.length, 10);
  end.writeUInt32LE(offset - directoryOffset, 12);
  end.writeUInt32LE(directoryOffset, 16);
  await put(end);
  file.end();
  await once(file, 'close');
}

const MAIN_NS = 'http://schemas.openxmlformats.org/spreadsheetml/2006/main';
const REL_NS = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships';

/** The parts of a minimal xlsx whose sheets are given as raw `<sheetData>` XML (for crafted workbooks). */
export function minimalXlsxEntries(
  sheets: { name: string; sheetData: ZipEntrySpec['data']; declaredSize?: number }[],
  options: { sharedStrings?: string[] | 'omit'; date1904?: boolean; stylesXml?: string } = {},
): ZipEntrySpec[] {
  const escape = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const sheetEntries: ZipEntrySpec[] = sheets.map((sheet, i) => {
    const head = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheetData>`;
    const tail = '</sheetData></worksheet>';
    const body = sheet.sheetData;
    const data: ZipEntrySpec['data'] =
      typeof body === 'function'
        ? () =>
            (function* () {
              yield head;
              yield* body();
              yield tail;
            })()
        : head + String(body) + tail;
    return { name: `xl/worksheets/sheet${i + 1}.xml`, data, declaredSize: sheet.declaredSize };
  });
  const rels = sheets.map((_s, i) => `<Relationship Id="rId${i + 1}" Type="${REL_NS}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`);
  const entries: ZipEntrySpec[] = [
    {
      name: '[Content_Types].xml',
      data: '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/></Types>',
    },
    {
      name: '_rels/.rels',
      data: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
    },
    {
      name: 'xl/workbook.xml',
      data: `<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><workbookPr${options.date1904 ? ' date1904="1"' : ''}/><sheets>${sheets
        .map((s, i) => `<sheet name="${escape(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`)
        .join('')}</sheets></workbook>`,
    },
  ];
  const workbookRels = [...rels];
  if (Array.isArray(options.sharedStrings)) {
    workbookRels.push(`<Relationship Id="rIdSst" Type="${REL_NS}/sharedStrings" Target="sharedStrings.xml"/>`);
    entries.push({
      name: 'xl/sharedStrings.xml',
      data: `<?xml version="1.0" encoding="UTF-8"?><sst xmlns="${MAIN_NS}">${options.sharedStrings.map((s) => `<si><t xml:space="preserve">${escape(s)}</t></si>`).join('')}</sst>`,
    });
  }
  if (options.stylesXml) {
    workbookRels.push(`<Relationship Id="rIdStyles" Type="${REL_NS}/styles" Target="styles.xml"/>`);
    entries.push({ name: 'xl/styles.xml', data: options.stylesXml });
  }
  entries.push({
    name: 'xl/_rels/workbook.xml.rels',
    data: `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">${workbookRels.join('')}</Relationships>`,
  });
  return [...entries, ...sheetEntries];
}

/** styles.xml whose cell style 1 is a date (numFmt 14) and style 2 a custom date format. */
export const DATE_STYLES_XML = `<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="${MAIN_NS}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/><xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>`;
