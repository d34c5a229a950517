import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/cleaning/address.js';
import { allCounties, allProvinces, findDivisionNames, type CountyUnit } from '../../src/cleaning/divisions.js';

const COUNTIES = [...allCounties()];

/** Road names checked below to contain no division name or alias. */
const NEUTRAL_ROADS = ['幸福路', '建设路', '人民路', '文化路', '青年路', '胜利路', '光华路', '科技路', '学府街', '育才路', '团结路', '黄河路'];
const DETAIL_WORDS = ['号', '栋', '单元', '室', '路', '街', '号楼', '层'];
const NOISE_PREFIXES = ['我家的地址是', '收货地址：', '地址:', '地址： ', '寄往', '联系地址：', '请送到', '详细地址为 ', '家庭住址'];

/** A realistic detail that cannot form a division name: a neutral road, then numbers and unit words. */
const detailArbitrary = fc
  .tuple(
    fc.constantFrom(...NEUTRAL_ROADS),
    fc.array(fc.tuple(fc.integer({ min: 1, max: 9999 }), fc.constantFrom(...DETAIL_WORDS)), { minLength: 0, maxLength: 4 }),
  )
  .map(([road, parts]) => road + parts.map(([number, word]) => `${number}${word}`).join(''));

const TRAILING_SEPARATORS = /[\s,，、:：;；\-－—/|]+$/;
const LEADING_SEPARATORS = /^[\s,，、:：;；\-－—/|]+/;

type Form = 'full' | 'short' | 'spaced';

/** How people write a county's address: each level once (北京市朝阳区, 湖北省仙桃市, 广东省东莞市). */
function writtenAddress(county: CountyUnit, form: Form): string {
  const city = county.city;
  const province = city.province;
  const officialLevels: { name: string; shortName: string }[] = [];
  for (const unit of [province, city, county]) {
    if (officialLevels[officialLevels.length - 1]?.name === unit.name) continue;
    // Counties stay in full: their short forms are only accepted in context and can be ambiguous.
    const shortName = unit.level === 'county' ? unit.name : (unit.shortNames[0] ?? unit.name);
    officialLevels.push({ name: unit.name, shortName });
  }
  if (form === 'short') return officialLevels.map((level) => level.shortName).join('');
  return officialLevels.map((level) => level.name).join(form === 'spaced' ? ' ' : '');
}

function expectCounty(input: string, county: CountyUnit, detail: string): void {
  expect(parseAddress(input), input).toEqual({
    ok: true,
    value: { province: county.city.province.name, city: county.city.name, district: county.name, detail },
  });
}

