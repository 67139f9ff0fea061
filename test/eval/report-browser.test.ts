// The report.html of every `gdt eval` command, from real runs on the shared evaluation fixture,
// opened in headless Chromium (/usr/bin/chromium through playwright-core): it renders without
// console errors, page errors or any network request, its images load, its charts have a size,
// it shows the numbers of results.json, and a full-page screenshot (saved next to the report as
// report.png) is a real picture. A missing Chromium fails the tests (run scripts/setup.sh).
import { test, before, after, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../cli/helpers.js';
import { openChromium, type ChromiumSession, type RenderResult } from '../helpers/browser.js';
import { decodePng, pixelStats } from '../helpers/png.js';
import { evalFixture, type EvalFixture } from './fixture.js';
import type { EvalResults } from '../../src/eval/results.js';
import type { FinetuneFoldResult } from '../../src/eval/run-finetune.js';
import type { FeatureFoldResult } from '../../src/eval/run-features.js';
import type { AudioFoldResult } from '../../src/eval/run-audio.js';
import { wav } from '../helpers/wav.js';

let fx: EvalFixture;
let chromium: ChromiumSession | undefined;
const cache = mkdtempSync(join(tmpdir(), 'gdt-report-browser-cache-'));

before(async () => {
  const [f, c] = await Promise.allSettled([evalFixture(), openChromium()]);
  if (c.status === 'fulfilled') chromium = c.value;
  if (f.status === 'rejected') throw f.reason;
  if (c.status === 'rejected') throw c.reason;
  fx = f.value;
});
after(async () => {
  await chromium?.close();
});

const common = (): string[] => ['--threads', '2', '--preset', 'tiny', '--weights', fx.checkpoint, '--workers', '1', '--quiet'];
const video = (): string[] => ['--dataset', 'ucf101', '--root', fx.data, '--crop', '32', '--manifest', fx.manifest];

async function run(command: string, ...extra: string[]): Promise<string> {
  const out = mkdtempSync(join(tmpdir(), `gdt-report-browser-${command}-`));
  // cli() reads process.exitCode as the command's, and the test runner sets it to 1 when an
  // earlier test failed: clear it for the run (then put it back) so that failures do not cascade.
  const exitCode = process.exitCode;
  process.exitCode = undefined;
  let r: Awaited<ReturnType<typeof cli>>;
  try {
    r = await cli('eval', command, ...common(), '--out', out, ...extra);
  } finally {
    process.exitCode = exitCode;
  }
  assert.equal(r.code, 0, `gdt eval ${command} failed:\n${r.out}\n${r.err}`);
  return out;
}

/** The numbers of the page's Results table in the column `header`, by the row's first cell. */
function column(page: RenderResult, header: string): Map<string, number> {
  const t = page.tables[0];
  assert.ok(t && t.length >= 3, 'a Results table with a header, the folds and the mean');
  const j = t[0]!.indexOf(header);
  assert.ok(j > 0, `Results table has a '${header}' column: ${JSON.stringify(t[0])}`);
  return new Map(t.slice(1).map((row) => [row[0]!, Number(row[j])]));
}

const close = (shown: number | undefined, value: number, what: string): void =>
  assert.ok(shown !== undefined && Math.abs(shown - value) <= 0.005 + 1e-9, `${what}: the page shows ${shown}, results.json has ${value}`);

interface Expect {
  command: string;
  /** The column of the Results table and the metric key in results.json. */
  metric: string;
  header: string;
  /** Inline SVG charts on the page. */
  charts: number;
  /** Thumbnails the examples should show (from results.json's predictions). */
  images: number;
  examples: boolean;
}

async function renderAndCheck<F extends { fold: number }>(
  t: TestContext,
  out: string,
  e: Expect,
  foldValue: (f: F) => number,
): Promise<{ page: RenderResult; results: EvalResults<F> }> {
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as EvalResults<F>;
  const shot = join(out, 'report.png');
  const page = await chromium!.render(join(out, 'report.html'), shot);

  // Nothing went wrong while loading: no console errors, exceptions, failed or remote requests.
  assert.deepEqual(page.consoleErrors, [], 'console errors');
  assert.deepEqual(page.pageErrors, [], 'page errors');
  assert.deepEqual(page.failedRequests, [], 'failed requests');
  assert.deepEqual(page.networkRequests, [], 'a self-contained page requests nothing but file: and data: URLs');

  // What the reader sees.
  assert.equal(page.title, `gdt eval ${e.command} — ${results.dataset}, folds ${results.folds.map((f) => f.fold).join(',')}`);
  assert.equal(page.headings[0], page.title);
  assert.ok(page.bodyText.includes(`protocol: ${results.protocol}`), 'the protocol badge');
  assert.ok(page.bodyText.includes(results.protocolDescription), 'the protocol description');
  assert.ok(page.bodyText.includes(results.checkpoint.sha256!), "the weights' SHA-256");
  for (const h of ['Results', 'Per-class accuracy', 'Confusion matrix', ...(e.examples ? ['Examples', 'Correct', 'Wrong'] : []), 'Configuration']) {
    assert.ok(page.headings.some((x) => x.startsWith(h)), `heading '${h}' in ${JSON.stringify(page.headings)}`);
  }
  assert.ok(page.textContent.includes(`"command": "${e.command}"`), 'the resolved configuration (in the closed <details>)');
  // The Results table shows results.json's numbers, per fold and their mean.
  const shown = column(page, e.header);
  for (const f of results.folds) close(shown.get(String(f.fold)), foldValue(f), `fold ${f.fold} ${e.metric}`);
  close(shown.get('mean'), results.mean[e.metric]!, `mean ${e.metric}`);

  // Charts and thumbnails are there and loaded.
  assert.ok(page.svgs >= e.charts, `${page.svgs} charts, expected at least ${e.charts}`);
  assert.equal(page.emptySvgs, 0, 'every chart has a size');
  assert.deepEqual(page.brokenImages, [], 'images that did not load');
  assert.equal(page.images.length, e.images, 'one thumbnail per example (and per retrieved neighbour)');
  assert.ok(page.images.every((i) => i.src.startsWith('data:image/png;base64,') && i.naturalWidth > 0 && i.naturalHeight > 0), 'thumbnails are decoded PNG data URIs');
  assert.ok(!page.bodyText.includes('no thumbnail'), 'every example has its thumbnail');
  assert.ok(page.scrollWidth <= page.viewportWidth, `no horizontal overflow (${page.scrollWidth} > ${page.viewportWidth} px)`);

  // The screenshot is a real picture of the whole page.
  const png = readFileSync(shot);
  assert.equal(page.screenshotBytes, png.length);
  assert.ok(png.length > 10_000, `screenshot of ${png.length} bytes`);
  const px = pixelStats(decodePng(png));
  assert.equal(px.width, page.viewportWidth);
  assert.equal(px.height, page.scrollHeight, 'full page');
  assert.ok(px.height > page.viewportHeight, 'the report is longer than one screen');
  assert.equal(px.dominant, '#ffffffff', 'white background');
  assert.ok(px.dominantFraction < 0.97, `${(100 * px.dominantFraction).toFixed(1)} % of the screenshot is background`);
  assert.ok(px.colours > (e.images ? 1000 : 100), `${px.colours} colours in the screenshot`);
  // Where the screenshot is, in the test output.
  t.diagnostic(`${e.command}: ${shot} (${px.width}x${px.height}, ${png.length} bytes, ${px.colours} colours, ${(100 * px.dominantFraction).toFixed(1)} % background), ${page.images.length} thumbnails, ${page.svgs} charts`);
  return { page, results };
}

/** Thumbnails shown: the first 4 correct and first 4 wrong predictions, each with its neighbours (retrieval). */
function expectedImages(predictions: { label: number; predicted: number; neighbours?: { label: number }[] }[], retrieval: boolean): number {
  const correct = (p: (typeof predictions)[number]): boolean => (retrieval ? p.neighbours?.[0]?.label === p.label : p.predicted === p.label);
  const shown = [...predictions.filter(correct).slice(0, 4), ...predictions.filter((p) => !correct(p)).slice(0, 4)];
  return shown.reduce((n, p) => n + 1 + (p.neighbours?.length ?? 0), 0);
}

test('finetune report renders in Chromium: numbers of results.json, curves, thumbnails, screenshot', async (t) => {
  const out = await run('finetune', ...video(), '--fold', '1', '--model', 'gdt', '--epochs', '2', '--set', 'train.clipsPerVideo=1', '--set', 'test.clips=2');
  const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as EvalResults<FinetuneFoldResult>;
  const preds = results.folds.flatMap((f) => f.predictions);
  const { page } = await renderAndCheck<FinetuneFoldResult>(
    t,
    out,
    { command: 'finetune', metric: 'top1', header: 'top-1 (%)', charts: 5, images: expectedImages(preds, false), examples: true },
    (f) => f.top1,
  );
  assert.ok(page.images.length >= 2, 'correct and wrong examples with thumbnails');
  assert.ok(page.headings.includes('Fold 1: training and test curves'));
  // The per-epoch test table: epoch 1 is the reported one (clean protocol: the last).
  const evals = page.tables.find((tb) => tb[0]?.[0] === 'epoch');
  assert.ok(evals, 'the table of evaluated epochs');
  assert.deepEqual(evals.slice(1).map((r) => r[0]), ['1 (reported)']);
  close(Number(evals[1]![1]), results.folds[0]!.evaluations[0]!.top1, 'evaluated epoch top-1');
});

test('linear, knn and retrieval reports render in Chromium (features cached once)', async (t) => {
  const features = ['--set', 'features.trainClips=2', '--cache', cache];
  for (const command of ['linear', 'knn', 'retrieval'] as const) {
    const out = await run(command, ...video(), ...features);
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as EvalResults<FeatureFoldResult>;
    const preds = results.folds.flatMap((f) => f.predictions);
    const retrieval = command === 'retrieval';
    const metric = retrieval ? 'R@1' : 'top1';
    const { page } = await renderAndCheck<FeatureFoldResult>(
      t,
      out,
      {
        command,
        metric,
        // The feature reports name the columns by results.json's keys ('top1', 'R@1').
        header: `${metric} (%)`,
        // Per-class bars and confusion, plus the L2 search and the final fit (linear) or recall@k (retrieval).
        charts: 2 + (command === 'linear' ? 2 : retrieval ? 1 : 0),
        images: expectedImages(preds, retrieval),
        examples: true,
      },
      (f) => f.metrics[metric]!,
    );
    if (retrieval) {
      assert.ok(preds.every((p) => p.neighbours?.length === 5));
      assert.ok(page.images.length > 5, 'queries and their retrieved neighbours');
      const r = column(page, 'R@20 (%)');
      close(r.get('mean'), results.mean['R@20']!, 'mean R@20');
    }
    if (command === 'linear') assert.ok(page.bodyText.includes('L2 search: chosen λ = '), 'the L2 search chart');
    if (command === 'knn') assert.ok(page.tables.some((tb) => tb[0]?.includes('k') && tb[0].includes('T')), 'k and T');
  }
});


test('audio report renders in Chromium (ESC-50 layout, two tones)', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'gdt-report-browser-esc-'));
  mkdirSync(join(root, 'audio'));
  mkdirSync(join(root, 'meta'));
  const rate = 16000;
  const rows = ['filename,fold,target,category,esc10,src_file,take'];
  for (let fold = 1; fold <= 5; fold++) {
    for (const c of [{ target: 0, category: 'low_tone', f: 300 }, { target: 7, category: 'high_tone', f: 2500 }]) {
      for (let k = 0; k < 2; k++) {
        const name = `${fold}-${c.target}-${k}.wav`;
        const s = Float32Array.from({ length: rate * 2 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * c.f * (1 + 0.05 * k) * i) / rate) + 0.02 * Math.sin(i * 12.9898 + fold));
        writeFileSync(join(root, 'audio', name), wav(s, rate));
        rows.push(`${name},${fold},${c.target},${c.category},${c.target === 0 ? 'True' : 'False'},src${fold},${k}`);
      }
    }
  }
  writeFileSync(join(root, 'meta', 'esc50.csv'), rows.join('\n') + '\n');
  const out = await run('audio', '--root', root, '--fold', '1');
  const { page } = await renderAndCheck<AudioFoldResult>(
    t,
    out,
    { command: 'audio', metric: 'top1', header: 'top-1 (%)', charts: 4, images: 0, examples: false },
    (f) => f.metrics.top1!,
  );
  assert.ok(page.bodyText.includes('low_tone') && page.bodyText.includes('high_tone'), 'the class names');
  assert.ok(page.headings.some((h) => h.startsWith('Misclassified files')));
});

