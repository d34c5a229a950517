/**
 * Rewrites the expected outputs of `dcs clean` under test/fixtures/expected/ from the built CLI
 * (npm run build first, or DCS_CLI=<your build>/src/cli/main.js). Run:
 *   npx tsx scripts/update-golden.ts
 * Then READ the diff: the expected files must encode correct behaviour, not just current behaviour.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, EXPECTED_DIR, formatsOf, GOLDEN_CASES, goldenFilesOf, runCli, statisticsFile } from '../test/support/golden-cases.js';

const scratch = await mkdtemp(join(tmpdir(), 'dcs-golden-'));
try {
  for (const golden of GOLDEN_CASES) {
    const target = join(EXPECTED_DIR, golden.name);
    await mkdir(target, { recursive: true });
    await rm(join(target, 'clean_data.xlsx.json'), { force: true });
    await rm(join(target, 'exception_data.xlsx.json'), { force: true });
    for (const format of formatsOf(golden)) {
      const out = join(scratch, `${golden.name}-${format}`);
      const run = await runCli(['clean', golden.input, '--out', out, '--format', format]);
      if (run.code !== 0) throw new Error(`${CLI} clean ${golden.input} exited with ${run.code}: ${run.stderr}`);
      for (const [name, content] of await goldenFilesOf(out, format)) await writeFile(join(target, name), content);
      if (format === 'csv') await writeFile(join(target, 'statistics.json'), statisticsFile(run.stdout));
    }
    console.log(`updated ${target}`);
  }
} finally {
  await rm(scratch, { recursive: true, force: true });
}
