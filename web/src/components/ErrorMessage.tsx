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
