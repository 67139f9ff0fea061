// Renders local HTML files (gdt's self-contained reports) in headless Chromium through
// playwright-core and reports what a reader would run into: console errors, page errors, failed
// and network requests, broken images, the page's text, and a full-page screenshot.
//
// Needs Debian's chromium at /usr/bin/chromium (scripts/setup.sh installs it) and the
// playwright-core dev dependency; a missing one is an error with what to do, never a skip.
//
//   const chromium = await openChromium();          // once per test file
//   after(() => chromium.close());
//   const r = await chromium.render('/tmp/x/report.html', '/tmp/x/report.png');
//   assert.deepEqual(r.consoleErrors, []);
//
// Expressions run in the page are strings: a function would be serialised with the TypeScript
// loader's helpers (`__name`) in it, which do not exist in the page.
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, ConsoleMessage, Request } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export interface ImageInfo {
  /** The src, data: URIs cut to 40 characters. */
  src: string;
  naturalWidth: number;
  naturalHeight: number;
  complete: boolean;
}

export interface RenderResult {
  url: string;
  /** document.title */
  title: string;
  /** document.body.innerText (what a reader sees; closed <details> are left out by Chromium). */
  bodyText: string;
  /** document.body.textContent (all text, including closed <details>). */
  textContent: string;
  /** console messages of type 'error'. */
  consoleErrors: string[];
  /** console messages of type 'warning'. */
  consoleWarnings: string[];
  /** Uncaught exceptions in the page. */
  pageErrors: string[];
  /** Requests that failed (any URL), as 'URL: reason'. */
  failedRequests: string[];
  /** Requests to anything but file: and data: URLs (a self-contained page makes none). */
  networkRequests: string[];
  /** Every <img>. */
  images: ImageInfo[];
  /** <img> elements that did not load (incomplete or naturalWidth 0). */
  brokenImages: ImageInfo[];
  /** <svg> elements, and how many of them have a zero-sized box. */
  svgs: number;
  emptySvgs: number;
  /** Texts of the h1, h2 and h3 headings, in document order. */
  headings: string[];
  /** Every <table> as rows of cell texts (header rows included). */
  tables: string[][][];
  /** Layout: the document's scroll size and the viewport's size (CSS pixels). */
  scrollWidth: number;
  scrollHeight: number;
  viewportWidth: number;
  viewportHeight: number;
  screenshotPath: string;
  screenshotBytes: number;
}

export interface RenderOptions {
  /** Viewport (default 1280 x 800). */
  width?: number;
  height?: number;
  /** Screenshot of the whole page (default) or of the viewport only. */
  fullPage?: boolean;
}

export interface ChromiumSession {
  render(htmlPath: string, screenshotPath: string, o?: RenderOptions): Promise<RenderResult>;
  /** Closes the browser; safe to call twice. */
  close(): Promise<void>;
}

/** What the page itself reports (the rest of RenderResult comes from the browser's events). */
type PageFacts = Pick<RenderResult, 'title' | 'bodyText' | 'textContent' | 'images' | 'svgs' | 'emptySvgs' | 'headings' | 'tables' | 'scrollWidth' | 'scrollHeight' | 'viewportWidth' | 'viewportHeight'>;

const FACTS = `(async () => {
  await document.fonts.ready;
  const imgs = [...document.images];
  await Promise.all(imgs.map((i) => (i.complete ? null : new Promise((r) => { i.addEventListener('load', r); i.addEventListener('error', r); }))));
  await Promise.all(imgs.map((i) => (i.complete && i.naturalWidth ? i.decode().catch(() => null) : null)));
  const svgs = [...document.querySelectorAll('svg')];
  return {
    title: document.title,
    bodyText: document.body ? document.body.innerText : '',
    textContent: document.body ? document.body.textContent : '',
    images: imgs.map((i) => ({ src: (i.getAttribute('src') || '').slice(0, 40), naturalWidth: i.naturalWidth, naturalHeight: i.naturalHeight, complete: i.complete })),
    svgs: svgs.length,
    emptySvgs: svgs.filter((s) => { const b = s.getBoundingClientRect(); return !(b.width > 0 && b.height > 0); }).length,
    headings: [...document.querySelectorAll('h1, h2, h3')].map((h) => h.textContent.trim()),
    tables: [...document.querySelectorAll('table')].map((t) => [...t.rows].map((r) => [...r.cells].map((c) => c.textContent.trim()))),
    scrollWidth: document.documentElement.scrollWidth,
    scrollHeight: document.documentElement.scrollHeight,
    viewportWidth: window.innerWidth,
    viewportHeight: window.innerHeight,
  };
})()`;

