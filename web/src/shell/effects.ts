import { useEffect, useRef, type RefObject } from 'react';
import { useAnnounce } from '../components/Announcer.js';
import { useTr } from '../i18n/I18nProvider.js';
import { transitionAnnouncement } from '../progress/format.js';
import { useServices } from '../services-context.js';

/** Resumes the stored tasks once, and announces every card's end wherever the user is in the app. */
export function useBoardAnnouncements(): void {
  const tr = useTr();
  const { board } = useServices();
  const announce = useAnnounce();

  useEffect(() => {
    board.resume();
  }, [board]);

  useEffect(
    () =>
      board.onTransition((transition) => {
        const message = transitionAnnouncement(transition, tr);
        if (message) announce(message);
      }),
    [board, tr, announce],
  );
}

/** After client-side navigation (not on the first page load), moves focus to the new page's heading: screen readers announce it. */
export function useHeadingFocus(routeKey: string): RefObject<HTMLHeadingElement | null> {
  const headingRef = useRef<HTMLHeadingElement>(null);
  const firstRoute = useRef(true);
  useEffect(() => {
    if (firstRoute.current) {
      firstRoute.current = false;
      return;
    }
    headingRef.current?.focus();
  }, [routeKey]);
  return headingRef;
}
