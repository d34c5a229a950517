import { useTr } from '../i18n/I18nProvider.js';
import type { CardState } from '../progress/machine.js';

/** State as text and colour (never colour alone). */
export function StatusBadge({ state, label }: { state: CardState; label?: string }) {
  const tr = useTr();
  return <span className={`badge badge-${state}`}>{label ?? tr.t(`state.${state}`)}</span>;
}
