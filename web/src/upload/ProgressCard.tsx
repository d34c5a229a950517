import { useId } from 'react';
import { Downloads } from '../components/Downloads.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { StatisticsPanel } from '../components/StatisticsPanel.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { useTr } from '../i18n/I18nProvider.js';
import type { CardModel } from '../progress/board.js';
import { describeProgress, progressParts, stateLabel } from '../progress/format.js';
import type { ProgressView } from '../progress/machine.js';
import { hrefFor } from '../router.js';

interface ProgressCardProps {
  card: CardModel;
  onCancel(id: string): void;
  onRetry(id: string): void;
  onRemove(id: string): void;
}

/** One upload: the bar, its status line, the error or the result, and the actions. */
export function ProgressCard({ card, onCancel, onRetry, onRemove }: ProgressCardProps) {
  const tr = useTr();
  const titleId = useId();
  const { view, progress, fileName } = card;
  return (
    <article className={`card card-${view.state}`} aria-labelledby={titleId}>
      <header className="card-header">
        <h3 id={titleId} className="card-title" title={fileName}>
          {fileName}
        </h3>
        <span className="card-size">{tr.bytes(card.size)}</span>
        <StatusBadge state={view.state} label={stateLabel(view, tr)} />
      </header>

      {view.showBar && <ProgressBar view={view} fileName={fileName} />}
      <StatusLine view={view} />

      {view.error && <ErrorMessage error={view.error} />}
      {view.actionError && <ErrorMessage error={view.actionError} prefix={tr.t('card.actionFailed', { reason: '' }).trim()} />}

      {view.statistics && view.state === 'completed' && <StatisticsPanel statistics={view.statistics} headingLevel={4} />}
      {view.downloadsReady && progress.taskId && <Downloads jobId={progress.taskId} fileName={fileName} />}

      <CardActions card={card} onCancel={onCancel} onRetry={onRetry} onRemove={onRemove} />
    </article>
  );
}

function ProgressBar({ view, fileName }: { view: ProgressView; fileName: string }) {
  const tr = useTr();
  return (
    <div
      className={`bar bar-${view.state}${view.indeterminate ? ' bar-indeterminate' : ''}`}
      role="progressbar"
      aria-label={tr.t('progress.label', { name: fileName })}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={view.indeterminate ? undefined : view.percent}
      aria-valuetext={describeProgress(view, tr)}
    >
      <div key={view.barKey} className="bar-fill" style={{ width: `${view.indeterminate ? 0 : view.percent}%` }} />
    </div>
  );
}

/** Phase, rows, ETA and the live/polling connection; the state itself is in the badge. */
function StatusLine({ view }: { view: ProgressView }) {
  const tr = useTr();
  const parts = progressParts(view, tr).slice(1);
  const showConnection = view.connection !== null && !view.final;
  if (parts.length === 0 && !showConnection) return null;
  return (
    <p className="status-line">
      {parts.map((part, index) => (
        <span key={index} className="status-part">
          {part}
        </span>
      ))}
      {showConnection && <span className="status-part connection">{tr.t(view.connection === 'sse' ? 'progress.live' : 'progress.polling')}</span>}
    </p>
  );
}

/** Cancel and retry (disabled while either is in flight), the file's detail page, and remove. */
function CardActions({ card, onCancel, onRetry, onRemove }: ProgressCardProps) {
  const tr = useTr();
  const { view, progress, fileName } = card;
  return (
    <div className="card-actions">
      {(view.canCancel || view.busy === 'cancel') && (
        <button
          type="button"
          className="button"
          onClick={() => onCancel(card.id)}
          disabled={view.busy !== null}
          aria-label={tr.t('card.cancelLabel', { name: fileName })}
        >
          {view.busy === 'cancel' ? tr.t('card.cancelling') : tr.t('card.cancel')}
        </button>
      )}
      {(view.canRetry || view.busy === 'retry') && (
        <button
          type="button"
          className={view.retrySuggested ? 'button button-primary' : 'button'}
          onClick={() => onRetry(card.id)}
          disabled={view.busy !== null}
          aria-label={tr.t('card.retryLabel', { name: fileName })}
        >
          {view.busy === 'retry' ? tr.t('card.retrying') : tr.t('card.retry')}
        </button>
      )}
      {progress.fileId && progress.state !== 'rejected' && (
        <a className="button button-link" href={hrefFor(['files', progress.fileId])}>
          {tr.t('card.details')}
        </a>
      )}
      {view.canRemove && (
        <button type="button" className="button button-quiet" onClick={() => onRemove(card.id)} aria-label={tr.t('card.removeLabel', { name: fileName })}>
          {tr.t('card.remove')}
        </button>
      )}
    </div>
  );
}
