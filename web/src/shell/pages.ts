/** The app's pages: which one a route shows, its title, and the navigation links. */
import type { MessageKey } from '../i18n/messages.js';
import { hrefFor, type Route } from '../router.js';

export type PageKey = 'upload' | 'files' | 'detail' | 'ops';

/** `#/files/<id>` is a file's detail, `#/files` the list, `#/ops` operations; anything else the upload page. */
export function pageOf(route: Route): PageKey {
  const [first, second] = route.path;
  if (first === 'files') return second ? 'detail' : 'files';
  if (first === 'ops') return 'ops';
  return 'upload';
}

export const PAGE_TITLES: Record<PageKey, MessageKey> = { upload: 'upload.title', files: 'files.title', detail: 'detail.title', ops: 'ops.title' };

/** The header's links; a file's detail counts as part of the file list. */
export const NAV: { page: PageKey; href: string; label: MessageKey; alsoCurrentOn?: PageKey }[] = [
  { page: 'upload', href: hrefFor(['upload']), label: 'nav.upload' },
  { page: 'files', href: hrefFor(['files']), label: 'nav.files', alsoCurrentOn: 'detail' },
  { page: 'ops', href: hrefFor(['ops']), label: 'nav.ops' },
];
