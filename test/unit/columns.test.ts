import { describe, expect, it } from 'vitest';
import {
  ADDRESS_PARTS,
  buildSheetLayout,
  cleanColumnsFor,
  columnTypeFromHeader,
  detectColumnTypes,
  isColumnType,
  uniqueHeaders,
} from '../../src/cleaning/columns.js';
import type { CellValue, ColumnType } from '../../src/domain/index.js';

/** Type of one column detected from its values alone (a header without keywords). */
function typeOfValues(values: CellValue[]): ColumnType {
  return detectColumnTypes(
    ['列'],
    values.map((v) => [v]),
  )[0];
}

describe('columnTypeFromHeader', () => {
  // Every keyword of SPEC R11, as people write them in Chinese and English headers.
  it.each<[string, ColumnType]>([
    ['手机', 'phone'],
    ['手机号', 'phone'],
    ['手机号码', 'phone'],
    ['电话', 'phone'],
    ['联系电话', 'phone'],
    ['固定电话', 'phone'],
    ['座机', 'phone'],
    ['联系方式', 'phone'],
    ['phone', 'phone'],
    ['Phone Number', 'phone'],
    ['PHONE_NUMBER', 'phone'],
    ['contactPhone', 'phone'],
    ['mobile', 'phone'],
    ['Mobile No', 'phone'],
    ['mobilephone', 'phone'],
    ['cellphone', 'phone'],
    ['tel', 'phone'],
    ['TEL', 'phone'],
    ['Tel.', 'phone'],
    ['tel_no', 'phone'],
    ['home_tel', 'phone'],
    ['telephone', 'phone'],
    ['日期', 'date'],
    ['出生日期', 'date'],
    ['时间', 'date'],
    ['创建时间', 'date'],
    ['生日', 'date'],
    ['出生年月', 'date'],
    ['date', 'date'],
    ['Date', 'date'],
    ['order date', 'date'],
    ['start_date', 'date'],
    ['birth_date', 'date'],
    ['birthday', 'date'],
    ['Birthday', 'date'],
    ['dob', 'date'],
    ['DOB', 'date'],
    ['datetime', 'date'],
    ['timestamp', 'date'],
    ['time', 'date'],
    ['create_time', 'date'],
    ['createTime', 'date'],
    ['updatedate', 'date'],
    ['地址', 'address'],
    ['住址', 'address'],
    ['家庭住址', 'address'],
    ['收货地址', 'address'],
    ['出生地址', 'address'],
    ['address', 'address'],
    ['Address', 'address'],
    ['home_address', 'address'],
    ['shippingAddress', 'address'],
    ['Address Line 1', 'address'],
    ['addr', 'address'],
    ['身份证号', 'id_card'],
    ['身份证号码', 'id_card'],
    ['公民身份号码', 'id_card'],
    ['法人身份证', 'id_card'],
    ['id_card', 'id_card'],
    ['idcard', 'id_card'],
    ['ID_NO', 'id_card'],
    ['统一社会信用代码', 'credit_code'],
    ['信用代码', 'credit_code'],
    ['uscc', 'credit_code'],
    ['credit_code', 'credit_code'],
    ['CreditCode', 'credit_code'],
    ['邮箱', 'email'],
    ['电子邮件', 'email'],
    ['电子邮箱', 'email'],
    ['邮箱地址', 'email'],
    ['电子邮件地址', 'email'],
    ['邮件地址', 'email'],
    ['email', 'email'],
    ['E-mail', 'email'],
    ['mail', 'email'],
    ['email address', 'email'],
    ['Email_Address', 'email'],
    ['emailaddress', 'email'],
    ['contact_email', 'email'],
    ['身份证号_出生日期', 'date'],
    ['身份证地址', 'address'],
  ])('%s → %s', (header, type) => {
    expect(columnTypeFromHeader(header)).toBe(type);
  });

  // Headers that contain a keyword but are not of that type: detection falls back to the values.
  it.each([
    'IP地址',
    'MAC地址',
    '网址',
    '网站地址',
    'IP_Address',
    'IPAddress',
    'ip_addr',
    'Mac Address',
    'web address',
    '电话类型',
    '手机型号',
    '手机品牌',
    '手机归属地',
    '电话区号',
    'phone type',
    'Phone_Model',
    'mobile brand',
    '时长',
    '通话时长',
    '耗时',
    '时间段',
    '时区',
    '登录次数',
    '出生地',
    'duration',
    'times',
    'login_times',
    'timezone',
    'timeout',
    'runtime',
    'update_by',
    'Update',
    'candidate',
    'validated',
    'hotel',
    'Intel',
    'telegram',
    'ip',
    'zip',
    '姓名',
    '备注',
    'name',
    '金额',
    '身份证号_性别',
    '证件号码',
    '证件类型',
    '',
  ])('%s → no type from the header', (header) => {
    expect(columnTypeFromHeader(header)).toBeUndefined();
  });
});

