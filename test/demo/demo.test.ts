// `gdt demo --fast` end to end: every stage runs, results.json is consistent, the report renders
// in headless Chromium with the numbers of results.json, and a second run resumes (reuses the
// dataset, the pretraining and the feature caches) instead of starting over. The ≥ 20-point gap of
// the full recipe is measured by `npm run bench:demo`, not here (minutes of CPU).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../cli/helpers.js';
import { renderInChromium } from '../helpers/browser.js';
import type { DemoResults } from '../../src/demo/run-demo.js';

const out = mkdtempSync(join(tmpdir(), 'gdt-demo-'));

test('gdt demo --fast: all stages, results.json, report in Chromium, then a resumed run', async () => {
  const r = await cli('demo', '--fast', '--out', out, '--quiet', '--seed', '3');
  assert.equal(r.code, 0, r.out + r.err);
  for (const stage of ['[1/4] synthetic audio-visual dataset', '[2/4] GDT pretraining: hypothesis 6', '[3/4] frozen-feature evaluations', '[4/4] short finetuning']) {
    assert.ok(r.out.includes(stage), `missing stage line '${stage}'`);
  }
  assert.match(r.out, /report: {2}\S+report\.html/);
  assert.match(r.out, /next: {4}gdt embed /);

  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as DemoResults;
  assert.equal(res.kind, 'gdt-demo');
  assert.equal(res.seed, 3);
  assert.equal(res.recipe.name, 'fast');
  assert.equal(res.pretrain.hypothesis, 6);
  assert.equal(res.dataset.classes, 4);
  assert.equal(res.dataset.videos, 32);
  const steps = readFileSync(join(out, 'pretrain', 'metrics.jsonl'), 'utf8').trim().split('\n');
  assert.equal(res.pretrain.steps, steps.length);
  assert.equal(steps.length, 4);
  for (const m of ['pretrained', 'random'] as const) {
    for (const [k, v] of Object.entries(res.scores[m])) assert.ok(v >= 0 && v <= 100, `${m} ${k} = ${v}`);
    // The comparison reads the evaluations' own results.
    const lin = JSON.parse(readFileSync(join(out, 'eval', m, 'linear', 'results.json'), 'utf8')) as { mean: { top1: number } };
    assert.equal(res.scores[m].linearTop1, lin.mean.top1);
    const ft = JSON.parse(readFileSync(join(out, 'eval', m, 'finetune', 'results.json'), 'utf8')) as { mean: { top1: number } };
    assert.equal(res.scores[m].finetuneTop1, ft.mean.top1);
  }
  for (const [k, v] of Object.entries(res.gap)) assert.equal(v, res.scores.pretrained[k as keyof typeof res.gap] - res.scores.random[k as keyof typeof res.gap]);
  assert.equal(res.acceptance.gap, res.gap.linearTop1);
  assert.equal(res.acceptance.passed, res.gap.linearTop1 >= 20);
  assert.deepEqual(
    res.timings.map((t) => t.stage.split(':')[0]),
    ['synthetic audio-visual dataset', 'GDT pretraining', 'frozen-feature evaluations of the pretrained and the randomly initialised encoder (linear probe, kNN, retrieval)', 'short finetuning of both encoders'],
  );

  // The report: renders, self-contained, shows the comparison with results.json's numbers.
  const page = await renderInChromium(join(out, 'report.html'), join(out, 'report.png'));
  assert.deepEqual(page.consoleErrors, []);
  assert.deepEqual(page.pageErrors, []);
  assert.deepEqual(page.networkRequests, []);
  assert.deepEqual(page.brokenImages, []);
  assert.ok(page.images.length >= 4, `${page.images.length} thumbnails`);
  assert.ok(page.svgs >= 2 && page.emptySvgs === 0, `${page.svgs} charts, ${page.emptySvgs} empty`);
  for (const h of ['Pretrained vs random initialisation', 'Pretraining', 'Retrieval examples', 'What each number means']) assert.ok(page.headings.includes(h), `heading '${h}' in ${page.headings.join(' | ')}`);
  const comparison = page.tables.find((t) => t[0]?.[0] === 'measure' && t.some((row) => row[0] === 'retrieval R@1 (%)'));
  assert.ok(comparison, 'comparison table');
  const row = comparison.find((x) => x[0] === 'linear probe top-1 (%)')!;
  assert.equal(Number(row[1]), Number(res.scores.pretrained.linearTop1.toFixed(2)));
  assert.equal(Number(row[2]), Number(res.scores.random.linearTop1.toFixed(2)));
  assert.ok(statSync(join(out, 'report.png')).size > 10_000);

  // Again: the dataset and the pretraining are reused, features come from the caches.
  const before = statSync(join(out, 'pretrain', 'checkpoint.safetensors')).mtimeMs;
  const again = await cli('demo', '--fast', '--out', out, '--quiet', '--seed', '3');
  assert.equal(again.code, 0, again.out + again.err);
  assert.ok(again.out.includes(`reusing ${join(out, 'data')}`), again.out);
  assert.equal(readFileSync(join(out, 'pretrain', 'metrics.jsonl'), 'utf8').trim().split('\n').length, 4, 'no extra pretraining steps');
  assert.equal(statSync(join(out, 'pretrain', 'checkpoint.safetensors')).mtimeMs, before);
  assert.doesNotMatch(again.out, /features ucf101-fold1-train: \d+ rows of/, 'features were extracted again');
  const res2 = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as DemoResults;
  assert.deepEqual(res2.scores, res.scores);
  assert.ok(existsSync(join(out, 'report.html')));
});

test('gdt demo: a bad seed is a clear error', async () => {
  const r = await cli('demo', '--fast', '--out', join(out, 'x'), '--seed', 'abc');
  assert.equal(r.code, 1);
  assert.match(r.err, /--seed must be a non-negative integer, got 'abc'/);
});
