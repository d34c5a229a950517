import { useTr } from '../i18n/I18nProvider.js';

const PAGE_SIZES = [20, 50, 100];

export function pageCount(total: number, pageSize: number): number {
  return Math.max(1, Math.ceil(total / Math.max(1, pageSize)));
}

export function Pagination({
  page,
  pageSize,
  total,
  onPage,
  onPageSize,
  label,
}: {
  page: number;
  pageSize: number;
  total: number;
  onPage(page: number): void;
  onPageSize?(pageSize: number): void;
  label?: string;
}) {
  const tr = useTr();
  const pages = pageCount(total, pageSize);
  return (
    <nav className="pagination" aria-label={label ?? tr.t('common.pagination')}>
      <button type="button" className="button" onClick={() => onPage(page - 1)} disabled={page <= 1}>
        {tr.t('common.prev')}
      </button>
      <span className="page-info">{tr.t('common.pageOf', { page: tr.number(page), pages: tr.number(pages), total: tr.number(total) })}</span>
      <button type="button" className="button" onClick={() => onPage(page + 1)} disabled={page >= pages}>
        {tr.t('common.next')}
      </button>
      {onPageSize && (
        <label className="page-size">
          {tr.t('common.pageSize')}
          <select value={pageSize} onChange={(event) => onPageSize(Number(event.target.value))}>
            {PAGE_SIZES.map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </label>
      )}
    </nav>
  );
}
