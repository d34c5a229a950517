import { describe, expect, it } from 'vitest';
import { addressGroupsOf, addressPartOfHeader, detectAddressPartColumns } from '../../src/cleaning/address-columns.js';
import { buildSheetLayout, detectColumnTypes } from '../../src/cleaning/columns.js';
import { RowCleaner } from '../../src/cleaning/row.js';
import { resolveSplitAddress } from '../../src/cleaning/split-address.js';
import type { CellValue, ColumnType } from '../../src/domain/index.js';

const ALL = { province: true, city: true, district: true };

describe('split-address headers', () => {
  it.each([
    ['省份', 'province', ''],
    ['省', 'province', ''],
    ['所在省份', 'province', ''],
    ['城市', 'city', ''],
    ['区县', 'district', ''],
    ['区/县', 'district', ''],
    ['详细地址', 'address_detail', ''],
    ['收货省份', 'province', '收货'],
    ['地址_省', 'province', '地址'],
    ['地址_市', 'city', '地址'],
    ['地址_区', 'district', '地址'],
    ['地址_详细地址', 'address_detail', '地址'],
    ['Province', 'province', ''],
    ['city', 'city', ''],
    ['County', 'district', ''],
    ['shipping_city', 'city', 'shipping'],
    ['Street Address', 'address_detail', ''],
  ])('%s is the %s part (prefix %j)', (header, part, prefix) => {
    expect(addressPartOfHeader(header)).toEqual({ part, prefix });
  });

  it('groups headers that share a prefix and include a division; a lone part is not a group', () => {
    expect([...detectAddressPartColumns(['姓名', '省份', '城市', '区县', '详细地址'])]).toEqual([
      [1, 'province'],
      [2, 'city'],
      [3, 'district'],
      [4, 'address_detail'],
    ]);
    expect([...detectAddressPartColumns(['详细地址', '备注'])]).toEqual([]);
    expect([...detectAddressPartColumns(['城市', '姓名'])]).toEqual([]);
    expect([...detectAddressPartColumns(['超市', '小区'])]).toEqual([]);
  });

  it('detection types the group and leaves the rest to the usual rules', () => {
    const headers = ['姓名', '省份', '城市', '区县', '详细地址', '手机'];
    expect(detectColumnTypes(headers, [])).toEqual(['text', 'province', 'city', 'district', 'address_detail', 'phone']);
    // Without the other parts 详细地址 is a full address, as before.
    expect(detectColumnTypes(['详细地址'], [])).toEqual(['address']);
  });

  it('two groups in the product’s own output are told apart by their prefix', () => {
    const headers = ['地址_省', '地址_市', '地址_区', '地址_详细地址', '公司地址_省', '公司地址_市', '公司地址_区', '公司地址_详细地址'];
    const types = detectColumnTypes(headers, []);
    expect(addressGroupsOf(headers, types)).toEqual([
      { province: 0, city: 1, district: 2, address_detail: 3 },
      { province: 4, city: 5, district: 6, address_detail: 7 },
    ]);
  });
});

