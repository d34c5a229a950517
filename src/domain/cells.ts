/**
 * A cell value as the parsers deliver it: CSV gives strings; spreadsheets also give numbers,
 * booleans and native dates (already converted to a JS Date at UTC midnight of the shown day).
 */
export type CellValue = string | number | boolean | Date | null;
