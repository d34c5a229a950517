import { open, type FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import yauzl from 'yauzl';
import { createInflateRaw } from 'node:zlib';
import { isAppError } from '../errors.js';
import { corruptedFile, zipBomb } from './parse-errors.js';
import type { ParseLimits } from './types.js';

/**
 * Zip access for xlsx through yauzl: it reads the central directory (so the declared sizes can be
 * checked before anything is inflated, and the parts can be read in the order the reader needs,
 * never buffering a sheet to a temp file) and it verifies while inflating that an entry does not
 * produce more bytes than declared.
 */

/** An xlsx has a few dozen parts; thousands of entries is a resource attack, not a workbook. */
const MAX_ZIP_ENTRIES = 10_000;
/**
 * Every entry's ratio is checked, but a tiny part (a rels or styles part of a few KB) compresses
 * very well without being a bomb: an entry may inflate to maxCompressionRatio × its compressed
 * size plus this allowance.
 */
const RATIO_ALLOWANCE_BYTES = 64 * 1024;
/** Parts read whole as text (workbook, relationships, styles): larger ones are not metadata. */
const MAX_TEXT_PART_BYTES = 64 * 1024 * 1024;

export const ZIP_LOCAL_HEADER_MAGIC = [0x50, 0x4b, 0x03, 0x04] as const;

export interface ZipArchive {
  readonly zip: yauzl.ZipFile;
  readonly entries: Map<string, yauzl.Entry>;
  /** The archive's file, owned here (not by yauzl) so that closing is awaited and deterministic. */
  readonly file: FileHandle;
}

/** Bytes read from the archive file per read. */
const FILE_READ_BYTES = 256 * 1024;

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * yauzl reading through a FileHandle this module owns. yauzl's own open() closes its descriptor
 * asynchronously after reporting an error, so "no descriptor left open" could not be guaranteed
 * at the moment openTable rejects; here close() is a no-op and the handle is closed by us.
 */
class FileHandleReader extends yauzl.RandomAccessReader {
  constructor(private readonly file: FileHandle) {
    super();
  }

  override _readStreamForRange(start: number, end: number): Readable {
    const file = this.file;
    let position = start;
    return new Readable({
      highWaterMark: FILE_READ_BYTES,
      read(size: number): void {
        if (position >= end) {
          this.push(null);
          return;
        }
        const length = Math.min(size, end - position, FILE_READ_BYTES);
        file.read(Buffer.allocUnsafe(length), 0, length, position).then(
          ({ bytesRead, buffer }) => {
            if (bytesRead === 0) {
              this.destroy(new Error('unexpected end of zip file'));
              return;
            }
            position += bytesRead;
            this.push(buffer.subarray(0, bytesRead));
          },
          (err: unknown) => this.destroy(asError(err)),
        );
      },
    });
  }

  override read(buffer: Buffer, offset: number, length: number, position: number, callback: (err: Error | null) => void): void {
    this.file.read(buffer, offset, length, position).then(
      ({ bytesRead }) => callback(bytesRead < length ? new Error('unexpected end of zip file') : null),
      (err: unknown) => callback(asError(err)),
    );
  }

  override close(callback: (err: Error | null) => void): void {
    setImmediate(() => callback(null));
  }
}

function zipFromFile(file: FileHandle, size: number): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) => {
    const options = { lazyEntries: true, autoClose: false, strictFileNames: false, validateEntrySizes: true };
    yauzl.fromRandomAccessReader(new FileHandleReader(file), size, options, (err, zip) => {
      if (err) reject(corruptedFile('zip 结构无法读取', err, { reason: err.message }));
      else resolve(zip);
    });
  });
}

const closedFiles = new WeakSet<FileHandle>();
async function closeFileOnce(file: FileHandle): Promise<void> {
  if (closedFiles.has(file)) return;
  closedFiles.add(file);
  await file.close();
}

/** Closes the archive and its file; safe to call more than once. */
export async function closeZipArchive(archive: ZipArchive): Promise<void> {
  if (archive.zip.isOpen) archive.zip.close();
  await closeFileOnce(archive.file);
}

/** Opens a zip and reads its whole central directory (bounded by MAX_ZIP_ENTRIES). */
export async function openZipArchive(path: string): Promise<ZipArchive> {
  const file = await open(path, 'r');
  let zip: yauzl.ZipFile | undefined;
  try {
    const opened = await zipFromFile(file, (await file.stat()).size);
    zip = opened;
    if (opened.entryCount > MAX_ZIP_ENTRIES) {
      throw zipBomb(`压缩包含 ${opened.entryCount} 个条目，超过上限 ${MAX_ZIP_ENTRIES}`, { entryCount: opened.entryCount });
    }
    const entries = await new Promise<Map<string, yauzl.Entry>>((resolve, reject) => {
      const byName = new Map<string, yauzl.Entry>();
      opened.on('entry', (entry: yauzl.Entry) => {
        byName.set(entry.fileName.replace(/\\/g, '/').replace(/^\/+/, ''), entry);
        opened.readEntry();
      });
      opened.once('end', () => resolve(byName));
      opened.once('error', (err: Error) => reject(corruptedFile('zip 目录损坏', err, { reason: err.message })));
      opened.readEntry();
    });
    return { zip: opened, entries, file };
  } catch (err) {
    if (zip?.isOpen) zip.close();
    await closeFileOnce(file);
    throw err;
  }
}

