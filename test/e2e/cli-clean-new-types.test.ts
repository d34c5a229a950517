/**
 * `dcs clean` end to end with the column types of issue 12: ID card numbers (with their derived
 * columns), credit codes, e-mails and an address split into columns; the clean output cleaned
 * again is unchanged. Needs the built CLI (npm run build).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/golden-cases.js';
import { makeTempDir, readExportTable, writeCsvFile } from '../support/pipeline-files.js';

let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  tmp = await makeTempDir('dcs-cli-new-types-');
});
afterAll(async () => {
  await tmp.remove();
});

const HEADERS = ['姓名', '身份证号', '统一社会信用代码', '邮箱', '省份', '城市', '区县', '详细地址'];
const ROWS = [
  ['张三', '110105491231002', '91350100m000100y43', ' Zhang@Example.COM ', '广东', '广州', '天河', '天河路385号'],
  ['李四', '11010519491231002X', '91350100M000100Y43', 'li@qq.com', '北京市', '北京市', '朝阳区', '建国路88号'],
  ['王五', '11010519900230002X', '91350100M000100Y44', 'wang@', '江苏', '南京', '西湖区', '中山路1号'],
];

describe('dcs clean: ID card, credit code, e-mail and split-address columns', () => {
  it('cleans them, adds the derived columns, counts the error types, and cleans its own output to the same values', async () => {
    const input = await writeCsvFile(join(tmp.dir, 'people.csv'), [HEADERS, ...ROWS]);
    const out = join(tmp.dir, 'out');
    const run = await runCli(['clean', input, '--out', out, '--format', 'csv']);
    expect(run.code, run.stderr).toBe(0);
    const stats = JSON.parse(run.stdout) as { cleanedRows: number; exceptionRows: number; errorsByType: Record<string, number>; sheets: { types: string[] }[] };
    expect(stats.sheets[0].types).toEqual(['text', 'id_card', 'credit_code', 'email', 'province', 'city', 'district', 'address_detail']);
    expect(stats).toMatchObject({
      cleanedRows: 2,
      exceptionRows: 1,
      errorsByType: { INVALID_ID_CARD: 1, INVALID_CREDIT_CODE: 1, INVALID_EMAIL: 1, INVALID_ADDRESS: 1 },
    });

    const clean = await readExportTable(join(out, 'clean_data.csv'));
    expect(clean.rows).toEqual([
      ['姓名', '身份证号', '身份证号_出生日期', '身份证号_性别', '统一社会信用代码', '邮箱', '省份', '城市', '区县', '详细地址'],
      ['张三', '11010519491231002X', '1949-12-31', '女', '91350100M000100Y43', 'Zhang@example.com', '广东省', '广州市', '天河区', '天河路385号'],
      ['李四', '11010519491231002X', '1949-12-31', '女', '91350100M000100Y43', 'li@qq.com', '北京市', '北京市', '朝阳区', '建国路88号'],
    ]);
    const exceptions = await readExportTable(join(out, 'exception_data.csv'));
    expect(exceptions.rows[1].at(-1)).toBe(
      '身份证号: 身份证号出生日期无效（19900230）（11010519900230002X）；统一社会信用代码: 统一社会信用代码校验位错误（91350100M000100Y44）；' +
        '邮箱: 邮箱@后缺少域名（wang@）；区县: 省市区不匹配：“西湖区”不属于“江苏省南京市”（西湖区）',
    );

    const again = join(tmp.dir, 'again');
    const second = await runCli(['clean', join(out, 'clean_data.csv'), '--out', again, '--format', 'csv']);
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout)).toMatchObject({ cleanedRows: 2, exceptionRows: 0 });
    expect((await readExportTable(join(again, 'clean_data.csv'))).rows).toEqual(clean.rows);
  }, 60_000);
});
