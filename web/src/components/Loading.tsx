import { useTr } from '../i18n/I18nProvider.js';

/** The line shown until the first answer of a page or a table arrives. */
export function Loading() {
  const tr = useTr();
  return <p className="muted">{tr.t('common.loading')}</p>;
}
