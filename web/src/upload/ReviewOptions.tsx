import { useId } from 'react';
import { useTr } from '../i18n/I18nProvider.js';
import { CSV_DELIMITERS, CSV_ENCODINGS, type ReviewItem } from './reviews.js';
import { fileExtension } from './validateFile.js';

export interface ReviewOptionHandlers {
  onCsvOption(id: string, key: 'encoding' | 'delimiter', value: string | null): void;
  onDedupe(id: string, on: boolean): void;
}

/** A reviewed file's processing options: a CSV's encoding and delimiter, and the dedupe switch. */
export function ReviewOptions({ item, onCsvOption, onDedupe }: { item: ReviewItem } & ReviewOptionHandlers) {
  const tr = useTr();
  const encodingId = useId();
  const delimiterId = useId();
  const isCsv = fileExtension(item.file.name) === '.csv';
  return (
    <fieldset className="review-options">
      <legend>{tr.t('review.options')}</legend>
      {isCsv && (
        <>
          <label htmlFor={encodingId}>{tr.t('review.encoding')}</label>{' '}
          <select id={encodingId} value={item.csv.encoding ?? ''} onChange={(event) => onCsvOption(item.id, 'encoding', event.target.value || null)}>
            <option value="">{tr.t('review.csvAuto')}</option>
            {CSV_ENCODINGS.map((encoding) => (
              <option key={encoding} value={encoding}>
                {encoding.toUpperCase()}
              </option>
            ))}
          </select>{' '}
          <label htmlFor={delimiterId}>{tr.t('review.delimiter')}</label>{' '}
          <select id={delimiterId} value={item.csv.delimiter ?? ''} onChange={(event) => onCsvOption(item.id, 'delimiter', event.target.value || null)}>
            <option value="">{tr.t('review.csvAuto')}</option>
            {(Object.keys(CSV_DELIMITERS) as (keyof typeof CSV_DELIMITERS)[]).map((name) => (
              <option key={name} value={CSV_DELIMITERS[name]}>
                {tr.t(`review.delimiter.${name}`)}
              </option>
            ))}
          </select>{' '}
        </>
      )}
      <label>
        <input type="checkbox" checked={item.dedupe} onChange={(event) => onDedupe(item.id, event.target.checked)} /> {tr.t('review.dedupe')}
      </label>
    </fieldset>
  );
}
