/**
 * Files that keep a CPU busy for a long time without being large on disk (issue 10): an xlsx whose
 * sharedStrings.xml holds one huge string that every cell of the sheet refers to. Parsing hands
 * out the same string for every cell; type detection and cleaning then work on megabytes per row.
 */
import { minimalXlsxEntries, writeZip } from './zip-writer.js';

export async function writeGiantSharedStringXlsx(
  path: string,
  options: { rows: number; columns: number; chars?: number } = { rows: 5000, columns: 100 },
): Promise<string> {
  const chars = options.chars ?? 999_000;
  // Address-like characters in a pseudo-random order: compresses only a few times (no zip-bomb ratio).
  const alphabet = '江苏省南京市玄武区中山路号北京朝阳建国上海浦东新广州天河深圳南山街道村镇乡组栋单元室0123456789';
  let seed = 12345;
  const giant = Array.from({ length: chars }, () => alphabet[(seed = (seed * 1103515245 + 12345) % 2147483648) % alphabet.length]).join('');
  const columnName = (i: number): string => (i < 26 ? String.fromCharCode(65 + i) : columnName(Math.floor(i / 26) - 1) + String.fromCharCode(65 + (i % 26)));
  const header = `<row r="1">${Array.from({ length: options.columns }, (_, c) => `<c r="${columnName(c)}1" t="inlineStr"><is><t>地址${c + 1}</t></is></c>`).join('')}</row>`;
  function* sheetData(): Generator<string> {
    yield header;
    for (let r = 2; r <= options.rows + 1; r++) {
      yield `<row r="${r}">${Array.from({ length: options.columns }, (_, c) => `<c r="${columnName(c)}${r}" t="s"><v>0</v></c>`).join('')}</row>`;
    }
  }
  await writeZip(path, minimalXlsxEntries([{ name: 'Sheet1', sheetData }], { sharedStrings: [giant] }));
  return path;
}
