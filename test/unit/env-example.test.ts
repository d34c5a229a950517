/**
 * `.env.example` (the production configuration template) lists every setting of the product, and
 * nothing the product does not know besides the compose and AWS variables it documents.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/index.js';

const ROOT = join(import.meta.dirname, '../..');
/** Variables of the compose file and the AWS SDK, which the template documents too. */
const OTHER = new Set([
  'POSTGRES_PASSWORD',
  'MARIADB_PASSWORD',
  'MARIADB_ROOT_PASSWORD',
  'DCS_PORT',
  'DCS_IMAGE',
  'WORKER_REPLICAS',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
  'AWS_ENDPOINT_URL_S3',
]);

describe('.env.example', () => {
  const text = readFileSync(join(ROOT, '.env.example'), 'utf8');
  const named = new Set([...text.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));

  it('names every configuration key', () => {
    const missing = Object.keys(configSchema.shape).filter((key) => !named.has(key));
    expect(missing).toEqual([]);
  });

  it('names nothing else', () => {
    const unknown = [...named].filter((key) => !(key in configSchema.shape) && !OTHER.has(key));
    expect(unknown).toEqual([]);
  });

  it('sets only keys the product validates, with values it accepts', async () => {
    const { loadConfig } = await import('../../src/config/index.js');
    const active = Object.fromEntries([...text.matchAll(/^([A-Z][A-Z0-9_]+)=(.*)$/gm)].filter((m) => m[1] in configSchema.shape).map((m) => [m[1], m[2]]));
    expect(Object.keys(active).sort()).toEqual(['API_TOKEN', 'DATABASE_URL', 'REDIS_PASSWORD', 'REDIS_URL']);
    expect(() => loadConfig(active)).not.toThrow();
  });
});
