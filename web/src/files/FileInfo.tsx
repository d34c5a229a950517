import { StatusBadge } from '../components/StatusBadge.js';
import { useTr } from '../i18n/I18nProvider.js';
import type { FileSummary } from '../types.js';

/** The file's name as the page's section heading, and its facts as a definition grid. */
export function FileInfo({ file }: { file: FileSummary }) {
  const tr = useTr();
  return (
    <section aria-labelledby="file-info-heading">
      <h2 id="file-info-heading" className="file-heading">
        {file.originalName}
      </h2>
      <dl className="info-grid">
        <div>
          <dt>{tr.t('files.status')}</dt>
          <dd>
            <StatusBadge state={file.status} />
          </dd>
        </div>
        <div>
          <dt>{tr.t('files.size')}</dt>
          <dd>{tr.bytes(file.size)}</dd>
        </div>
        <div>
          <dt>{tr.t('detail.type')}</dt>
          <dd>{file.fileType.toUpperCase()}</dd>
        </div>
        <div>
          <dt>{tr.t('files.uploadedAt')}</dt>
          <dd>{tr.dateTime(file.uploadedAt)}</dd>
        </div>
        <div>
          <dt>{tr.t('detail.startedAt')}</dt>
          <dd>{tr.dateTime(file.startedAt)}</dd>
        </div>
        <div>
          <dt>{tr.t('detail.completedAt')}</dt>
          <dd>{tr.dateTime(file.completedAt)}</dd>
        </div>
        <div className="info-wide">
          <dt>{tr.t('detail.jobId')}</dt>
          <dd className="mono">{file.jobId}</dd>
        </div>
      </dl>
    </section>
  );
}
