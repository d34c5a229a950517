/**
 * A batch handed from the cleaning thread to the writer (thread-protocol.ts) arrives as it left:
 * any records, any text (empty, astral, NUL, lone surrogates), any counts, in order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packBatch, unpackBatch } from '../../src/pipeline/thread-protocol.js';
import type { FieldErrorType } from '../../src/domain/index.js';
import type { RecordBatch } from '../../src/pipeline/types.js';

const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 8 }), fc.constant(''));
const position = { sheetIndex: fc.nat({ max: 300 }), rowNumber: fc.integer({ min: 1, max: 2 ** 40 }) };
const values = fc.array(text, { maxLength: 12 });
const fieldError = fc.record({
  field: text,
  value: text,
  errorType: fc.constantFrom<FieldErrorType>('INVALID_PHONE', 'INVALID_ADDRESS', 'DUPLICATE_ROW'),
  message: text,
});
const batch: fc.Arbitrary<RecordBatch> = fc.record({
  clean: fc.array(fc.record({ ...position, values }), { maxLength: 30 }),
  exceptions: fc.array(fc.record({ ...position, values, errors: fc.array(fieldError, { maxLength: 4 }) }), { maxLength: 30 }),
});

describe('the hand-over of batches between threads', () => {
  it('unpack(pack(batch)) equals the batch, also after a copy like postMessage makes', () => {
    fc.assert(
      fc.property(batch, (original) => {
        const { text: packed, numbers } = packBatch(original);
        const copied = structuredClone({ packed, numbers }, { transfer: [numbers.buffer] });
        expect(unpackBatch(copied.packed, copied.numbers)).toEqual(original);
      }),
      { numRuns: 200 },
    );
  });
});
