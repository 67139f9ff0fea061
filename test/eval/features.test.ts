// gdt eval linear | knn | retrieval | audio end to end from a `gdt pretrain` checkpoint; features
// are extracted once into a shared cache and an interrupted extraction resumes.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch } from '../../src/index.js';
import { cli } from '../cli/helpers.js';
import { extractFeatures } from '../../src/eval/feature-cache.js';
import type { FeatureFoldResult } from '../../src/eval/run-features.js';
import type { AudioFoldResult } from '../../src/eval/run-audio.js';
import { evalFixture, type EvalFixture } from './fixture.js';
import { checkOutputs } from './helpers.js';
import { wav } from '../helpers/wav.js';

let fx: EvalFixture;
const cache = mkdtempSync(join(tmpdir(), 'gdt-eval-cache-'));
before(async () => {
  fx = await evalFixture();
});

const args = (command: string, out: string, ...extra: string[]): string[] => [
  'eval', command, '--dataset', 'ucf101', '--root', fx.data, '--weights', fx.checkpoint, '--preset', 'tiny', '--crop', '32', '--manifest', fx.manifest,
  '--out', out, '--cache', cache, '--workers', '1', '--quiet', '--set', 'features.trainClips=2', ...extra,
];

test('linear: features of the frozen backbone, L2 penalty searched on a validation split; results.json and report.html', async () => {
  const out = mkdtempSync(join(tmpdir(), 'gdt-eval-linear-'));
  const live = torch.memory.liveTensors();
  const r = await cli(...args('linear', out));
  assert.equal(r.code, 0, r.err);
  // Not more than before (tensors of earlier in-process runs may be finalised meanwhile).
  assert.ok(torch.memory.liveTensors() <= live, `${torch.memory.liveTensors() - live} tensors of the run left alive`);
  const { results, html } = await checkOutputs<FeatureFoldResult>(out, { command: 'linear', protocol: 'clean', checkpoint: fx.checkpoint });
  const f = results.folds[0]!;
  assert.equal(f.featureDim, 128, '512 x width 0.25');
  assert.equal(f.trainRows, 2 * f.trainVideos);
  assert.equal(f.testRows, 30 * f.testVideos, '10 clips x 3 crops per test video');
  assert.ok(f.linear && f.linear.search.points.length === 5 && f.linear.valVideos > 0);
  assert.ok([1e-5, 1e-4, 1e-3, 1e-2, 1e-1].includes(f.linear.l2));
  assert.ok(f.metrics.top1! >= 0 && f.metrics.top1! <= 100);
  assert.ok(f.cache.extracted);
  assert.ok(html.includes('L2 search'));
});

