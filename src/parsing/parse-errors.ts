import { AppError } from '../errors.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './types.js';

/**
 * Constructors for the AppErrors the readers throw, so every message is written once, in Chinese,
 * and says what is wrong with the file (users read them in the UI and in the CLI summary).
 */

export function unsupportedFile(reason: string, details?: Record<string, unknown>): AppError {
  return new AppError('UNSUPPORTED_FILE_TYPE', `不支持的文件类型：${reason}。请上传 .xlsx、.xls 或 .csv 文件`, details);
}

export function emptyFile(reason = '文件为空'): AppError {
  return new AppError('EMPTY_FILE', `${reason}，没有可处理的数据（至少需要一行表头）`);
}

export function corruptedFile(reason: string, cause?: unknown, details?: Record<string, unknown>): AppError {
  return new AppError('CORRUPTED_FILE', `文件已损坏或格式不完整：${reason}`, details, { cause });
}

export function rowLimitExceeded(maxRows: number): AppError {
  return new AppError('ROW_LIMIT_EXCEEDED', `数据行数超过上限 ${maxRows} 行`, { maxRows });
}

export function columnLimitExceeded(maxColumns: number, columns: number, sheet?: string): AppError {
  const where = sheet === undefined ? '' : `工作表「${sheet}」`;
  return new AppError('COLUMN_LIMIT_EXCEEDED', `${where}列数 ${columns} 超过上限 ${maxColumns} 列`, { maxColumns, columns, sheet });
}

export function lineTooLong(maxLineLength: number, rowNumber?: number): AppError {
  const where = rowNumber === undefined ? '' : `第 ${rowNumber} 行`;
  return new AppError('LINE_TOO_LONG', `${where}单行（或单元格）长度超过上限 ${maxLineLength} 个字符，文件可能不是正常的表格`, { maxLineLength, rowNumber });
}

/**
 * The shared-string table is over its count or size limit: a small file that would expand to a
 * huge amount of text (ZIP_BOMB_DETECTED, like the other expansion limits).
 */
export function sharedStringsTooLarge(what: 'count' | 'chars', limit: number): AppError {
  const reason = what === 'count' ? `共享字符串超过 ${limit} 个` : `共享字符串总长度超过 ${limit} 个字符`;
  return new AppError('ZIP_BOMB_DETECTED', `工作簿的共享字符串表过大（${reason}），文件可能是恶意构造的`, {
    [what === 'count' ? 'maxSharedStrings' : 'maxSharedStringChars']: limit,
  });
}

/** More distinct worksheets than allowed (repeated references to one sheet count once). */
export function sheetLimitExceeded(maxSheets: number, sheets: number): AppError {
  return new AppError('ZIP_BOMB_DETECTED', `工作簿包含 ${sheets} 个以上的工作表，超过上限 ${maxSheets} 个`, { maxSheets });
}

/**
 * One batch of rows holds more text than allowed: rows far longer than a table's (LINE_TOO_LONG,
 * the family of the per-row limit).
 */
export function batchTooLarge(maxBatchBytes: number, rowNumber: number): AppError {
  return new AppError('LINE_TOO_LONG', `第 ${rowNumber} 行附近的数据量异常庞大（一批数据超过 ${maxBatchBytes} 字节），文件可能不是正常的表格`, {
    maxBatchBytes,
    rowNumber,
  });
}

export function zipBomb(reason: string, details?: Record<string, unknown>): AppError {
  return new AppError('ZIP_BOMB_DETECTED', `压缩文件异常，疑似压缩炸弹：${reason}`, details);
}

export function fileTooLarge(reason: string, details?: Record<string, unknown>): AppError {
  return new AppError('FILE_SIZE_EXCEEDED', reason, details);
}

function cancelled(): AppError {
  return new AppError('CANCELLED', '读取已取消');
}

export function alreadyIterated(): AppError {
  return new AppError('INVALID_STATE', '同一个表格读取器只能遍历一次');
}

export function resolveLimits(partial?: Partial<ParseLimits>): ParseLimits {
  const limits = { ...DEFAULT_PARSE_LIMITS };
  for (const key of Object.keys(limits) as (keyof ParseLimits)[]) {
    const value = partial?.[key];
    if (value !== undefined && Number.isFinite(value) && value > 0) limits[key] = value;
  }
  return limits;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled();
}

/** Node's fs errors carry a string code; anything else is treated as unknown. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

/**
 * Largest .xls accepted. BIFF cannot be streamed (SheetJS parses the whole compound file), and the
 * format itself caps a sheet at 65,536 rows, so real .xls files are small; this bounds the memory a
 * hostile one can take. Local constant because ParseLimits (types.ts) is a shared contract.
 */
export const MAX_XLS_FILE_BYTES = 100 * 1024 * 1024;
