/** How a column is cleaned. Detected per sheet from headers and sampled values; uploads may override it. */
export type ColumnType = 'phone' | 'date' | 'address' | 'text' | 'number';

/** Every {@link ColumnType}, in the order the UI offers them. */
export const COLUMN_TYPES: readonly ColumnType[] = ['phone', 'date', 'address', 'text', 'number'];
