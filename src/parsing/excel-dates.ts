import XLSX from '@e965/xlsx';

/**
 * Spreadsheet dates are numbers (days since an epoch) shown through a date number format. These
 * helpers decide which formats are dates and turn serials into JS Dates whose UTC fields are the
 * date and time the spreadsheet shows (no time zone involved, unlike SheetJS's cellDates).
 */

const MS_PER_DAY = 86_400_000;
/** 1900 system: serial 1 = 1900-01-01; serial 60 is Excel's fictitious 1900-02-29 (Lotus bug). */
const EPOCH_1900_BEFORE_LEAP_BUG = Date.UTC(1899, 11, 31);
const EPOCH_1900_AFTER_LEAP_BUG = Date.UTC(1899, 11, 30);
const FICTITIOUS_1900_02_29 = 60;
/** 1904 system (old Mac workbooks): serial 0 = 1904-01-01. */
const EPOCH_1904 = Date.UTC(1904, 0, 1);
/** Excel's largest date, 9999-12-31. */
const MAX_SERIAL = 2_958_465;

/**
 * Built-in number formats that are dates or times. 14–22 and 45–47 are universal; 27–36 and 50–58
 * are the East-Asian locale date formats (e.g. 31 = yyyy"年"m"月"d"日" in Chinese Excel).
 */
const BUILTIN_DATE_FORMAT_IDS = new Set([
  14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58,
]);

export function isDateFormat(numFmtId: number, formatCode: string | undefined): boolean {
  if (formatCode !== undefined) return XLSX.SSF.is_date(formatCode);
  return BUILTIN_DATE_FORMAT_IDS.has(numFmtId);
}

/**
 * The Date an Excel serial shows, or undefined when it is no real date (negative, beyond 9999, or
 * the 1900 system's fictitious 1900-02-29, which the date cleaner then reports as invalid).
 */
export function excelSerialToDate(serial: number, date1904 = false): Date | undefined {
  if (!Number.isFinite(serial) || serial < 0 || serial > MAX_SERIAL) return undefined;
  // Rounded to the millisecond: serials are binary fractions of a day (0.1 day is not exact).
  const dayMs = (days: number): number => Math.round(days * MS_PER_DAY);
  if (date1904) return new Date(EPOCH_1904 + dayMs(serial));
  if (Math.floor(serial) === FICTITIOUS_1900_02_29) return undefined;
  const epoch = serial < FICTITIOUS_1900_02_29 ? EPOCH_1900_BEFORE_LEAP_BUG : EPOCH_1900_AFTER_LEAP_BUG;
  return new Date(epoch + dayMs(serial));
}
