import { useCallback, useEffect, useId, useRef, useState, useSyncExternalStore, type DragEvent } from 'react';
import { errorInfoFrom } from '../api.js';
import type { Resource } from '../hooks.js';
import { useTr } from '../i18n/I18nProvider.js';
import { useServices } from '../services-context.js';
import type { ClientConfig, ColumnType } from '../types.js';
import { ProgressCard } from './ProgressCard.js';
import { ReviewPanel, type ReviewItem } from './ReviewPanel.js';
import { DEFAULT_LIMITS, previewSlice, validateFile, type UploadLimits } from './validateFile.js';

const REVIEW_KEY = 'dcs.reviewColumns';

function readReviewSetting(): boolean {
  try {
    return localStorage.getItem(REVIEW_KEY) === '1';
  } catch {
    return false;
  }
}

/** `config` is loaded once by the app shell (it also decides whether to offer the token button). */
export function UploadPage({ config }: { config: Resource<ClientConfig> }) {
  const tr = useTr();
  const { api, board } = useServices();
  const cards = useSyncExternalStore(board.subscribe, board.getSnapshot);
  const [reviewFirst, setReviewFirst] = useState(readReviewSetting);
  const [reviews, setReviews] = useState<ReviewItem[]>([]);
  const nextReviewId = useRef(1);
  const previewAborts = useRef(new Map<string, AbortController>());

  const limits: UploadLimits = config.data ? { maxFileSize: config.data.maxFileSize, acceptedExtensions: config.data.acceptedExtensions } : DEFAULT_LIMITS;

  useEffect(() => {
    const aborts = previewAborts.current;
    return () => {
      for (const controller of aborts.values()) controller.abort();
    };
  }, []);

  const startPreview = useCallback(
    (item: ReviewItem) => {
      const controller = new AbortController();
      previewAborts.current.set(item.id, controller);
      api.preview(previewSlice(item.file), item.file.name, controller.signal).then(
        (result) => setReviews((list) => list.map((other) => (other.id === item.id ? { ...other, status: 'ready', result } : other))),
        (error: unknown) => {
          if (controller.signal.aborted) return;
          setReviews((list) => list.map((other) => (other.id === item.id ? { ...other, status: 'error', error: errorInfoFrom(error) } : other)));
        },
      );
    },
    [api],
  );

  const acceptFiles = (files: File[]) => {
    const valid: File[] = [];
    for (const file of files) {
      const problem = validateFile(file, limits);
      if (problem) board.addRejected(file, problem);
      else valid.push(file);
    }
    if (valid.length === 0) return;
    if (!reviewFirst) {
      board.addFiles(valid.map((file) => ({ file })));
      return;
    }
    const items: ReviewItem[] = valid.map((file) => ({
      id: `review-${nextReviewId.current++}`,
      file,
      status: 'loading',
      result: null,
      error: null,
      overrides: {},
    }));
    setReviews((list) => [...list, ...items]);
    items.forEach(startPreview);
  };

  const closeReview = (id: string) => {
    previewAborts.current.get(id)?.abort();
    previewAborts.current.delete(id);
    setReviews((list) => list.filter((item) => item.id !== id));
  };

  const onOverride = (id: string, header: string, type: ColumnType | null) => {
    setReviews((list) =>
      list.map((item) => {
        if (item.id !== id) return item;
        const overrides = { ...item.overrides };
        if (type) overrides[header] = type;
        else delete overrides[header];
        return { ...item, overrides };
      }),
    );
  };

  const onStart = (id: string) => {
    const item = reviews.find((other) => other.id === id);
    if (!item) return;
    board.addFiles([{ file: item.file, columnTypes: Object.keys(item.overrides).length > 0 ? item.overrides : undefined }]);
    closeReview(id);
  };

  const toggleReview = (value: boolean) => {
    setReviewFirst(value);
    try {
      localStorage.setItem(REVIEW_KEY, value ? '1' : '0');
    } catch {
      // Only this page remembers the choice.
    }
  };

  const hasFinished = cards.some((card) => card.view.canRemove);
  const acceptAttribute = limits.acceptedExtensions.join(',');
  const extensions = limits.acceptedExtensions.join(' / ');

  return (
    <>
      <p className="intro">{tr.t('upload.intro')}</p>
      <DropZone
        accept={acceptAttribute}
        hint={
          limits.maxFileSize !== null
            ? tr.t('upload.accepts', { extensions, size: tr.bytes(limits.maxFileSize) })
            : tr.t('upload.acceptsNoLimit', { extensions })
        }
        onFiles={acceptFiles}
      />
      {config.error && config.error.status !== 401 && <p className="notice">{tr.t('upload.configError')}</p>}
      <label className="checkbox">
        <input type="checkbox" checked={reviewFirst} onChange={(event) => toggleReview(event.target.checked)} />
        {tr.t('upload.reviewToggle')}
      </label>

      {reviews.map((item) => (
        <ReviewPanel key={item.id} item={item} onOverride={onOverride} onStart={onStart} onDiscard={closeReview} />
      ))}

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
    </>
  );
}

function DropZone({ accept, hint, onFiles }: { accept: string; hint: string; onFiles(files: File[]): void }) {
  const tr = useTr();
  const inputId = useId();
  const hintId = useId();
  const [dragging, setDragging] = useState(false);
  // dragenter/dragleave fire for every child element; count them to know when the pointer really left.
  const depth = useRef(0);

  const onDragEnter = (event: DragEvent) => {
    event.preventDefault();
    depth.current += 1;
    setDragging(true);
  };
  const onDragLeave = (event: DragEvent) => {
    event.preventDefault();
    depth.current = Math.max(0, depth.current - 1);
    if (depth.current === 0) setDragging(false);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    depth.current = 0;
    setDragging(false);
    const files = Array.from(event.dataTransfer?.files ?? []);
    if (files.length > 0) onFiles(files);
  };

  return (
    <div
      className={`dropzone${dragging ? ' dropzone-active' : ''}`}
      onDragEnter={onDragEnter}
      onDragOver={(event) => event.preventDefault()}
      onDragLeave={onDragLeave}
      onDrop={onDrop}
    >
      <p className="dropzone-title" aria-hidden="true">
        {tr.t('upload.drop')}
      </p>
      <p className="dropzone-or" aria-hidden="true">
        {tr.t('upload.or')}
      </p>
      <input
        id={inputId}
        className="file-input"
        type="file"
        multiple
        accept={accept}
        aria-describedby={hintId}
        onChange={(event) => {
          const files = Array.from(event.target.files ?? []);
          event.target.value = ''; // choosing the same file again must fire change again
          if (files.length > 0) onFiles(files);
        }}
      />
      <label htmlFor={inputId} className="button button-primary button-large">
        {tr.t('upload.pick')}
      </label>
      <p id={hintId} className="dropzone-hint">
        {hint}
      </p>
    </div>
  );
}
