/**
 * The file list's query, kept in the URL hash (`#/files?page=2&status=failed`) so Back and reload
 * keep it. Framework-free.
 *
 * Rules:
 * - Reading is forgiving: a missing or invalid parameter takes its default (page 1, 20 per page
 *   up to 100, newest upload first); unknown statuses, sort keys and malformed dates are dropped.
 * - Writing is minimal: defaults are left out of the URL.
 * - Clicking the sorted column flips its order; another column starts ascending, except the
 *   upload time, which starts with the newest.
 */
import { hrefFor } from '../router.js';
import { TASK_STATUSES, type FileListQuery, type FileSortKey, type SortOrder, type TaskStatus } from '../types.js';

const SORT_KEYS: readonly FileSortKey[] = ['uploadedAt', 'originalName', 'size', 'status', 'totalRows'];
const DEFAULT_PAGE_SIZE = 20;
const MAX_PAGE_SIZE = 100;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

export type ListQuery = Required<Pick<FileListQuery, 'page' | 'pageSize' | 'sortBy' | 'order'>> & FileListQuery;

export function queryFromParams(params: URLSearchParams): ListQuery {
  const page = Math.max(1, Number.parseInt(params.get('page') ?? '', 10) || 1);
  const rawSize = Number.parseInt(params.get('pageSize') ?? '', 10);
  const pageSize = Number.isFinite(rawSize) && rawSize > 0 ? Math.min(MAX_PAGE_SIZE, rawSize) : DEFAULT_PAGE_SIZE;
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

export function listHref(query: FileListQuery): string {
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

/** The query after a click on a column header (back to page 1). */
export function sortedBy(query: ListQuery, column: FileSortKey): Partial<FileListQuery> {
  const order: SortOrder = query.sortBy === column ? (query.order === 'asc' ? 'desc' : 'asc') : column === 'uploadedAt' ? 'desc' : 'asc';
  return { sortBy: column, order, page: 1 };
}
