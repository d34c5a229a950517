import { useEffect, useId, useRef, useState, type KeyboardEvent } from 'react';
import { errorInfoFrom } from '../api.js';
import { Downloads } from '../components/Downloads.js';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { Pagination } from '../components/Pagination.js';
import { StatisticsPanel } from '../components/StatisticsPanel.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { useResource } from '../hooks.js';
import { useTr } from '../i18n/I18nProvider.js';
import { hrefFor, navigate } from '../router.js';
import { useServices } from '../services-context.js';
import { isFinalStatus, type FieldError, type FileSummary } from '../types.js';

const PREVIEW_PAGE_SIZE = 50;
const RUNNING_REFRESH_MS = 3000;

type CellValue = string | number | boolean | null | undefined;

export function cellText(value: CellValue): string {
  return value === null || value === undefined ? '' : String(value);
}

/** Longer values wrap inside a bounded column; shorter ones stay on one line (the table scrolls sideways). */
const LONG_CELL_CHARS = 24;

export function cellClass(text: string, base?: string): string | undefined {
  const classes = [base, text.length > LONG_CELL_CHARS ? 'cell-long' : undefined].filter(Boolean);
  return classes.length > 0 ? classes.join(' ') : undefined;
}

export function FileDetailPage({ fileId }: { fileId: string }) {
  const tr = useTr();
  const { api, board } = useServices();
  const detail = useResource(`file-${fileId}`, (signal) => api.getFile(fileId, signal));
  const file = detail.data?.file ?? null;
  const running = file !== null && !isFinalStatus(file.status);
  const { reload } = detail;

  // While the task runs, the summary refreshes itself; the live bar is on the upload page.
  useEffect(() => {
    if (!running) return;
    const timer = window.setInterval(reload, RUNNING_REFRESH_MS);
    return () => window.clearInterval(timer);
  }, [running, reload]);

  if (detail.error && !detail.data) {
    const notFound = detail.error.status === 404;
    return (
      <>
        {notFound ? <p>{tr.t('detail.notFound')}</p> : <ErrorMessage error={errorInfoFrom(detail.error)} onRetry={detail.reload} />}
        <p>
          <a href={hrefFor(['files'])}>{tr.t('common.back')}</a>
        </p>
      </>
    );
  }
  if (!detail.data || !file) return <p className="muted">{tr.t('common.loading')}</p>;

  const statistics = detail.data.statistics;
  const multiSheet = (statistics?.sheets.length ?? 0) > 1;
  const track = () => {
    board.track({ taskId: file.jobId, fileId: file.id, fileName: file.originalName, size: file.size });
    navigate(hrefFor(['upload']));
  };

  return (
    <>
      <p>
        <a href={hrefFor(['files'])}>← {tr.t('common.back')}</a>
      </p>
      <FileInfo file={file} />
      {file.errorCode && file.status !== 'completed' && <ErrorMessage error={{ code: file.errorCode, message: file.errorMessage }} />}
      {running && (
        <p>
          <button type="button" className="button button-primary" onClick={track}>
            {tr.t('detail.track')}
          </button>
        </p>
      )}
      {statistics && <StatisticsPanel statistics={statistics} headingLevel={2} />}
      {file.status === 'completed' && (
        <>
          <h2>{tr.t('downloads.title')}</h2>
          <Downloads jobId={file.jobId} fileName={file.originalName} />
          <DataTabs jobId={file.jobId} showSheet={multiSheet} />
        </>
      )}
      {file.status !== 'completed' && <p className="muted">{tr.t('detail.notReady')}</p>}
    </>
  );
}

