import { useAuth } from '../hooks.js';
import { useI18n } from '../i18n/I18nProvider.js';
import { hrefFor } from '../router.js';
import { useServices } from '../services-context.js';
import { NAV, type PageKey } from './pages.js';

/** Brand, navigation (the current page marked), the token button when it is of use, and the language switch. */
export function Header({ page, offerToken }: { page: PageKey; offerToken: boolean }) {
  const { tr, setLang } = useI18n();
  const { auth } = useServices();
  const { token } = useAuth();
  return (
    <header className="app-header">
      <div className="app-header-inner">
        <a className="brand" href={hrefFor(['upload'])}>
          {tr.t('app.title')}
        </a>
        <nav aria-label={tr.t('nav.label')} className="nav">
          <ul>
            {NAV.map((item) => {
              const current = item.page === page || item.alsoCurrentOn === page;
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
  );
}
