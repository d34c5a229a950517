import { AppError } from '../errors.js';
import type { Database, FileRecord } from '../storage/index.js';

/** The record of a task by its id (ids are validated by the route schemas). */
export async function taskRecord(db: Database, taskId: string): Promise<FileRecord> {
  const record = await db.getFileRecordByJobId(taskId);
  if (!record) throw new AppError('JOB_NOT_FOUND', `任务不存在：${taskId}`);
  return record;
}

/** The record of an uploaded file by its file id. */
export async function fileRecord(db: Database, fileId: string): Promise<FileRecord> {
  const record = await db.getFileRecord(fileId);
  if (!record) throw new AppError('FILE_NOT_FOUND', `文件记录不存在：${fileId}`);
  return record;
}
