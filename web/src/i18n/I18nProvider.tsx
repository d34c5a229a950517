import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { Lang } from './messages.js';
import { createTranslator, type Translator } from './translate.js';

const LANG_KEY = 'dcs.lang';

interface I18nValue {
  tr: Translator;
  setLang(lang: Lang): void;
}

const I18nContext = createContext<I18nValue | null>(null);

function storedLang(): Lang {
  try {
    return localStorage.getItem(LANG_KEY) === 'en' ? 'en' : 'zh';
  } catch {
    return 'zh';
  }
}

export function I18nProvider({ children, initialLang }: { children: ReactNode; initialLang?: Lang }) {
  const [lang, setLangState] = useState<Lang>(() => initialLang ?? storedLang());
  const tr = useMemo(() => createTranslator(lang), [lang]);
  const setLang = useCallback((next: Lang) => {
    setLangState(next);
    try {
      localStorage.setItem(LANG_KEY, next);
    } catch {
      // Not persisted; the switch still applies to this page.
    }
  }, []);
  useEffect(() => {
    document.documentElement.lang = tr.locale;
    document.title = tr.t('app.title');
  }, [tr]);
  const value = useMemo(() => ({ tr, setLang }), [tr, setLang]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}

/** The translator alone, for components that only display text. */
export function useTr(): Translator {
  return useI18n().tr;
}
