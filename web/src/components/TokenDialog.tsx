import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useAuth } from '../hooks.js';
import { useTr } from '../i18n/I18nProvider.js';
import { useServices } from '../services-context.js';

/** Asks for the API token after a 401 (native <dialog>: focus trap and Escape for free). */
export function TokenDialog() {
  const tr = useTr();
  const { auth } = useServices();
  const { promptVisible, token } = useAuth();
  const dialogRef = useRef<HTMLDialogElement>(null);
  const inputId = useId();
  const titleId = useId();
  const [value, setValue] = useState('');

  useEffect(() => {
    const dialog = dialogRef.current;
    if (!dialog) return;
    if (promptVisible && !dialog.open) {
      setValue('');
      if (typeof dialog.showModal === 'function') dialog.showModal();
      else dialog.setAttribute('open', '');
    } else if (!promptVisible && dialog.open) {
      if (typeof dialog.close === 'function') dialog.close();
      else dialog.removeAttribute('open');
    }
  }, [promptVisible]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    auth.setToken(value);
  };

  return (
    <dialog ref={dialogRef} className="dialog" aria-labelledby={titleId} onClose={() => auth.dismissPrompt()}>
      <form onSubmit={submit}>
        <h2 id={titleId}>{tr.t('auth.title')}</h2>
        <p>{tr.t('auth.explain')}</p>
        <label htmlFor={inputId}>{tr.t('auth.label')}</label>
        <input id={inputId} type="password" autoComplete="off" spellCheck={false} required value={value} onChange={(event) => setValue(event.target.value)} />
        <div className="dialog-actions">
          <button type="submit" className="button button-primary">
            {tr.t('auth.save')}
          </button>
          {token && (
            <button type="button" className="button" onClick={() => auth.setToken(null)}>
              {tr.t('auth.clear')}
            </button>
          )}
          <button type="button" className="button button-quiet" onClick={() => auth.dismissPrompt()}>
            {tr.t('auth.cancel')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
