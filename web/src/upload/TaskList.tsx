import { useSyncExternalStore } from 'react';
import { useTr } from '../i18n/I18nProvider.js';
import { useServices } from '../services-context.js';
import { ProgressCard } from './ProgressCard.js';

/** Every upload card on the board, newest first, and a button that clears the finished ones. */
export function TaskList() {
  const tr = useTr();
  const { board } = useServices();
  const cards = useSyncExternalStore(board.subscribe, board.getSnapshot);
  const hasFinished = cards.some((card) => card.view.canRemove);
  return (
    <section className="tasks" aria-labelledby="tasks-heading">
      <div className="section-header">
        <h2 id="tasks-heading">{tr.t('upload.tasks')}</h2>
        {hasFinished && (
          <button type="button" className="button button-quiet" onClick={() => board.clearFinished()}>
            {tr.t('upload.clearFinished')}
          </button>
        )}
      </div>
      {cards.length === 0 ? (
        <p className="muted">{tr.t('upload.noTasks')}</p>
      ) : (
        <ul className="card-list">
          {cards.map((card) => (
            <li key={card.id}>
              <ProgressCard card={card} onCancel={(id) => board.cancel(id)} onRetry={(id) => board.retry(id)} onRemove={(id) => board.remove(id)} />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