describe('detectColumnTypes from sampled values', () => {
  it('mobiles in any spelling, as text or numbers, make a phone column', () => {
    expect(typeOfValues(['13812345678', '139 1234 5678', '+86 137-1234-5678', 13612345678, '１３５１２３４５６７８'])).toBe('phone');
  });

  it('landlines alone are not evidence of phones (7–8 digits look like any number)', () => {
    expect(typeOfValues(['88888888', '62345678', '7654321'])).toBe('number');
    expect(typeOfValues(['010-12345678', '021-87654321', '0755-1234567'])).toBe('text');
  });

  it('dates written as dates make a date column, native date cells too', () => {
    expect(typeOfValues(['2024-01-15', '2024/1/5', '2024年1月15日', '01/15/2024', '2024-01-15 08:30:00'])).toBe('date');
    expect(typeOfValues([new Date(Date.UTC(2024, 0, 15)), new Date(Date.UTC(1990, 4, 17))])).toBe('date');
  });

  it('bare numbers never make a date column (serials, YYYYMMDD and amounts look alike)', () => {
    expect(typeOfValues(['20240115', '19900517', '20001231'])).toBe('number');
    expect(typeOfValues([45306, 45307, 45308])).toBe('number');
    expect(typeOfValues(['45306', '45307'])).toBe('number');
    // Decimal amounts in a CSV are text with a dot; the date cleaner would read them as serials.
    expect(typeOfValues(['12.5', '100.25', '3.14', '45000.5'])).toBe('number');
  });

  it('addresses that resolve to a county make an address column', () => {
    expect(typeOfValues(['江苏省南京市玄武区中山路1号', '北京市朝阳区建国路88号', '广东深圳南山区科技园', '我家的地址是浙江省杭州市西湖区文三路'])).toBe(
      'address',
    );
  });

  it('place names that are not complete addresses stay text', () => {
    expect(typeOfValues(['北京', '上海', '南京', '江苏'])).toBe('text');
  });

  it('quantities make a number column', () => {
    expect(typeOfValues(['1,234', '-5', '50%', 12.5, '3.0', '１２３'])).toBe('number');
  });

  it('identifiers stay text: zero-padded codes and long digit strings would lose digits as numbers', () => {
    expect(typeOfValues(['010010', '000123', '030000', '100000'])).toBe('text');
    expect(typeOfValues(['110101199003070011', '11010119900307001X', '110101199003070022', '110101199003070033'])).toBe('text');
    expect(typeOfValues(['6222020200112233445', '6222020200112233446'])).toBe('text');
  });

  it('names, booleans and mixed columns are text', () => {
    expect(typeOfValues(['张三', '李四', '王五'])).toBe('text');
    expect(typeOfValues([true, false, true])).toBe('text');
    expect(typeOfValues(['13812345678', '2024-01-15', '张三', '北京市朝阳区建国路1号', '12.5'])).toBe('text');
  });

  it('a type needs 80 % of the non-empty values', () => {
    const junk = ['不详', '无'];
    expect(typeOfValues(['13812345678', '13912345678', '13712345678', '13612345678', junk[0]])).toBe('phone');
    expect(typeOfValues(['13812345678', '13912345678', '13712345678', junk[0], junk[1]])).toBe('text');
  });

  it('blank values are ignored; an all-blank column is text', () => {
    expect(typeOfValues([null, '', '   ', '13812345678', '\t'])).toBe('phone');
    expect(typeOfValues([null, '', '  '])).toBe('text');
    expect(detectColumnTypes(['a'], [])).toEqual(['text']);
    // A short row leaves the column blank.
    expect(detectColumnTypes(['a', 'b'], [['x'], ['y']])).toEqual(['text', 'text']);
  });

  it('the header decides before the values', () => {
    expect(
      detectColumnTypes(
        ['电话', '备注'],
        [
          ['张三', '13812345678'],
          ['李四', '13912345678'],
        ],
      ),
    ).toEqual(['phone', 'phone']);
  });

  it('overrides win over header and values; unknown keys are ignored', () => {
    const rows = [['13812345678', '2024-01-15', 'x']];
    expect(detectColumnTypes(['手机号', '生日', '备注'], rows, { 手机号: 'text', 备注: 'number', 不存在: 'date' })).toEqual(['text', 'date', 'number']);
  });

  it('a header named like an Object property is not an override', () => {
    expect(detectColumnTypes(['constructor', 'toString'], [['张三', '李四']])).toEqual(['text', 'text']);
    expect(detectColumnTypes(['constructor'], [['x']], { constructor: 'phone' } as Record<string, ColumnType>)).toEqual(['phone']);
  });
});

describe('isColumnType', () => {
  it('accepts the column types only', () => {
    for (const t of ['phone', 'date', 'address', 'text', 'number', 'id_card', 'credit_code', 'email', 'province', 'city', 'district', 'address_detail']) {
      expect(isColumnType(t)).toBe(true);
    }
    for (const t of ['Phone', 'mail', 'idcard', '', null, 1, undefined]) expect(isColumnType(t)).toBe(false);
  });
});

