import { useEffect, useRef, useState } from 'react';
import { errorInfoFrom, toApiError, type ApiError } from '../api.js';
import { useAnnounce } from '../components/Announcer.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { useAuth } from '../hooks.js';
import { describeError, type ErrorInfo } from '../i18n/errors.js';
import { useTr } from '../i18n/I18nProvider.js';
import { useServices } from '../services-context.js';
import type { QueueCounts, QueueStats, RecentFailure } from '../types.js';
import { LineChart } from './LineChart.js';
import { appendSample, type Sample } from './series.js';

export const OPS_REFRESH_MS = 5000;
const COUNT_KEYS: (keyof QueueCounts)[] = ['waiting', 'active', 'completed', 'failed', 'delayed', 'paused'];

interface History {
  rowsPerSecond: Sample[];
  errorRatePercent: Sample[];
}

/** Queue statistics every 5 s; the charts cover the time this page has been open. */
export function OpsPage() {
  const tr = useTr();
  const { api } = useServices();
  const announce = useAnnounce();
  const { revision } = useAuth();
  const [stats, setStats] = useState<QueueStats | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [history, setHistory] = useState<History>({ rowsPerSecond: [], errorRatePercent: [] });
  const [retrying, setRetrying] = useState<Record<string, boolean>>({});
  const [retryErrors, setRetryErrors] = useState<Record<string, ErrorInfo>>({});
  const refreshNow = useRef<() => void>(() => {});

  useEffect(() => {
    let timer: number | undefined;
    let controller: AbortController | null = null;
    let stopped = false;
    const refresh = () => {
      window.clearTimeout(timer);
      controller?.abort();
      const current = new AbortController();
      controller = current;
      api
        .queueStats(current.signal)
        .then(
          (next) => {
            if (current.signal.aborted) return;
            setStats(next);
            setError(null);
            const time = Date.parse(next.timestamp) || Date.now();
            setHistory((previous) => ({
              rowsPerSecond: appendSample(previous.rowsPerSecond, { time, value: next.throughput.rowsPerSecond }),
              errorRatePercent: appendSample(previous.errorRatePercent, { time, value: next.errorRate * 100 }),
            }));
          },
          (failure: unknown) => {
            if (!current.signal.aborted) setError(toApiError(failure));
          },
        )
        .finally(() => {
          if (!stopped && !current.signal.aborted) timer = window.setTimeout(refresh, OPS_REFRESH_MS);
        });
    };
    refreshNow.current = refresh;
    refresh();
    return () => {
      stopped = true;
      window.clearTimeout(timer);
      controller?.abort();
    };
  }, [api, revision]);

  const retry = (failure: RecentFailure) => {
    setRetrying((state) => ({ ...state, [failure.taskId]: true }));
    setRetryErrors(({ [failure.taskId]: _dropped, ...rest }) => rest);
    api
      .retryTask(failure.taskId)
      .then(
        () => {
          announce(tr.t('ops.retried', { name: failure.fileName ?? failure.taskId }));
          refreshNow.current();
        },
        (failed: unknown) => setRetryErrors((state) => ({ ...state, [failure.taskId]: errorInfoFrom(failed) })),
      )
      .finally(() => setRetrying(({ [failure.taskId]: _dropped, ...rest }) => rest));
  };

  return (
    <>
      <p className="muted">{tr.t('ops.refreshNote')}</p>
      {error && <ErrorMessage error={errorInfoFrom(error)} prefix={tr.t('ops.unavailable')} onRetry={() => refreshNow.current()} />}
      {!stats && !error && <p className="muted">{tr.t('common.loading')}</p>}
      {stats && (
        <>
          <section aria-labelledby="ops-counts">
            <h2 id="ops-counts">{tr.t('ops.counts')}</h2>
            <dl className="counts">
              {COUNT_KEYS.map((key) => (
                <div key={key} className={`count count-${key}`}>
                  <dt>{tr.t(`ops.count.${key}`)}</dt>
                  <dd>{tr.number(stats.counts[key] ?? 0)}</dd>
                </div>
              ))}
              <div className="count count-workers">
                <dt>{tr.t('ops.workers')}</dt>
                <dd>{tr.number(stats.workers)}</dd>
              </div>
              <div className="count">
                <dt>{tr.t('ops.jobsPerMinute')}</dt>
                <dd>{tr.number(stats.throughput.jobsPerMinute, 1)}</dd>
              </div>
            </dl>
            <p className="muted small">{tr.t('ops.lastUpdated', { time: tr.dateTime(stats.timestamp) })}</p>
          </section>
          <div className="charts">
            <LineChart title={tr.t('ops.throughput')} series={history.rowsPerSecond} format={(value) => tr.number(value, value < 10 ? 1 : 0)} tone="blue" />
            <LineChart title={tr.t('ops.errorRate')} series={history.errorRatePercent} format={(value) => tr.number(value, 1)} tone="red" />
          </div>
          <section aria-labelledby="ops-failures">
            <h2 id="ops-failures">{tr.t('ops.failures')}</h2>
            {stats.recentFailures.length === 0 ? (
              <p className="muted">{tr.t('ops.noFailures')}</p>
            ) : (
              <div className="table-scroll" role="region" aria-label={tr.t('ops.failures')} tabIndex={0}>
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
                    {stats.recentFailures.map((failure) => {
                      const reason = describeError({ code: failure.errorCode ?? 'INTERNAL_ERROR', message: failure.errorMessage }, tr);
                      const name = failure.fileName ?? failure.taskId;
                      const retryError = retryErrors[failure.taskId];
                      return (
                        <tr key={failure.taskId}>
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
                            <button
                              type="button"
                              className="button"
                              disabled={retrying[failure.taskId] === true}
                              onClick={() => retry(failure)}
                              aria-label={tr.t('card.retryLabel', { name })}
                            >
                              {retrying[failure.taskId] ? tr.t('card.retrying') : tr.t('card.retry')}
                            </button>
                          </td>
                        </tr>
                      );
                    })}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
      <p>
        <a className="button button-link" href={api.adminUrl()} target="_blank" rel="noopener noreferrer">
          {tr.t('ops.dashboard')} ↗
        </a>
      </p>
    </>
  );
}
