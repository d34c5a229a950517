/**
 * Splits a Chinese postal address into 省/市/区 (official full names) and the remaining detail.
 *
 * Every division name and alias found in the text is a candidate (one trie walk per position, see
 * divisions.ts). Candidates are linked into chains province → city → county, each name directly
 * after its parent (only separators between), each level optional but consistent with the
 * previous one. The chain that starts leftmost wins; among those, the longest, then a complete
 * one (with a county), then one whose first name is of the higher level, then the one using
 * fewer/weaker aliases. Chains left tied that name different places make the address ambiguous.
 * An incomplete winner is checked for a contradicting name right after it, then for a complete
 * address further on that repeats it (noise such as a company name before the address).
 */
import { findDivisionNames, type CityUnit, type CountyUnit, type NameMatch, type NameReading, type ProvinceUnit } from './divisions.js';
import type { AddressParts, CleanResult } from './types.js';

const PROVINCE_LEVEL = 0;
const CITY_LEVEL = 1;
const COUNTY_LEVEL = 2;

/** Characters allowed between components and trimmed around the detail. */
const SEPARATOR_CODES = codeTable(' \t\r\n\u00a0\u3000,，、:：;；-－—/|');

/** Placeholder words of the official tables that people copy into addresses (北京市市辖区朝阳区). */
const FILLER_WORDS = ['自治区直辖县级行政区划', '省直辖县级行政区划', '市辖区'];
const FILLER_WORDS_BY_FIRST_CODE = groupByFirstCode(FILLER_WORDS);

/**
 * A short form directly followed by one of these is the start of a street or landmark name, not a
 * division (南京路, 中山路, 朝阳门, 玄武湖, 天河大道): such a short form cannot end a chain.
 */
const LANDMARK_SUFFIXES = [
  '路',
  '街',
  '道',
  '巷',
  '弄',
  '胡同',
  '里',
  '门',
  '桥',
  '湖',
  '山',
  '站',
  '港',
  '大道',
  '大街',
  '大学',
  '大厦',
  '大桥',
  '公园',
  '广场',
  '花园',
  '小区',
  '中学',
  '小学',
  '医院',
];
const LANDMARK_SUFFIXES_BY_FIRST_CODE = groupByFirstCode(LANDMARK_SUFFIXES);

/** County names this short (城区, 矿区, 郊区, 赵县…) are too common as words to be read without a parent. */
const MIN_INFERABLE_COUNTY_NAME_LENGTH = 3;
const MAX_LISTED_CANDIDATES = 6;
/** A chain may write its units again this many times (the whole prefix twice: 3 units). */
const MAX_RESTATEMENTS = 3;
/** At most one stray character per address, and a chain using it ranks below one that does not. */
const MAX_STRAYS = 1;
const STRAY_WEIGHT = 1;

interface Chain {
  readonly province: ProvinceUnit | undefined;
  readonly city: CityUnit | undefined;
  readonly county: CountyUnit | undefined;
  readonly start: number;
  readonly end: number;
  readonly firstLevel: number;
  readonly lastLevel: number;
  /** Whether the city is written (not only implied by a county). */
  readonly cityWritten: boolean;
  readonly lastReading: NameReading;
  /** Sum of the alias weights of the names used (0 when all are official names), plus STRAY_WEIGHT per stray character. */
  readonly weight: number;
  /** Units written again in full (江苏江苏省…, 江苏省南京市江苏省南京市…). */
  readonly restatements: number;
  /** Single stray characters skipped between two units (江苏省南京市x玄武区). */
  readonly strays: number;
}

interface Resolved {
  readonly province: ProvinceUnit;
  readonly city: CityUnit | undefined;
  readonly county: CountyUnit | undefined;
}

/** A lookup table over UTF-16 code units (1 = listed): cheaper than a Set on the per-character paths. */
function codeTable(characters: string): Uint8Array {
  const table = new Uint8Array(0x10000);
  for (let i = 0; i < characters.length; i++) table[characters.charCodeAt(i)] = 1;
  return table;
}

interface WordsByFirstCode {
  /** 1 where some word starts with that code unit: most characters are ruled out without a Map lookup. */
  readonly first: Uint8Array;
  readonly groups: Map<number, string[]>;
}

