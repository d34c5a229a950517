/**
 * Deterministic benchmark data: `node dist/bench/generate-data.js <rows> <out.csv> [seed]`.
 * Columns: 姓名, 手机号, 出生日期, 地址 + 4 text columns (~100 bytes a row, ~100 MB per million
 * rows). About 5 % of the rows are dirty (bad phone, impossible date or address without county);
 * the clean ones still vary in format the way real files do (separators, +86, 年月日, short forms).
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { allCounties } from '../src/cleaning/divisions.js';

/** mulberry32: a small, fast, seedable PRNG (the data must be identical on every run). */
export function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SURNAMES =
  '王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤';
const GIVEN = '伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英文辉建华玉兰红梅鹏飞华晶波宇浩然子轩欣怡梓涵';
const STREETS = ['人民路', '解放路', '建设路', '和平路', '胜利街', '新华路', '文化路', '光明街', '幸福路', '青年路'];
const DEPTS = ['研发部', '市场部', '销售部', '财务部', '人事部', '客服部', '运营部', '法务部'];
const TITLES = ['工程师', '经理', '专员', '主管', '总监', '助理', '分析师', '顾问'];

export function* generateRows(count: number, seed = 20261127): Generator<string[]> {
  const rnd = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)];
  const counties = [...allCounties()];
  const digits = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) s += Math.floor(rnd() * 10);
    return s;
  };
  const pad = (n: number) => (n < 10 ? `0${n}` : String(n));
  for (let i = 0; i < count; i++) {
    const dirty = rnd() < 0.05;
    const dirtyField = dirty ? Math.floor(rnd() * 3) : -1;
    const name = pick([...SURNAMES]) + pick([...GIVEN]) + (rnd() < 0.5 ? pick([...GIVEN]) : '');

    const mobile = `1${pick(['3', '5', '7', '8', '9'])}${digits(9)}`;
    const phoneStyle = rnd();
    let phone =
      phoneStyle < 0.6
        ? mobile
        : phoneStyle < 0.75
          ? `${mobile.slice(0, 3)}-${mobile.slice(3, 7)}-${mobile.slice(7)}`
          : phoneStyle < 0.9
            ? `+86 ${mobile.slice(0, 3)} ${mobile.slice(3, 7)} ${mobile.slice(7)}`
            : `0${pick(['10', '21', '25', '755', '571'])}-${digits(8)}`;
    if (dirtyField === 0) phone = digits(5 + Math.floor(rnd() * 4));

    const y = 1950 + Math.floor(rnd() * 55),
      m = 1 + Math.floor(rnd() * 12),
      d = 1 + Math.floor(rnd() * 28);
    const dateStyle = rnd();
    let date =
      dateStyle < 0.5 ? `${y}-${pad(m)}-${pad(d)}` : dateStyle < 0.7 ? `${y}/${m}/${d}` : dateStyle < 0.85 ? `${y}年${m}月${d}日` : `${y}${pad(m)}${pad(d)}`;
    if (dirtyField === 1) date = `${y}-${pad(m)}-3${2 + Math.floor(rnd() * 7)}`;

    const county = pick(counties);
    const city = county.city;
    const province = city.province;
    const detail = `${pick(STREETS)}${1 + Math.floor(rnd() * 999)}号`;
    const short = rnd() < 0.3;
    const provinceText = short ? (province.shortNames[0] ?? province.name) : province.name;
    const cityText = city.kind === 'municipality' ? '' : short ? (city.shortNames[0] ?? city.name) : city.name;
    const countyText = county === city.selfCounty ? '' : county.name;
    let address = `${provinceText}${cityText}${countyText}${detail}`;
    if (dirtyField === 2) address = `${province.name}${city.kind === 'municipality' ? province.name : city.name}`;

    yield [name, phone, date, address, pick(DEPTS), pick(TITLES), `user${i}@example.com`, `备注${digits(6)}`];
  }
}

function csvLine(cells: string[]): string {
  return cells.map((c) => (/[",\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c)).join(',') + '\n';
}

export const HEADER = ['姓名', '手机号', '出生日期', '地址', '部门', '职位', '邮箱', '备注'];

export async function writeCsv(path: string, rows: number, seed?: number): Promise<void> {
  const out = createWriteStream(path);
  let chunk = csvLine(HEADER);
  for (const row of generateRows(rows, seed)) {
    chunk += csvLine(row);
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'close');
}

if (process.argv[1]?.endsWith('generate-data.js')) {
  const rows = Number(process.argv[2] ?? 1_000_000);
  const path = process.argv[3] ?? `bench-${rows}.csv`;
  await writeCsv(path, rows, process.argv[4] ? Number(process.argv[4]) : undefined);
  process.stdout.write(`wrote ${rows} rows to ${path}\n`);
}
