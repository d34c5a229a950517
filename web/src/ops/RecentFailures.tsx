import { StatusBadge } from '../components/StatusBadge.js';
import { ScrollRegion } from '../components/ScrollRegion.js';
import { useAnnounce } from '../components/Announcer.js';
import { describeError, storedError } from '../i18n/errors.js';
import { useTr } from '../i18n/I18nProvider.js';
import type { RecentFailure } from '../types.js';
import { useTaskRetries, type TaskRetries } from './useTaskRetries.js';

/** The latest failed tasks with the reason, each with a retry button; `onRetried` refreshes the page. */
export function RecentFailures({ failures, onRetried }: { failures: RecentFailure[]; onRetried(): void }) {
  const tr = useTr();
  const announce = useAnnounce();
  const retries = useTaskRetries((failure) => {
    announce(tr.t('ops.retried', { name: failure.fileName ?? failure.taskId }));
    onRetried();
  });
  return (
    <section aria-labelledby="ops-failures">
      <h2 id="ops-failures">{tr.t('ops.failures')}</h2>
      {failures.length === 0 ? (
        <p className="muted">{tr.t('ops.noFailures')}</p>
      ) : (
        <ScrollRegion label={tr.t('ops.failures')}>
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{tr.t('files.name')}</th>
                <th scope="col">{tr.t('files.status')}</th>
                <th scope="col">{tr.t('ops.error')}</th>
                <th scope="col">{tr.t('ops.failedAt')}</th>
                <th scope="col">{tr.t('ops.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {failures.map((failure) => (
                <FailureRow key={failure.taskId} failure={failure} retries={retries} />
              ))}
            </tbody>
          </table>
        </ScrollRegion>
      )}
    </section>
  );
}

function FailureRow({ failure, retries }: { failure: RecentFailure; retries: TaskRetries }) {
  const tr = useTr();
  const reason = describeError(storedError(failure), tr);
  const name = failure.fileName ?? failure.taskId;
  const retryError = retries.errorOf(failure.taskId);
  const busy = retries.isRetrying(failure.taskId);
  return (
    <tr>
      <td className="file-name">{name}</td>
      <td>
        <StatusBadge state={failure.status} />
      </td>
      <td className="wide-text">
        <span>{reason.friendly}</span>
        {reason.server && (
          <span className="error-server block" lang="zh-CN">
            {reason.server}
          </span>
        )}
        {retryError && <span className="error-server block">{describeError(retryError, tr).friendly}</span>}
      </td>
      <td className="nowrap">{tr.dateTime(failure.failedAt)}</td>
      <td>
        <button type="button" className="button" disabled={busy} onClick={() => retries.retry(failure)} aria-label={tr.t('card.retryLabel', { name })}>
          {busy ? tr.t('card.retrying') : tr.t('card.retry')}
        </button>
      </td>
    </tr>
  );
}
