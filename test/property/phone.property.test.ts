import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanPhone } from '../../src/cleaning/phone.js';

const RUNS = { numRuns: 300 };

/** Full-width form of an ASCII character (digits, +, -, (, ) …). */
function toFullWidth(text: string): string {
  return text.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
}

const digit = fc.constantFrom(...'0123456789'.split(''));
const digits = (minLength: number, maxLength: number) => fc.array(digit, { minLength, maxLength }).map((list) => list.join(''));

const mobile = fc.tuple(fc.constantFrom(...'3456789'.split('')), digits(9, 9)).map(([second, rest]) => `1${second}${rest}`);

/** Area code without its trunk 0: 10, 2X, or a 3-digit code starting with 3–9. */
const areaCode = fc.oneof(
  fc.constant('10'),
  digit.map((d) => `2${d}`),
  fc.tuple(fc.constantFrom(...'3456789'.split('')), digits(2, 2)).map(([a, b]) => a + b),
);
const subscriber = fc.tuple(fc.constantFrom(...'23456789'.split('')), digits(6, 7)).map(([a, b]) => a + b);
/** A landline with its trunk 0, 10–12 digits in all. */
const landline = fc
  .tuple(areaCode, subscriber)
  .map(([area, number]) => `0${area}${number}`)
  .filter((number) => number.length >= 10 && number.length <= 12);

const separator = fc.constantFrom('', '', ' ', '-', '.', '/', '　', '－', '—', '·', ' - ');

/** Writes `number` with a random separator after each digit and random full-width digits. */
function decorate(number: string, separators: string[], fullWidth: boolean[]): string {
  let out = '';
  for (let i = 0; i < number.length; i++) {
    out += fullWidth[i] ? toFullWidth(number[i]) : number[i];
    if (i < number.length - 1) out += separators[i % separators.length];
  }
  return out;
}

const decoration = fc.record({
  separators: fc.array(separator, { minLength: 1, maxLength: 12 }),
  fullWidth: fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }),
  padding: fc.constantFrom('', ' ', '  ', '\t', '　'),
});

function isValidPhoneShape(value: string): boolean {
  if (!/^\d+$/.test(value)) return false;
  if (value.length === 11 && value[0] === '1') return /^1[3-9]\d{9}$/.test(value);
  if (value[0] === '0') return value.length >= 10 && value.length <= 12 && value[1] !== '0';
  return (value.length === 7 || value.length === 8) && /^[2-9]/.test(value);
}

describe('cleanPhone properties', () => {
  it('accepted output is digits only with a valid length, whatever the input', () => {
    const phoneLike = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789+-() .８６１３０'.split('')), maxLength: 20 }),
      fc.string({ maxLength: 20 }),
      mobile,
      landline,
      fc.integer({ min: -1e12, max: 1e14 }),
      fc.double(),
    );
    fc.assert(
      fc.property(phoneLike, (input) => {
        const result = cleanPhone(input);
        if (result.ok) expect(isValidPhoneShape(result.value), result.value).toBe(true);
        else expect(result.errorType).toBe('INVALID_PHONE');
      }),
      RUNS,
    );
  });

  it('digit strings of invalid lengths are always flagged', () => {
    const invalidLength = fc.constantFrom(1, 2, 3, 4, 5, 6, 9, 14, 15, 16, 18, 20);
    fc.assert(
      fc.property(
        invalidLength.chain((length) => digits(length, length)),
        (input) => {
          expect(cleanPhone(input).ok).toBe(false);
        },
      ),
      RUNS,
    );
  });

  it('10-, 12- and 13-digit strings are flagged unless they are a landline or 86 + mobile', () => {
    // Biased towards the interesting beginnings (0…, 86…), which uniform digits rarely produce.
    const input = fc.oneof(
      fc.constantFrom(10, 12, 13).chain((n) => digits(n, n)),
      fc
        .constantFrom(9, 11, 12)
        .chain((n) => digits(n, n))
        .map((rest) => `0${rest}`),
      digits(11, 11).map((rest) => `86${rest}`),
    );
    fc.assert(
      fc.property(input, (number) => {
        fc.pre(!number.startsWith('00')); // international prefix: covered by the example tables
        const valid = (number[0] === '0' && number.length <= 12) || /^861[3-9]\d{9}$/.test(number);
        expect(cleanPhone(number).ok).toBe(valid);
      }),
      RUNS,
    );
  });

  it('11-digit strings are valid exactly when they are a mobile or a trunk-0 landline', () => {
    fc.assert(
      fc.property(digits(11, 11), (input) => {
        const valid = /^1[3-9]/.test(input) || /^0[1-9]/.test(input);
        expect(cleanPhone(input).ok).toBe(valid);
      }),
      RUNS,
    );
  });

  it('decorated mobiles (separators, +86/0086/86 prefixes, full width) normalize to the bare 11 digits', () => {
    const prefix = fc.constantFrom('', '', '+86', '+86 ', '0086', '0086-', '86', '86 ', '(+86)', '(+86) ', '＋８６', '（＋86）');
    fc.assert(
      fc.property(mobile, prefix, decoration, (number, countryCode, { separators, fullWidth, padding }) => {
        const input = padding + countryCode + decorate(number, separators, fullWidth) + padding;
        expect(cleanPhone(input)).toEqual({ ok: true, value: number });
      }),
      RUNS,
    );
  });

  it('mobiles as spreadsheet numbers normalize to their digits', () => {
    fc.assert(
      fc.property(mobile, (number) => {
        expect(cleanPhone(Number(number))).toEqual({ ok: true, value: number });
      }),
      RUNS,
    );
  });

  it('decorated landlines normalize to their digits, also after +86 without the trunk 0', () => {
    const prefix = fc.constantFrom('', '+86 ', '0086 ', '+86 (0)');
    fc.assert(
      fc.property(landline, prefix, decoration, (number, countryCode, { separators, fullWidth, padding }) => {
        const written = countryCode === '' || countryCode.endsWith('(0)') ? number.slice(countryCode === '' ? 0 : 1) : number.slice(1);
        const input = padding + countryCode + decorate(written, separators, fullWidth) + padding;
        expect(cleanPhone(input)).toEqual({ ok: true, value: number });
      }),
      RUNS,
    );
  });

  it('a letter anywhere in the number is flagged', () => {
    const letter = fc.constantFrom(...'abcdfghijklmnopqrstuvwyzABCDFGHIJKLMNOPQRSTUVWYZ'.split(''));
    fc.assert(
      fc.property(mobile, letter, fc.integer({ min: 0, max: 11 }), (number, ch, at) => {
        expect(cleanPhone(number.slice(0, at) + ch + number.slice(at)).ok).toBe(false);
      }),
      RUNS,
    );
  });
});
