import { useId } from 'react';
import { ErrorMessage } from '../components/ErrorMessage.js';
import type { ErrorInfo } from '../i18n/errors.js';
import { useTr } from '../i18n/I18nProvider.js';
import { COLUMN_TYPES, type ColumnType, type PreviewResult } from '../types.js';
import { fileExtension, CSV_PREVIEW_BYTES } from './validateFile.js';

export interface ReviewItem {
  id: string;
  file: File;
  status: 'loading' | 'ready' | 'error';
  result: PreviewResult | null;
  error: ErrorInfo | null;
  /** Header name → chosen type; absent = keep the detected type. */
  overrides: Record<string, ColumnType>;
}

const SAMPLE_VALUES = 3;

/** Header preview of one file with a type override per column, before it is uploaded. */
export function ReviewPanel({
  item,
  onOverride,
  onStart,
  onDiscard,
}: {
  item: ReviewItem;
  onOverride(id: string, header: string, type: ColumnType | null): void;
  onStart(id: string): void;
  onDiscard(id: string): void;
}) {
  const tr = useTr();
  const titleId = useId();
  const sheets = item.result?.sheets ?? [];
  return (
    <section className="review" aria-labelledby={titleId} aria-busy={item.status === 'loading'}>
      <h3 id={titleId} className="review-title">
        {tr.t('review.title', { name: item.file.name })}
      </h3>
      {item.status === 'loading' && <p className="muted">{tr.t('review.loading')}</p>}
      {item.status === 'error' && item.error && <ErrorMessage error={item.error} prefix={tr.t('review.failed')} />}
      {sheets.map((sheet, sheetIndex) => (
        <div key={`${sheetIndex}-${sheet.name}`} className="review-sheet">
          {sheets.length > 1 && <h4>{tr.t('review.sheet', { name: sheet.name })}</h4>}
          <div className="table-scroll" role="region" aria-label={tr.t('review.sheet', { name: sheet.name })} tabIndex={0}>
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
                  const samples = sheet.sampleRows
                    .slice(0, SAMPLE_VALUES)
                    .map((row) => row[column])
                    .filter((value) => value !== null && value !== undefined && value !== '')
                    .map(String);
                  return (
                    <tr key={`${column}-${header}`}>
                      <th scope="row">{header}</th>
                      <td>{tr.t(`type.${detected}`)}</td>
                      <td>
                        <select
                          aria-label={tr.t('review.typeFor', { column: header })}
                          value={item.overrides[header] ?? ''}
                          onChange={(event) => onOverride(item.id, header, (event.target.value || null) as ColumnType | null)}
                        >
                          <option value="">{tr.t('review.auto', { type: tr.t(`type.${detected}`) })}</option>
                          {COLUMN_TYPES.map((type) => (
                            <option key={type} value={type}>
                              {tr.t(`type.${type}`)}
                            </option>
                          ))}
                        </select>
                      </td>
                      <td className="samples">{samples.join(' / ')}</td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
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
