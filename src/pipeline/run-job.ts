import { AppError } from '../errors.js';
import type { Database, FileStore } from '../storage/index.js';
import { DatabaseSink } from './database-sink.js';
import { processFile } from './process-file.js';
import type { ProcessOptions } from './types.js';
import type { ColumnType, ProcessStatistics } from '../domain/index.js';

export interface RunJobOptions extends Pick<
  ProcessOptions,
  'batchSize' | 'limits' | 'detectionMaxValueChars' | 'threads' | 'threadMinBytes' | 'threadMemoryMb' | 'signal' | 'onProgress'
> {
  db: Database;
  /** Only the local copy of the upload is read (a sync-upload thread passes the API's copy). */
  fileStore: Pick<FileStore, 'localFile'>;
  jobId: string;
  /** Unique per processing attempt; the database refuses rows written under an older token. */
  token: string;
  isTransient?: (err: unknown) => boolean;
  /** Told before a batch write that failed transiently is repeated (see DatabaseSink). */
  onWriteRetry?: (err: unknown, retry: number, delayMs: number) => void;
}

/**
 * Processes one stored upload into the database: starts an attempt (removing any rows of an
 * earlier, interrupted attempt), runs processFile() with the database sink, completes the attempt.
 * The synchronous upload and the queue workers both run jobs through here, so their results are
 * identical. Failure bookkeeping (failed / timeout / cancelled / retry) is the caller's.
 */
export async function runJob(options: RunJobOptions): Promise<ProcessStatistics> {
  // Everything else is processFile's own options, passed on as they are.
  const { db, fileStore, jobId, token, isTransient, onWriteRetry, ...pipeline } = options;
  const record = await db.getFileRecordByJobId(jobId);
  if (!record) throw new AppError('JOB_NOT_FOUND', `任务不存在：${jobId}`);
  // FILE_NOT_FOUND when the upload is gone; an object store's copy is a temporary download.
  const file = await fileStore.localFile(record.storageKey);
  try {
    await db.startAttempt(jobId, token);
    const sink = new DatabaseSink(db, jobId, token, { isTransient, signal: options.signal, onRetry: onWriteRetry });
    return await processFile(file.path, sink, {
      ...pipeline,
      originalName: record.originalName,
      columnTypes: (record.columnTypes ?? undefined) as Record<string, ColumnType> | undefined,
      // The uploader's choices, stored with the record (null: detect / off).
      encoding: record.encoding ?? undefined,
      delimiter: record.delimiter ?? undefined,
      dedupe: record.dedupe === 'exact' ? 'exact' : undefined,
    });
  } finally {
    await file.release();
  }
}
