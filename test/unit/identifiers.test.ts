import { describe, expect, it } from 'vitest';
import { cleanCreditCode, creditCodeCheckCharacter, organizationCheckCharacter } from '../../src/cleaning/credit-code.js';
import { cleanEmail } from '../../src/cleaning/email.js';
import { cleanIdCard, idCardCheckCharacter } from '../../src/cleaning/id-card.js';
import type { CellValue } from '../../src/domain/index.js';

function reason(result: { ok: boolean; message?: string; errorType?: string }): string {
  if (result.ok) throw new Error('expected a rejection');
  return `${result.errorType}: ${result.message}`;
}

describe('cleanIdCard (GB 11643-1999)', () => {
  it('accepts the standard example and derives birth date and gender', () => {
    expect(idCardCheckCharacter('11010519491231002')).toBe('X');
    expect(cleanIdCard('11010519491231002X')).toEqual({ ok: true, value: { number: '11010519491231002X', birthDate: '1949-12-31', gender: '女' } });
    expect(cleanIdCard('110105194912310013')).toMatchObject({ ok: false }); // check digit of …001 is not 3
    const male = `11010519491231001${idCardCheckCharacter('11010519491231001')}`;
    expect(cleanIdCard(male)).toMatchObject({ ok: true, value: { gender: '男' } });
  });

  it.each<[CellValue, string]>([
    ['11010519491231002x', 'lower-case x'],
    [' 110105 1949 1231 002X ', 'blanks inside and around'],
    ['110105-19491231-002X', 'dashes'],
    ['１１０１０５１９４９１２３１００２Ｘ', 'full-width'],
    ['\u3000110105194912310 02x\u3000', 'ideographic spaces'],
    ['110105491231002', 'first-generation 15 digits'],
    [110105491231002, '15 digits as a spreadsheet number'],
  ])('normalizes %s (%s)', (written) => {
    expect(cleanIdCard(written)).toEqual({ ok: true, value: { number: '11010519491231002X', birthDate: '1949-12-31', gender: '女' } });
  });

  it('gives a specific reason for each failure', () => {
    expect(reason(cleanIdCard('1101051949123100'))).toBe('INVALID_ID_CARD: 身份证号长度错误（16位，应为18位或15位）');
    expect(reason(cleanIdCard('11010519491231002Y'))).toMatch(/含有无效字符/);
    expect(reason(cleanIdCard('11010549123100A'))).toMatch(/含有无效字符/);
    expect(reason(cleanIdCard('11010519491231002A'))).toMatch(/含有无效字符/);
    expect(reason(cleanIdCard('110105194912310023'))).toBe('INVALID_ID_CARD: 身份证号校验位错误');
    const body = (region: string, birth: string) => `${region}${birth}001`;
    const withCheck = (first17: string) => first17 + idCardCheckCharacter(first17);
    expect(reason(cleanIdCard(withCheck(body('990105', '19491231'))))).toBe('INVALID_ID_CARD: 身份证号地区码无效（99不是省级行政区代码）');
    expect(reason(cleanIdCard(withCheck(body('110105', '19900230'))))).toBe('INVALID_ID_CARD: 身份证号出生日期无效（19900230）');
    expect(reason(cleanIdCard(withCheck(body('110105', '18991231'))))).toMatch(/出生日期无效/);
    expect(reason(cleanIdCard(withCheck(body('110105', '29991231'))))).toMatch(/出生日期无效/);
    expect(reason(cleanIdCard('110105900230002'))).toMatch(/出生日期无效/); // 15 digits, 1990-02-30
    expect(reason(cleanIdCard(12345))).toMatch(/长度错误/);
  });

  it('accepts the residence-permit and special region codes 71, 81, 82, 83', () => {
    for (const region of ['710000', '810000', '820000', '830000']) {
      const first17 = `${region}19900101001`;
      expect(cleanIdCard(first17 + idCardCheckCharacter(first17)).ok, region).toBe(true);
    }
  });

  it('accepts a birth date of today and 1900-01-01, not tomorrow', () => {
    const stamp = (d: Date) => `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}`;
    const today = new Date();
    const tomorrow = new Date(today.getFullYear(), today.getMonth(), today.getDate() + 1);
    const id = (birth: string) => {
      const first17 = `110105${birth}001`;
      return first17 + idCardCheckCharacter(first17);
    };
    expect(cleanIdCard(id(stamp(today))).ok).toBe(true);
    expect(cleanIdCard(id('19000101')).ok).toBe(true);
    expect(cleanIdCard(id(stamp(tomorrow))).ok).toBe(false);
  });
});

