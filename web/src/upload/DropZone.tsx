import { useId, useRef, useState, type DragEvent } from 'react';
import { useTr } from '../i18n/I18nProvider.js';
import type { UploadLimits } from './validateFile.js';

/** Where files are dropped or picked; the hint states what the server accepts. */
export function DropZone({ limits, onFiles }: { limits: UploadLimits; onFiles(files: File[]): void }) {
  const tr = useTr();
  const inputId = useId();
  const hintId = useId();
  const [dragging, setDragging] = useState(false);
  // dragenter/dragleave fire for every child element; count them to know when the pointer really left.
  const depth = useRef(0);
  const extensions = limits.acceptedExtensions.join(' / ');
  const hint =
    limits.maxFileSize !== null ? tr.t('upload.accepts', { extensions, size: tr.bytes(limits.maxFileSize) }) : tr.t('upload.acceptsNoLimit', { extensions });

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
        accept={limits.acceptedExtensions.join(',')}
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
