import { open, stat, type FileHandle } from 'node:fs/promises';
import { AppError, isAppError } from '../errors.js';
import { guessEncoding, looksLikeBinary, type EncodingGuess } from './encoding.js';
import { OLE_MAGIC, listOleStreams } from './ole.js';
import { emptyFile, errnoCode, unsupportedFile } from './parse-errors.js';
import { ZIP_LOCAL_HEADER_MAGIC, closeZipArchive, openZipArchive } from './zip.js';
import type { FileFormat } from '../domain/index.js';

/** Bytes examined to decide the format, the text encoding and the CSV delimiter. */
const SNIFF_BYTES = 64 * 1024;

export type SniffResult =
  { format: 'csv'; size: number; sample: Buffer; encoding: EncodingGuess; wholeFileSampled: boolean } | { format: 'xlsx' | 'xls'; size: number };

export interface SniffOptions {
  /** Uploaded file name: only used to word messages (content decides). */
  originalName?: string;
  /** Forced CSV encoding. */
  encoding?: string;
}

/** Signatures of common non-table files, rejected by name so the message can say what the file is. */
const KNOWN_BINARY_SIGNATURES: { bytes: readonly number[]; kind: string }[] = [
  { bytes: [0x25, 0x50, 0x44, 0x46, 0x2d], kind: 'PDF 文档' },
  { bytes: [0x89, 0x50, 0x4e, 0x47], kind: 'PNG 图片' },
  { bytes: [0xff, 0xd8, 0xff], kind: 'JPEG 图片' },
  { bytes: [0x47, 0x49, 0x46, 0x38], kind: 'GIF 图片' },
  { bytes: [0x7f, 0x45, 0x4c, 0x46], kind: '可执行文件（ELF）' },
  { bytes: [0x1f, 0x8b], kind: 'gzip 压缩文件' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], kind: '7z 压缩文件' },
  { bytes: [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07], kind: 'RAR 压缩文件' },
  { bytes: [0x42, 0x5a, 0x68], kind: 'bzip2 压缩文件' },
  { bytes: [0x50, 0x4b, 0x05, 0x06], kind: '空的 zip 压缩包' },
  { bytes: [0x50, 0x4b, 0x07, 0x08], kind: '分卷 zip 压缩包' },
];

function hasPrefix(bytes: Uint8Array, prefix: readonly number[]): boolean {
  return prefix.length <= bytes.length && prefix.every((b, i) => bytes[i] === b);
}

/** Text formats that would otherwise be read as one-column CSV garbage (e.g. web "xls" exports that are HTML). */
function markupKind(text: string): string | undefined {
  const head = text.slice(0, 512).trimStart().toLowerCase();
  if (head.startsWith('<?xml') || head.startsWith('<!doctype') || head.startsWith('<html') || head.startsWith('<table')) {
    return 'HTML/XML 文件（网页或旧版 XML 导出的“伪 Excel”，请用 Excel 另存为 .xlsx）';
  }
  if (head.startsWith('{\\rtf')) return 'RTF 文档';
  return undefined;
}

async function readHead(file: FileHandle, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Turns fs errors into AppErrors (the reader API promises nothing else escapes). */
export function fileAccessError(err: unknown, path: string): AppError {
  if (isAppError(err)) return err;
  const code = errnoCode(err);
  if (code === 'ENOENT') return new AppError('FILE_NOT_FOUND', '文件不存在或已被删除', { errno: code }, { cause: err });
  if (code === 'EISDIR') return unsupportedFile('这是一个目录而不是文件');
  return new AppError('INTERNAL_ERROR', `读取文件失败（${code ?? '未知错误'}）`, { errno: code, path }, { cause: err });
}

async function sniffZip(path: string, hint: string | undefined): Promise<'xlsx' | 'xls'> {
  const archive = await openZipArchive(path);
  await closeZipArchive(archive);
  const { entries } = archive;
  if (entries.has('xl/workbook.xml')) return 'xlsx';
  if (entries.has('xl/workbook.bin')) throw unsupportedFile('Excel 二进制工作簿（.xlsb），请另存为 .xlsx');
  if (entries.has('word/document.xml')) throw unsupportedFile('Word 文档（.docx）');
  if (entries.has('ppt/presentation.xml')) throw unsupportedFile('PowerPoint 演示文稿（.pptx）');
  const named = hint && /\.xlsx$/i.test(hint) ? '扩展名是 .xlsx，但内容不是 Excel 工作簿' : 'zip 压缩包（不是 Excel 工作簿）';
  throw unsupportedFile(named);
}

async function sniffOle(file: FileHandle, size: number): Promise<'xlsx' | 'xls'> {
  const streams = (await listOleStreams(file, size)).map((name) => name.toLowerCase());
  if (streams.includes('workbook') || streams.includes('book')) return 'xls';
  if (streams.includes('encryptedpackage')) throw unsupportedFile('文件受密码保护（已加密），请取消密码后再上传');
  if (streams.includes('worddocument')) throw unsupportedFile('Word 文档（.doc）');
  throw unsupportedFile('OLE 复合文档中没有 Excel 工作簿');
}

/**
 * Decides a file's format from its content (magic bytes, then text decoding); the name is only a
 * hint for messages. Throws EMPTY_FILE, UNSUPPORTED_FILE_TYPE or CORRUPTED_FILE AppErrors.
 */
export async function sniffFile(path: string, options: SniffOptions = {}): Promise<SniffResult> {
  let file: FileHandle | undefined;
  try {
    const info = await stat(path);
    if (!info.isFile()) throw unsupportedFile('这不是一个普通文件');
    if (info.size === 0) throw emptyFile();
    file = await open(path, 'r');
    const head = await readHead(file, SNIFF_BYTES);
    if (head.length === 0) throw emptyFile();
    if (hasPrefix(head, ZIP_LOCAL_HEADER_MAGIC)) {
      await file.close();
      file = undefined;
      return { format: await sniffZip(path, options.originalName), size: info.size };
    }
    if (hasPrefix(head, OLE_MAGIC)) return { format: await sniffOle(file, info.size), size: info.size };
    const signature = KNOWN_BINARY_SIGNATURES.find((s) => hasPrefix(head, s.bytes));
    if (signature) throw unsupportedFile(signature.kind);

    const wholeFileSampled = head.length >= info.size;
    const encoding = guessEncoding(head, !wholeFileSampled, options.encoding);
    if (!encoding || looksLikeBinary(encoding.text)) throw unsupportedFile('二进制文件，既不是 Excel 工作簿也不是文本 CSV');
    const markup = markupKind(encoding.text);
    if (markup) throw unsupportedFile(markup);
    if (wholeFileSampled && encoding.text.trim() === '') throw emptyFile('文件只包含空白内容');
    return { format: 'csv', size: info.size, sample: head, encoding, wholeFileSampled };
  } catch (err) {
    throw fileAccessError(err, path);
  } finally {
    await file?.close();
  }
}

/** The format of a file by content: 'csv' | 'xlsx' | 'xls', or an AppError saying why it is none. */
export async function detectFormat(path: string, options?: SniffOptions): Promise<FileFormat> {
  return (await sniffFile(path, options)).format;
}
