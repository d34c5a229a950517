import { useTr } from '../i18n/I18nProvider.js';
import type { QueueCounts as Counts, QueueStats } from '../types.js';

const COUNT_KEYS: (keyof Counts)[] = ['waiting', 'active', 'completed', 'failed', 'delayed', 'paused'];

/** Jobs per queue state, live workers and jobs per minute, with the time of the answer. */
export function QueueCounts({ stats }: { stats: QueueStats }) {
  const tr = useTr();
  return (
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
  );
}
