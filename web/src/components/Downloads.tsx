import type { DownloadFormat, DownloadKind } from '../api.js';
import { useAuth } from '../hooks.js';
import { useTr } from '../i18n/I18nProvider.js';
import { useServices } from '../services-context.js';

const LINKS: { kind: DownloadKind; format: DownloadFormat }[] = [
  { kind: 'clean', format: 'xlsx' },
  { kind: 'clean', format: 'csv' },
  { kind: 'exceptions', format: 'xlsx' },
  { kind: 'exceptions', format: 'csv' },
];

/** The four result files as plain links (the token goes in the URL: links cannot send headers). */
export function Downloads({ jobId, fileName }: { jobId: string; fileName: string }) {
  const tr = useTr();
  const { api } = useServices();
  useAuth(); // re-render with the new ?token= when the token changes
  return (
    <nav className="downloads" aria-label={`${tr.t('downloads.title')}: ${fileName}`}>
      <ul>
        {LINKS.map(({ kind, format }) => (
          <li key={`${kind}-${format}`}>
            <a className={`download download-${kind}`} href={api.downloadUrl(kind, jobId, format)} download>
              {tr.t('downloads.link', { what: tr.t(kind === 'clean' ? 'downloads.clean' : 'downloads.exceptions'), format: format.toUpperCase() })}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}