describe('cleanCreditCode (GB 32100-2015)', () => {
  it('accepts the standard example', () => {
    expect(organizationCheckCharacter('M000100Y')).toBe('4');
    expect(creditCodeCheckCharacter('91350100M000100Y4')).toBe('3');
    expect(cleanCreditCode('91350100M000100Y43')).toEqual({ ok: true, value: '91350100M000100Y43' });
  });

  it.each(['91350100m000100y43', ' 9135 0100 M000 100Y 43 ', '91350100-M000100Y4-3', '９１３５０１００Ｍ０００１００Ｙ４３'])('normalizes %s', (written) => {
    expect(cleanCreditCode(written)).toEqual({ ok: true, value: '91350100M000100Y43' });
  });

  it('gives a specific reason for each failure', () => {
    expect(reason(cleanCreditCode('91350100M000100Y4'))).toBe('INVALID_CREDIT_CODE: 统一社会信用代码长度错误（17位，应为18位）');
    expect(reason(cleanCreditCode('91350100M000100I43'))).toBe('INVALID_CREDIT_CODE: 统一社会信用代码含有无效字符「I」（第16位）');
    expect(reason(cleanCreditCode('91350100M000100Y53'))).toBe('INVALID_CREDIT_CODE: 统一社会信用代码中的组织机构代码校验位错误');
    expect(reason(cleanCreditCode('91350100M000100Y44'))).toBe('INVALID_CREDIT_CODE: 统一社会信用代码校验位错误');
  });
});

describe('cleanEmail', () => {
  it.each([
    ['zhang.san@example.com', 'zhang.san@example.com'],
    [' Zhang.San@Example.COM ', 'Zhang.San@example.com'],
    ['\u3000ｌｉ＠ｅｘａｍｐｌｅ．ｃｎ\u3000', 'li@example.cn'],
    ["o'brien+tag@mail.example.co.uk", "o'brien+tag@mail.example.co.uk"],
    ['user@xn--fiqs8s.xn--fiqs8s', 'user@xn--fiqs8s.xn--fiqs8s'],
    ['a-b_c@sub-domain.example.org', 'a-b_c@sub-domain.example.org'],
  ])('%s → %s', (written, expected) => {
    expect(cleanEmail(written)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['zhang.example.com', '邮箱缺少@'],
    ['a@b@example.com', '邮箱含有多个@'],
    ['@example.com', '邮箱@前缺少用户名'],
    ['zhang@', '邮箱@后缺少域名'],
    ['.zhang@example.com', '邮箱用户名格式错误'],
    ['zhang..san@example.com', '邮箱用户名格式错误'],
    ['zhang san@example.com', '邮箱用户名格式错误'],
    ['张三@example.com', '邮箱用户名格式错误'],
    ['zhang@localhost', '邮箱域名格式错误'],
    ['zhang@-example.com', '邮箱域名格式错误'],
    ['zhang@example..com', '邮箱域名格式错误'],
    ['zhang@example_x.com', '邮箱域名格式错误'],
    ['zhang@example.c0m', '邮箱顶级域名无效'],
    ['zhang@example.c', '邮箱顶级域名无效'],
    ['zhang@192.168.1.1', '邮箱顶级域名无效'],
  ])('%s is rejected: %s', (written, message) => {
    expect(cleanEmail(written)).toEqual({ ok: false, errorType: 'INVALID_EMAIL', message });
  });

  it('rejects a local part over 64 and an address over 254 characters', () => {
    expect(cleanEmail(`${'a'.repeat(65)}@example.com`)).toMatchObject({ ok: false, message: '邮箱用户名格式错误' });
    expect(cleanEmail(`a@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(63)}.com`)).toMatchObject({
      ok: false,
      message: expect.stringMatching(/邮箱过长/),
    });
  });
});
