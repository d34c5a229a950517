#!/usr/bin/env node
/**
 * A throwaway stand-in for the API of docs/API.md, for working on the web UI without Redis or a
 * database: `node web/dev-mock/server.mjs` (PORT=3000, API_TOKEN optional), then either open
 * http://127.0.0.1:3000 (serves web/dist) or run Vite's dev server, which proxies /api to it.
 *
 * Tasks advance on a timer through queued → parsing → cleaning → saving → exporting → done. A file
 * whose name contains "bad" fails with CORRUPTED_FILE, "slow" takes a minute, "timeout" times out.
 * Nothing here is production code; it exists only for manual and screenshot checks.
 */
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const PORT = Number(process.env.PORT ?? 3000);
const TOKEN = process.env.API_TOKEN || null;
const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const MAX_FILE_SIZE = 500 * 1024 * 1024;
const FINAL = new Set(['completed', 'failed', 'timeout', 'cancelled']);

/** @type {Map<string, any>} */
const tasks = new Map();
/** @type {Set<import('node:http').ServerResponse>} */
const streams = new Set();
const startedAt = Date.now();

function now() {
  return new Date().toISOString();
}

function sendJson(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function sendError(res, status, errorCode, message, details) {
  sendJson(res, status, { statusCode: status, errorCode, message, details, timestamp: now() });
}

function makeTask(name, size, extra = {}) {
  const id = randomUUID();
  const total = Math.max(50, Math.round(size / 60));
  const task = {
    taskId: id,
    fileId: randomUUID(),
    fileName: name,
    size,
    status: 'pending',
    phase: 'queued',
    processedRows: 0,
    totalRows: total,
    totalIsEstimate: true,
    createdAt: now(),
    startedAt: null,
    completedAt: null,
    errorCode: null,
    errorMessage: null,
    attempts: 1,
    statistics: null,
    durationMs: /slow/i.test(name) ? 60_000 : 8_000,
    ticks: 0,
    ...extra,
  };
  tasks.set(id, task);
  return task;
}

function statistics(task) {
  const exceptionRows = Math.round(task.totalRows * 0.05);
  return {
    totalRows: task.totalRows,
    cleanedRows: task.totalRows - exceptionRows,
    exceptionRows,
    processingTimeMs: task.durationMs,
    errorsByType: {
      INVALID_PHONE: Math.ceil(exceptionRows * 0.6),
      INCOMPLETE_ADDRESS: Math.ceil(exceptionRows * 0.3),
      INVALID_DATE: Math.ceil(exceptionRows * 0.1),
    },
    errorsByField: { 手机号: Math.ceil(exceptionRows * 0.6), 地址: Math.ceil(exceptionRows * 0.3), 出生日期: Math.ceil(exceptionRows * 0.1) },
    format: task.fileName.split('.').pop(),
    encoding: 'utf-8',
    delimiter: ',',
    sheets: [{ name: 'Sheet1', rows: task.totalRows, columns: ['姓名', '手机号', '出生日期', '地址'], types: ['text', 'phone', 'date', 'address'] }],
  };
}

function view(task) {
  const progress = task.totalRows ? Math.round((100 * task.processedRows) / task.totalRows) : 0;
  const rate = task.totalRows / (task.durationMs / 1000);
  return {
    taskId: task.taskId,
    fileId: task.fileId,
    fileName: task.fileName,
    status: task.status,
    progress: task.status === 'completed' ? 100 : progress,
    processedRows: task.processedRows,
    totalRows: task.totalRows,
    totalIsEstimate: task.totalIsEstimate,
    currentPhase: task.phase,
    estimatedTimeRemaining: task.status === 'processing' ? Math.max(0, Math.round((task.totalRows - task.processedRows) / rate)) : null,
    statistics: task.statistics,
    createdAt: task.createdAt,
    startedAt: task.startedAt,
    completedAt: task.completedAt,
    errorCode: task.errorCode,
    errorMessage: task.errorMessage,
    attempts: task.attempts,
  };
}

function summary(task) {
  return {
    id: task.fileId,
    jobId: task.taskId,
    originalName: task.fileName,
    size: task.size,
    fileType: task.fileName.split('.').pop()?.toLowerCase() ?? 'csv',
    mimeType: 'text/csv',
    status: task.status,
    uploadedAt: task.createdAt,
    enqueuedAt: task.createdAt,
    startedAt: task.startedAt,
    completedAt: task.completedAt,
    totalRows: task.status === 'completed' ? task.totalRows : null,
    cleanedRows: task.statistics?.cleanedRows ?? null,
    exceptionRows: task.statistics?.exceptionRows ?? null,
    processingTimeMs: task.statistics?.processingTimeMs ?? null,
    errorCode: task.errorCode,
    errorMessage: task.errorMessage,
  };
}

function finish(task, status, errorCode = null, errorMessage = null) {
  task.status = status;
  task.completedAt = now();
  task.errorCode = errorCode;
  task.errorMessage = errorMessage;
  if (status === 'completed') {
    task.phase = 'done';
    task.processedRows = task.totalRows;
    task.totalIsEstimate = false;
    task.statistics = statistics(task);
  }
}

/** Advances every running task; 250 ms per tick. */
function tick() {
  for (const task of tasks.values()) {
    if (FINAL.has(task.status)) continue;
    task.ticks += 1;
    if (task.status === 'pending') {
      if (task.ticks >= 4) {
        task.status = 'processing';
        task.phase = 'parsing';
        task.startedAt = now();
      }
      continue;
    }
    const step = task.totalRows / (task.durationMs / 250);
    task.processedRows = Math.min(task.totalRows, Math.round(task.processedRows + step));
    const fraction = task.processedRows / task.totalRows;
    task.phase = fraction < 0.1 ? 'parsing' : fraction < 0.85 ? 'cleaning' : fraction < 0.95 ? 'saving' : 'exporting';
    if (fraction > 0.5) task.totalIsEstimate = false;
    if (/bad/i.test(task.fileName) && fraction > 0.3) finish(task, 'failed', 'CORRUPTED_FILE', '第 1234 行：zip 数据损坏，无法解压');
    else if (/timeout/i.test(task.fileName) && fraction > 0.6) finish(task, 'timeout', 'PROCESSING_TIMEOUT', '处理超过 30 分钟，已停止');
    else if (task.processedRows >= task.totalRows) finish(task, 'completed');
  }
  for (const res of streams) {
    const task = tasks.get(res.taskId);
    if (!task) continue;
    const data = JSON.stringify(view(task));
    if (data === res.lastSent) continue;
    res.lastSent = data;
    res.write(`event: progress\ndata: ${data}\n\n`);
    if (FINAL.has(task.status)) {
      res.end();
      streams.delete(res);
    }
  }
}
setInterval(tick, 250).unref();

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Just enough multipart parsing for the mock: file name, size of the file part, columnTypes. */
function parseMultipart(body, contentType) {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType ?? '');
  if (!boundary) return null;
  const marker = Buffer.from(`--${boundary[1] ?? boundary[2]}`);
  const parts = [];
  let start = body.indexOf(marker);
  while (start >= 0) {
    const next = body.indexOf(marker, start + marker.length);
    if (next < 0) break;
    const part = body.subarray(start + marker.length + 2, next - 2);
    const headerEnd = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, headerEnd).toString('utf8');
    parts.push({ headers, content: part.subarray(headerEnd + 4) });
    start = next;
  }
  const filePart = parts.find((part) => /name="file"/.test(part.headers));
  const typesPart = parts.find((part) => /name="columnTypes"/.test(part.headers));
  const name = /filename="([^"]*)"/.exec(filePart?.headers ?? '')?.[1];
  return filePart
    ? { name: name ?? 'upload', size: filePart.content.length, content: filePart.content, columnTypes: typesPart?.content.toString('utf8') }
    : null;
}

