import { describe, expect, it } from 'vitest';
import { queryFromParams } from './files/FilesPage.js';
import { hrefFor, parseHash } from './router.js';

describe('hash router', () => {
  it('parses paths and queries', () => {
    expect(parseHash('')).toMatchObject({ path: [] });
    expect(parseHash('#/')).toMatchObject({ path: [] });
    const route = parseHash('#/files/ab%20c?page=2&status=failed');
    expect(route.path).toEqual(['files', 'ab c']);
    expect(route.query.get('page')).toBe('2');
    expect(parseHash('#/files/%E0%A4%A')).toMatchObject({ path: ['files', '%E0%A4%A'] });
  });

  it('builds hrefs that parse back', () => {
    const href = hrefFor(['files', 'a/b'], { page: 3, status: undefined, q: '' });
    expect(href).toBe('#/files/a%2Fb?page=3');
    expect(parseHash(href).path).toEqual(['files', 'a/b']);
  });

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
});
