import { Downloads } from '../components/Downloads.js';
import { ErrorMessage, ResourceError } from '../components/ErrorMessage.js';
import { Loading } from '../components/Loading.js';
import { StatisticsPanel } from '../components/StatisticsPanel.js';
import { useResource, type Resource } from '../hooks.js';
import { storedError } from '../i18n/errors.js';
import { useTr } from '../i18n/I18nProvider.js';
import { hrefFor, navigate } from '../router.js';
import { useServices } from '../services-context.js';
import { isFinalStatus, type FileDetail, type FileSummary } from '../types.js';
import { DataTabs } from './DataTabs.js';
import { FileInfo } from './FileInfo.js';

/** While the task runs, the summary refreshes itself this often; the live bar is on the upload page. */
const RUNNING_REFRESH_MS = 3000;

const isRunning = (detail: FileDetail | null) => detail !== null && !isFinalStatus(detail.file.status);

/** One file: its facts, its error, its statistics, and once completed the downloads and data previews. */
export function FileDetailPage({ fileId }: { fileId: string }) {
  const tr = useTr();
  const { api } = useServices();
  const detail = useResource(`file-${fileId}`, (signal) => api.getFile(fileId, signal), {
    refreshMs: (data) => (isRunning(data) ? RUNNING_REFRESH_MS : null),
  });

  if (detail.error && !detail.data) return <DetailUnavailable detail={detail} />;
  if (!detail.data) return <Loading />;

  const { file, statistics } = detail.data;
  return (
    <>
      <p>
        <a href={hrefFor(['files'])}>← {tr.t('common.back')}</a>
      </p>
      <FileInfo file={file} />
      {file.errorCode && file.status !== 'completed' && <ErrorMessage error={storedError(file)} />}
      {isRunning(detail.data) && <TrackButton file={file} />}
      {statistics && <StatisticsPanel statistics={statistics} headingLevel={2} />}
      {file.status === 'completed' && (
        <>
          <h2>{tr.t('downloads.title')}</h2>
          <Downloads jobId={file.jobId} fileName={file.originalName} />
          <DataTabs jobId={file.jobId} showSheet={(statistics?.sheets.length ?? 0) > 1} />
        </>
      )}
      {file.status !== 'completed' && <p className="muted">{tr.t('detail.notReady')}</p>}
    </>
  );
}

/** The first load failed: "not found" in words, any other failure with a retry; both with the way back. */
function DetailUnavailable({ detail }: { detail: Resource<FileDetail> }) {
  const tr = useTr();
  return (
    <>
      {detail.error?.status === 404 ? <p>{tr.t('detail.notFound')}</p> : <ResourceError resource={detail} />}
      <p>
        <a href={hrefFor(['files'])}>{tr.t('common.back')}</a>
      </p>
    </>
  );
}

/** Puts the running task's live bar on the upload page and goes there. */
function TrackButton({ file }: { file: FileSummary }) {
  const tr = useTr();
  const { board } = useServices();
  const track = () => {
    board.track({ taskId: file.jobId, fileId: file.id, fileName: file.originalName, size: file.size });
    navigate(hrefFor(['upload']));
  };
  return (
    <p>
      <button type="button" className="button button-primary" onClick={track}>
        {tr.t('detail.track')}
      </button>
    </p>
  );
}
