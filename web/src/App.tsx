import { AnnouncerProvider } from './components/Announcer.js';
import { TokenDialog } from './components/TokenDialog.js';
import { FileDetailPage } from './files/FileDetailPage.js';
import { FilesPage } from './files/FilesPage.js';
import { useAuth, useResource } from './hooks.js';
import { I18nProvider, useTr } from './i18n/I18nProvider.js';
import { OpsPage } from './ops/OpsPage.js';
import { useHashRoute } from './router.js';
import { ServicesProvider, useServices } from './services-context.js';
import type { Services } from './services.js';
import { useBoardAnnouncements, useHeadingFocus } from './shell/effects.js';
import { Header } from './shell/Header.js';
import { PAGE_TITLES, pageOf } from './shell/pages.js';
import { UploadPage } from './upload/UploadPage.js';

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

/** Skip link, header, the routed page under its heading, and the token dialog. */
function Shell() {
  const tr = useTr();
  const { api } = useServices();
  const { token } = useAuth();
  const config = useResource('config', (signal) => api.getConfig(signal));
  // Without API_TOKEN on the server the token button would only puzzle people.
  const offerToken = token !== null || config.data?.authRequired === true || config.error?.status === 401;
  const route = useHashRoute();
  const page = pageOf(route);
  const headingRef = useHeadingFocus(route.path.join('/'));
  useBoardAnnouncements();

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
      <Header page={page} offerToken={offerToken} />
      <main id="main" className="main">
        <h1 ref={headingRef} tabIndex={-1} className="page-title">
          {tr.t(PAGE_TITLES[page])}
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