test('the browser check catches what it looks for: console and page errors, failed and remote requests, broken images', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdt-report-browser-bad-'));
  const html = join(dir, 'bad.html');
  writeFileSync(
    html,
    `<!DOCTYPE html><html><head><title>bad page</title><link rel="icon" href="data:,"></head><body><h1>bad page</h1>
<img src="missing.png"><img src="https://example.invalid/x.png"><svg width="0" height="0"></svg>
<script>console.error('boom'); throw new Error('uncaught one');</script></body></html>`,
  );
  const page = await chromium!.render(html, join(dir, 'bad.png'));
  assert.equal(page.title, 'bad page');
  assert.deepEqual(page.headings, ['bad page']);
  assert.ok(page.consoleErrors.some((m) => m.startsWith('boom')), JSON.stringify(page.consoleErrors));
  assert.equal(page.pageErrors.length, 1);
  assert.match(page.pageErrors[0]!, /uncaught one/);
  assert.deepEqual(page.networkRequests, ['https://example.invalid/x.png'], 'recorded (and blocked)');
  // Chromium reports the two failures in whichever order they finish.
  const failed = [...page.failedRequests].sort();
  assert.equal(failed.length, 2, JSON.stringify(failed));
  assert.ok(failed.some((m) => /missing\.png: net::ERR_FILE_NOT_FOUND/.test(m)), JSON.stringify(failed));
  assert.ok(failed.some((m) => /^https:\/\/example\.invalid\/x\.png: net::ERR_BLOCKED_BY_CLIENT/.test(m)), JSON.stringify(failed));
  assert.deepEqual(page.brokenImages.map((i) => i.src), ['missing.png', 'https://example.invalid/x.png']);
  assert.equal(page.svgs, 1);
  assert.equal(page.emptySvgs, 1);
  const px = pixelStats(decodePng(readFileSync(join(dir, 'bad.png'))));
  assert.equal(px.height, page.viewportHeight, 'a short page: the screenshot is one viewport');
  assert.ok(px.dominantFraction > 0.97, 'almost all background');
});

test('a missing browser is an error that says to run scripts/setup.sh, not a skip', async () => {
  await assert.rejects(openChromium({ executablePath: '/nonexistent/chromium' }), /\/nonexistent\/chromium not found.*scripts\/setup\.sh/s);
});
