/**
 * The paginated previews of a task's clean rows and exception rows. Both share one frame: the
 * first-load states, a scrollable table that starts with the row number (and the sheet when the
 * file has several), the file's columns, a note when the page is empty, and pagination. The
 * exception table adds the reason before the columns and marks every failing cell.
 */
import { useState, type ReactNode } from 'react';
import { ResourceError } from '../components/ErrorMessage.js';
import { Loading } from '../components/Loading.js';
import { Pagination, type Paging } from '../components/Pagination.js';
import { ScrollRegion } from '../components/ScrollRegion.js';
import { useResource } from '../hooks.js';
import { useTr } from '../i18n/I18nProvider.js';
import { useServices } from '../services-context.js';
import type { CleanRow, ExceptionRow, FieldError, Page } from '../types.js';
import { cellClass, cellText, errorsByField } from './cells.js';

const PREVIEW_PAGE_SIZE = 50;

interface PreviewProps {
  jobId: string;
  showSheet: boolean;
}

type RowPosition = Pick<CleanRow, 'rowNumber' | 'sheetName'>;

export function CleanPreview({ jobId, showSheet }: PreviewProps) {
  const tr = useTr();
  const { api } = useServices();
  return (
    <PagedTable
      label={tr.t('detail.cleanTab')}
      resourceKey={`clean-${jobId}`}
      load={(paging, signal) => api.cleanRows(jobId, paging.page, paging.pageSize, signal)}
    >
      {(data) => (
        <>
          <PreviewHead columns={data.columns} showSheet={showSheet} />
          <tbody>
            {data.data.map((row) => (
              <tr key={`${row.sheetName ?? ''}-${row.rowNumber}`}>
                <RowStart row={row} showSheet={showSheet} />
                {data.columns.map((column) => (
                  <ValueCell key={column} text={cellText(row.values[column])} />
                ))}
              </tr>
            ))}
          </tbody>
        </>
      )}
    </PagedTable>
  );
}

export function ExceptionPreview({ jobId, showSheet }: PreviewProps) {
  const tr = useTr();
  const { api } = useServices();
  return (
    <PagedTable
      label={tr.t('detail.exceptionsTab')}
      resourceKey={`exceptions-${jobId}`}
      load={(paging, signal) => api.exceptionRows(jobId, paging.page, paging.pageSize, signal)}
    >
      {(data) => (
        <>
          <PreviewHead columns={data.columns} showSheet={showSheet} withReason />
          <tbody>
            {data.data.map((row) => {
              const failing = errorsByField(row.errors);
              return (
                <tr key={`${row.sheetName ?? ''}-${row.rowNumber}`}>
                  <RowStart row={row} showSheet={showSheet} />
                  <td className="reason">{row.reason}</td>
                  {data.columns.map((column) => {
                    const text = cellText(row.originalData[column]);
                    const errors = failing.get(column);
                    return errors ? <FailingCell key={column} text={text} errors={errors} /> : <ValueCell key={column} text={text} />;
                  })}
                </tr>
              );
            })}
          </tbody>
        </>
      )}
    </PagedTable>
  );
}

/** The frame both previews share; `children` renders the table's head and body for one page. */
function PagedTable<Row extends CleanRow | ExceptionRow>({
  label,
  resourceKey,
  load,
  children,
}: {
  label: string;
  resourceKey: string;
  load(paging: Paging, signal: AbortSignal): Promise<Page<Row>>;
  children(data: Page<Row>): ReactNode;
}) {
  const tr = useTr();
  const [paging, setPaging] = useState<Paging>({ page: 1, pageSize: PREVIEW_PAGE_SIZE });
  const resource = useResource(`${resourceKey}-${paging.page}-${paging.pageSize}`, (signal) => load(paging, signal));
  const data = resource.data;
  if (!data) return resource.error ? <ResourceError resource={resource} /> : <Loading />;
  return (
    <div aria-busy={resource.loading}>
      <ScrollRegion label={label}>
        <table className="table data-table">{children(data)}</table>
      </ScrollRegion>
      {data.data.length === 0 && <p className="muted">{tr.t('detail.noRows')}</p>}
      <Pagination {...paging} total={data.total} onChange={setPaging} />
    </div>
  );
}

function PreviewHead({ columns, showSheet, withReason = false }: { columns: string[]; showSheet: boolean; withReason?: boolean }) {
  const tr = useTr();
  return (
    <thead>
      <tr>
        <th scope="col" className="numeric">
          {tr.t('detail.rowNumber')}
        </th>
        {showSheet && <th scope="col">{tr.t('detail.sheet')}</th>}
        {/* The reason first: in a wide table the last column is off-screen, and the reason is what people look for. */}
        {withReason && <th scope="col">{tr.t('detail.reason')}</th>}
        {columns.map((column) => (
          <th key={column} scope="col">
            {column}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/** The row header (its number in the file) and, for multi-sheet files, the sheet. */
function RowStart({ row, showSheet }: { row: RowPosition; showSheet: boolean }) {
  return (
    <>
      <th scope="row" className="numeric">
        {row.rowNumber}
      </th>
      {showSheet && <td>{row.sheetName ?? ''}</td>}
    </>
  );
}

function ValueCell({ text }: { text: string }) {
  return <td className={cellClass(text)}>{text}</td>;
}

/** A cell that failed: marked by a sign and colour, the reasons in its tooltip and, for screen readers, in its text. */
function FailingCell({ text, errors }: { text: string; errors: FieldError[] }) {
  const tr = useTr();
  const message = errors.map((error) => error.message).join('；');
  return (
    <td className={cellClass(text, 'cell-error')} title={message}>
      <span aria-hidden="true" className="cell-error-mark">
        ⚠{' '}
      </span>
      {text}
      <span className="visually-hidden">{` (${tr.t('detail.cellError', { message })})`}</span>
    </td>
  );
}