describe('uniqueHeaders', () => {
  it('trims, names empty headers by position and numbers repeats', () => {
    expect(uniqueHeaders([' 姓名 ', '', '手机', '手机', '  ', '手机'])).toEqual(['姓名', '列2', '手机', '手机_2', '列5', '手机_3']);
  });

  it('never produces a name twice, even against a real column named like a generated one', () => {
    expect(uniqueHeaders(['a', 'a', 'a_2'])).toEqual(['a', 'a_2', 'a_2_2']);
    expect(uniqueHeaders(['a_2', 'a', 'a'])).toEqual(['a_2', 'a', 'a_3']);
    expect(uniqueHeaders(['列2', ''])).toEqual(['列2', '列2_2']);
  });
});

describe('cleanColumnsFor and buildSheetLayout', () => {
  it('replaces each address column X by X_省 X_市 X_区 X_详细地址 in place', () => {
    expect(ADDRESS_PARTS).toEqual(['省', '市', '区', '详细地址']);
    expect(cleanColumnsFor(['姓名', '地址', '备注', '公司地址'], ['text', 'address', 'text', 'address'])).toEqual([
      '姓名',
      '地址_省',
      '地址_市',
      '地址_区',
      '地址_详细地址',
      '备注',
      '公司地址_省',
      '公司地址_市',
      '公司地址_区',
      '公司地址_详细地址',
    ]);
  });

  it('a real column X_省 keeps its name; the generated one is numbered', () => {
    expect(cleanColumnsFor(['地址', '地址_省'], ['address', 'text'])).toEqual(['地址_省_2', '地址_市', '地址_区', '地址_详细地址', '地址_省']);
    expect(cleanColumnsFor(['地址_省', '地址'], ['text', 'address'])).toEqual(['地址_省', '地址_省_2', '地址_市', '地址_区', '地址_详细地址']);
  });

  it('the layout of a sheet whose X_省 column is itself detected as an address keeps every column name unique', () => {
    const headers = uniqueHeaders(['地址', '地址_省', '地址']);
    const types = detectColumnTypes(headers, [['北京市朝阳区建国路1号', '江苏省南京市玄武区', '上海市浦东新区']]);
    expect(types).toEqual(['address', 'address', 'address']);
    const layout = buildSheetLayout('Sheet1', 0, headers, types);
    expect(layout.cleanColumns).toHaveLength(12);
    expect(new Set(layout.cleanColumns).size).toBe(12);
  });

  it('buildSheetLayout copies its inputs', () => {
    const headers = ['手机', '地址'];
    const types: ColumnType[] = ['phone', 'address'];
    const layout = buildSheetLayout('客户', 2, headers, types);
    headers.push('x');
    types[0] = 'text';
    expect(layout).toEqual({
      name: '客户',
      index: 2,
      headers: ['手机', '地址'],
      types: ['phone', 'address'],
      cleanColumns: ['手机', '地址_省', '地址_市', '地址_区', '地址_详细地址'],
    });
  });
});

describe('detectColumnTypes: identifiers and the length cap', () => {
  it('detects ID card numbers, credit codes and e-mails from their values', () => {
    expect(typeOfValues(['11010519491231002X', '110105491231002', '11010519491231002x', ''])).toBe('id_card');
    expect(typeOfValues(['91350100M000100Y43', '91350100m000100y43'])).toBe('credit_code');
    expect(typeOfValues(['a@example.com', 'B@Example.cn', 'c@d.org'])).toBe('email');
    // 15-digit first-generation numbers are identifiers, not quantities.
    expect(typeOfValues(['110105491231002', '110105491231002'])).toBe('id_card');
  });

  it('证件号码 is an ID card column only when the values are ID card numbers', () => {
    expect(detectColumnTypes(['证件号码'], [['11010519491231002X'], ['110105491231002']])).toEqual(['id_card']);
    expect(detectColumnTypes(['证件号码'], [['E12345678'], ['G87654321']])).toEqual(['text']);
  });

  it('cells longer than the cap are evidence of nothing', () => {
    const long = `江苏省南京市玄武区${'中山路'.repeat(100)}`;
    expect(typeOfValues([long, long, long])).toBe('text');
    expect(detectColumnTypes(['列'], [[long]], {}, { maxValueChars: 1000 })).toEqual(['address']);
    expect(typeOfValues(['x'.repeat(999_000)])).toBe('text');
  });
});

describe('cleanColumnsFor: id_card', () => {
  it('adds X_出生日期 and X_性别 after an id_card column, numbering names that are taken', () => {
    expect(cleanColumnsFor(['姓名', '身份证号', '备注'], ['text', 'id_card', 'text'])).toEqual([
      '姓名',
      '身份证号',
      '身份证号_出生日期',
      '身份证号_性别',
      '备注',
    ]);
    expect(cleanColumnsFor(['身份证号', '身份证号_性别'], ['id_card', 'text'])).toEqual(['身份证号', '身份证号_出生日期', '身份证号_性别_2', '身份证号_性别']);
  });
});
