/**
 * Persistence layer: the only module that speaks SQL (file records, clean rows and error logs on
 * SQLite, PostgreSQL or MySQL/MariaDB, chosen by `DATABASE_URL`), plus the file store for uploads
 * (local directory or S3-compatible object store, chosen by FILE_STORE_URL).
 *
 * Typical use:
 *
 *   const db = createDatabase(config.DATABASE_URL, { batchSize: config.BATCH_SIZE, logger });
 *   await db.migrate();                          // at start-up, safe in every process at once
 *   const store = await createFileStore(config);         // file:DATA_DIR (→ DATA_DIR/uploads) or s3://bucket/prefix
 *
 *   // upload (TaskProducer)
 *   const saved = await store.save(request.file, { maxBytes: config.MAX_FILE_SIZE });
 *   await db.createFileRecord({ id, jobId, originalName, size: saved.size, fileType, mimeType, storageKey: saved.key });
 *   await db.updateFileRecord(jobId, { enqueuedAt: new Date() });
 *
 *   // worker, one attempt (token unique per attempt, e.g. the BullMQ lock token)
 *   await db.startAttempt(jobId, token);                       // INVALID_STATE if already final
 *   await db.insertBatch(jobId, token, clean, exceptions, reasons);   // per batch
 *   await db.completeAttempt(jobId, token, result);            // verifies the stored row counts
 *   // or: await db.endAttempt(jobId, token, 'failed', code, message);
 *   // StaleAttemptError from any of these: another attempt owns the job now — stop quietly.
 *
 *   // API
 *   await db.listFileRecords({ page, pageSize, status, startDate, endDate });
 *   await db.cleanRows(jobId, { page, pageSize });             // and exceptionRows
 *   for await (const rows of db.streamCleanRows(jobId)) …      // exports, constant memory
 *
 * Errors: AppError (JOB_NOT_FOUND, INVALID_STATE, INVALID_REQUEST, INTERNAL_ERROR for a row-count
 * mismatch), StaleAttemptError (an AppError with code INVALID_STATE), or the driver's own error
 * with its `code` (ECONNREFUSED, 57P01, PROTOCOL_CONNECTION_LOST, SQLITE_BUSY…) — retryable.
 */
export { createDatabase, Database, type DatabaseOptions } from './database.js';
export { dialectOfUrl, parseDatabaseUrl, SQLITE_BUSY_TIMEOUT_MS, type DatabaseTarget } from './connection.js';
export { isStaleAttemptError, StaleAttemptError } from './errors.js';
export {
  createFileStore,
  LocalFileStore,
  parseFileStoreUrl,
  type S3FileStore,
  type FileStore,
  type FileStoreTarget,
  type LocalFile,
  type SavedFile,
  type S3StoreOptions,
} from './file-store.js';
export { RetentionJob, type RetentionJobOptions, type RetentionLogger, type RetentionReport } from './retention.js';
export { assertTransition, canTransition } from './status.js';
export { defaultReason, type WrittenCounts } from './row-encoding.js';
export * from './model.js';
