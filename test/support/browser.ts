/**
 * Browser side of the end-to-end UI tests: Debian's chromium driven by playwright-core (never a
 * downloaded browser), a watcher that collects console errors and page errors, an accessibility
 * audit that asks Chromium itself for accessible names (CDP), a contrast check, and screenshots
 * under test-artifacts/screenshots/ (git-ignored).
 *
 *   const browser = await launchChromium();
 *   const context = await browser.newContext();
 *   await installPageHelpers(context);                   // window.__uiTest in every page
 *   const page = await context.newPage();
 *   const problems = watchPage(page);
 *   problems.allowFailedResource(/\/upload$/, 415);   // a response the scenario provokes on purpose
 *   …
 *   expect(problems.unexpected()).toEqual([]);
 *   expect(await auditAccessibility(page)).toEqual([]);
 *   await saveScreenshot(page, 'upload');
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { transformWithEsbuild } from 'vite';
import { ROOT } from './stack.js';

const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SCREENSHOT_DIR = join(ROOT, 'test-artifacts', 'screenshots');

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
  });
}

interface AllowedFailure {
  url: RegExp;
  status: number;
}

export interface PageProblems {
  /** The browser logs "Failed to load resource … status of N" for every 4xx/5xx: allow one the test provokes. */
  allowFailedResource(url: RegExp, status: number): void;
  /** Console errors and warnings, and uncaught page errors, that no allowance covers. */
  unexpected(): string[];
  /** Everything recorded, allowed or not (for diagnostics). */
  all(): string[];
}

const FAILED_RESOURCE = /^Failed to load resource: the server responded with a status of (\d+)/;

export function watchPage(page: Page): PageProblems {
  const recorded: { text: string; allowed: () => boolean }[] = [];
  const allowed: AllowedFailure[] = [];
  page.on('console', (message) => {
    const type = message.type();
    if (type !== 'error' && type !== 'warning') return;
    const text = message.text();
    const url = message.location().url ?? '';
    const failed = FAILED_RESOURCE.exec(text);
    // Checked lazily: the allowance may be registered just after the response arrives.
    const isAllowed = () => failed !== null && allowed.some((rule) => rule.status === Number(failed[1]) && rule.url.test(url));
    recorded.push({ text: `console.${type}: ${text}${url ? ` (${url})` : ''}`, allowed: isAllowed });
  });
  page.on('pageerror', (error) => recorded.push({ text: `pageerror: ${error.stack ?? error.message}`, allowed: () => false }));
  return {
    allowFailedResource: (url, status) => allowed.push({ url, status }),
    unexpected: () => recorded.filter((entry) => !entry.allowed()).map((entry) => entry.text),
    all: () => recorded.map((entry) => entry.text),
  };
}

export async function saveScreenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true, animations: 'disabled' });
  return path;
}

/**
 * The browser-side helpers (web/src/test-support/inPage.ts, typed against the DOM by the web
 * tsconfig; this project's tsconfig has no DOM types) compiled once and installed in every page of
 * the context as `window.__uiTest`.
 */
let pageHelpers: Promise<string> | undefined;

export async function installPageHelpers(context: BrowserContext): Promise<void> {
  pageHelpers ??= (async () => {
    const path = join(ROOT, 'web/src/test-support/inPage.ts');
    const result = await transformWithEsbuild(readFileSync(path, 'utf8'), path, { loader: 'ts', format: 'iife', target: 'es2022' });
    return result.code;
  })();
  await context.addInitScript({ content: await pageHelpers });
}

/** The page's `window` as far as these helpers are concerned (this tsconfig has no DOM types). */
interface WithPageHelpers {
  __uiTest: Record<string, (element?: unknown) => unknown>;
}

/** Calls `window.__uiTest[name](element)` on the locator's element (waiting up to `timeoutMs` for it). */
export function onElement<T>(locator: Locator, name: string, timeoutMs?: number): Promise<T> {
  return locator.evaluate((element: unknown, helper: string) => (globalThis as unknown as WithPageHelpers).__uiTest[helper](element) as T, name, {
    timeout: timeoutMs,
  });
}

/** A `<dl>` of `<div><dt/><dd/></div>` pairs as term → text. */
export const readDefinitions = (dl: Locator) => onElement<Record<string, string>>(dl, 'definitions');
/** Text of every body cell of a table, row by row. */
export const tableCells = (table: Locator) => onElement<string[][]>(table, 'cells');
/** Per body row of a table: the header names of its cells marked `.cell-error`. */
export const markedColumns = (table: Locator) => onElement<string[][]>(table, 'markedColumns');
/** What has keyboard focus, e.g. `a:上传` or `input[type=file]`. */
export const focusedElement = (page: Page) => page.evaluate<string>('window.__uiTest.focused()');

/** Controls whose accessible name Chromium must be able to compute. */
const NAMED_CONTROLS =
  'input:not([type=hidden]), select, textarea, button, a[href], [role=button], [role=tab], [role=progressbar], [role=region], dialog[open], nav';

interface AXValue {
  value?: unknown;
}
interface AXNode {
  ignored?: boolean;
  role?: AXValue;
  name?: AXValue;
}

/**
 * A basic audit of the current page (needs installPageHelpers). Returns one line per problem:
 * - every control (input, select, button, link, tab, progressbar, region, nav) has an accessible
 *   name as Chromium itself computes it (labels, aria-label(ledby), content), asked over CDP;
 * - every progressbar has numeric aria-valuemin/max, an aria-valuenow inside them unless it is
 *   indeterminate, and an aria-valuetext;
 * - <html lang>, exactly one <h1>, no duplicate ids;
 * - text contrast ≥ 4.5:1 (3:1 for large text) against the nearest opaque background.
 */
export async function auditAccessibility(page: Page): Promise<string[]> {
  const problems: string[] = [];
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('DOM.enable');
    await cdp.send('Accessibility.enable');
    const { root } = await cdp.send('DOM.getDocument', { depth: 0 });
    const { nodeIds } = await cdp.send('DOM.querySelectorAll', { nodeId: root.nodeId, selector: NAMED_CONTROLS });
    for (const nodeId of nodeIds) {
      const { nodes } = (await cdp.send('Accessibility.getPartialAXTree', { nodeId, fetchRelatives: false })) as { nodes: AXNode[] };
      const node = nodes[0];
      if (!node || node.ignored) continue; // not rendered (display:none, inert): nothing to announce
      const name = typeof node.name?.value === 'string' ? node.name.value.trim() : '';
      if (name === '') {
        const { outerHTML } = await cdp.send('DOM.getOuterHTML', { nodeId });
        problems.push(`no accessible name (role ${String(node.role?.value)}): ${outerHTML.slice(0, 160)}`);
      }
    }
  } finally {
    await cdp.detach();
  }
  problems.push(...(await page.evaluate<string[]>('window.__uiTest.audit()')));
  return problems;
}
