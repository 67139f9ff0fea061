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
/** What the first run printed (its `next:` lines are run by the last test). */
let printed = '';

test('gdt demo --fast: all stages, results.json, report in Chromium, then a resumed run', async () => {
  const r = await cli('demo', '--fast', '--out', out, '--quiet', '--seed', '3');
  assert.equal(r.code, 0, r.out + r.err);
  printed = r.out;
  for (const stage of ['[1/4] synthetic audio-visual dataset', '[2/4] GDT pretraining: hypothesis 8 (variant to time reversal, invariant to time shift)', '[3/4] frozen-feature evaluations', '[4/4] short finetuning']) {
    assert.ok(r.out.includes(stage), `missing stage line '${stage}'`);
  }
  assert.match(r.out, /report: {2}\S+report\.html/);
  assert.match(r.out, /next: {4}gdt embed /);

  const res = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as DemoResults;
  assert.equal(res.kind, 'gdt-demo');
  assert.equal(res.seed, 3);
  assert.equal(res.recipe.name, 'fast');
  assert.equal(res.pretrain.hypothesis, 8);
  assert.equal(res.dataset.classes, 4);
  assert.equal(res.dataset.videos, 32);
  // The demo's data design, and one probe + one decode per video shared by the stages (the decodes removed at the end).
  assert.deepEqual([res.recipe.data.timbre, res.recipe.data.pitch, res.recipe.data.scenes], ['class', 'class', 'shared']);
  assert.equal(Object.keys((JSON.parse(readFileSync(join(out, 'probe-manifest.json'), 'utf8')) as { entries: object }).entries).length, 32);
  assert.ok(!existsSync(join(out, 'decoded')), 'the decode cache is removed at the end');
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

test('the next steps the demo prints work on its checkpoint: gdt embed, gdt search, gdt export', async () => {
  assert.ok(printed, 'the first test ran the demo');
  // The three commands after `next:`, as printed (paths outside the working directory are absolute).
  const lines = printed.split('\n');
  const first = lines.findIndex((l) => l.startsWith('next:'));
  assert.ok(first >= 0, printed);
  const commands = lines.slice(first, first + 3).map((l) => l.replace(/^next:/, '').trim().split(/\s+/));
  assert.deepEqual(commands.map((c) => c.slice(0, 2).join(' ')), ['gdt embed', 'gdt search', 'gdt export']);
  const ckpt = join(out, 'pretrain', 'checkpoint.safetensors');
  const dir = join(out, 'next');
  const index = join(dir, 'embeddings.npy');
  const sub = (c: string[], map: Record<string, string>): string[] => c.slice(1).map((a) => map[a] ?? a);
  const video = join(out, 'data', 'videos', 'Bounce', 'v_Bounce_g01_c01.mp4');

  const embed = sub(commands[0]!, { 'embeddings.npy': index });
  assert.deepEqual(embed, ['embed', join(out, 'data', 'videos'), '--weights', ckpt, '--out', index]);
  const e = await cli('--threads', '1', ...embed, '--quiet');
  assert.equal(e.code, 0, e.out + e.err);
  // One row per video of the demo's dataset (4 classes x 8), 512 x 0.25 columns, a row index beside it.
  assert.equal(readFileSync(index.replace(/\.npy$/, '.jsonl'), 'utf8').trim().split('\n').length, 32);
  const header = readFileSync(index).subarray(0, 128).toString('latin1');
  assert.match(header, /'shape': \(32, 128\)/);

  const search = sub(commands[1]!, { '<video>': video, 'embeddings.npy': index });
  const s = await cli('--threads', '1', ...search, '--json');
  assert.equal(s.code, 0, s.out + s.err);
  const hits = (JSON.parse(s.out) as { hits: { path: string; similarity: number }[] }).hits;
  assert.equal(hits[0]!.path, video, 'the query video finds itself first');
  assert.ok(hits[0]!.similarity > 0.999, `${hits[0]!.similarity}`);

  const onnx = join(dir, 'video.onnx');
  const exp = sub(commands[2]!, { 'video.onnx': onnx });
  assert.deepEqual(exp, ['export', '--onnx', onnx, '--weights', ckpt, '--part', 'video']);
  const x = await cli('--threads', '1', ...exp);
  assert.equal(x.code, 0, x.out + x.err);
  const check = /max rel error (\S+)$/m.exec(x.out);
  assert.ok(check, x.out);
  assert.ok(Number(check[1]) <= 1e-4, `onnxruntime vs libtorch: max rel error ${check[1]}`);
  assert.ok(statSync(onnx).size > 1e5);
});
