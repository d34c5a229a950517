import { useId, useState, type FormEvent } from 'react';
import { useTr } from '../i18n/I18nProvider.js';
import { TASK_STATUSES, type FileListQuery, type TaskStatus } from '../types.js';

type FilterValues = Pick<FileListQuery, 'status' | 'startDate' | 'endDate'>;

/** Status and upload-date filters; they apply on submit, not on every change. */
export function Filters({ query, onApply }: { query: FileListQuery; onApply(filters: FilterValues): void }) {
  const tr = useTr();
  const ids = { status: useId(), from: useId(), to: useId() };
  const [status, setStatus] = useState(query.status ?? '');
  const [from, setFrom] = useState(query.startDate ?? '');
  const [to, setTo] = useState(query.endDate ?? '');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    onApply({ status: (status || undefined) as TaskStatus | undefined, startDate: from || undefined, endDate: to || undefined });
  };

  return (
    <form className="filters" onSubmit={submit} aria-label={tr.t('files.filters')}>
      <div className="field">
        <label htmlFor={ids.status}>{tr.t('files.status')}</label>
        <select id={ids.status} value={status} onChange={(event) => setStatus(event.target.value)}>
          <option value="">{tr.t('files.allStatuses')}</option>
          {TASK_STATUSES.map((value) => (
            <option key={value} value={value}>
              {tr.t(`state.${value}`)}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.from}>{tr.t('files.from')}</label>
        <input id={ids.from} type="date" value={from} max={to || undefined} onChange={(event) => setFrom(event.target.value)} />
      </div>
      <div className="field">
        <label htmlFor={ids.to}>{tr.t('files.to')}</label>
        <input id={ids.to} type="date" value={to} min={from || undefined} onChange={(event) => setTo(event.target.value)} />
      </div>
      <div className="field field-buttons">
        <button type="submit" className="button button-primary">
          {tr.t('files.apply')}
        </button>
        <button type="button" className="button" onClick={() => onApply({ status: undefined, startDate: undefined, endDate: undefined })}>
          {tr.t('files.reset')}
        </button>
      </div>
    </form>
  );
}
