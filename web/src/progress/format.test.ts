import { describe, expect, it } from 'vitest';
import { createTranslator } from '../i18n/translate.js';
import { completedSnapshot, snapshot, TASK_ID, FILE_ID } from '../test-support/fixtures.js';
import type { CardTransition } from './board.js';
import { describeProgress, formatEta, progressParts, transitionAnnouncement } from './format.js';
import { initialUploadState, progressReducer, rejectedState, resumedState, toProgressView, type ProgressState } from './machine.js';

const zh = createTranslator('zh');
const en = createTranslator('en');

function processing(overrides: Parameters<typeof snapshot>[0]): ProgressState {
  return progressReducer(resumedState(TASK_ID, FILE_ID, 100), { type: 'snapshot', epoch: 0, snapshot: snapshot(overrides) });
}

describe('formatEta', () => {
  it.each([
    [6, '剩余约 6 秒', 'about 6 s left'],
    [0.4, '即将完成', 'almost done'],
    [59.2, '剩余约 1 分 0 秒', 'about 1 min 0 s left'],
    [125, '剩余约 2 分 5 秒', 'about 2 min 5 s left'],
    [3600, '剩余约 1 小时 0 分', 'about 1 h 0 min left'],
    [7322, '剩余约 2 小时 2 分', 'about 2 h 2 min left'],
  ])('%s s → %s / %s', (seconds, chinese, english) => {
    expect(formatEta(seconds, zh)).toBe(chinese);
    expect(formatEta(seconds, en)).toBe(english);
  });

  it.each([null, undefined, -1, Number.NaN, Number.POSITIVE_INFINITY])('unknown ETA %s → null', (value) => {
    expect(formatEta(value, zh)).toBeNull();
  });
});

describe('progress text', () => {
  it('processing: phase, percent, rows with 约 for an estimate, ETA', () => {
    const view = toProgressView(
      processing({ progress: 42, processedRows: 420_000, totalRows: 1_000_000, totalIsEstimate: true, estimatedTimeRemaining: 6, currentPhase: 'cleaning' }),
      false,
    );
    expect(progressParts(view, zh)).toEqual(['清洗中', '42%', '420,000 / 约 1,000,000 行', '剩余约 6 秒']);
    expect(describeProgress(view, en)).toBe('Cleaning, 42%, 420,000 of about 1,000,000 rows, about 6 s left');
  });

  it('exact totals drop 约; every phase has a Chinese name', () => {
    const view = toProgressView(processing({ progress: 50, processedRows: 5, totalRows: 10, totalIsEstimate: false, currentPhase: 'saving' }), false);
    expect(progressParts(view, zh)).toEqual(['保存中', '50%', '5 / 10 行']);
    const names = (['queued', 'parsing', 'cleaning', 'saving', 'exporting', 'done'] as const).map(
      (phase) => progressParts(toProgressView(processing({ currentPhase: phase }), false), zh)[0],
    );
    expect(names).toEqual(['排队中', '解析中', '清洗中', '保存中', '导出中', '完成']);
  });

  it('uploading shows bytes; completed shows 100 % without ETA', () => {
    const uploading = progressReducer(progressReducer(initialUploadState(2048), { type: 'uploadStarted', total: 2048 }), {
      type: 'uploadProgress',
      loaded: 1536,
      total: 2048,
    });
    expect(progressParts(toProgressView(uploading, true), zh)).toEqual(['上传中', '75%', '已上传 1.5 KB / 2 KB']);
    const done = progressReducer(processing({}), { type: 'snapshot', epoch: 0, snapshot: completedSnapshot() });
    expect(describeProgress(toProgressView(done, false), zh)).toBe('已完成，100%，1,000 / 1,000 行');
  });

  it('a resumed card says it is resuming; a later attempt is named', () => {
    expect(progressParts(toProgressView(resumedState(TASK_ID, null, 1), false), zh)[0]).toBe('正在恢复进度…');
    const second = toProgressView(processing({ attempts: 2, progress: 10 }), false);
    expect(progressParts(second, zh)).toContain('第 2 次尝试');
  });
});

describe('announcements', () => {
  const transition = (progress: ProgressState, wasResumed = false): CardTransition => ({
    card: { id: 'c1', fileName: '客户.csv', size: 100, progress, view: toProgressView(progress, false) },
    previous: 'processing',
    wasResumed,
  });
  const ended = (overrides: Parameters<typeof snapshot>[0]) =>
    progressReducer(processing({}), { type: 'snapshot', epoch: 0, snapshot: snapshot({ progress: 10, ...overrides }) });

  it('names the end of every task, with the counts or the reason', () => {
    const done = progressReducer(processing({}), { type: 'snapshot', epoch: 0, snapshot: completedSnapshot() });
    expect(transitionAnnouncement(transition(done), zh)).toBe('客户.csv 处理完成：950 行清洗成功，50 行异常。');
    expect(transitionAnnouncement(transition(ended({ status: 'failed', errorCode: 'CORRUPTED_FILE', errorMessage: null })), zh)).toBe(
      '客户.csv 处理失败：文件已损坏，无法读取。请在 Excel 中打开并重新保存后再试。',
    );
    expect(transitionAnnouncement(transition(ended({ status: 'timeout' })), en)).toBe('客户.csv timed out.');
    expect(transitionAnnouncement(transition(ended({ status: 'cancelled' })), zh)).toBe('客户.csv 已取消。');
    expect(transitionAnnouncement(transition(rejectedState(100, { code: 'EMPTY_FILE', message: null })), zh)).toMatch(/^客户\.csv 上传失败：/);
  });

  it('says nothing for a state that is not an end, or for a card restored after a reload', () => {
    expect(transitionAnnouncement(transition(processing({})), zh)).toBeNull();
    const done = progressReducer(processing({}), { type: 'snapshot', epoch: 0, snapshot: completedSnapshot() });
    expect(transitionAnnouncement(transition(done, true), zh)).toBeNull();
  });
});
