/**
 * The upload form's CSV overrides and dedupe switch (issue 12.5/12.6): validated, stored on the
 * file record for the worker, honoured by the preview; a workbook keeps no CSV settings.
 */
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { createIsolatedDatabase, type IsolatedDatabase } from '../support/databases.js';
import { expectError, postForm, REDIS_URL, storedUploads, xlsxBytes, type FormPart } from '../support/http-client.js';

const API = '/api/data-cleaning';
const SEMICOLON_GBK = iconv.encode('姓名;手机号\n张三;13812345678\n李四;13912345678\n', 'gb18030');

function form(file: Buffer, filename: string, fields: Record<string, string>): FormPart[] {
  return [...Object.entries(fields).map(([name, value]) => ({ name, value })), { name: 'file', value: file, filename }];
}

describe('upload fields: encoding, delimiter, dedupe', () => {
  let scratch: IsolatedDatabase;
  let app: TestApp;

  beforeAll(async () => {
    scratch = await createIsolatedDatabase('sqlite');
    app = await startTestApp({ databaseUrl: scratch.url, redisUrl: REDIS_URL });
  });
  afterAll(async () => {
    await app?.close();
    await scratch?.drop();
  });

  it('are stored on the file record of a CSV', async () => {
    const res = await postForm<{ taskId: string }>(
      app.baseUrl,
      `${API}/upload`,
      form(SEMICOLON_GBK, 'a.csv', { encoding: 'GBK', delimiter: ';', dedupe: 'exact' }),
    );
    expect(res.status).toBe(202);
    const record = await app.db.getFileRecordByJobId(res.body.taskId);
    expect(record).toMatchObject({ encoding: 'gbk', delimiter: ';', dedupe: 'exact' });
  });

  it('tab may be written as a name; absent fields store nothing', async () => {
    const tab = await postForm<{ taskId: string }>(app.baseUrl, `${API}/upload`, form(SEMICOLON_GBK, 'a.csv', { delimiter: 'tab', dedupe: '' }));
    expect(await app.db.getFileRecordByJobId(tab.body.taskId)).toMatchObject({ encoding: null, delimiter: '\t', dedupe: null });
  });

  it('a workbook keeps dedupe but no CSV settings', async () => {
    const res = await postForm<{ taskId: string }>(
      app.baseUrl,
      `${API}/upload`,
      form(await xlsxBytes([['姓名'], ['张三']]), 'a.xlsx', { encoding: 'utf-8', delimiter: ',', dedupe: 'exact' }),
    );
    expect(res.status).toBe(202);
    expect(await app.db.getFileRecordByJobId(res.body.taskId)).toMatchObject({ encoding: null, delimiter: null, dedupe: 'exact' });
  });

  it.each([
    ['encoding', { encoding: 'no-such-encoding' }],
    ['delimiter', { delimiter: ';;' }],
    ['delimiter', { delimiter: '"' }],
    ['delimiter', { delimiter: '\n' }],
    ['dedupe', { dedupe: 'fuzzy' }],
  ])('a bad %s is 400 INVALID_REQUEST naming the field; nothing is stored', async (field, fields) => {
    const before = (await storedUploads(app)).length;
    const res = await postForm(app.baseUrl, `${API}/upload`, form(SEMICOLON_GBK, 'a.csv', fields));
    expectError(res, 400, 'INVALID_REQUEST');
    expect((res.body as { details?: { field?: string } }).details?.field).toBe(field);
    expect((await storedUploads(app)).length).toBe(before);
  });

  it('the preview honours encoding and delimiter', async () => {
    const res = await postForm<{ sheets: { headers: string[]; sampleRows: string[][] }[] }>(
      app.baseUrl,
      `${API}/preview`,
      form(SEMICOLON_GBK, 'a.csv', { encoding: 'gb18030', delimiter: ';' }),
    );
    expect(res.status).toBe(200);
    expect(res.body.sheets[0].headers).toEqual(['姓名', '手机号']);
    expect(res.body.sheets[0].sampleRows[0]).toEqual(['张三', '13812345678']);
  });
});
