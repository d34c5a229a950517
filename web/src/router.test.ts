import { describe, expect, it } from 'vitest';
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
});
