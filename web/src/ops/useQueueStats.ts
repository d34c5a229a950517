import { useState } from 'react';
import { useResource, type Resource } from '../hooks.js';
import { useServices } from '../services-context.js';
import type { QueueStats } from '../types.js';
import { EMPTY_HISTORY, recordStats, type QueueHistory } from './series.js';

const OPS_REFRESH_MS = 5000;

/** Queue statistics, loaded again 5 s after each answer, and their history since the page opened. */
export function useQueueStats(): { stats: Resource<QueueStats>; history: QueueHistory } {
  const { api } = useServices();
  const [history, setHistory] = useState(EMPTY_HISTORY);
  const stats = useResource(
    'queue-stats',
    async (signal) => {
      const next = await api.queueStats(signal);
      // A superseded answer is dropped by useResource; it must not reach the charts either.
      if (!signal.aborted) setHistory((previous) => recordStats(previous, next));
      return next;
    },
    { refreshMs: () => OPS_REFRESH_MS },
  );
  return { stats, history };
}
