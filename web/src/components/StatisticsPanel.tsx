import { fieldErrorName } from '../i18n/errors.js';
import { useTr } from '../i18n/I18nProvider.js';
import type { Statistics } from '../types.js';

const TOP_ERRORS = 5;

export function topErrorTypes(errorsByType: Record<string, number> | undefined, limit = TOP_ERRORS): [string, number][] {
  return Object.entries(errorsByType ?? {})
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit);
}

export function StatisticsPanel({ statistics, headingLevel = 3 }: { statistics: Statistics; headingLevel?: 2 | 3 | 4 }) {
  const tr = useTr();
  const Heading = `h${headingLevel}` as const;
  const SubHeading = `h${Math.min(headingLevel + 1, 6)}` as 'h3' | 'h4' | 'h5';
  const errors = topErrorTypes(statistics.errorsByType);
  const time =
    statistics.processingTimeMs < 1000 ? tr.t('time.ms', { ms: tr.number(statistics.processingTimeMs) }) : tr.duration(statistics.processingTimeMs / 1000);
  return (
    <section className="stats" aria-label={tr.t('stats.title')}>
      <Heading className="stats-title">{tr.t('stats.title')}</Heading>
      <dl className="stats-grid">
        <div>
          <dt>{tr.t('stats.total')}</dt>
          <dd>{tr.number(statistics.totalRows)}</dd>
        </div>
        <div>
          <dt>{tr.t('stats.clean')}</dt>
          <dd className="stat-clean">{tr.number(statistics.cleanedRows)}</dd>
        </div>
        <div>
          <dt>{tr.t('stats.exceptions')}</dt>
          <dd className={statistics.exceptionRows > 0 ? 'stat-exceptions' : undefined}>{tr.number(statistics.exceptionRows)}</dd>
        </div>
        <div>
          <dt>{tr.t('stats.time')}</dt>
          <dd>{time}</dd>
        </div>
      </dl>
      <SubHeading className="stats-subtitle">{tr.t('stats.topErrors')}</SubHeading>
      {errors.length === 0 ? (
        <p className="muted">{tr.t('stats.noErrors')}</p>
      ) : (
        <ul className="error-types">
          {errors.map(([type, count]) => (
            <li key={type}>
              <span>{fieldErrorName(type, tr)}</span>
              <span className="error-type-count">{tr.t('stats.errorCount', { count: tr.number(count) })}</span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
