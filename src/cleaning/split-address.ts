/**
 * Validates one row of an address split into columns: each division cell must name a unit of its
 * level (official name or short form, 广东 → 广东省), the district must belong to the city and the
 * city to the province. Blank division cells are filled from the others when that is certain
 * (广州市 → 广东省; a municipality's city; 东莞市 as its own district); a division column still
 * blank after that makes the address incomplete. The detail is kept as text.
 *
 * Placeholder words of the official tables are read as "no value": 市辖区 / 县 under a
 * municipality, 省直辖县级行政区划 in the city column (仙桃市 is then both city and district).
 */
import { findDivisionNames, type CityUnit, type CountyUnit, type DivisionUnit, type ProvinceUnit } from './divisions.js';
import type { CleanResult } from './types.js';

export interface SplitAddressInput {
  province?: string;
  city?: string;
  district?: string;
}

export interface SplitAddress {
  province: string;
  city: string;
  district: string;
}

/** Which division columns the group has (a column that is absent is never required). */
export interface SplitAddressColumns {
  province: boolean;
  city: boolean;
  district: boolean;
}

type Level = 'province' | 'city' | 'county';
type Failure = { ok: false; errorType: 'INVALID_ADDRESS' | 'INCOMPLETE_ADDRESS' | 'AMBIGUOUS_ADDRESS'; message: string; part: keyof SplitAddress };

const PLACEHOLDERS = new Set(['市辖区', '县', '省直辖县级行政区划', '自治区直辖县级行政区划', '直辖县级行政区划']);
const MAX_LISTED = 6;

/** Units of `level` that the whole of `text` names (official name first). */
function unitsNamed(text: string, level: Level): DivisionUnit[] {
  const units: DivisionUnit[] = [];
  for (const match of findDivisionNames(text)) {
    if (match.start !== 0 || match.end !== text.length) continue;
    const readings = [...match.readings].sort((a, b) => a.weight - b.weight);
    for (const reading of readings) if (reading.unit.level === level && !units.includes(reading.unit)) units.push(reading.unit);
  }
  return units;
}

function provinceOf(unit: DivisionUnit): ProvinceUnit {
  return unit.level === 'province' ? unit : unit.level === 'city' ? unit.province : unit.city.province;
}

function fail(part: keyof SplitAddress, errorType: Failure['errorType'], message: string): Failure {
  return { ok: false, errorType, message, part };
}

function full(unit: DivisionUnit): string {
  return unit.level === 'county' && unit.city.name !== unit.name ? `${describeCity(unit.city)}${unit.name}` : describeCity(unit);
}

function describeCity(unit: DivisionUnit): string {
  if (unit.level === 'province') return unit.name;
  const city = unit.level === 'city' ? unit : unit.city;
  return city.name === city.province.name ? city.name : `${city.province.name}${city.name}`;
}

/**
 * Reads the cells of one level, keeping the units that fit the parent already known. Returns
 * undefined for a blank or placeholder cell.
 */
function readLevel<T extends DivisionUnit>(
  text: string | undefined,
  level: Level,
  part: keyof SplitAddress,
  fits: (unit: T) => boolean,
  parentName: string | undefined,
): T | undefined | Failure {
  if (text === undefined || text === '' || PLACEHOLDERS.has(text)) return undefined;
  const named = unitsNamed(text, level) as T[];
  const label = part === 'province' ? '省份' : part === 'city' ? '城市' : '区县';
  if (named.length === 0) return fail(part, 'INVALID_ADDRESS', `无法识别${label}“${text}”`);
  const fitting = named.filter(fits);
  if (fitting.length === 0) return fail(part, 'INVALID_ADDRESS', `省市区不匹配：“${text}”不属于“${parentName ?? ''}”`);
  if (fitting.length > 1) {
    const listed = fitting.slice(0, MAX_LISTED).map(full).join('、');
    return fail(part, 'AMBIGUOUS_ADDRESS', `地址有歧义：“${text}”可能是${listed}，请写明省/市`);
  }
  return fitting[0];
}

function isFailure(value: unknown): value is Failure {
  return typeof value === 'object' && value !== null && 'ok' in value;
}

/** Resolves the division cells of one row (already trimmed; undefined when the group has no such column). */
export function resolveSplitAddress(cells: SplitAddressInput, columns: SplitAddressColumns): CleanResult<SplitAddress> & { part?: keyof SplitAddress } {
  const province = readLevel<ProvinceUnit>(cells.province, 'province', 'province', () => true, undefined);
  if (isFailure(province)) return province;
  const city = readLevel<CityUnit>(cells.city, 'city', 'city', (unit) => !province || unit.province === province, province?.name);
  if (isFailure(city)) return city;
  const parent = city ? describeCity(city) : province?.name;
  const county = readLevel<CountyUnit>(
    cells.district,
    'county',
    'district',
    (unit) => (city ? unit.city === city : !province || unit.city.province === province),
    parent,
  );
  if (isFailure(county)) return county;

  const resolvedCity = county?.city ?? city ?? (province?.isMunicipality ? province.cities[0] : undefined);
  const resolvedProvince = province ?? (resolvedCity ? provinceOf(resolvedCity) : undefined);
  const resolvedCounty = county ?? resolvedCity?.selfCounty;
  const known = resolvedCounty ?? resolvedCity ?? resolvedProvince;
  const missing = (columns.province && !resolvedProvince) || (columns.city && !resolvedCity) || (columns.district && !resolvedCounty);
  if (missing) {
    const part = columns.district && !resolvedCounty ? 'district' : columns.city && !resolvedCity ? 'city' : 'province';
    const what = part === 'district' ? '区/县' : part === 'city' ? '城市' : '省份';
    const recognized = known ? `（已识别：${full(known)}）` : '';
    return fail(part, 'INCOMPLETE_ADDRESS', `地址不完整：缺少${what}${recognized}`);
  }
  return {
    ok: true,
    value: { province: resolvedProvince?.name ?? '', city: resolvedCity?.name ?? '', district: resolvedCounty?.name ?? '' },
  };
}
