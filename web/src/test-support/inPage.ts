/**
 * Browser-side helpers of the end-to-end tests (test/e2e/ui-*.test.ts). test/support/browser.ts
 * compiles this file with Vite's esbuild and installs it in every page as `window.__uiTest`; the
 * app never imports it. It lives under web/ because only the web tsconfig has the DOM types.
 */

interface CardReading {
  state: string;
  percent: number | null;
  badge: string;
  valueText: string | null;
}

const text = (node: Element | null | undefined): string => node?.textContent?.trim() ?? '';

/** A `<dl>` of `<div><dt/><dd/></div>` pairs as term → text. */
function definitions(dl: Element): Record<string, string> {
  return Object.fromEntries(Array.from(dl.querySelectorAll(':scope > div')).map((pair) => [text(pair.querySelector('dt')), text(pair.querySelector('dd'))]));
}

/** State (from the card's class), bar value and badge of one upload card. */
function card(article: Element): CardReading {
  const bar = article.querySelector('[role=progressbar]');
  const now = bar?.getAttribute('aria-valuenow');
  return {
    state: /\bcard-(\w+)/.exec(article.className)?.[1] ?? '',
    percent: now === null || now === undefined ? null : Number(now),
    badge: text(article.querySelector('.badge')),
    valueText: bar?.getAttribute('aria-valuetext') ?? null,
  };
}

function headerNames(table: Element): string[] {
  return Array.from(table.querySelectorAll('thead th')).map((th) => th.textContent ?? '');
}

/** Text of every body cell, row by row. */
function cells(table: Element): string[][] {
  return Array.from(table.querySelectorAll('tbody tr')).map((row) => Array.from(row.children).map((cell) => cell.textContent ?? ''));
}

/** Per body row: the header names of the cells marked as failing. */
function markedColumns(table: Element): string[][] {
  const headers = headerNames(table);
  return Array.from(table.querySelectorAll('tbody tr')).map((row) =>
    Array.from(row.children).flatMap((cell, index) => (cell.classList.contains('cell-error') ? [headers[index] ?? ''] : [])),
  );
}

/** What has keyboard focus, e.g. `a:上传` or `input[type=file]`. */
function focused(): string {
  const element = document.activeElement;
  if (!element || element === document.body) return '';
  return element instanceof HTMLInputElement ? `input[type=${element.type}]` : `${element.tagName.toLowerCase()}:${text(element)}`;
}

type Rgba = [number, number, number, number];

function parseColor(color: string): Rgba | null {
  const match = /rgba?\(([\d.]+),?\s*([\d.]+),?\s*([\d.]+)(?:\s*[,/]\s*([\d.]+))?\)/.exec(color);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3]), match[4] === undefined ? 1 : Number(match[4])] : null;
}

function luminance([r, g, b]: Rgba): number {
  const channel = (value: number) => {
    const c = value / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
}

/** The nearest opaque background colour; null over images/gradients (cannot judge). */
function backgroundOf(element: Element): Rgba | null {
  for (let current: Element | null = element; current; current = current.parentElement) {
    const style = getComputedStyle(current);
    if (style.backgroundImage !== 'none') return null;
    const color = parseColor(style.backgroundColor);
    if (color && color[3] >= 0.99) return color;
  }
  return [255, 255, 255, 1];
}

/**
 * The in-page half of the accessibility audit (names are checked by Chromium over CDP):
 * progressbars carry valid aria values, <html lang>, one <h1>, unique ids, and text contrast
 * ≥ 4.5:1 (3:1 for large text) against the nearest opaque background.
 */
function audit(): string[] {
  const problems: string[] = [];
  const describe = (element: Element) => element.outerHTML.slice(0, 160);

  for (const bar of Array.from(document.querySelectorAll('[role=progressbar]'))) {
    const min = bar.getAttribute('aria-valuemin');
    const max = bar.getAttribute('aria-valuemax');
    const now = bar.getAttribute('aria-valuenow');
    if (min === null || max === null || !(Number(min) < Number(max))) problems.push(`progressbar without a valid aria-valuemin/max: ${describe(bar)}`);
    if (now !== null && !(Number(now) >= Number(min) && Number(now) <= Number(max)))
      problems.push(`progressbar aria-valuenow outside its range: ${describe(bar)}`);
    if (!bar.getAttribute('aria-valuetext')?.trim()) problems.push(`progressbar without aria-valuetext: ${describe(bar)}`);
  }

  if (!document.documentElement.lang) problems.push('<html> has no lang');
  const headings = document.querySelectorAll('h1').length;
  if (headings !== 1) problems.push(`${headings} <h1> elements (expected 1)`);
  const ids = new Set<string>();
  for (const element of Array.from(document.querySelectorAll('[id]'))) {
    if (ids.has(element.id)) problems.push(`duplicate id "${element.id}"`);
    ids.add(element.id);
  }

  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const checked = new Set<Element>();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const element = node.parentElement;
    const content = node.textContent?.trim() ?? '';
    if (!element || content === '' || checked.has(element)) continue;
    checked.add(element);
    const style = getComputedStyle(element);
    const box = element.getBoundingClientRect();
    if (style.visibility === 'hidden' || box.width <= 1 || box.height <= 1 || Number(style.opacity) < 0.1) continue;
    if (element.closest('.visually-hidden') || element.matches(':disabled')) continue;
    const foreground = parseColor(style.color);
    const background = backgroundOf(element);
    if (!foreground || !background) continue;
    const alpha = foreground[3];
    const blended: Rgba = [0, 1, 2].map((i) => foreground[i] * alpha + background[i] * (1 - alpha)).concat(1) as Rgba;
    const [light, dark] = [luminance(blended), luminance(background)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    const size = Number.parseFloat(style.fontSize);
    const large = size >= 24 || (Number(style.fontWeight) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) {
      problems.push(`contrast ${ratio.toFixed(2)}:1 for "${content.slice(0, 40)}" (${style.color} on rgb(${background.slice(0, 3).join(', ')}))`);
    }
  }
  return problems;
}

(window as unknown as { __uiTest: unknown }).__uiTest = { definitions, card, cells, markedColumns, focused, audit };
