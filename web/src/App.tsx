import { useEffect, useRef } from 'react';
import { AnnouncerProvider, useAnnounce } from './components/Announcer.js';
import { TokenDialog } from './components/TokenDialog.js';
import { FileDetailPage } from './files/FileDetailPage.js';
import { FilesPage } from './files/FilesPage.js';
import { useAuth, useResource } from './hooks.js';
import { describeError } from './i18n/errors.js';
import { I18nProvider, useI18n } from './i18n/I18nProvider.js';
import type { MessageKey } from './i18n/messages.js';
import { OpsPage } from './ops/OpsPage.js';
import { hrefFor, useHashRoute, type Route } from './router.js';
import { ServicesProvider, useServices } from './services-context.js';
import type { Services } from './services.js';
import { UploadPage } from './upload/UploadPage.js';

type PageKey = 'upload' | 'files' | 'detail' | 'ops';

function pageOf(route: Route): PageKey {
  const [first, second] = route.path;
  if (first === 'files') return second ? 'detail' : 'files';
  if (first === 'ops') return 'ops';
  return 'upload';
}

const TITLES: Record<PageKey, MessageKey> = { upload: 'upload.title', files: 'files.title', detail: 'detail.title', ops: 'ops.title' };
const NAV: { page: PageKey; href: string; label: MessageKey }[] = [
  { page: 'upload', href: hrefFor(['upload']), label: 'nav.upload' },
  { page: 'files', href: hrefFor(['files']), label: 'nav.files' },
  { page: 'ops', href: hrefFor(['ops']), label: 'nav.ops' },
];

export function App({ services }: { services: Services }) {
  return (
    <ServicesProvider services={services}>
      <I18nProvider>
        <AnnouncerProvider>
          <Shell />
        </AnnouncerProvider>
      </I18nProvider>
    </ServicesProvider>
  );
}

function Shell() {
  const { tr, setLang } = useI18n();
  const { board, auth, api } = useServices();
  const { token } = useAuth();
  const config = useResource('config', (signal) => api.getConfig(signal));
  // Without API_TOKEN on the server the token button would only puzzle people.
  const offerToken = token !== null || config.data?.authRequired === true || config.error?.status === 401;
  const announce = useAnnounce();
  const route = useHashRoute();
  const page = pageOf(route);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const routeKey = route.path.join('/');
  const firstRoute = useRef(true);

  useEffect(() => {
    board.resume();
  }, [board]);

  // Completion and failure are announced wherever the user is in the app.
  useEffect(
    () =>
      board.onTransition(({ card, wasResumed }) => {
        if (wasResumed) return;
        const name = card.fileName;
        const { state, statistics, error } = card.view;
        const reason = error ? describeError(error, tr).friendly : '';
        if (state === 'completed') {
          announce(tr.t('announce.completed', { name, clean: tr.number(statistics?.cleanedRows ?? 0), exceptions: tr.number(statistics?.exceptionRows ?? 0) }));
        } else if (state === 'failed') announce(tr.t('announce.failed', { name, reason }));
        else if (state === 'timeout') announce(tr.t('announce.timeout', { name }));
        else if (state === 'cancelled') announce(tr.t('announce.cancelled', { name }));
        else if (state === 'rejected') announce(tr.t('announce.rejected', { name, reason }));
      }),
    [board, tr, announce],
  );

  // After client-side navigation, move focus to the new page's heading (screen readers announce it).
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    headingRef.current?.focus();
  }, [routeKey]);

  return (
    <>
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          headingRef.current?.focus();
        }}
      >
        {tr.t('app.skip')}
      </a>
      <header className="app-header">
        <div className="app-header-inner">
          <a className="brand" href={hrefFor(['upload'])}>
            {tr.t('app.title')}
          </a>
          <nav aria-label={tr.t('nav.label')} className="nav">
            <ul>
              {NAV.map((item) => {
                const current = item.page === page || (item.page === 'files' && page === 'detail');
                return (
                  <li key={item.page}>
                    <a href={item.href} aria-current={current ? 'page' : undefined} className={current ? 'nav-link nav-current' : 'nav-link'}>
                      {tr.t(item.label)}
                    </a>
                  </li>
                );
              })}
            </ul>
          </nav>
          <div className="header-tools">
            {offerToken && (
              <button type="button" className="button button-quiet button-small" onClick={() => auth.requestToken()}>
                {tr.t(token ? 'auth.change' : 'auth.set')}
              </button>
            )}
            <button
              type="button"
              className="button button-quiet button-small"
              lang={tr.lang === 'zh' ? 'en' : 'zh-CN'}
              title={tr.t('lang.switchLabel')}
              onClick={() => setLang(tr.lang === 'zh' ? 'en' : 'zh')}
            >
              {tr.t('lang.switch')}
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="main">
        <h1 ref={headingRef} tabIndex={-1} className="page-title">
          {tr.t(TITLES[page])}
        </h1>
        {page === 'upload' && <UploadPage config={config} />}
        {page === 'files' && <FilesPage params={route.query} />}
        {page === 'detail' && <FileDetailPage key={route.path[1]} fileId={route.path[1] ?? ''} />}
        {page === 'ops' && <OpsPage />}
      </main>
      <TokenDialog />
    </>
  );
}