const CLEAN_COLUMNS = ['姓名', '手机号', '出生日期', '地址_省', '地址_市', '地址_区', '地址_详细地址'];
const ORIGINAL_COLUMNS = ['姓名', '手机号', '出生日期', '地址'];

function cleanPage(task, page, pageSize) {
  const total = task.statistics?.cleanedRows ?? 0;
  const data = [];
  for (let index = (page - 1) * pageSize; index < Math.min(total, page * pageSize); index += 1) {
    data.push({
      rowNumber: index + 2,
      sheetName: 'Sheet1',
      values: {
        姓名: `用户${index + 1}`,
        手机号: `138${String(10000000 + index).slice(-8)}`,
        出生日期: '1990-01-15',
        地址_省: '江苏省',
        地址_市: '南京市',
        地址_区: '玄武区',
        地址_详细地址: `中山路 ${index + 1} 号`,
      },
    });
  }
  return { jobId: task.taskId, columns: CLEAN_COLUMNS, data, total, page, pageSize };
}

function exceptionPage(task, page, pageSize) {
  const total = task.statistics?.exceptionRows ?? 0;
  const data = [];
  for (let index = (page - 1) * pageSize; index < Math.min(total, page * pageSize); index += 1) {
    const badAddress = index % 3 === 1;
    const errors = [{ field: '手机号', value: '123', errorType: 'INVALID_PHONE', message: '手机号码位数不正确（3位）' }];
    if (badAddress) errors.push({ field: '地址', value: '中山路 5 号', errorType: 'INCOMPLETE_ADDRESS', message: '缺少省和市，无法确定区县' });
    data.push({
      rowNumber: index * 17 + 7,
      sheetName: 'Sheet1',
      originalData: {
        姓名: index === 0 ? '<img src=x onerror=alert(1)>' : `李四${index}`,
        手机号: '123',
        出生日期: '1990/1/15',
        地址: badAddress ? '中山路 5 号' : '江苏省南京市玄武区中山路 5 号',
      },
      errors,
      reason: errors.map((error) => `${error.field}: ${error.message}`).join('；'),
    });
  }
  return { jobId: task.taskId, columns: ORIGINAL_COLUMNS, data, total, page, pageSize };
}

