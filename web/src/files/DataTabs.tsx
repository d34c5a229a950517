import { useId, useRef, useState, type KeyboardEvent } from 'react';
import { useTr } from '../i18n/I18nProvider.js';
import { CleanPreview, ExceptionPreview } from './RowPreviews.js';

type TabKey = 'clean' | 'exceptions';
const TABS: readonly TabKey[] = ['clean', 'exceptions'];

/** The tab a key press moves to (WAI-ARIA tabs: arrows wrap around, Home and End jump); null for other keys. */
function tabAfterKey<T>(tabs: readonly T[], current: T, key: string): T | null {
  const index = tabs.indexOf(current);
  switch (key) {
    case 'ArrowRight':
      return tabs[(index + 1) % tabs.length];
    case 'ArrowLeft':
      return tabs[(index - 1 + tabs.length) % tabs.length];
    case 'Home':
      return tabs[0];
    case 'End':
      return tabs[tabs.length - 1];
    default:
      return null;
  }
}

/** Accessible tabs (arrow keys move between them) over the two paginated previews. */
export function DataTabs({ jobId, showSheet }: { jobId: string; showSheet: boolean }) {
  const tr = useTr();
  const baseId = useId();
  const [tab, setTab] = useState<TabKey>('clean');
  const tabRefs = useRef<Partial<Record<TabKey, HTMLButtonElement | null>>>({});

  const onKeyDown = (event: KeyboardEvent) => {
    const next = tabAfterKey(TABS, tab, event.key);
    if (next === null) return;
    event.preventDefault();
    setTab(next);
    tabRefs.current[next]?.focus();
  };

  return (
    <section className="data-tabs" aria-label={tr.t('detail.tabs')}>
      <div role="tablist" aria-label={tr.t('detail.tabs')} className="tablist" onKeyDown={onKeyDown}>
        {TABS.map((key) => (
          <button
            key={key}
            ref={(element) => {
              tabRefs.current[key] = element;
            }}
            type="button"
            role="tab"
            id={`${baseId}-tab-${key}`}
            aria-selected={tab === key}
            aria-controls={`${baseId}-panel-${key}`}
            tabIndex={tab === key ? 0 : -1}
            className="tab"
            onClick={() => setTab(key)}
          >
            {tr.t(key === 'clean' ? 'detail.cleanTab' : 'detail.exceptionsTab')}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${baseId}-panel-${tab}`} aria-labelledby={`${baseId}-tab-${tab}`} className="tabpanel">
        {tab === 'clean' ? <CleanPreview jobId={jobId} showSheet={showSheet} /> : <ExceptionPreview jobId={jobId} showSheet={showSheet} />}
      </div>
    </section>
  );
}