describe('resolveSplitAddress', () => {
  it('normalizes short forms to the official names', () => {
    expect(resolveSplitAddress({ province: '广东', city: '广州', district: '天河' }, ALL)).toEqual({
      ok: true,
      value: { province: '广东省', city: '广州市', district: '天河区' },
    });
    expect(resolveSplitAddress({ province: '北京', city: '北京市', district: '朝阳区' }, ALL)).toMatchObject({
      value: { province: '北京市', city: '北京市', district: '朝阳区' },
    });
  });

  it('accepts its own output for municipalities and units without a county level', () => {
    expect(resolveSplitAddress({ province: '湖北省', city: '仙桃市', district: '仙桃市' }, ALL)).toMatchObject({ ok: true });
    expect(resolveSplitAddress({ province: '广东省', city: '东莞市', district: '东莞市' }, ALL)).toMatchObject({ ok: true });
    expect(resolveSplitAddress({ province: '上海市', city: '市辖区', district: '浦东新区' }, ALL)).toMatchObject({
      value: { province: '上海市', city: '上海市', district: '浦东新区' },
    });
  });

  it('fills what the other cells make certain', () => {
    expect(resolveSplitAddress({ province: '', city: '广州市', district: '天河区' }, ALL)).toMatchObject({ value: { province: '广东省' } });
    expect(resolveSplitAddress({ province: '江苏', city: '', district: '玄武区' }, ALL)).toMatchObject({ value: { city: '南京市' } });
    expect(resolveSplitAddress({ province: '广东', city: '东莞', district: '' }, ALL)).toMatchObject({ value: { district: '东莞市' } });
  });

  it('rejects a district outside its city, a city outside its province, unknown names, ambiguity and missing parts', () => {
    expect(resolveSplitAddress({ province: '广东', city: '杭州', district: '西湖区' }, ALL)).toMatchObject({
      ok: false,
      errorType: 'INVALID_ADDRESS',
      message: '省市区不匹配：“杭州”不属于“广东省”',
      part: 'city',
    });
    expect(resolveSplitAddress({ province: '江苏', city: '南京', district: '西湖区' }, ALL)).toMatchObject({
      message: '省市区不匹配：“西湖区”不属于“江苏省南京市”',
      part: 'district',
    });
    expect(resolveSplitAddress({ province: '火星', city: '', district: '' }, ALL)).toMatchObject({ message: '无法识别省份“火星”', part: 'province' });
    expect(resolveSplitAddress({ province: '', city: '', district: '朝阳区' }, ALL)).toMatchObject({ errorType: 'AMBIGUOUS_ADDRESS' });
    expect(resolveSplitAddress({ province: '广东', city: '广州', district: '' }, ALL)).toMatchObject({
      errorType: 'INCOMPLETE_ADDRESS',
      message: '地址不完整：缺少区/县（已识别：广东省广州市）',
    });
    // A group without a district column does not need one.
    expect(resolveSplitAddress({ province: '广东', city: '广州' }, { province: true, city: true, district: false })).toMatchObject({ ok: true });
  });
});

describe('RowCleaner with split-address columns', () => {
  const headers = ['姓名', '省份', '城市', '区县', '详细地址'];
  const types = detectColumnTypes(headers, []);
  const layout = buildSheetLayout('S', 0, headers, types);
  const clean = (cells: CellValue[]) => new RowCleaner(layout).clean(2, cells);

  it('keeps the columns in place, normalizes the names and keeps the detail as text', () => {
    expect(layout.cleanColumns).toEqual(headers);
    expect(clean(['张三', '广东', '广州', '天河', ' 天河路385号 '])).toEqual({
      clean: { sheetIndex: 0, rowNumber: 2, values: ['张三', '广东省', '广州市', '天河区', '天河路385号'] },
    });
  });

  it('an all-blank address is blank; a detail without divisions is incomplete', () => {
    expect(clean(['张三', '', '', '', ''])).toMatchObject({ clean: { values: ['张三', '', '', '', ''] } });
    expect(clean(['张三', '', '', '', '中山路1号'])).toMatchObject({
      exception: { errors: [{ field: '区县', errorType: 'INCOMPLETE_ADDRESS' }] },
    });
  });

  it('an inconsistent row is an exception naming the column at fault', () => {
    expect(clean(['张三', '江苏', '南京', '西湖区', 'x'])).toMatchObject({
      exception: { values: ['张三', '江苏', '南京', '西湖区', 'x'], errors: [{ field: '区县', value: '西湖区', errorType: 'INVALID_ADDRESS' }] },
    });
  });

  it('columns typed by the user are grouped too', () => {
    const userTypes: ColumnType[] = ['province', 'city', 'text'];
    const own = buildSheetLayout('S', 0, ['a', 'b', 'c'], userTypes);
    expect(new RowCleaner(own).clean(2, ['浙江', '杭州', 'x'])).toMatchObject({ clean: { values: ['浙江省', '杭州市', 'x'] } });
    expect(new RowCleaner(own).clean(2, ['浙江', '南京', 'x'])).toMatchObject({ exception: { errors: [{ field: 'b' }] } });
  });
});
