import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { toApiError, type ApiError } from './api.js';
import { useServices } from './services-context.js';

export interface Resource<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload(): void;
}

export interface ResourceOptions<T> {
  /** How long after each answer (success or failure) to load again, given the data held; null: only on demand. */
  refreshMs?(data: T | null): number | null;
}

interface ResourceState<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  /** Counts answers, so a refresh is scheduled after each one even if `loading` never visibly flipped. */
  answers: number;
}

/**
 * Loads one API resource; reloads when `key` changes or the token changes. Answers of superseded
 * requests are dropped (aborted), so fast filter changes cannot show stale pages. A failed reload
 * keeps the last data next to the error. With `refreshMs`, the next load starts that long after
 * the previous answer (never two at once, however slow the server).
 */
export function useResource<T>(key: string, load: (signal: AbortSignal) => Promise<T>, options: ResourceOptions<T> = {}): Resource<T> {
  const { auth } = useServices();
  const { revision } = useSyncExternalStore(auth.subscribe, auth.getSnapshot);
  const [state, setState] = useState<ResourceState<T>>({ data: null, error: null, loading: true, answers: 0 });
  const [reloads, setReloads] = useState(0);
  const loadRef = useRef(load);
  useEffect(() => {
    loadRef.current = load;
  });

  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true }));
    loadRef.current(controller.signal).then(
      (data) => {
        if (!controller.signal.aborted) setState((previous) => ({ data, error: null, loading: false, answers: previous.answers + 1 }));
      },
      (error: unknown) => {
        if (!controller.signal.aborted)
          setState((previous) => ({ data: previous.data, error: toApiError(error), loading: false, answers: previous.answers + 1 }));
      },
    );
    return () => controller.abort();
  }, [key, revision, reloads]);

  const reload = useCallback(() => setReloads((count) => count + 1), []);

  const refreshMs = options.refreshMs?.(state.data) ?? null;
  useEffect(() => {
    if (refreshMs === null || state.loading) return;
    const timer = window.setTimeout(reload, refreshMs);
    return () => window.clearTimeout(timer);
  }, [refreshMs, state.loading, state.answers, reload]);

  return { data: state.data, error: state.error, loading: state.loading, reload };
}

export function useAuth() {
  const { auth } = useServices();
  return useSyncExternalStore(auth.subscribe, auth.getSnapshot);
}

function readFlag(key: string): boolean {
  try {
    return localStorage.getItem(key) === '1';
  } catch {
    return false;
  }
}

/** A yes/no choice remembered in localStorage as '1'/'0' (off when unset); without storage it lasts as long as the page. */
export function useStoredFlag(key: string): [boolean, (value: boolean) => void] {
  const [value, setValue] = useState(() => readFlag(key));
  const update = useCallback(
    (next: boolean) => {
      setValue(next);
      try {
        localStorage.setItem(key, next ? '1' : '0');
      } catch {
        // Only this page remembers the choice.
      }
    },
    [key],
  );
  return [value, update];
}
