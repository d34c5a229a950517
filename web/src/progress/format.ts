/** Text for the progress bar: visible status line and the bar's aria-valuetext. Framework-free. */
import type { Translator } from '../i18n/translate.js';
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
export function rowsLabel(view: ProgressView, tr: Translator): string | null {
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
