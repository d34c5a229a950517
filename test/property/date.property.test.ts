import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanDate } from '../../src/cleaning/date.js';

const RUNS = { numRuns: 300 };
const DAY_MS = 86_400_000;
const CHINA_OFFSET_MS = 8 * 3_600_000;

/** The oracle: calendar arithmetic by the JS engine, independent of the cleaner's own. */
const FIRST_DAY = Date.UTC(1900, 0, 1) / DAY_MS;
const LAST_DAY = Date.UTC(2100, 11, 31) / DAY_MS;
const EXCEL_1900_FIRST_REAL_DAY = Date.UTC(1900, 2, 1) / DAY_MS; // serial 61

interface CalendarDay {
  dayNumber: number; // days since 1970-01-01
  year: number;
  month: number;
  day: number;
  iso: string;
}

function calendarDay(dayNumber: number): CalendarDay {
  const date = new Date(dayNumber * DAY_MS);
  return {
    dayNumber,
    year: date.getUTCFullYear(),
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    iso: date.toISOString().slice(0, 10),
  };
}

const validDay = fc.integer({ min: FIRST_DAY, max: LAST_DAY }).map(calendarDay);

function toFullWidth(text: string): string {
  return text.replace(/[!-~]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0));
}

const pad = (n: number) => String(n).padStart(2, '0');
const timeSuffix = fc.constantFrom('', ' 00:00', ' 10:30:00', ' 8:05', 'T23:59:59Z', 'T00:00:00+08:00', 'T12:00:00.000-05:00', ' 11:45 PM', '  23:30:00 +0800');

interface Writing {
  padded: boolean;
  separator: string;
  time: string;
  fullWidth: boolean;
}
const writing: fc.Arbitrary<Writing> = fc.record({
  padded: fc.boolean(),
  separator: fc.constantFrom('-', '/', '.'),
  time: timeSuffix,
  fullWidth: fc.boolean(),
});

/** Every text spelling of the day the cleaner supports, with the chosen padding/separator/time. */
function textForms({ year, month, day }: CalendarDay, w: Writing): string[] {
  const m = w.padded ? pad(month) : String(month);
  const d = w.padded ? pad(day) : String(day);
  const s = w.separator;
  const forms = [
    `${year}${s}${m}${s}${d}${w.time}`,
    `${year}${pad(month)}${pad(day)}`,
    `${year}年${m}月${d}日${w.time}`,
    `${year}年${m}月${d}号`,
    `${m}${s}${d}${s}${year}${w.time}`, // month first always reads back correctly
  ];
  if (day > 12) forms.push(`${d}${s}${m}${s}${year}${w.time}`); // day first only when unambiguous
  return w.fullWidth ? forms.map(toFullWidth) : forms;
}

