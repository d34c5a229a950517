import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SharedStringTable } from '../../src/parsing/shared-string-table.js';

function tableOf(texts: readonly string[], maxJoinedChars?: number): SharedStringTable {
  const table = new SharedStringTable(maxJoinedChars);
  for (const text of texts) table.add(text);
  return table.seal();
}

describe('SharedStringTable', () => {
  it('gives back every text, in order, across block boundaries (4,096 texts per block)', () => {
    const texts = Array.from({ length: 4096 * 2 + 3 }, (_, i) => (i % 7 === 0 ? '' : i % 5 === 0 ? `北京市朝阳区建国路${i}号` : `text ${i}`));
    const table = tableOf(texts);
    expect(table.size).toBe(texts.length);
    for (const i of [0, 1, 4094, 4095, 4096, 4097, 8191, 8192, 8193, 8194]) expect(table.get(i)).toBe(texts[i]);
    expect(texts.every((text, i) => table.get(i) === text)).toBe(true);
  });

  it('answers undefined for an index outside the table, negative or not an integer', () => {
    const table = tableOf(['a', 'b']);
    for (const index of [2, 3, -1, 0.5, Number.NaN, Number.POSITIVE_INFINITY]) expect(table.get(index)).toBeUndefined();
    expect(tableOf([]).get(0)).toBeUndefined();
  });

  it('is read only after it is sealed, and takes no text after that', () => {
    const table = new SharedStringTable();
    table.add('x');
    expect(() => table.get(0)).toThrow(/sealed/);
    table.seal();
    expect(() => table.add('y')).toThrow(/sealed/);
    expect(table.get(0)).toBe('x');
  });

  it('keeps a block whose texts are longer together than the joined-block bound as separate texts', () => {
    const texts = Array.from({ length: 4096 + 10 }, (_, i) => (i < 4096 ? `长文本${i}`.repeat(3) : `t${i}`));
    const table = tableOf(texts, 1000);
    expect(texts.every((text, i) => table.get(i) === text)).toBe(true);
    expect(table.get(texts.length)).toBeUndefined();
  });

  it('property: a lookup equals the text added at that index (any texts, any count, blocks joined or not)', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'grapheme', maxLength: 30 }), { maxLength: 9000, size: 'max' }), fc.boolean(), (texts, unjoined) => {
        const table = tableOf(texts, unjoined ? 100 : undefined);
        expect(table.size).toBe(texts.length);
        for (let i = 0; i < texts.length; i++) if (table.get(i) !== texts[i]) return false;
        return table.get(texts.length) === undefined;
      }),
      { numRuns: 100 },
    );
  });
});
