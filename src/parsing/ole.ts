import type { FileHandle } from 'node:fs/promises';
import { corruptedFile } from './parse-errors.js';

/**
 * Minimal reader of an OLE2 / Compound File Binary directory (MS-CFB), enough to list the stream
 * names: an .xls has a "Workbook" (BIFF8) or "Book" (BIFF5) stream, an encrypted .xlsx an
 * "EncryptedPackage", a .doc a "WordDocument". Only the header, the FAT and the directory sectors
 * are read, so sniffing a large file stays cheap; the workbook itself is parsed by SheetJS.
 */

export const OLE_MAGIC = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1] as const;

const HEADER_BYTES = 512;
const END_OF_CHAIN = 0xfffffffe;
const FREE_SECT = 0xffffffff;
const MAX_REGULAR_SECTOR = 0xfffffffa;
const DIR_ENTRY_BYTES = 128;
const HEADER_DIFAT_ENTRIES = 109;

async function readExactly(file: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  const { bytesRead } = await file.read(buffer, 0, length, position);
  if (bytesRead < length) throw corruptedFile('OLE 复合文档被截断');
  return buffer;
}

export async function listOleStreams(file: FileHandle, fileSize: number): Promise<string[]> {
  if (fileSize < HEADER_BYTES) throw corruptedFile('OLE 复合文档头不完整');
  const header = await readExactly(file, 0, HEADER_BYTES);
  const sectorShift = header.readUInt16LE(0x1e);
  if (sectorShift !== 9 && sectorShift !== 12) throw corruptedFile('OLE 复合文档头无效');
  const sectorSize = 1 << sectorShift;
  const sectorCount = Math.ceil((fileSize - sectorSize) / sectorSize);
  const sectorOffset = (sector: number): number => (sector + 1) * sectorSize;
  const readSector = (sector: number): Promise<Buffer> => {
    if (sector > MAX_REGULAR_SECTOR || sector >= sectorCount) throw corruptedFile('OLE 扇区编号越界');
    return readExactly(file, sectorOffset(sector), sectorSize);
  };

  // FAT sector numbers: 109 in the header, the rest in the DIFAT chain.
  const fatSectorCount = header.readUInt32LE(0x2c);
  if (fatSectorCount > sectorCount) throw corruptedFile('OLE 分配表大小无效');
  const fatSectors: number[] = [];
  for (let i = 0; i < Math.min(fatSectorCount, HEADER_DIFAT_ENTRIES); i++) fatSectors.push(header.readUInt32LE(0x4c + 4 * i));
  let difatSector = header.readUInt32LE(0x44);
  const idsPerSector = sectorSize / 4;
  for (let hops = 0; fatSectors.length < fatSectorCount && difatSector !== END_OF_CHAIN && difatSector !== FREE_SECT; hops++) {
    if (hops > sectorCount) throw corruptedFile('OLE 分配表链存在循环');
    const difat = await readSector(difatSector);
    for (let i = 0; i < idsPerSector - 1 && fatSectors.length < fatSectorCount; i++) fatSectors.push(difat.readUInt32LE(4 * i));
    difatSector = difat.readUInt32LE(sectorSize - 4);
  }
  const fat = new Uint32Array(fatSectors.length * idsPerSector);
  for (let i = 0; i < fatSectors.length; i++) {
    const sector = await readSector(fatSectors[i]);
    for (let j = 0; j < idsPerSector; j++) fat[i * idsPerSector + j] = sector.readUInt32LE(4 * j);
  }

  const names: string[] = [];
  const visited = new Set<number>();
  for (let sector = header.readUInt32LE(0x30); sector !== END_OF_CHAIN; sector = fat[sector] ?? END_OF_CHAIN) {
    if (visited.has(sector)) throw corruptedFile('OLE 目录链存在循环');
    visited.add(sector);
    const dir = await readSector(sector);
    for (let offset = 0; offset < sectorSize; offset += DIR_ENTRY_BYTES) {
      const type = dir[offset + 0x42];
      const nameBytes = dir.readUInt16LE(offset + 0x40);
      if (type === 0 || nameBytes < 2 || nameBytes > 64) continue;
      names.push(dir.toString('utf16le', offset, offset + nameBytes - 2));
    }
  }
  return names;
}
