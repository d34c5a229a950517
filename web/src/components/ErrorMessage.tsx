import { errorInfoFrom } from '../api.js';
import type { Resource } from '../hooks.js';
import { describeError, type ErrorInfo } from '../i18n/errors.js';
import { useTr } from '../i18n/I18nProvider.js';

/** A failure in plain words, with the server's own message below when it adds something. */
export function ErrorMessage({ error, prefix, onRetry }: { error: ErrorInfo; prefix?: string; onRetry?: () => void }) {
  const tr = useTr();
  const text = describeError(error, tr);
  return (
    <div className="error-box">
      <p className="error-friendly">
        {prefix ? `${prefix} ` : ''}
        {text.friendly}
      </p>
      {text.server && <p className="error-server">{tr.t('common.serverSays', { message: text.server })}</p>}
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          {tr.t('common.retry')}
        </button>
      )}
    </div>
  );
}

/** The last failed load of a resource, with a button that loads it again; nothing while it has no error. */
export function ResourceError({ resource, prefix }: { resource: Resource<unknown>; prefix?: string }) {
  if (!resource.error) return null;
  return <ErrorMessage error={errorInfoFrom(resource.error)} prefix={prefix} onRetry={resource.reload} />;
}