function groupByFirstCode(words: readonly string[]): WordsByFirstCode {
  const groups = new Map<number, string[]>();
  for (const word of words) {
    const code = word.charCodeAt(0);
    const group = groups.get(code);
    if (group) group.push(word);
    else groups.set(code, [word]);
  }
  return { first: codeTable(words.map((word) => word[0]).join('')), groups };
}

function levelOf(reading: NameReading): number {
  const { level } = reading.unit;
  return level === 'province' ? PROVINCE_LEVEL : level === 'city' ? CITY_LEVEL : COUNTY_LEVEL;
}

function startsWithAny(text: string, position: number, words: WordsByFirstCode): string | undefined {
  const code = text.charCodeAt(position);
  if (words.first[code] !== 1) return undefined;
  const group = words.groups.get(code);
  if (!group) return undefined;
  // A loop, not group.find(): no closure per call on this hot path (skipGap runs at every chain step).
  for (const word of group) if (text.startsWith(word, position)) return word;
  return undefined;
}

/** Position of the next component after `position`: skips separators and placeholder words. */
function skipGap(text: string, position: number): number {
  let p = position;
  for (;;) {
    while (p < text.length && SEPARATOR_CODES[text.charCodeAt(p)] === 1) p++;
    const filler = startsWithAny(text, p, FILLER_WORDS_BY_FIRST_CODE);
    if (!filler) return p;
    p += filler.length;
  }
}

function trimSeparators(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && SEPARATOR_CODES[text.charCodeAt(start)] === 1) start++;
  while (end > start && SEPARATOR_CODES[text.charCodeAt(end - 1)] === 1) end--;
  return text.slice(start, end);
}

/** Can this reading be the first name of a chain (nothing before it to confirm it)? */
function canStartChain(reading: NameReading): boolean {
  if (reading.unit.level !== 'county') return true;
  return !reading.contextOnly && reading.unit.name.length >= MIN_INFERABLE_COUNTY_NAME_LENGTH;
}

/** Can `reading` follow `chain` directly (deeper level, belongs to what the chain names)? */
function canExtend(chain: Chain, reading: NameReading): boolean {
  const unit = reading.unit;
  if (levelOf(reading) <= chain.lastLevel) return false;
  if (unit.level === 'city') return unit.province === chain.province;
  if (unit.level !== 'county') return false;
  if (reading.contextOnly) return chain.lastLevel === CITY_LEVEL && unit.city === chain.city;
  return chain.city ? unit.city === chain.city : unit.city.province === chain.province;
}

function startChain(match: NameMatch, reading: NameReading): Chain {
  const unit = reading.unit;
  const level = levelOf(reading);
  return {
    province: unit.level === 'province' ? unit : unit.level === 'city' ? unit.province : unit.city.province,
    city: unit.level === 'city' ? unit : unit.level === 'county' ? unit.city : undefined,
    county: unit.level === 'county' ? unit : undefined,
    start: match.start,
    end: match.end,
    firstLevel: level,
    lastLevel: level,
    cityWritten: unit.level === 'city',
    lastReading: reading,
    weight: reading.weight,
    restatements: 0,
    strays: 0,
  };
}

function extendChain(chain: Chain, match: NameMatch, reading: NameReading, stray = false): Chain {
  const unit = reading.unit;
  // Written out field by field (no spread): every chain keeps one object shape, which keeps this hot path fast.
  return {
    province: chain.province,
    city: unit.level === 'city' ? unit : unit.level === 'county' ? unit.city : chain.city,
    county: unit.level === 'county' ? unit : undefined,
    start: chain.start,
    end: match.end,
    firstLevel: chain.firstLevel,
    lastLevel: levelOf(reading),
    cityWritten: chain.cityWritten || unit.level === 'city',
    lastReading: reading,
    weight: chain.weight + reading.weight + (stray ? STRAY_WEIGHT : 0),
    restatements: chain.restatements,
    strays: chain.strays + (stray ? 1 : 0),
  };
}

/**
 * A unit of the chain written again, in full: a short form followed by the full one (江苏江苏省,
 * 广州广州市) or the whole prefix repeated (江苏省南京市江苏省南京市玄武区). Short forms are not
 * read as restatements: after 玄武区, 南京 starts a street or shop name (南京大排档).
 */
