import { ResourceError } from '../components/ErrorMessage.js';
import { Loading } from '../components/Loading.js';
import { useTr } from '../i18n/I18nProvider.js';
import { useServices } from '../services-context.js';
import { LineChart } from './LineChart.js';
import { QueueCounts } from './QueueCounts.js';
import { RecentFailures } from './RecentFailures.js';
import { useQueueStats } from './useQueueStats.js';

/** Queue statistics every 5 s; the charts cover the time this page has been open. */
export function OpsPage() {
  const tr = useTr();
  const { api } = useServices();
  const { stats, history } = useQueueStats();
  return (
    <>
      <p className="muted">{tr.t('ops.refreshNote')}</p>
      <ResourceError resource={stats} prefix={tr.t('ops.unavailable')} />
      {!stats.data && !stats.error && <Loading />}
      {stats.data && (
        <>
          <QueueCounts stats={stats.data} />
          <div className="charts">
            <LineChart title={tr.t('ops.throughput')} series={history.rowsPerSecond} format={(value) => tr.number(value, value < 10 ? 1 : 0)} tone="blue" />
            <LineChart title={tr.t('ops.errorRate')} series={history.errorRatePercent} format={(value) => tr.number(value, 1)} tone="red" />
          </div>
          <RecentFailures failures={stats.data.recentFailures} onRetried={stats.reload} />
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