test('knn and retrieval reuse the cached features; retrieval reports SeLaVi recall@1/5/10/20', async () => {
  const knnOut = mkdtempSync(join(tmpdir(), 'gdt-eval-knn-'));
  const r = await cli(...args('knn', knnOut, '--k', '5', '--temperature', '0.1'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /features ucf101-fold1-train: read \d+ rows/);
  assert.match(r.out, /features ucf101-fold1-test: read \d+ rows/);
  const knn = (await checkOutputs<FeatureFoldResult>(knnOut, { command: 'knn', protocol: 'clean', checkpoint: fx.checkpoint })).results;
  assert.deepEqual(knn.folds[0]!.knn, { k: 5, temperature: 0.1 });
  assert.equal(knn.folds[0]!.cache.extracted, false);

  const retOut = mkdtempSync(join(tmpdir(), 'gdt-eval-ret-'));
  const rr = await cli(...args('retrieval', retOut));
  assert.equal(rr.code, 0, rr.err);
  assert.match(rr.out, /centre crops taken from/);
  const { results, html } = await checkOutputs<FeatureFoldResult>(retOut, { command: 'retrieval', protocol: 'clean', checkpoint: fx.checkpoint });
  const f = results.folds[0]!;
  assert.deepEqual(Object.keys(f.metrics), ['R@1', 'R@5', 'R@10', 'R@20']);
  assert.ok(f.metrics['R@1']! <= f.metrics['R@5']! && f.metrics['R@5']! <= f.metrics['R@10']! && f.metrics['R@10']! <= f.metrics['R@20']!);
  assert.equal(f.testRows, 10 * f.testVideos, 'centre crops only');
  assert.ok(f.predictions.every((p) => p.neighbours && p.neighbours.length === 5));
  // Recomputed from the stored neighbours: R@5 = queries with a same-class video among the first 5.
  const hits = f.predictions.filter((p) => p.neighbours!.some((n) => n.label === p.label)).length;
  assert.equal(f.metrics['R@5'], (100 * hits) / f.predictions.length);
  assert.ok(html.includes('recall@k'));
});

test('feature extraction resumes at the last finished shard after an interruption', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdt-eval-shards-'));
  const spec = { module: new URL('./toy-views.ts', import.meta.url).href, exportName: 'createToyViews', options: { length: 10 } };
  const base = { cacheDir: dir, name: 'toy', key: { toy: 1 }, spec, input: 'views', batchSize: 2, workers: 0, seed: 0, shardSamples: 4, progress: false, log: () => undefined };
  let calls = 0;
  await assert.rejects(
    extractFeatures({
      ...base,
      forward: (x) => {
        if (++calls === 4) throw new Error('interrupted');
        return x.mul(10);
      },
    }),
    /interrupted/,
  );
  const parts = readdirSync(dir).find((f) => f.endsWith('.parts'))!;
  assert.deepEqual(readdirSync(join(dir, parts)).sort(), ['shard-00000.safetensors'], 'the first shard (batches 1-2) was kept');
  const logs: string[] = [];
  calls = 0;
  const r = await extractFeatures({ ...base, log: (s) => logs.push(s), forward: (x) => (calls++, x.mul(10)) });
  assert.equal(calls, 3, 'only the remaining 3 batches ran');
  assert.ok(logs.some((l) => /resuming at shard 2 of 3/.test(l)));
  assert.deepEqual(r.videos, [0, 0, 1, 1, 2, 2, 3, 3, 4, 4]);
  assert.deepEqual(r.clips, [0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
  assert.deepEqual((r.features.toArray() as number[][]).map((row) => row[0]), [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
  r.features.dispose();
  assert.ok(!existsSync(join(dir, parts)), 'the shards are merged and removed');
  const again = await extractFeatures({ ...base, forward: () => assert.fail('must read the cache') });
  assert.ok(again.cached);
  again.features.dispose();
});


test('audio: ESC-50-style folds, frozen audio encoder, linear classifier; results.json and report.html', async () => {
  const root = mkdtempSync(join(tmpdir(), 'gdt-eval-esc-'));
  mkdirSync(join(root, 'audio'));
  mkdirSync(join(root, 'meta'));
  const rate = 16000;
  const rows = ['filename,fold,target,category,esc10,src_file,take'];
  const classes = [
    { target: 0, category: 'low_tone', f: 300 },
    { target: 7, category: 'high_tone', f: 2500 },
  ];
  for (let fold = 1; fold <= 5; fold++) {
    for (const c of classes) {
      for (let k = 0; k < 2; k++) {
        const name = `${fold}-${c.target}-${k}.wav`;
        const s = Float32Array.from({ length: rate * 2 }, (_, i) => 0.3 * Math.sin((2 * Math.PI * c.f * (1 + 0.05 * k) * i) / rate) + 0.02 * Math.sin(i * 12.9898 + fold));
        writeFileSync(join(root, 'audio', name), wav(s, rate));
        rows.push(`${name},${fold},${c.target},${c.category},${c.target === 0 ? 'True' : 'False'},src${fold},${k}`);
      }
    }
  }
  writeFileSync(join(root, 'meta', 'esc50.csv'), rows.join('\n') + '\n');
  const out = mkdtempSync(join(tmpdir(), 'gdt-eval-audio-'));
  const r = await cli('eval', 'audio', '--root', root, '--fold', '1,2', '--weights', fx.checkpoint, '--preset', 'tiny', '--out', out, '--workers', '1', '--quiet');
  assert.equal(r.code, 0, r.err);
  const { results } = await checkOutputs<AudioFoldResult>(out, { command: 'audio', protocol: 'clean', checkpoint: fx.checkpoint });
  assert.deepEqual(results.folds.map((f) => f.fold), [1, 2]);
  for (const f of results.folds) {
    assert.deepEqual(f.classes, ['low_tone', 'high_tone']);
    assert.equal(f.trainFiles, 16);
    assert.equal(f.testFiles, 4);
    assert.equal(f.featureDim, 128);
    assert.ok(f.linear.valFiles > 0);
  }
  assert.ok(results.mean.top1! >= 75, `two pure tones: top-1 ${results.mean.top1}`);
});