function missingChromium(path: string): Error {
  return new Error(
    `${path} not found: the report tests render pages in Debian's headless Chromium. ` +
      'Run scripts/setup.sh as root (it installs the Debian packages chromium, libopenh264-7 and libharfbuzz-subset0).',
  );
}

export interface LaunchOptions {
  /** The browser (default /usr/bin/chromium). */
  executablePath?: string;
}

/** Launches headless Chromium once; render pages with the session, close it when done. */
export async function openChromium(o: LaunchOptions = {}): Promise<ChromiumSession> {
  const executablePath = o.executablePath ?? CHROMIUM_PATH;
  if (!existsSync(executablePath)) throw missingChromium(executablePath);
  let pw: typeof import('playwright-core');
  try {
    pw = await import('playwright-core');
  } catch (e) {
    throw new Error(`playwright-core cannot be imported (${e instanceof Error ? e.message.split('\n')[0] : String(e)}): run npm ci (it is a dev dependency)`);
  }
  let browser: Browser;
  try {
    browser = await pw.chromium.launch({
      executablePath,
      headless: true,
      // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--no-first-run', '--disable-extensions'],
      timeout: 120_000,
    });
  } catch (e) {
    throw new Error(`${executablePath} did not start (run scripts/setup.sh as root to install chromium and its libraries): ${e instanceof Error ? e.message : String(e)}`);
  }
  let closed = false;
  return {
    async render(htmlPath, screenshotPath, o = {}) {
      const abs = resolve(htmlPath);
      if (!existsSync(abs)) throw new Error(`no such page: ${abs}`);
      const url = pathToFileURL(abs).href;
      const context = await browser.newContext({ viewport: { width: o.width ?? 1280, height: o.height ?? 800 }, serviceWorkers: 'block' });
      try {
        const page = await context.newPage();
        const consoleErrors: string[] = [];
        const consoleWarnings: string[] = [];
        const pageErrors: string[] = [];
        const failedRequests: string[] = [];
        const networkRequests: string[] = [];
        page.on('console', (m: ConsoleMessage) => {
          const where = m.location().url ? ` (${m.location().url}:${m.location().lineNumber})` : '';
          if (m.type() === 'error') consoleErrors.push(m.text() + where);
          else if (m.type() === 'warning') consoleWarnings.push(m.text() + where);
        });
        page.on('pageerror', (e: Error) => pageErrors.push(e.stack ?? e.message));
        page.on('requestfailed', (r: Request) => failedRequests.push(`${r.url()}: ${r.failure()?.errorText ?? 'failed'}`));
        page.on('request', (r: Request) => {
          if (!/^(file|data):/i.test(r.url())) networkRequests.push(r.url());
        });
        // Nothing may leave the machine: any other request is recorded above and aborted here.
        await page.route(/^(?!file:|data:)/i, (route) => route.abort('blockedbyclient'));
        await page.goto(url, { waitUntil: 'load', timeout: 60_000 });
        const facts = await page.evaluate<PageFacts>(FACTS);
        await page.screenshot({ path: screenshotPath, fullPage: o.fullPage ?? true, animations: 'disabled', timeout: 60_000 });
        const brokenImages = facts.images.filter((i) => !i.complete || i.naturalWidth === 0);
        return {
          url,
          ...facts,
          consoleErrors,
          consoleWarnings,
          pageErrors,
          failedRequests,
          networkRequests,
          brokenImages,
          screenshotPath,
          screenshotBytes: statSync(screenshotPath).size,
        };
      } finally {
        await context.close();
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await browser.close();
    },
  };
}

/** One page in a browser of its own (launched and closed here). */
export async function renderInChromium(htmlPath: string, screenshotPath: string, o?: RenderOptions & LaunchOptions): Promise<RenderResult> {
  const session = await openChromium(o);
  try {
    return await session.render(htmlPath, screenshotPath, o);
  } finally {
    await session.close();
  }
}
