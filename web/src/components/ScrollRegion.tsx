import type { ReactNode } from 'react';

/**
 * A wide table's horizontal scroller. A named, focusable region, so keyboard users can scroll it
 * and screen readers can find it by the table's name.
 */
export function ScrollRegion({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="table-scroll" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