function restatesUnit(chain: Chain, reading: NameReading): boolean {
  if (reading.weight !== 0 || chain.restatements >= MAX_RESTATEMENTS) return false;
  const unit = reading.unit;
  return unit === chain.province || unit === chain.city || unit === chain.county;
}

function startsLikeUnitOf(chain: Chain, code: number): boolean {
  return chain.province?.name.charCodeAt(0) === code || chain.city?.name.charCodeAt(0) === code || chain.county?.name.charCodeAt(0) === code;
}

function restateChain(chain: Chain, match: NameMatch, reading: NameReading): Chain {
  return {
    province: chain.province,
    city: chain.city,
    county: chain.county,
    start: chain.start,
    end: match.end,
    firstLevel: chain.firstLevel,
    lastLevel: chain.lastLevel,
    cityWritten: chain.cityWritten,
    lastReading: reading,
    weight: chain.weight,
    restatements: chain.restatements + 1,
    strays: chain.strays,
  };
}

function resolve(chain: Chain): Resolved {
  const province = chain.province as ProvinceUnit; // every chain names or implies its province
  let city = chain.city;
  if (!city && province.isMunicipality) city = province.cities[0];
  const county = chain.county ?? city?.selfCounty;
  return { province, city, county };
}

function isComplete(chain: Chain): boolean {
  return chain.county !== undefined || chain.city?.selfCounty !== undefined;
}

/** A short form right before a street/landmark word is part of that name (南京路): not an end. */
function canEndChain(text: string, chain: Chain): boolean {
  return chain.lastReading.weight === 0 || startsWithAny(text, chain.end, LANDMARK_SUFFIXES_BY_FIRST_CODE) === undefined;
}

/** Negative when `a` is the better reading of the text. */
function compareChains(a: Chain, b: Chain): number {
  if (a.end !== b.end) return b.end - a.end;
  const aComplete = isComplete(a);
  if (aComplete !== isComplete(b)) return aComplete ? -1 : 1;
  if (a.firstLevel !== b.firstLevel) return a.firstLevel - b.firstLevel;
  return a.weight - b.weight;
}

/** Finds the best chains (ties kept) among those starting at the leftmost possible position. */
class ChainSearch {
  best: Chain[] = [];

  constructor(
    private readonly text: string,
    private readonly byStart: MatchesByStart,
  ) {}

  /** Best chains starting at the first position ≥ `from` where any chain can end; empty when none. */
  leftmost(from = 0): Chain[] {
    this.best = [];
    const { byStart } = this;
    for (let position = from; position < byStart.length; position++) {
      if (!byStart.has(position)) continue;
      for (let m = byStart.first(position); m < byStart.end(position); m++) {
        const match = byStart.matches[m];
        for (const reading of match.readings) {
          if (canStartChain(reading)) this.grow(startChain(match, reading));
        }
      }
      if (this.best.length > 0) return this.best;
    }
    return this.best;
  }

  /** Whether a chain that can end starts at `match`, and whether one of them is complete. */
  chainsFrom(match: NameMatch): { any: boolean; complete: boolean } {
    this.best = [];
    for (const reading of match.readings) {
      if (canStartChain(reading)) this.grow(startChain(match, reading));
    }
    return { any: this.best.length > 0, complete: this.best.some(isComplete) };
  }

  private grow(chain: Chain): void {
    if (canEndChain(this.text, chain)) this.offer(chain);
    const next = skipGap(this.text, chain.end);
    // A complete chain can only go on with a restatement, which starts like one of its names.
    if (chain.lastLevel === COUNTY_LEVEL && !startsLikeUnitOf(chain, this.text.charCodeAt(next))) return;
    if (this.growAt(chain, next, false) || chain.lastLevel === COUNTY_LEVEL || chain.strays >= MAX_STRAYS) return;
    // Nothing follows directly: one stray character may stand between two units, if the next one is
    // written in full and the character starts no division name itself (陕西省沙洋县 is a
    // contradiction, not 陕西省 + 沙 + 洋县).
    if (next < this.text.length && !this.byStart.has(next)) this.growAt(chain, skipGap(this.text, next + 1), true);
  }