describe('cleanDate properties', () => {
  it('every text spelling of a valid day normalizes back to that day', () => {
    fc.assert(
      fc.property(validDay, writing, (day, w) => {
        for (const text of textForms(day, w)) {
          expect(cleanDate(text), text).toEqual({ ok: true, value: day.iso });
        }
      }),
      RUNS,
    );
  });

  it('Excel 1900-system serials (number or text, with a time fraction) normalize back', () => {
    fc.assert(
      fc.property(validDay, fc.double({ min: 0, max: 0.999, noNaN: true }), (day, fraction) => {
        // Serial 1 = 1900-01-01; from 1900-03-01 on Excel counts its fictitious 1900-02-29.
        const serial = day.dayNumber - FIRST_DAY + 1 + (day.dayNumber >= EXCEL_1900_FIRST_REAL_DAY ? 1 : 0);
        expect(cleanDate(serial)).toEqual({ ok: true, value: day.iso });
        expect(cleanDate(serial + fraction)).toEqual({ ok: true, value: day.iso });
        expect(cleanDate(String(serial))).toEqual({ ok: true, value: day.iso });
      }),
      RUNS,
    );
  });

  it('Excel 1904-system serials normalize back', () => {
    const first1904Day = Date.UTC(1904, 0, 1) / DAY_MS;
    const day1904 = fc.integer({ min: first1904Day, max: LAST_DAY }).map(calendarDay);
    fc.assert(
      fc.property(day1904, fc.double({ min: 0, max: 0.999, noNaN: true }), (day, fraction) => {
        const serial = day.dayNumber - first1904Day;
        expect(cleanDate(serial + fraction, { date1904: true })).toEqual({ ok: true, value: day.iso });
        expect(cleanDate(String(serial), { date1904: true })).toEqual({ ok: true, value: day.iso });
      }),
      RUNS,
    );
  });

  it('Unix timestamps (s and ms, number and text) at any time of the China-time day normalize back', () => {
    // 9-digit seconds start in March 1973; earlier instants are not timestamps by the digit rules.
    const firstTimestampDay = Date.UTC(1973, 2, 4) / DAY_MS;
    const timestampDay = fc.integer({ min: firstTimestampDay, max: LAST_DAY }).map(calendarDay);
    fc.assert(
      fc.property(timestampDay, fc.integer({ min: 0, max: DAY_MS - 1 }), (day, msOfDay) => {
        const millis = day.dayNumber * DAY_MS - CHINA_OFFSET_MS + msOfDay;
        const seconds = Math.floor(millis / 1000);
        for (const input of [millis, String(millis), seconds, String(seconds)]) {
          expect(cleanDate(input), String(input)).toEqual({ ok: true, value: day.iso });
        }
      }),
      RUNS,
    );
  });

  it('JS Dates (native spreadsheet cells) normalize to their UTC day', () => {
    fc.assert(
      fc.property(validDay, fc.integer({ min: 0, max: DAY_MS - 1 }), (day, msOfDay) => {
        expect(cleanDate(new Date(day.dayNumber * DAY_MS + msOfDay))).toEqual({ ok: true, value: day.iso });
      }),
      RUNS,
    );
  });

  it('valid month/day in a year outside 1900–2100 is DATE_OUT_OF_RANGE', () => {
    const year = fc.oneof(fc.integer({ min: 1000, max: 1899 }), fc.integer({ min: 2101, max: 9999 }));
    fc.assert(
      fc.property(year, fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 28 }), writing, (y, month, d, w) => {
        const day: CalendarDay = { dayNumber: 0, year: y, month, day: d, iso: '' };
        for (const text of textForms(day, w)) {
          expect(cleanDate(text), text).toMatchObject({ ok: false, errorType: 'DATE_OUT_OF_RANGE' });
        }
      }),
      RUNS,
    );
  });

  it('a day past the end of its month, or a month past 12, is INVALID_DATE', () => {
    const impossible = fc.oneof(
      fc.tuple(fc.integer({ min: 1900, max: 2100 }), fc.integer({ min: 1, max: 12 })).chain(([year, month]) => {
        const monthLength = new Date(Date.UTC(year, month, 0)).getUTCDate();
        return fc.integer({ min: monthLength + 1, max: 99 }).map((day) => ({ year, month, day }));
      }),
      fc.record({
        year: fc.integer({ min: 1900, max: 2100 }),
        month: fc.integer({ min: 13, max: 99 }),
        day: fc.integer({ min: 1, max: 28 }),
      }),
    );
    fc.assert(
      fc.property(impossible, writing, ({ year, month, day }, w) => {
        const forms = textForms({ dayNumber: 0, year, month, day, iso: '' }, w).slice(0, 4); // year-first forms
        for (const text of forms) {
          expect(cleanDate(text), text).toMatchObject({ ok: false, errorType: 'INVALID_DATE' });
        }
      }),
      RUNS,
    );
  });

  it('never throws, and anything accepted is a real day within range', () => {
    const anything = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.string({ unit: fc.constantFrom(...'0123456789-/.年月日 :T+Z'.split('')), maxLength: 25 }),
      fc.double(),
      fc.integer(),
      fc.date({ noInvalidDate: false }),
    );
    fc.assert(
      fc.property(anything, (input) => {
        const result = cleanDate(input);
        if (!result.ok) return;
        expect(result.value).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        const time = Date.parse(`${result.value}T00:00:00Z`);
        expect(new Date(time).toISOString().slice(0, 10)).toBe(result.value); // no 02-30 etc.
        expect(time / DAY_MS).toBeGreaterThanOrEqual(FIRST_DAY);
        expect(time / DAY_MS).toBeLessThanOrEqual(LAST_DAY);
      }),
      RUNS,
    );
  });
});