/** Rejects archives whose declared sizes announce a decompression bomb, before inflating anything. */
export function checkZipBomb(entries: Iterable<yauzl.Entry>, limits: ParseLimits): void {
  let total = 0;
  for (const entry of entries) {
    total += entry.uncompressedSize;
    if (total > limits.maxUncompressedBytes) {
      throw zipBomb(`解压后总大小超过上限 ${limits.maxUncompressedBytes} 字节`, { maxUncompressedBytes: limits.maxUncompressedBytes });
    }
    if (entry.uncompressedSize > limits.maxCompressionRatio * entry.compressedSize + RATIO_ALLOWANCE_BYTES) {
      const ratio = Math.round(entry.uncompressedSize / Math.max(1, entry.compressedSize));
      throw zipBomb(`条目 ${entry.fileName} 压缩比 ${ratio}:1 超过上限 ${limits.maxCompressionRatio}:1`, {
        entry: entry.fileName,
        ratio,
        maxCompressionRatio: limits.maxCompressionRatio,
      });
    }
  }
}

/** yauzl's own errors while inflating: a size mismatch means the directory lied (bomb), the rest corruption. */
export function mapInflateError(err: unknown, entryName: string): Error {
  if (isAppError(err)) return err;
  const message = err instanceof Error ? err.message : String(err);
  if (/too many bytes/i.test(message)) {
    return zipBomb(`条目 ${entryName} 解压后的大小与声明不符`, { entry: entryName });
  }
  return corruptedFile(`条目 ${entryName} 无法解压`, err, { entry: entryName, reason: message });
}

/** Inflated bytes handed on per chunk: larger than zlib's 16 KB default, fewer async round trips. */
const INFLATE_CHUNK_BYTES = 256 * 1024;

function openRawStream(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, { decodeFileData: false }, (err, stream) => {
      if (err) reject(mapInflateError(err, entry.fileName));
      else resolve(stream);
    });
  });
}

/**
 * The inflated bytes of an entry, chunk by chunk. Inflating is done here rather than by yauzl to
 * use bigger chunks; like yauzl's validateEntrySizes it refuses to produce more bytes than the
 * central directory declared (that declaration is what the zip-bomb check trusted).
 */
export async function* inflateEntry(zip: yauzl.ZipFile, entry: yauzl.Entry): AsyncGenerator<Buffer> {
  if (entry.isEncrypted()) throw corruptedFile(`条目 ${entry.fileName} 已加密`);
  if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
    throw corruptedFile(`条目 ${entry.fileName} 使用了不支持的压缩方式 ${entry.compressionMethod}`);
  }
  const raw = await openRawStream(zip, entry);
  const inflate = entry.compressionMethod === 8 ? createInflateRaw({ chunkSize: INFLATE_CHUNK_BYTES }) : undefined;
  const output: Readable = inflate ? raw.pipe(inflate) : raw;
  // pipe() does not forward errors: a read error must still end the iteration.
  raw.once('error', (err) => output.destroy(err));
  let produced = 0;
  try {
    for await (const chunk of output) {
      const bytes = chunk as Buffer;
      produced += bytes.length;
      if (produced > entry.uncompressedSize) {
        throw zipBomb(`条目 ${entry.fileName} 解压后的大小超过声明的 ${entry.uncompressedSize} 字节`, { entry: entry.fileName });
      }
      yield bytes;
    }
  } catch (err) {
    throw mapInflateError(err, entry.fileName);
  } finally {
    inflate?.destroy();
    raw.destroy();
  }
  if (produced < entry.uncompressedSize) throw corruptedFile(`条目 ${entry.fileName} 数据不完整`, undefined, { entry: entry.fileName });
}

/** Reads a (small, already size-checked) part completely as UTF-8 text. */
export async function readEntryText(zip: yauzl.ZipFile, entry: yauzl.Entry): Promise<string> {
  if (entry.uncompressedSize > MAX_TEXT_PART_BYTES) {
    throw zipBomb(`条目 ${entry.fileName} 解压后 ${entry.uncompressedSize} 字节，超过上限 ${MAX_TEXT_PART_BYTES} 字节`, { entry: entry.fileName });
  }
  const chunks: Buffer[] = [];
  for await (const chunk of inflateEntry(zip, entry)) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
