/**
 * Address-splitting throughput: parses a deterministic mix of realistic addresses (full names,
 * short forms, noise prefixes, spaces, county only, incomplete, unrecognizable) built from the
 * division data, and prints addresses/s plus the module load and index build times.
 *
 * Run: npm run build && node dist/bench/address.js [seconds]
 *
 * Wall-clock numbers suffer when other processes share the cores; the CPU-time figures
 * (process.cpuUsage: this process's user + system time) are steadier on a busy machine.
 */
function cpuMs(since?: NodeJS.CpuUsage): number {
  const usage = process.cpuUsage(since);
  return (usage.user + usage.system) / 1000;
}

/** Wall and CPU milliseconds of one step. */
async function timed<T>(step: () => Promise<T>): Promise<{ value: T; wallMs: number; cpuMs: number }> {
  const cpuStart = process.cpuUsage();
  const wallStart = performance.now();
  const value = await step();
  return { value, wallMs: performance.now() - wallStart, cpuMs: cpuMs(cpuStart) };
}

// Separately: reading the JSON, then normalizing + indexing it (divisions.js, JSON now cached).
const jsonLoad = await timed(() => import('../src/cleaning/divisions.json', { with: { type: 'json' } }));
const divisionsLoad = await timed(() => import('../src/cleaning/divisions.js'));
const { allCounties, divisionStats } = divisionsLoad.value;
const { parseAddress } = await import('../src/cleaning/address.js');

const DISTINCT_ADDRESSES = 20_000;
const measureSeconds = Number(process.argv[2] ?? 2);

const ROADS = ['幸福路', '建设路', '人民路', '解放路', '文化路', '新华街', '青年路', '和平街', '胜利路', '光华路'];
const NOISE = ['我家的地址是', '收货地址：', '地址: ', '寄往', '联系地址：'];

/** Park–Miller minimal standard generator: the same mix on every run. */
function makeRandom(seed: number): (below: number) => number {
  let state = seed;
  return (below) => {
    state = (state * 48_271) % 2_147_483_647;
    return state % below;
  };
}

function joinDistinct(parts: readonly string[], separator = ''): string {
  const written: string[] = [];
  for (const part of parts) if (written[written.length - 1] !== part) written.push(part);
  return written.join(separator);
}

function buildMix(): string[] {
  const random = makeRandom(20_240_601);
  const counties = [...allCounties()];
  const addresses: string[] = [];
  while (addresses.length < DISTINCT_ADDRESSES) {
    const county = counties[random(counties.length)];
    const city = county.city;
    const province = city.province;
    const detail = `${ROADS[random(ROADS.length)]}${1 + random(300)}号${1 + random(20)}栋${1 + random(4)}单元${101 + random(1500)}室`;
    const full = [province.name, city.name, county.name];
    const kind = random(100);
    if (kind < 40) {
      addresses.push(joinDistinct(full) + detail);
    } else if (kind < 60) {
      const shortProvince = province.shortNames[0] ?? province.name;
      const shortCity = city.shortNames[0] ?? city.name;
      const parts = city.selfCounty ? [shortProvince, shortCity] : [shortProvince, shortCity, county.name];
      addresses.push(joinDistinct(parts) + detail);
    } else if (kind < 70) {
      addresses.push(NOISE[random(NOISE.length)] + joinDistinct(full) + detail);
    } else if (kind < 80) {
      addresses.push(`${joinDistinct(full, ' ')} ${detail}`);
    } else if (kind < 90) {
      addresses.push(county.name + detail);
    } else if (kind < 95) {
      addresses.push(joinDistinct([province.name, city.name]) + detail);
    } else {
      addresses.push(detail);
    }
  }
  return addresses;
}

const mix = buildMix();
const averageLength = mix.reduce((sum, address) => sum + address.length, 0) / mix.length;
const outcomes = new Map<string, number>();
for (const address of mix) {
  const result = parseAddress(address);
  const outcome = result.ok ? 'ok' : result.errorType;
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
}

// Warm-up done above; now measure whole passes over the mix for about `measureSeconds`.
let parsed = 0;
let okCount = 0;
const cpuStart = process.cpuUsage();
const start = performance.now();
while (performance.now() - start < measureSeconds * 1000) {
  for (const address of mix) {
    if (parseAddress(address).ok) okCount++;
  }
  parsed += mix.length;
}
const elapsedSeconds = (performance.now() - start) / 1000;
const cpuSeconds = cpuMs(cpuStart) / 1000;

const stats = divisionStats();
const share = (count: number) => `${((100 * count) / mix.length).toFixed(1)}%`;
console.log(
  `divisions: ${stats.source.package}@${stats.source.version}, ${stats.provinces} provinces, ${stats.cities} cities ` +
    `(${stats.sourceCities} source rows), ${stats.counties} counties, ${stats.indexedNames} indexed names`,
);
console.log(
  `load: JSON ${jsonLoad.wallMs.toFixed(1)} ms wall / ${jsonLoad.cpuMs.toFixed(1)} ms CPU; ` +
    `divisions module (normalize + index) ${divisionsLoad.wallMs.toFixed(1)} ms wall / ${divisionsLoad.cpuMs.toFixed(1)} ms CPU ` +
    `(index build measured inside: ${stats.indexBuildMs.toFixed(1)} ms wall)`,
);
console.log(
  `mix: ${mix.length} distinct addresses, ${averageLength.toFixed(1)} chars on average; ` +
    [...outcomes].map(([outcome, count]) => `${outcome} ${share(count)}`).join(', '),
);
console.log(
  `parsed ${parsed} addresses (${okCount} ok) in ${elapsedSeconds.toFixed(2)} s: ` +
    `${Math.round(parsed / elapsedSeconds)} addresses/s, ${((elapsedSeconds * 1e6) / parsed).toFixed(2)} µs/address`,
);
console.log(
  `CPU time ${cpuSeconds.toFixed(2)} s: ${Math.round(parsed / cpuSeconds)} addresses per CPU-second, ` +
    `${((cpuSeconds * 1e6) / parsed).toFixed(2)} µs CPU/address`,
);
