import { useEffect, useRef, useState } from 'react';
import { errorInfoFrom } from '../api.js';
import { useServices } from '../services-context.js';
import type { ColumnType } from '../types.js';
import { csvFields, newReview, uploadOf, withCsvOption, withDedupe, withOverride, withPreview, withPreviewError, type ReviewItem } from './reviews.js';
import { previewSlice } from './validateFile.js';

interface Reviews {
  items: ReviewItem[];
  /** Opens a review per file and asks the server for its header preview. */
  add(files: File[]): void;
  override(id: string, header: string, type: ColumnType | null): void;
  /** Sets a CSV's encoding or delimiter (null: detect) and previews it again with it. */
  csvOption(id: string, key: 'encoding' | 'delimiter', value: string | null): void;
  dedupe(id: string, on: boolean): void;
  /** Uploads the reviewed file with its overrides, and closes the review. */
  start(id: string): void;
  /** Closes the review without uploading (its preview request is aborted). */
  discard(id: string): void;
}

/** The open header reviews and their preview requests (all aborted when the page goes away). */
export function useReviews(): Reviews {
  const { api, board } = useServices();
  const [items, setItems] = useState<ReviewItem[]>([]);
  const nextId = useRef(1);
  const aborts = useRef(new Map<string, AbortController>());

  useEffect(() => {
    const pending = aborts.current;
    return () => {
      for (const controller of pending.values()) controller.abort();
    };
  }, []);

  const requestPreview = (item: ReviewItem) => {
    aborts.current.get(item.id)?.abort();
    const controller = new AbortController();
    aborts.current.set(item.id, controller);
    api.preview(previewSlice(item.file), item.file.name, controller.signal, csvFields(item)).then(
      (result) => setItems((list) => withPreview(list, item.id, result)),
      (error: unknown) => {
        if (!controller.signal.aborted) setItems((list) => withPreviewError(list, item.id, errorInfoFrom(error)));
      },
    );
  };

  const discard = (id: string) => {
    aborts.current.get(id)?.abort();
    aborts.current.delete(id);
    setItems((list) => list.filter((item) => item.id !== id));
  };

  return {
    items,
    add: (files) => {
      const added = files.map((file) => newReview(`review-${nextId.current++}`, file));
      setItems((list) => [...list, ...added]);
      added.forEach(requestPreview);
    },
    override: (id, header, type) => setItems((list) => withOverride(list, id, header, type)),
    csvOption: (id, key, value) => {
      const next = withCsvOption(items, id, key, value);
      setItems(next);
      const item = next.find((other) => other.id === id);
      if (item) requestPreview(item);
    },
    dedupe: (id, on) => setItems((list) => withDedupe(list, id, on)),
    start: (id) => {
      const item = items.find((other) => other.id === id);
      if (!item) return;
      board.addFiles([uploadOf(item)]);
      discard(id);
    },
    discard,
  };
}
