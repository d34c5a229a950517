import { describe, expect, it } from 'vitest';
import { listHref, queryFromParams, sortedBy } from './listQuery.js';

describe('file list query in the URL', () => {
  it('file list query: defaults and sanitizing of hand-edited URLs', () => {
    expect(queryFromParams(new URLSearchParams(''))).toEqual({
      page: 1,
      pageSize: 20,
      status: undefined,
      startDate: undefined,
      endDate: undefined,
      sortBy: 'uploadedAt',
      order: 'desc',
    });
    expect(queryFromParams(new URLSearchParams('page=-4&pageSize=5000&status=bogus&startDate=2026-11-01&endDate=yesterday&sortBy=drop&order=asc'))).toEqual({
      page: 1,
      pageSize: 100,
      status: undefined,
      startDate: '2026-11-01',
      endDate: undefined,
      sortBy: 'uploadedAt',
      order: 'asc',
    });
  });

  it('leaves defaults out of the URL and reads every other value back', () => {
    expect(listHref({ page: 1, pageSize: 20, sortBy: 'uploadedAt', order: 'desc' })).toBe('#/files');
    const href = listHref({ page: 3, pageSize: 50, status: 'failed', startDate: '2026-11-01', sortBy: 'size', order: 'desc' });
    expect(href).toBe('#/files?page=3&pageSize=50&status=failed&startDate=2026-11-01&sortBy=size&order=desc');
    expect(queryFromParams(new URLSearchParams(href.split('?')[1]))).toMatchObject({ page: 3, pageSize: 50, status: 'failed', sortBy: 'size', order: 'desc' });
  });

  it('a header click flips the sorted column and starts another ascending (upload time: newest first), on page 1', () => {
    const query = queryFromParams(new URLSearchParams('page=4&sortBy=size&order=asc'));
    expect(sortedBy(query, 'size')).toEqual({ sortBy: 'size', order: 'desc', page: 1 });
    expect(sortedBy(query, 'originalName')).toEqual({ sortBy: 'originalName', order: 'asc', page: 1 });
    expect(sortedBy(query, 'uploadedAt')).toEqual({ sortBy: 'uploadedAt', order: 'desc', page: 1 });
  });
});
