import { useState } from 'react';
import { errorInfoFrom } from '../api.js';
import type { ErrorInfo } from '../i18n/errors.js';
import { useServices } from '../services-context.js';
import type { RecentFailure } from '../types.js';

export interface TaskRetries {
  retry(failure: RecentFailure): void;
  isRetrying(taskId: string): boolean;
  /** Why the last retry of this task failed; undefined when it did not (or is in flight again). */
  errorOf(taskId: string): ErrorInfo | undefined;
}

/** Retries of the recent failures: which are in flight, and why the last try of each failed. */
export function useTaskRetries(onRetried: (failure: RecentFailure) => void): TaskRetries {
  const { api } = useServices();
  const [retrying, setRetrying] = useState<Record<string, boolean>>({});
  const [errors, setErrors] = useState<Record<string, ErrorInfo>>({});

  const retry = (failure: RecentFailure) => {
    const { taskId } = failure;
    setRetrying((state) => ({ ...state, [taskId]: true }));
    setErrors(({ [taskId]: _dropped, ...rest }) => rest);
    api
      .retryTask(taskId)
      .then(
        () => onRetried(failure),
        (failed: unknown) => setErrors((state) => ({ ...state, [taskId]: errorInfoFrom(failed) })),
      )
      .finally(() => setRetrying(({ [taskId]: _dropped, ...rest }) => rest));
  };

  return {
    retry,
    isRetrying: (taskId: string) => retrying[taskId] === true,
    errorOf: (taskId: string) => errors[taskId],
  };
}