function FileInfo({ file }: { file: FileSummary }) {
  const tr = useTr();
  return (
    <section aria-labelledby="file-info-heading">
      <h2 id="file-info-heading" className="file-heading">
        {file.originalName}
      </h2>
      <dl className="info-grid">
        <div>
          <dt>{tr.t('files.status')}</dt>
          <dd>
            <StatusBadge state={file.status} />
          </dd>
        </div>
        <div>
          <dt>{tr.t('files.size')}</dt>
          <dd>{tr.bytes(file.size)}</dd>
        </div>
        <div>
          <dt>{tr.t('detail.type')}</dt>
          <dd>{file.fileType.toUpperCase()}</dd>
        </div>
        <div>
          <dt>{tr.t('files.uploadedAt')}</dt>
          <dd>{tr.dateTime(file.uploadedAt)}</dd>
        </div>
        <div>
          <dt>{tr.t('detail.startedAt')}</dt>
          <dd>{tr.dateTime(file.startedAt)}</dd>
        </div>
        <div>
          <dt>{tr.t('detail.completedAt')}</dt>
          <dd>{tr.dateTime(file.completedAt)}</dd>
        </div>
        <div className="info-wide">
          <dt>{tr.t('detail.jobId')}</dt>
          <dd className="mono">{file.jobId}</dd>
        </div>
      </dl>
    </section>
  );
}

type TabKey = 'clean' | 'exceptions';
const TABS: TabKey[] = ['clean', 'exceptions'];

