/** Text for the progress bar (visible status line, aria-valuetext) and the news of a card's end. Framework-free. */
import { describeError } from '../i18n/errors.js';
import type { Translator } from '../i18n/translate.js';
import type { CardTransition } from './board.js';
import type { ProgressView } from './machine.js';

/** "约 6 秒" style remaining time; null when the server has no estimate (or sends nonsense). */
export function formatEta(seconds: number | null | undefined, tr: Translator): string | null {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return null;
  if (seconds < 1) return tr.t('progress.etaSoon');
  return tr.t('progress.eta', { time: tr.duration(seconds) });
}

/** Name of the state, or of the current phase while processing (解析中/清洗中/…). */
export function stateLabel(view: ProgressView, tr: Translator): string {
  if (view.resumed) return tr.t('state.resuming');
  if (view.state === 'processing' && view.phase) return tr.t(`phase.${view.phase}`);
  return tr.t(`state.${view.state}`);
}

/** "420,000 / 约 1,000,000 行" — or null before any row is known. */
function rowsLabel(view: ProgressView, tr: Translator): string | null {
  if (view.stage === 'upload') return null;
  if (view.totalRows !== null && view.totalRows > 0) {
    const params = { processed: tr.number(view.processedRows), total: tr.number(view.totalRows) };
    return tr.t(view.totalIsEstimate ? 'progress.rowsEstimate' : 'progress.rows', params);
  }
  return view.processedRows > 0 ? tr.t('progress.rowsOnly', { processed: tr.number(view.processedRows) }) : null;
}

/** All parts of the status line, in reading order. */
export function progressParts(view: ProgressView, tr: Translator): string[] {
  const parts = [stateLabel(view, tr)];
  // A rejected upload never became a task: a percentage would only confuse.
  if (view.showBar && (!view.indeterminate || view.final)) parts.push(`${view.percent}%`);
  if (view.stage === 'upload' && view.state === 'uploading') {
    parts.push(tr.t('progress.upload', { loaded: tr.bytes(view.uploadLoaded), total: tr.bytes(view.uploadTotal) }));
  }
  const rows = rowsLabel(view, tr);
  if (rows) parts.push(rows);
  if (!view.final) {
    const eta = formatEta(view.etaSeconds, tr);
    if (eta && view.state === 'processing') parts.push(eta);
  }
  if (view.attempts !== null && view.attempts > 1) parts.push(tr.t('progress.attempt', { attempt: view.attempts }));
  return parts;
}

/** One sentence for screen readers (aria-valuetext). */
export function describeProgress(view: ProgressView, tr: Translator): string {
  return progressParts(view, tr).join(tr.lang === 'zh' ? '，' : ', ');
}

/**
 * What screen readers hear when a card reaches an end state (completed, failed, timeout,
 * cancelled, rejected); null for other states and for cards restored after a reload (old news).
 */
export function transitionAnnouncement({ card, wasResumed }: CardTransition, tr: Translator): string | null {
  if (wasResumed) return null;
  const name = card.fileName;
  const { state, statistics, error } = card.view;
  const reason = error ? describeError(error, tr).friendly : '';
  switch (state) {
    case 'completed':
      return tr.t('announce.completed', { name, clean: tr.number(statistics?.cleanedRows ?? 0), exceptions: tr.number(statistics?.exceptionRows ?? 0) });
    case 'failed':
      return tr.t('announce.failed', { name, reason });
    case 'timeout':
      return tr.t('announce.timeout', { name });
    case 'cancelled':
      return tr.t('announce.cancelled', { name });
    case 'rejected':
      return tr.t('announce.rejected', { name, reason });
    default:
      return null;
  }
}
