import { useId, useState, type FormEvent } from 'react';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { Pagination } from '../components/Pagination.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { errorInfoFrom } from '../api.js';
import { useResource } from '../hooks.js';
import { useTr } from '../i18n/I18nProvider.js';
import { hrefFor, navigate } from '../router.js';
import { useServices } from '../services-context.js';
import { TASK_STATUSES, type FileListQuery, type FileSortKey, type SortOrder, type TaskStatus } from '../types.js';

const SORT_KEYS: readonly FileSortKey[] = ['uploadedAt', 'originalName', 'size', 'status', 'totalRows'];
const DEFAULT_PAGE_SIZE = 20;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** The list query lives in the hash (`#/files?page=2&status=failed`), so Back and reload keep it. */
export function queryFromParams(params: URLSearchParams): Required<Pick<FileListQuery, 'page' | 'pageSize' | 'sortBy' | 'order'>> & FileListQuery {
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '', 10) || 1);
  const rawSize = Number.parseInt(params.get('pageSize') ?? '', 10);
  const pageSize = Number.isFinite(rawSize) && rawSize > 0 ? Math.min(100, rawSize) : DEFAULT_PAGE_SIZE;
  const status = params.get('status');
  const sortBy = params.get('sortBy');
  const startDate = params.get('startDate');
  const endDate = params.get('endDate');
  return {
    page,
    pageSize,
    status: status && (TASK_STATUSES as readonly string[]).includes(status) ? (status as TaskStatus) : undefined,
    startDate: startDate && DATE_PATTERN.test(startDate) ? startDate : undefined,
    endDate: endDate && DATE_PATTERN.test(endDate) ? endDate : undefined,
    sortBy: sortBy && (SORT_KEYS as readonly string[]).includes(sortBy) ? (sortBy as FileSortKey) : 'uploadedAt',
    order: params.get('order') === 'asc' ? 'asc' : 'desc',
  };
}

function listHref(query: FileListQuery): string {
  return hrefFor(['files'], {
    page: query.page && query.page > 1 ? query.page : undefined,
    pageSize: query.pageSize && query.pageSize !== DEFAULT_PAGE_SIZE ? query.pageSize : undefined,
    status: query.status,
    startDate: query.startDate,
    endDate: query.endDate,
    sortBy: query.sortBy && query.sortBy !== 'uploadedAt' ? query.sortBy : undefined,
    order: query.order && !(query.order === 'desc' && (query.sortBy ?? 'uploadedAt') === 'uploadedAt') ? query.order : undefined,
  });
}

export function FilesPage({ params }: { params: URLSearchParams }) {
  const tr = useTr();
  const { api } = useServices();
  const query = queryFromParams(params);
  const key = JSON.stringify(query);
  const list = useResource(key, (signal) => api.listFiles(query, signal));
  const go = (change: Partial<FileListQuery>) => navigate(listHref({ ...query, ...change }));

  const sortBy = (column: FileSortKey) => {
    const order: SortOrder = query.sortBy === column ? (query.order === 'asc' ? 'desc' : 'asc') : column === 'uploadedAt' ? 'desc' : 'asc';
    go({ sortBy: column, order, page: 1 });
  };

  const columns: { key: FileSortKey; label: string; numeric?: boolean }[] = [
    { key: 'originalName', label: tr.t('files.name') },
    { key: 'status', label: tr.t('files.status') },
    { key: 'size', label: tr.t('files.size'), numeric: true },
    { key: 'totalRows', label: tr.t('files.rows'), numeric: true },
    { key: 'uploadedAt', label: tr.t('files.uploadedAt') },
  ];

  return (
    <>
      {/* Keyed on the URL's filters: Back or reset re-creates the form with the URL's values. */}
      <Filters key={`${query.status ?? ''}|${query.startDate ?? ''}|${query.endDate ?? ''}`} query={query} onApply={(filters) => go({ ...filters, page: 1 })} />
      {list.error && !list.data && <ErrorMessage error={errorInfoFrom(list.error)} onRetry={list.reload} />}
      {list.loading && !list.data && <p className="muted">{tr.t('common.loading')}</p>}
      {list.data && (
        <div aria-busy={list.loading}>
          {list.error && <ErrorMessage error={errorInfoFrom(list.error)} onRetry={list.reload} />}
          <div className="table-scroll" role="region" aria-label={tr.t('files.caption')} tabIndex={0}>
            <table className="table files-table">
              <caption className="visually-hidden">{tr.t('files.caption')}</caption>
              <thead>
                <tr>
                  {columns.map((column) => {
                    const active = query.sortBy === column.key;
                    return (
                      <th
                        key={column.key}
                        scope="col"
                        className={column.numeric ? 'numeric' : undefined}
                        aria-sort={active ? (query.order === 'asc' ? 'ascending' : 'descending') : 'none'}
                      >
                        <button type="button" className="sort-button" onClick={() => sortBy(column.key)} title={tr.t('files.sortBy', { column: column.label })}>
                          {column.label}
                          <span aria-hidden="true" className="sort-icon">
                            {active ? (query.order === 'asc' ? '▲' : '▼') : '↕'}
                          </span>
                        </button>
                      </th>
                    );
                  })}
                </tr>
              </thead>
              <tbody>
                {list.data.files.map((file) => (
                  <tr key={file.id}>
                    <td className="file-name">
                      <a href={hrefFor(['files', file.id])}>{file.originalName}</a>
                    </td>
                    <td>
                      <StatusBadge state={file.status} />
                    </td>
                    <td className="numeric">{tr.bytes(file.size)}</td>
                    {/* Only a completed file has a row count worth showing (a failed one reports 0). */}
                    <td className="numeric">{file.status !== 'completed' || file.totalRows === null ? '—' : tr.number(file.totalRows)}</td>
                    <td className="nowrap">{tr.dateTime(file.uploadedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {list.data.files.length === 0 && <p className="muted">{tr.t('files.empty')}</p>}
          <Pagination
            page={query.page}
            pageSize={query.pageSize}
            total={list.data.total}
            onPage={(page) => go({ page })}
            onPageSize={(pageSize) => go({ pageSize, page: 1 })}
          />
        </div>
      )}
    </>
  );
}

function Filters({ query, onApply }: { query: FileListQuery; onApply(filters: Pick<FileListQuery, 'status' | 'startDate' | 'endDate'>): void }) {
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
