import { ScrollRegion } from '../components/ScrollRegion.js';
import { StatusBadge } from '../components/StatusBadge.js';
import { useTr } from '../i18n/I18nProvider.js';
import { hrefFor } from '../router.js';
import type { FileSortKey, FileSummary } from '../types.js';
import type { ListQuery } from './listQuery.js';

interface Column {
  key: FileSortKey;
  label: string;
  numeric?: boolean;
}

/** One page of the file list; every column header sorts on the server. */
export function FilesTable({ files, query, onSort }: { files: FileSummary[]; query: ListQuery; onSort(column: FileSortKey): void }) {
  const tr = useTr();
  const columns: Column[] = [
    { key: 'originalName', label: tr.t('files.name') },
    { key: 'status', label: tr.t('files.status') },
    { key: 'size', label: tr.t('files.size'), numeric: true },
    { key: 'totalRows', label: tr.t('files.rows'), numeric: true },
    { key: 'uploadedAt', label: tr.t('files.uploadedAt') },
  ];
  return (
    <ScrollRegion label={tr.t('files.caption')}>
      <table className="table files-table">
        <caption className="visually-hidden">{tr.t('files.caption')}</caption>
        <thead>
          <tr>
            {columns.map((column) => (
              <SortHeader key={column.key} column={column} query={query} onSort={onSort} />
            ))}
          </tr>
        </thead>
        <tbody>
          {files.map((file) => (
            <FileRow key={file.id} file={file} />
          ))}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

function SortHeader({ column, query, onSort }: { column: Column; query: ListQuery; onSort(column: FileSortKey): void }) {
  const tr = useTr();
  const active = query.sortBy === column.key;
  return (
    <th scope="col" className={column.numeric ? 'numeric' : undefined} aria-sort={active ? (query.order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="sort-button" onClick={() => onSort(column.key)} title={tr.t('files.sortBy', { column: column.label })}>
        {column.label}
        <span aria-hidden="true" className="sort-icon">
          {active ? (query.order === 'asc' ? '▲' : '▼') : '↕'}
        </span>
      </button>
    </th>
  );
}

function FileRow({ file }: { file: FileSummary }) {
  const tr = useTr();
  return (
    <tr>
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
  );
}
