import { Loading } from '../components/Loading.js';
import { Pagination } from '../components/Pagination.js';
import { ResourceError } from '../components/ErrorMessage.js';
import { useResource } from '../hooks.js';
import { useTr } from '../i18n/I18nProvider.js';
import { navigate } from '../router.js';
import { useServices } from '../services-context.js';
import type { FileListQuery } from '../types.js';
import { FilesTable } from './FilesTable.js';
import { Filters } from './Filters.js';
import { listHref, queryFromParams, sortedBy } from './listQuery.js';

/** The upload history: filters, a sortable table and pagination, all kept in the URL. */
export function FilesPage({ params }: { params: URLSearchParams }) {
  const tr = useTr();
  const { api } = useServices();
  const query = queryFromParams(params);
  const list = useResource(JSON.stringify(query), (signal) => api.listFiles(query, signal));
  const go = (change: Partial<FileListQuery>) => navigate(listHref({ ...query, ...change }));

  return (
    <>
      {/* Keyed on the URL's filters: Back or reset re-creates the form with the URL's values. */}
      <Filters key={`${query.status ?? ''}|${query.startDate ?? ''}|${query.endDate ?? ''}`} query={query} onApply={(filters) => go({ ...filters, page: 1 })} />
      {!list.data && <ResourceError resource={list} />}
      {list.loading && !list.data && <Loading />}
      {list.data && (
        <div aria-busy={list.loading}>
          <ResourceError resource={list} />
          <FilesTable files={list.data.files} query={query} onSort={(column) => go(sortedBy(query, column))} />
          {list.data.files.length === 0 && <p className="muted">{tr.t('files.empty')}</p>}
          <Pagination page={query.page} pageSize={query.pageSize} total={list.data.total} onChange={go} />
        </div>
      )}
    </>
  );
}