describe('address splitting properties', () => {
  it('the building blocks of details and noise contain no division name', () => {
    for (const word of [...NEUTRAL_ROADS, ...DETAIL_WORDS, ...NOISE_PREFIXES]) {
      expect(findDivisionNames(word), word).toEqual([]);
    }
    fc.assert(
      fc.property(detailArbitrary, (detail) => {
        expect(findDivisionNames(detail)).toEqual([]);
        expect(parseAddress(detail)).toMatchObject({ ok: false, errorType: 'INVALID_ADDRESS' });
      }),
      { numRuns: 200 },
    );
  });

  // Every county of the data, deterministically (fast-check below samples the other dimensions).
  it.each<Form>(['full', 'short', 'spaced'])('every county round-trips (%s form)', (form) => {
    const failures: string[] = [];
    COUNTIES.forEach((county, index) => {
      const detail = `${NEUTRAL_ROADS[index % NEUTRAL_ROADS.length]}${index + 1}号`;
      for (const noise of ['', NOISE_PREFIXES[index % NOISE_PREFIXES.length]]) {
        const input = `${noise}${writtenAddress(county, form)}${detail}`;
        const result = parseAddress(input);
        const ok =
          result.ok &&
          result.value.province === county.city.province.name &&
          result.value.city === county.city.name &&
          result.value.district === county.name &&
          result.value.detail === detail;
        if (!ok) failures.push(`${input} → ${JSON.stringify(result)}`);
      }
    });
    expect(COUNTIES).toHaveLength(2978);
    expect(failures).toEqual([]);
  });

  it('any county with random detail, form and noise prefix', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...COUNTIES),
        fc.constantFrom<Form>('full', 'short', 'spaced'),
        fc.option(fc.constantFrom(...NOISE_PREFIXES), { nil: undefined }),
        fc.constantFrom('', ' ', '，', '：'),
        detailArbitrary,
        (county, form, noise, separator, detail) => {
          expectCounty(`${noise ?? ''}${writtenAddress(county, form)}${separator}${detail}`, county, detail);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('a county name alone is found when unique nationwide, ambiguous otherwise', () => {
    const countiesByName = new Map<string, CountyUnit[]>();
    for (const county of COUNTIES) {
      const list = countiesByName.get(county.name) ?? [];
      list.push(county);
      countiesByName.set(county.name, list);
    }
    // County names of 1–2 characters (赵县, 城区) are not read without a parent: see docs/DIVISIONS.md.
    const inferable = COUNTIES.filter((county) => county.name.length >= 3);
    fc.assert(
      fc.property(fc.constantFrom(...inferable), detailArbitrary, (county, detail) => {
        const sameName = countiesByName.get(county.name) ?? [];
        const cityNameClash = allProvinces().some((province) => province.cities.some((city) => city.name === county.name && city !== county.city));
        fc.pre(!cityNameClash);
        if (sameName.length === 1) {
          expectCounty(`${county.name}${detail}`, county, detail);
        } else {
          const result = parseAddress(`${county.name}${detail}`);
          expect(result).toMatchObject({ ok: false, errorType: 'AMBIGUOUS_ADDRESS' });
          if (!result.ok) {
            for (const candidate of sameName) expect(result.message).toContain(candidate.city.name);
          }
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a province and city without county is incomplete, naming the missing 区/县', () => {
    const prefectures = allProvinces().flatMap((province) => province.cities.filter((city) => city.selfCounty === undefined));
    fc.assert(
      fc.property(fc.constantFrom(...prefectures), fc.boolean(), detailArbitrary, (city, withProvince, detail) => {
        const prefix = withProvince && city.name !== city.province.name ? city.province.name : '';
        const result = parseAddress(`${prefix}${city.name}${detail}`);
        expect(result).toMatchObject({ ok: false, errorType: 'INCOMPLETE_ADDRESS' });
        if (!result.ok) expect(result.message).toContain('缺少区/县');
      }),
      { numRuns: 300 },
    );
  });

  it('a county after a province it does not belong to is a contradiction', () => {
    const provinces = allProvinces();
    const countiesWithUniqueLongName = COUNTIES.filter(
      (county) => county.name.length >= 3 && COUNTIES.filter((other) => other.name === county.name).length === 1,
    );
    fc.assert(
      fc.property(fc.constantFrom(...countiesWithUniqueLongName), fc.constantFrom(...provinces), detailArbitrary, (county, province, detail) => {
        fc.pre(county.city.province !== province);
        // 天津市河北邢台经济开发区: 河北 is also the short form of 天津市河北区, so the text does not contradict.
        const ownNames = province.cities.flatMap((city) => city.counties.flatMap((own) => [own.name, ...own.shortNames]));
        fc.pre(!ownNames.some((name) => county.name.startsWith(name)));
        const result = parseAddress(`${province.name}${county.name}${detail}`);
        expect(result).toMatchObject({ ok: false, errorType: 'INVALID_ADDRESS' });
        if (!result.ok) expect(result.message).toContain(`“${county.name}”不属于“${province.name}”`);
      }),
      { numRuns: 300 },
    );
  });

  it('on any text built from division names and noise, a success is a consistent triple and a suffix', () => {
    const names = [
      ...allProvinces().flatMap((province) => [province.name, ...province.shortNames]),
      ...allProvinces().flatMap((province) => province.cities.flatMap((city) => [city.name, ...city.shortNames])),
      ...COUNTIES.flatMap((county) => [county.name, ...county.shortNames]),
    ];
    const token = fc.oneof(
      fc.constantFrom(...names),
      fc.constantFrom(...NEUTRAL_ROADS, ...DETAIL_WORDS, ' ', '，', '路', '门', '湖'),
      fc.string({ maxLength: 3 }),
    );
    const districts = new Map(COUNTIES.map((county) => [`${county.city.province.name}/${county.city.name}/${county.name}`, county]));
    fc.assert(
      fc.property(fc.array(token, { maxLength: 8 }), (tokens) => {
        const input = tokens.join('');
        const result = parseAddress(input);
        if (!result.ok) {
          expect(['INVALID_ADDRESS', 'INCOMPLETE_ADDRESS', 'AMBIGUOUS_ADDRESS']).toContain(result.errorType);
          expect(result.message.length).toBeGreaterThan(0);
          return;
        }
        const { province, city, district, detail } = result.value;
        expect(districts.has(`${province}/${city}/${district}`), `${input} → ${province}/${city}/${district}`).toBe(true);
        // The detail is the end of the input, trimmed of separators.
        expect(input.replace(TRAILING_SEPARATORS, '').endsWith(detail), input).toBe(true);
        expect(detail).toBe(detail.replace(TRAILING_SEPARATORS, '').replace(LEADING_SEPARATORS, ''));
      }),
      { numRuns: 3000 },
    );
  });
});