function seedHistory() {
  const names = ['客户名单_2026Q3.xlsx', '门店会员.csv', 'bad_export.xlsx', '供应商通讯录.xls', '华东区订单明细（含地址）.csv'];
  names.forEach((name, index) => {
    const task = makeTask(name, 20_000 * (index + 1));
    task.createdAt = new Date(Date.now() - (index + 1) * 86_400_000).toISOString();
    task.startedAt = task.createdAt;
    if (name.startsWith('bad')) finish(task, 'failed', 'CORRUPTED_FILE', 'xlsx 文件的 zip 结构已损坏');
    else finish(task, 'completed');
    task.completedAt = new Date(Date.parse(task.createdAt) + 9000).toISOString();
  });
}
seedHistory();

function queueStats() {
  const values = [...tasks.values()];
  const minutes = (Date.now() - startedAt) / 60_000;
  const wave = Math.sin(Date.now() / 20_000);
  return {
    counts: {
      waiting: values.filter((task) => task.status === 'pending').length,
      active: values.filter((task) => task.status === 'processing').length,
      completed: values.filter((task) => task.status === 'completed').length,
      failed: values.filter((task) => task.status === 'failed' || task.status === 'timeout').length,
      delayed: 0,
      paused: 0,
    },
    workers: 2,
    throughput: { jobsPerMinute: Math.round((values.length / Math.max(1, minutes)) * 10) / 10, rowsPerSecond: Math.round(95_000 + 15_000 * wave) },
    errorRate: Math.max(0, 0.03 + 0.02 * wave),
    recentFailures: values
      .filter((task) => task.status === 'failed' || task.status === 'timeout')
      .map((task) => ({
        taskId: task.taskId,
        fileName: task.fileName,
        status: task.status,
        errorCode: task.errorCode,
        errorMessage: task.errorMessage,
        failedAt: task.completedAt,
      })),
    timestamp: now(),
  };
}

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml' };

