/**
 * How a column is cleaned. Detected per sheet from headers and sampled values; uploads may override it.
 * `province`/`city`/`district`/`address_detail` are the parts of an address already split into
 * columns (省份, 城市, 区县, 详细地址): such columns are validated together as one group.
 */
export type ColumnType =
  'phone' | 'date' | 'address' | 'text' | 'number' | 'id_card' | 'credit_code' | 'email' | 'province' | 'city' | 'district' | 'address_detail';

/** Every {@link ColumnType}, in the order the UI offers them. */
export const COLUMN_TYPES: readonly ColumnType[] = [
  'phone',
  'date',
  'address',
  'text',
  'number',
  'id_card',
  'credit_code',
  'email',
  'province',
  'city',
  'district',
  'address_detail',
];
