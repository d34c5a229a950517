/** Builders shared by the web unit tests (not part of the bundle: only tests import this). */
import type { Statistics, StatusSnapshot } from '../types.js';

export const TASK_ID = '3f6e0000-0000-4000-8000-000000000001';
export const FILE_ID = '7b0c0000-0000-4000-8000-000000000002';

export function statistics(overrides: Partial<Statistics> = {}): Statistics {
  return {
    totalRows: 1000,
    cleanedRows: 950,
    exceptionRows: 50,
    processingTimeMs: 812,
    errorsByType: { INVALID_PHONE: 30, INCOMPLETE_ADDRESS: 25 },
    errorsByField: { 手机号: 30, 地址: 25 },
    format: 'csv',
    sheets: [{ name: 'Sheet1', rows: 1000, columns: ['姓名', '手机号', '地址'], types: ['text', 'phone', 'address'] }],
    ...overrides,
  };
}

export function snapshot(overrides: Partial<StatusSnapshot> = {}): StatusSnapshot {
  return {
    taskId: TASK_ID,
    fileId: FILE_ID,
    fileName: '客户.csv',
    status: 'processing',
    progress: 0,
    processedRows: 0,
    totalRows: 1000,
    totalIsEstimate: true,
    currentPhase: 'cleaning',
    estimatedTimeRemaining: null,
    statistics: null,
    createdAt: '2026-11-27T10:00:00.000Z',
    startedAt: '2026-11-27T10:00:01.000Z',
    completedAt: null,
    errorCode: null,
    errorMessage: null,
    attempts: 1,
    ...overrides,
  };
}

export function completedSnapshot(overrides: Partial<StatusSnapshot> = {}): StatusSnapshot {
  return snapshot({
    status: 'completed',
    progress: 100,
    processedRows: 1000,
    totalIsEstimate: false,
    currentPhase: 'done',
    estimatedTimeRemaining: 0,
    statistics: statistics(),
    completedAt: '2026-11-27T10:00:02.000Z',
    ...overrides,
  });
}
