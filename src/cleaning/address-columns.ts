/**
 * Addresses already split into columns (省份 / 城市 / 区县 / 详细地址, province / city / district /
 * detail, and the product's own output 地址_省 / 地址_市 / 地址_区 / 地址_详细地址).
 *
 * Rules:
 * - A header is a part header when it is a part word, optionally after a prefix that names the
 *   address (收货省份, shipping_city, 地址_省). 所在/所属 around the prefix are ignored.
 * - Part headers sharing one prefix form a group when the group has at least two parts and one of
 *   them is a division (province, city or district): a lone 城市 or 详细地址 column is not a group
 *   and is typed as before (a lone 详细地址 is a full address).
 * - At cleaning time the part-typed columns (detected or chosen by the user) are grouped by the
 *   same prefix, in column order; a part that repeats within a prefix starts a new group. Columns
 *   whose header names no part share one unnamed prefix.
 */
import type { ColumnType } from '../domain/index.js';

export type AddressPartType = 'province' | 'city' | 'district' | 'address_detail';

const ADDRESS_PART_TYPES: readonly AddressPartType[] = ['province', 'city', 'district', 'address_detail'];

/** Column indexes of one group's parts (each optional). */
export type AddressGroup = Partial<Record<AddressPartType, number>>;

const CHINESE_PART_WORDS: readonly [string, AddressPartType][] = [
  ['省份名称', 'province'],
  ['省份', 'province'],
  ['省', 'province'],
  ['城市名称', 'city'],
  ['城市', 'city'],
  ['地市', 'city'],
  ['市', 'city'],
  ['区县名称', 'district'],
  ['区县', 'district'],
  ['区/县', 'district'],
  ['县区', 'district'],
  ['县/区', 'district'],
  ['区', 'district'],
  ['县', 'district'],
  ['详细地址', 'address_detail'],
  ['地址详情', 'address_detail'],
  ['详细住址', 'address_detail'],
  ['街道地址', 'address_detail'],
  ['具体地址', 'address_detail'],
];

const ENGLISH_PART_WORDS: Readonly<Record<string, AddressPartType>> = {
  province: 'province',
  provincename: 'province',
  prov: 'province',
  city: 'city',
  cityname: 'city',
  district: 'district',
  districtname: 'district',
  county: 'district',
  detail: 'address_detail',
  details: 'address_detail',
  street: 'address_detail',
  detailaddress: 'address_detail',
  streetaddress: 'address_detail',
  addressdetail: 'address_detail',
};

const PREFIX_NOISE = /^(?:所在|所属)|(?:所在|所属)$|[\s_\-/]+$/g;

/** The part a header names and the prefix before it, or undefined. */
export function addressPartOfHeader(header: string): { part: AddressPartType; prefix: string } | undefined {
  const text = header.trim();
  for (const [word, part] of CHINESE_PART_WORDS) {
    if (text.endsWith(word)) return { part, prefix: cleanPrefix(text.slice(0, -word.length)) };
  }
  const english = /^(.*?)[\s_-]*((?:detail|street)[\s_-]*address|address[\s_-]*detail|[a-z]+)$/i.exec(text);
  if (english) {
    const part = ENGLISH_PART_WORDS[english[2].toLowerCase().replace(/[\s_-]/g, '')];
    if (part) return { part, prefix: cleanPrefix(english[1]).toLowerCase() };
  }
  return undefined;
}

function cleanPrefix(prefix: string): string {
  return prefix.replace(PREFIX_NOISE, '').replace(PREFIX_NOISE, '');
}

function isDivisionPart(part: AddressPartType): boolean {
  return part !== 'address_detail';
}

/**
 * Groups columns into split addresses. `partOf(i)` says which part column i is (undefined for
 * none); groups are keyed by header prefix, split where a part repeats.
 */
function groupColumns(headers: readonly string[], partOf: (column: number) => AddressPartType | undefined): AddressGroup[] {
  const open = new Map<string, AddressGroup>();
  const groups: AddressGroup[] = [];
  headers.forEach((header, column) => {
    const part = partOf(column);
    if (!part) return;
    const key = addressPartOfHeader(header)?.prefix ?? '\u0000';
    let group = open.get(key);
    if (!group || group[part] !== undefined) {
      group = {};
      open.set(key, group);
      groups.push(group);
    }
    group[part] = column;
  });
  return groups;
}

/** Types of the columns that form split-address groups by their headers (others are absent). */
export function detectAddressPartColumns(headers: readonly string[]): Map<number, AddressPartType> {
  const parts = headers.map((header) => addressPartOfHeader(header)?.part);
  const found = new Map<number, AddressPartType>();
  for (const group of groupColumns(headers, (column) => parts[column])) {
    const members = Object.entries(group) as [AddressPartType, number][];
    if (members.length < 2 || !members.some(([part]) => isDivisionPart(part))) continue;
    for (const [part, column] of members) found.set(column, part);
  }
  return found;
}

function isAddressPartType(type: ColumnType): type is AddressPartType {
  return (ADDRESS_PART_TYPES as readonly string[]).includes(type);
}

/** The split-address groups of a sheet, from its column types. */
export function addressGroupsOf(headers: readonly string[], types: readonly ColumnType[]): AddressGroup[] {
  return groupColumns(headers, (column) => {
    const type = types[column];
    return isAddressPartType(type) ? type : undefined;
  });
}