/** Accessible tabs (arrow keys move between them) over the two paginated previews. */
function DataTabs({ jobId, showSheet }: { jobId: string; showSheet: boolean }) {
  const tr = useTr();
  const baseId = useId();
  const [tab, setTab] = useState<TabKey>('clean');
  const tabRefs = useRef<Partial<Record<TabKey, HTMLButtonElement | null>>>({});

  const onKeyDown = (event: KeyboardEvent) => {
    if (event.key !== 'ArrowRight' && event.key !== 'ArrowLeft' && event.key !== 'Home' && event.key !== 'End') return;
    event.preventDefault();
    const index = TABS.indexOf(tab);
    const nextIndex =
      event.key === 'Home' ? 0 : event.key === 'End' ? TABS.length - 1 : (index + (event.key === 'ArrowRight' ? 1 : -1) + TABS.length) % TABS.length;
    const next = TABS[nextIndex];
    setTab(next);
    tabRefs.current[next]?.focus();
  };

  return (
    <section className="data-tabs" aria-label={tr.t('detail.tabs')}>
      <div role="tablist" aria-label={tr.t('detail.tabs')} className="tablist" onKeyDown={onKeyDown}>
        {TABS.map((key) => (
          <button
            key={key}
            ref={(element) => {
              tabRefs.current[key] = element;
            }}
            type="button"
            role="tab"
            id={`${baseId}-tab-${key}`}
            aria-selected={tab === key}
            aria-controls={`${baseId}-panel-${key}`}
            tabIndex={tab === key ? 0 : -1}
            className="tab"
            onClick={() => setTab(key)}
          >
            {tr.t(key === 'clean' ? 'detail.cleanTab' : 'detail.exceptionsTab')}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${baseId}-panel-${tab}`} aria-labelledby={`${baseId}-tab-${tab}`} className="tabpanel">
        {tab === 'clean' ? <CleanPreview jobId={jobId} showSheet={showSheet} /> : <ExceptionPreview jobId={jobId} showSheet={showSheet} />}
      </div>
    </section>
  );
}

function usePagedRows<T>(kind: TabKey, jobId: string, load: (page: number, pageSize: number, signal: AbortSignal) => Promise<T>) {
  const [page, setPage] = useState(1);
  const [pageSize, setPageSize] = useState(PREVIEW_PAGE_SIZE);
  const resource = useResource(`${kind}-${jobId}-${page}-${pageSize}`, (signal) => load(page, pageSize, signal));
  return { page, pageSize, setPage, setPageSize, resource };
}

function CleanPreview({ jobId, showSheet }: { jobId: string; showSheet: boolean }) {
  const tr = useTr();
  const { api } = useServices();
  const { page, pageSize, setPage, setPageSize, resource } = usePagedRows('clean', jobId, (p, size, signal) => api.cleanRows(jobId, p, size, signal));
  const data = resource.data;
  if (resource.error && !data) return <ErrorMessage error={errorInfoFrom(resource.error)} onRetry={resource.reload} />;
  if (!data) return <p className="muted">{tr.t('common.loading')}</p>;
  return (
    <div aria-busy={resource.loading}>
      <div className="table-scroll" role="region" aria-label={tr.t('detail.cleanTab')} tabIndex={0}>
        <table className="table data-table">
          <thead>
            <tr>
              <th scope="col" className="numeric">
                {tr.t('detail.rowNumber')}
              </th>
              {showSheet && <th scope="col">{tr.t('detail.sheet')}</th>}
              {data.columns.map((column) => (
                <th key={column} scope="col">
                  {column}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.data.map((row) => (
              <tr key={`${row.sheetName ?? ''}-${row.rowNumber}`}>
                <th scope="row" className="numeric">
                  {row.rowNumber}
                </th>
                {showSheet && <td>{row.sheetName ?? ''}</td>}
                {data.columns.map((column) => {
                  const text = cellText(row.values[column]);
                  return (
                    <td key={column} className={cellClass(text)}>
                      {text}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data.data.length === 0 && <p className="muted">{tr.t('detail.noRows')}</p>}
      <Pagination
        page={page}
        pageSize={pageSize}
        total={data.total}
        onPage={setPage}
        onPageSize={(size) => {
          setPageSize(size);
          setPage(1);
        }}
      />
    </div>
  );
}

/** Groups a row's field errors by column, so each failing cell can be marked. */
export function errorsByField(errors: readonly FieldError[]): Map<string, FieldError[]> {
  const byField = new Map<string, FieldError[]>();
  for (const error of errors) {
    const list = byField.get(error.field);
    if (list) list.push(error);
    else byField.set(error.field, [error]);
  }
  return byField;
}

function ExceptionPreview({ jobId, showSheet }: { jobId: string; showSheet: boolean }) {
  const tr = useTr();
  const { api } = useServices();
  const { page, pageSize, setPage, setPageSize, resource } = usePagedRows('exceptions', jobId, (p, size, signal) => api.exceptionRows(jobId, p, size, signal));
  const data = resource.data;
  if (resource.error && !data) return <ErrorMessage error={errorInfoFrom(resource.error)} onRetry={resource.reload} />;
  if (!data) return <p className="muted">{tr.t('common.loading')}</p>;
  return (
    <div aria-busy={resource.loading}>
      <div className="table-scroll" role="region" aria-label={tr.t('detail.exceptionsTab')} tabIndex={0}>
        <table className="table data-table">
          <thead>
            <tr>
              <th scope="col" className="numeric">
                {tr.t('detail.rowNumber')}
              </th>
              {showSheet && <th scope="col">{tr.t('detail.sheet')}</th>}
              {/* The reason first: in a wide table the last column is off-screen, and the reason is what people look for. */}
              <th scope="col">{tr.t('detail.reason')}</th>
              {data.columns.map((column) => (
                <th key={column} scope="col">
                  {column}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.data.map((row) => {
              const failing = errorsByField(row.errors);
              return (
                <tr key={`${row.sheetName ?? ''}-${row.rowNumber}`}>
                  <th scope="row" className="numeric">
                    {row.rowNumber}
                  </th>
                  {showSheet && <td>{row.sheetName ?? ''}</td>}
                  <td className="reason">{row.reason}</td>
                  {data.columns.map((column) => {
                    const cellErrors = failing.get(column);
                    const value = cellText(row.originalData[column]);
                    if (!cellErrors) {
                      return (
                        <td key={column} className={cellClass(value)}>
                          {value}
                        </td>
                      );
                    }
                    const message = cellErrors.map((error) => error.message).join('；');
                    return (
                      <td key={column} className={cellClass(value, 'cell-error')} title={message}>
                        <span aria-hidden="true" className="cell-error-mark">
                          ⚠{' '}
                        </span>
                        {value}
                        <span className="visually-hidden">{` (${tr.t('detail.cellError', { message })})`}</span>
                      </td>
                    );
                  })}
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {data.data.length === 0 && <p className="muted">{tr.t('detail.noRows')}</p>}
      <Pagination
        page={page}
        pageSize={pageSize}
        total={data.total}
        onPage={setPage}
        onPageSize={(size) => {
          setPageSize(size);
          setPage(1);
        }}
      />
    </div>
  );
}
