import { useId } from 'react';
import { ErrorMessage } from '../components/ErrorMessage.js';
import { ScrollRegion } from '../components/ScrollRegion.js';
import { useTr } from '../i18n/I18nProvider.js';
import { COLUMN_TYPES, type ColumnType, type PreviewSheet } from '../types.js';
import { ReviewOptions, type ReviewOptionHandlers } from './ReviewOptions.js';
import { sampleValues, type ReviewItem } from './reviews.js';
import { fileExtension, CSV_PREVIEW_BYTES } from './validateFile.js';

type OnOverride = (id: string, header: string, type: ColumnType | null) => void;

/** Header preview of one file with a type override per column, before it is uploaded. */
export function ReviewPanel({
  item,
  onOverride,
  onStart,
  onDiscard,
  ...options
}: {
  item: ReviewItem;
  onOverride: OnOverride;
  onStart(id: string): void;
  onDiscard(id: string): void;
} & ReviewOptionHandlers) {
  const tr = useTr();
  const titleId = useId();
  const sheets = item.result?.sheets ?? [];
  return (
    <section className="review" aria-labelledby={titleId} aria-busy={item.status === 'loading'}>
      <h3 id={titleId} className="review-title">
        {tr.t('review.title', { name: item.file.name })}
      </h3>
      <ReviewOptions item={item} {...options} />
      {item.status === 'loading' && <p className="muted">{tr.t('review.loading')}</p>}
      {item.status === 'error' && item.error && <ErrorMessage error={item.error} prefix={tr.t('review.failed')} />}
      {sheets.map((sheet, sheetIndex) => (
        <div key={`${sheetIndex}-${sheet.name}`} className="review-sheet">
          {sheets.length > 1 && <h4>{tr.t('review.sheet', { name: sheet.name })}</h4>}
          <ColumnTypesTable sheet={sheet} item={item} onOverride={onOverride} />
        </div>
      ))}
      {item.status === 'ready' && fileExtension(item.file.name) === '.csv' && item.file.size > CSV_PREVIEW_BYTES && (
        <p className="muted small">{tr.t('review.truncated')}</p>
      )}
      <div className="card-actions">
        <button type="button" className="button button-primary" onClick={() => onStart(item.id)} disabled={item.status === 'loading'}>
          {tr.t('review.start')}
        </button>
        <button type="button" className="button" onClick={() => onDiscard(item.id)}>
          {tr.t('review.discard')}
        </button>
      </div>
    </section>
  );
}

/** One sheet's columns: detected type, the type to use, and a few sample values. */
function ColumnTypesTable({ sheet, item, onOverride }: { sheet: PreviewSheet; item: ReviewItem; onOverride: OnOverride }) {
  const tr = useTr();
  return (
    <ScrollRegion label={tr.t('review.sheet', { name: sheet.name })}>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">{tr.t('review.column')}</th>
            <th scope="col">{tr.t('review.detected')}</th>
            <th scope="col">{tr.t('review.override')}</th>
            <th scope="col">{tr.t('review.sample')}</th>
          </tr>
        </thead>
        <tbody>
          {sheet.headers.map((header, column) => {
            const detected = sheet.detectedTypes[column] ?? 'text';
            return (
              <tr key={`${column}-${header}`}>
                <th scope="row">{header}</th>
                <td>{tr.t(`type.${detected}`)}</td>
                <td>
                  <ColumnTypeSelect
                    header={header}
                    detected={detected}
                    value={item.overrides[header] ?? null}
                    onChange={(type) => onOverride(item.id, header, type)}
                  />
                </td>
                <td className="samples">{sampleValues(sheet, column).join(' / ')}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </ScrollRegion>
  );
}

/** "Auto (detected type)" or one of the column types. */
function ColumnTypeSelect({
  header,
  detected,
  value,
  onChange,
}: {
  header: string;
  detected: ColumnType;
  value: ColumnType | null;
  onChange(type: ColumnType | null): void;
}) {
  const tr = useTr();
  return (
    <select
      aria-label={tr.t('review.typeFor', { column: header })}
      value={value ?? ''}
      onChange={(event) => onChange((event.target.value || null) as ColumnType | null)}
    >
      <option value="">{tr.t('review.auto', { type: tr.t(`type.${detected}`) })}</option>
      {COLUMN_TYPES.map((type) => (
        <option key={type} value={type}>
          {tr.t(`type.${type}`)}
        </option>
      ))}
    </select>
  );
}