  /** Extends `chain` by each name starting at `position`; whether any did. */
  private growAt(chain: Chain, position: number, stray: boolean): boolean {
    const { byStart } = this;
    if (!byStart.has(position)) return false;
    let grown = false;
    for (let m = byStart.first(position); m < byStart.end(position); m++) {
      const match = byStart.matches[m];
      for (const reading of match.readings) {
        if (stray && reading.weight !== 0) continue;
        if (chain.lastLevel !== COUNTY_LEVEL && canExtend(chain, reading)) {
          grown = true;
          this.grow(extendChain(chain, match, reading, stray));
        } else if (!stray && restatesUnit(chain, reading)) {
          grown = true;
          this.grow(restateChain(chain, match, reading));
        }
      }
    }
    return grown;
  }

  private offer(chain: Chain): void {
    const order = this.best.length === 0 ? -1 : compareChains(chain, this.best[0]);
    if (order < 0) this.best = [chain];
    else if (order === 0) this.best.push(chain);
  }
}

/**
 * The name matches of one text by start position. Matches come in start order, so those of one
 * start are a contiguous run of the list: a position maps to its run through typed arrays reused
 * by every call (a stamp marks the positions of the current text), instead of an array as long as
 * the text and one more per start, allocated for every address. Valid until the next index():
 * parseAddress is synchronous and never re-entered.
 */
class MatchesByStart {
  private stamps = new Int32Array(256);
  private firsts = new Int32Array(256);
  private ends = new Int32Array(256);
  private stamp = 0;
  matches: readonly NameMatch[] = [];
  length = 0;

  index(text: string, matches: readonly NameMatch[]): this {
    if (text.length + 1 > this.stamps.length) {
      const size = Math.max(text.length + 1, this.stamps.length * 2);
      this.stamps = new Int32Array(size);
      this.firsts = new Int32Array(size);
      this.ends = new Int32Array(size);
      this.stamp = 0;
    }
    if (++this.stamp === 0x7fffffff) {
      this.stamps.fill(0);
      this.stamp = 1;
    }
    this.matches = matches;
    this.length = text.length + 1;
    for (let i = 0; i < matches.length; i++) {
      const start = matches[i].start;
      if (this.stamps[start] !== this.stamp) {
        this.stamps[start] = this.stamp;
        this.firsts[start] = i;
      }
      this.ends[start] = i + 1;
    }
    return this;
  }

  /** Whether some name starts at `position`. */
  has(position: number): boolean {
    return position < this.length && this.stamps[position] === this.stamp;
  }

  /** Index in `matches` of the first name starting at `position` (when has(position)). */
  first(position: number): number {
    return this.firsts[position];
  }

  /** One past the index of the last (longest) name starting at `position` (when has(position)). */
  end(position: number): number {
    return this.ends[position];
  }
}

const MATCHES_BY_START = new MatchesByStart();

/** 江苏省南京市 / 北京市 (a municipality's city is not repeated). */
function describe(resolved: Resolved): string {
  const { province, city, county } = resolved;
  let description = province.name;
  if (city && city.name !== province.name) description += city.name;
  if (county && county.name !== city?.name) description += county.name;
  return description;
}

function failure(errorType: 'INVALID_ADDRESS' | 'INCOMPLETE_ADDRESS' | 'AMBIGUOUS_ADDRESS', message: string): CleanResult<AddressParts> {
  return { ok: false, errorType, message };
}

function ambiguity(text: string, chains: readonly Chain[]): CleanResult<AddressParts> | undefined {
  if (chains.length < 2) return undefined;
  const seen = new Set<string>();
  const candidates: string[] = [];
  for (const chain of chains) {
    const resolved = resolve(chain);
    const key = resolved.county?.code ?? resolved.city?.code ?? resolved.province.code;
    if (seen.has(key)) continue;
    seen.add(key);
    candidates.push(describe(resolved));
  }
  if (candidates.length < 2) return undefined;
  const written = text.slice(chains[0].start, chains[0].end);
  const listed = candidates.slice(0, MAX_LISTED_CANDIDATES).join('、');
  const more = candidates.length > MAX_LISTED_CANDIDATES ? `等${candidates.length}处` : '';
  return failure('AMBIGUOUS_ADDRESS', `地址有歧义：“${written}”可能是${listed}${more}，请写明省/市`);
}

