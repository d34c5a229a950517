import type { ClientConfig } from '../types.js';
import { useStoredFlag, type Resource } from '../hooks.js';
import { useTr } from '../i18n/I18nProvider.js';
import { useServices } from '../services-context.js';
import { DropZone } from './DropZone.js';
import { ReviewPanel } from './ReviewPanel.js';
import { TaskList } from './TaskList.js';
import { useReviews } from './useReviews.js';
import { limitsFrom, validateFile } from './validateFile.js';

/** Whether files open a header review before they are uploaded (remembered per browser). */
const REVIEW_KEY = 'dcs.reviewColumns';

/**
 * Files in: checked against the server's limits (refused ones become cards with the reason), then
 * uploaded at once or reviewed first; the task list below follows every upload.
 * `config` is loaded once by the app shell (it also decides whether to offer the token button).
 */
export function UploadPage({ config }: { config: Resource<ClientConfig> }) {
  const tr = useTr();
  const { board } = useServices();
  const [reviewFirst, setReviewFirst] = useStoredFlag(REVIEW_KEY);
  const reviews = useReviews();
  const limits = limitsFrom(config.data);

  const acceptFiles = (files: File[]) => {
    const valid: File[] = [];
    for (const file of files) {
      const problem = validateFile(file, limits);
      if (problem) board.addRejected(file, problem);
      else valid.push(file);
    }
    if (valid.length === 0) return;
    if (reviewFirst) reviews.add(valid);
    else board.addFiles(valid.map((file) => ({ file })));
  };

  return (
    <>
      <p className="intro">{tr.t('upload.intro')}</p>
      <DropZone limits={limits} onFiles={acceptFiles} />
      {config.error && config.error.status !== 401 && <p className="notice">{tr.t('upload.configError')}</p>}
      <label className="checkbox">
        <input type="checkbox" checked={reviewFirst} onChange={(event) => setReviewFirst(event.target.checked)} />
        {tr.t('upload.reviewToggle')}
      </label>

      {reviews.items.map((item) => (
        <ReviewPanel
          key={item.id}
          item={item}
          onOverride={reviews.override}
          onCsvOption={reviews.csvOption}
          onDedupe={reviews.dedupe}
          onStart={reviews.start}
          onDiscard={reviews.discard}
        />
      ))}

      <TaskList />
    </>
  );
}