async function serveStatic(res, pathname) {
  const relative = normalize(pathname === '/' ? '/index.html' : pathname).replace(/^(\.\.[/\\])+/, '');
  try {
    const body = await readFile(join(DIST, relative));
    res.writeHead(200, { 'Content-Type': MIME[extname(relative)] ?? 'application/octet-stream' });
    res.end(body);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found (run: npx vite build --config web/vite.config.ts)');
  }
}

function authorized(req, url) {
  if (!TOKEN) return true;
  return req.headers.authorization === `Bearer ${TOKEN}` || url.searchParams.get('token') === TOKEN;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const path = url.pathname;
  if (!path.startsWith('/api/') && !path.startsWith('/admin')) return serveStatic(res, path);
  if (!authorized(req, url)) return sendError(res, 401, 'UNAUTHORIZED', '缺少或错误的访问令牌');
  if (path.startsWith('/admin')) {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    return res.end('<h1>Bull Board (mock)</h1>');
  }

  if (path === '/api/config') {
    return sendJson(res, 200, {
      maxFileSize: MAX_FILE_SIZE,
      acceptedExtensions: ['.xlsx', '.xls', '.csv'],
      columnTypes: ['phone', 'date', 'address', 'text', 'number'],
      authRequired: Boolean(TOKEN),
      version: '0.1.0-mock',
    });
  }
  if (path === '/api/queue/stats') return sendJson(res, 200, queueStats());

  if (path === '/api/data-cleaning/upload' && req.method === 'POST') {
    const file = parseMultipart(await readBody(req), req.headers['content-type']);
    if (!file) return sendError(res, 400, 'INVALID_REQUEST', '缺少文件字段 file');
    if (file.size === 0) return sendError(res, 400, 'EMPTY_FILE', '文件为空');
    if (/queue/i.test(file.name)) return sendError(res, 503, 'QUEUE_UNAVAILABLE', 'Redis 连接失败（ECONNREFUSED 127.0.0.1:6379）');
    const task = makeTask(file.name, file.size);
    return sendJson(res, 202, { taskId: task.taskId, jobId: task.taskId, fileId: task.fileId, status: 'pending', message: '文件上传成功，开始处理' });
  }
  if (path === '/api/data-cleaning/preview' && req.method === 'POST') {
    const file = parseMultipart(await readBody(req), req.headers['content-type']);
    const lines = file?.content.toString('utf8').split(/\r?\n/).filter(Boolean) ?? [];
    const headers = (lines[0] ?? '姓名,手机号,出生日期,地址').split(',');
    const guess = (header) =>
      /手机|电话|phone|tel/i.test(header) ? 'phone' : /日期|生日|date/i.test(header) ? 'date' : /地址|address/i.test(header) ? 'address' : 'text';
    return sendJson(res, 200, {
      format: 'csv',
      sheets: [{ name: 'Sheet1', headers, detectedTypes: headers.map(guess), sampleRows: lines.slice(1, 4).map((line) => line.split(',')) }],
    });
  }

  const match =
    /^\/api\/data-cleaning\/(check-status|events|status|tasks|files|data\/clean|data\/exceptions|download\/clean|download\/exceptions)(?:\/([^/]+))?(?:\/(cancel|retry))?$/.exec(
      path,
    );
  if (!match) return sendError(res, 404, 'INVALID_REQUEST', '未知路径');
  const [, kind, id, action] = match;

  if (kind === 'files' && !id) {
    const page = Number(url.searchParams.get('page') ?? 1);
    const pageSize = Math.min(100, Number(url.searchParams.get('pageSize') ?? 20));
    const status = url.searchParams.get('status');
    const sortBy = url.searchParams.get('sortBy') ?? 'uploadedAt';
    const order = url.searchParams.get('order') === 'asc' ? 1 : -1;
    const key = { uploadedAt: 'createdAt', originalName: 'fileName', size: 'size', status: 'status', totalRows: 'totalRows' }[sortBy] ?? 'createdAt';
    const all = [...tasks.values()]
      .filter((task) => !status || task.status === status)
      .sort((a, b) => (a[key] > b[key] ? order : a[key] < b[key] ? -order : 0));
    return sendJson(res, 200, { files: all.slice((page - 1) * pageSize, page * pageSize).map(summary), total: all.length, page, pageSize });
  }
  if (kind === 'files') {
    const task = [...tasks.values()].find((candidate) => candidate.fileId === id);
    if (!task) return sendError(res, 404, 'FILE_NOT_FOUND', '文件不存在');
    return sendJson(res, 200, { file: summary(task), statistics: task.statistics });
  }

  if (!UUID.test(id ?? '')) return sendError(res, 400, 'INVALID_TASK_ID', '任务编号格式不正确');
  const task = tasks.get(id);
  if (!task) return sendError(res, 404, 'JOB_NOT_FOUND', '任务不存在');

  switch (kind) {
    case 'check-status':
      return sendJson(res, 200, view(task));
    case 'status':
      return sendJson(res, 200, { jobId: task.taskId, status: task.status, progress: view(task).progress, statistics: task.statistics ?? undefined });
    case 'events': {
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
      res.taskId = task.taskId;
      res.lastSent = JSON.stringify(view(task));
      res.write(`event: progress\ndata: ${res.lastSent}\n\n`);
      if (FINAL.has(task.status)) return res.end();
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return undefined;
    }
    case 'tasks':
      if (req.method !== 'POST') return sendError(res, 404, 'INVALID_REQUEST', '未知路径');
      if (action === 'cancel') {
        if (FINAL.has(task.status)) return sendError(res, 409, 'INVALID_STATE', '任务已结束，无法取消');
        finish(task, 'cancelled', 'CANCELLED', '用户取消');
        return sendJson(res, 200, { taskId: task.taskId, status: 'cancelled', message: '任务已取消' });
      }
      if (action === 'retry') {
        if (!['failed', 'timeout', 'cancelled'].includes(task.status)) return sendError(res, 409, 'INVALID_STATE', '任务未失败，无法重试');
        Object.assign(task, {
          status: 'pending',
          phase: 'queued',
          processedRows: 0,
          ticks: 0,
          attempts: task.attempts + 1,
          errorCode: null,
          errorMessage: null,
          completedAt: null,
          fileName: task.fileName.replace(/bad/gi, 'fixed'),
        });
        return sendJson(res, 200, { taskId: task.taskId, status: 'pending', message: '任务已重新排队' });
      }
      return sendError(res, 404, 'INVALID_REQUEST', '未知路径');
    case 'data/clean':
    case 'data/exceptions': {
      if (task.status !== 'completed') return sendError(res, 409, 'INVALID_STATE', '任务尚未完成');
      const page = Number(url.searchParams.get('page') ?? 1);
      const pageSize = Math.min(100, Number(url.searchParams.get('pageSize') ?? 50));
      return sendJson(res, 200, kind === 'data/clean' ? cleanPage(task, page, pageSize) : exceptionPage(task, page, pageSize));
    }
    default: {
      if (task.status !== 'completed') return sendError(res, 409, 'INVALID_STATE', '任务尚未完成');
      const format = url.searchParams.get('format') === 'csv' ? 'csv' : 'xlsx';
      const base = kind === 'download/clean' ? 'clean_data' : 'exception_data';
      res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${base}_${task.taskId}.${format}"` });
      return res.end('\ufeff姓名,手机号\n张三,13812345678\n');
    }
  }
});

server.listen(PORT, '127.0.0.1', () => console.log(`mock API on http://127.0.0.1:${PORT}${TOKEN ? ' (token required)' : ''}`));