/**
 * A name right after an incomplete chain that starts a reading of its own, and is written in full
 * or leads to a county, contradicts the chain (江苏省杭州市…, 南京市西湖区…). Short forms that
 * lead nowhere are left alone: in 上海市南京东路 南京 is a street name, not a city.
 */
function contradiction(text: string, chain: Chain, search: ChainSearch, byStart: MatchesByStart): CleanResult<AddressParts> | undefined {
  const position = skipGap(text, chain.end);
  if (!byStart.has(position)) return undefined;
  // Longest first, so that the message names 湖南衡阳高新技术产业园区 rather than 湖南.
  for (let i = byStart.end(position) - 1; i >= byStart.first(position); i--) {
    const match = byStart.matches[i];
    const found = search.chainsFrom(match);
    if (!found.any) continue;
    const writtenInFull = match.readings.some((reading) => reading.weight === 0 && canStartChain(reading));
    if (!writtenInFull && !found.complete) continue;
    const written = text.slice(match.start, match.end);
    return failure('INVALID_ADDRESS', `省市区不匹配：“${written}”不属于“${describe(resolve(chain))}”`);
  }
  return undefined;
}

/** Does `later` write again every level that `earlier` writes (same units)? */
function restates(earlier: Chain, later: Chain): boolean {
  if (earlier.firstLevel === PROVINCE_LEVEL && (later.firstLevel !== PROVINCE_LEVEL || later.province !== earlier.province)) {
    return false;
  }
  return !earlier.cityWritten || (later.cityWritten && later.city === earlier.city);
}

/**
 * An incomplete reading followed, further on, by a complete address that repeats it is noise
 * before the address (南京分公司 江苏省南京市玄武区…): the complete one is the address. A later
 * address that does not repeat it is not used (我在北京工作，家住江苏省… stays incomplete).
 */
function restatement(chain: Chain, search: ChainSearch, text: string): Chain | undefined {
  let from = chain.end;
  for (;;) {
    const later = search.leftmost(from);
    if (later.length === 0) return undefined;
    const candidate = later[0];
    if (isComplete(candidate) && restates(chain, candidate) && !ambiguity(text, later)) return candidate;
    from = candidate.start + 1;
  }
}

/**
 * Splits `value` into province, city, district (county level) and detail. Output names are the
 * official full names; for municipalities the city repeats the province (北京市/北京市/朝阳区), and
 * units without a county level repeat the city as district (湖北省/仙桃市/仙桃市, 广东省/东莞市/东莞市).
 */
export function parseAddress(value: string): CleanResult<AddressParts> {
  const text = value.trim();
  if (text === '') return failure('INVALID_ADDRESS', '地址为空');
  const matches = findDivisionNames(text);
  if (matches.length === 0) return failure('INVALID_ADDRESS', '无法识别省市区');
  const byStart = MATCHES_BY_START.index(text, matches);
  const search = new ChainSearch(text, byStart);
  const best = search.leftmost();
  if (best.length === 0) return failure('INVALID_ADDRESS', '无法识别省市区');

  const ambiguous = ambiguity(text, best);
  if (ambiguous) return ambiguous;

  let chain = best[0];
  let resolved = resolve(chain);
  if (!resolved.county) {
    const contradicted = contradiction(text, chain, search, byStart);
    if (contradicted) return contradicted;
    const restated = restatement(chain, search, text);
    if (!restated) {
      const missing = resolved.city ? '区/县' : '市和区/县';
      return failure('INCOMPLETE_ADDRESS', `地址不完整：缺少${missing}（已识别：${describe(resolved)}）`);
    }
    chain = restated;
    resolved = resolve(chain);
  }
  const city = resolved.city as CityUnit; // a county implies its city
  const county = resolved.county as CountyUnit; // complete chains only from here
  return {
    ok: true,
    value: {
      province: resolved.province.name,
      city: city.name,
      district: county.name,
      detail: trimSeparators(text.slice(chain.end)),
    },
  };
}
