import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { toApiError, type ApiError } from './api.js';
import { useServices } from './services-context.js';

export interface Resource<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload(): void;
}

/**
 * Loads one API resource; reloads when `key` changes or the token changes. Answers of superseded
 * requests are dropped (aborted), so fast filter changes cannot show stale pages.
 */
export function useResource<T>(key: string, load: (signal: AbortSignal) => Promise<T>): Resource<T> {
  const { auth } = useServices();
  const { revision } = useSyncExternalStore(auth.subscribe, auth.getSnapshot);
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; loading: boolean }>({ data: null, error: null, loading: true });
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
        if (!controller.signal.aborted) setState({ data, error: null, loading: false });
      },
      (error: unknown) => {
        if (!controller.signal.aborted) setState((previous) => ({ data: previous.data, error: toApiError(error), loading: false }));
      },
    );
    return () => controller.abort();
  }, [key, revision, reloads]);

  const reload = useCallback(() => setReloads((count) => count + 1), []);
  return { ...state, reload };
}

export function useAuth() {
  const { auth } = useServices();
  return useSyncExternalStore(auth.subscribe, auth.getSnapshot);
}
