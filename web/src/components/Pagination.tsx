import { useTr } from '../i18n/I18nProvider.js';

const PAGE_SIZES = [20, 50, 100];

/** Which page of a list is shown. A new page size starts again at page 1 (the old page may no longer exist). */
export interface Paging {
  page: number;
  pageSize: number;
}

function pageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, pageSize)));
}

export function Pagination({ page, pageSize, total, onChange }: Paging & { total: number; onChange(next: Paging): void }) {
  const tr = useTr();
  const pages = pageCount(total, pageSize);
  return (
    <nav className="pagination" aria-label={tr.t('common.pagination')}>
      <button type="button" className="button" onClick={() => onChange({ page: page - 1, pageSize })} disabled={page <= 1}>
        {tr.t('common.prev')}
      </button>
      <span className="page-info">{tr.t('common.pageOf', { page: tr.number(page), pages: tr.number(pages), total: tr.number(total) })}</span>
      <button type="button" className="button" onClick={() => onChange({ page: page + 1, pageSize })} disabled={page >= pages}>
        {tr.t('common.next')}
      </button>
      <label className="page-size">
        {tr.t('common.pageSize')}
        <select value={pageSize} onChange={(event) => onChange({ page: 1, pageSize: Number(event.target.value) })}>
          {PAGE_SIZES.map((size) => (
            <option key={size} value={size}>
              {size}
            </option>
          ))}
        </select>
      </label>
    </nav>
  );
}
