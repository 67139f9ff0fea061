// Protocol mechanics (SPEC 9.1, 5.8, 5.10): 10 x 3 test views per video (the clean ones equal to
// AVideoDataset's), random training clips, fold selection from UCF101 and HMDB51 split files, and
// the per-epoch LR table of the per-tensor parameter groups.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { generateSyntheticDataset } from '../../src/media/synth.js';
import { createAVideoDataset } from '../../src/data/av-dataset.js';
import type { Sample, SampleArray, SampleContext } from '../../src/data/sample.js';
import { lrTable } from '../../src/optim/index.js';
import { buildEvalConfig, parseFolds, type FinetuneConfig } from '../../src/eval/config.js';
import { loadVideoSet } from '../../src/eval/video-sets.js';
import { createViewsDataset } from '../../src/eval/views-dataset.js';
import { testViewsOptions, trainViewsOptions } from '../../src/eval/run-finetune.js';
import { buildVideoModel } from '../../src/eval/backbone.js';
import { finetuneOptimizer } from '../../src/eval/finetune-optim.js';
import { evalFixture, type EvalFixture } from './fixture.js';

let fx: EvalFixture;
let wide = '';
const tmp = mkdtempSync(join(tmpdir(), 'gdt-eval-protocol-'));
before(async () => {
  fx = await evalFixture();
  // Non-square videos, so that the three spatial crops differ.
  wide = join(tmp, 'wide');
  await generateSyntheticDataset(wide, { classes: 2, videosPerClass: 3, seconds: 2, width: 96, height: 64, seed: 5 });
});

const ctx = (seed: number, index: number): SampleContext => ({ seed, epoch: 0, index, attempt: 0 });
const arr = (s: Sample, k: string): SampleArray => s[k] as SampleArray;
const cfgFor = (root: string, preset = 'tiny', over: Record<string, unknown> = {}): FinetuneConfig =>
  buildEvalConfig('finetune', { preset, overrides: [{ out: join(tmp, 'out'), weights: 'none', data: { dataset: 'ucf101', root, ...over } }] });

test('test views: 10 clips x 3 crops per video; the clean ones equal AVideoDataset test views (SPEC 5.8)', async () => {
  const cfg = cfgFor(wide);
  assert.equal(cfg.test.clips, 10);
  assert.equal(cfg.test.crops, 3);
  const set = await loadVideoSet(cfg.data, 1, 'test', join(tmp, 'manifest.json'));
  const ds = createViewsDataset(testViewsOptions(cfg, set, false));
  assert.equal(ds.length, set.videos.length * 10);
  const av = await createAVideoDataset({ root: wide, format: 'ucf101', fold: 1, split: 'test', mode: 'test', numFrames: 8, targetFps: 6, cropSize: 64 });
  assert.equal(av.length, set.videos.length * 30, '10 x 3 views per video');
  // Video 1, temporal positions 0 and 9: one sample per position carries its three crops.
  for (const clip of [0, 9]) {
    const s = await ds.get(10 + clip, ctx(1, 10 + clip));
    const views = arr(s, 'views');
    assert.deepEqual(views.shape, [3, 3, 8, 64, 64]);
    assert.equal(s.video, 1);
    assert.equal(s.clip, clip);
    const per = views.data.length / 3;
    const crops = [0, 1, 2].map((k) => Array.from(views.data.subarray(k * per, (k + 1) * per)));
    assert.notDeepEqual(crops[0], crops[2], 'left and right crops differ');
    for (const k of [0, 1, 2]) {
      const ref = await av.get(30 + clip * 3 + k, ctx(7, 0));
      assert.equal(ref.label, s.label);
      assert.deepEqual(Array.from(arr(ref, 'view').data), crops[k], `clip ${clip} crop ${k} equals AVideoDataset's view ${clip * 3 + k}`);
    }
  }
  // Clean views do not depend on the seed; the reference protocol's do (random short side).
  const a = await ds.get(3, ctx(1, 3));
  const b = await ds.get(3, ctx(2, 3));
  assert.deepEqual(Array.from(arr(a, 'views').data), Array.from(arr(b, 'views').data));
  const ref = createViewsDataset(testViewsOptions({ ...cfg, protocol: 'reference' }, set, true));
  const c = await ref.get(3, ctx(1, 3));
  const d = await ref.get(3, ctx(2, 3));
  assert.notDeepEqual(Array.from(arr(c, 'views').data), Array.from(arr(d, 'views').data));
});

test('training clips: clipsPerVideo random clips per video, one augmented view each', async () => {
  const cfg = cfgFor(wide);
  const set = await loadVideoSet(cfg.data, 1, 'train', join(tmp, 'manifest.json'));
  const ds = createViewsDataset(trainViewsOptions(cfg, set));
  assert.equal(ds.length, set.videos.length * cfg.train.clipsPerVideo);
  const a = await ds.get(0, ctx(1, 0));
  const b = await ds.get(0, ctx(2, 0));
  assert.deepEqual(arr(a, 'views').shape, [1, 3, 8, 64, 64]);
  assert.notDeepEqual(Array.from(arr(a, 'views').data), Array.from(arr(b, 'views').data));
});

function splitNames(file: string): string[] {
  return readFileSync(file, 'utf8').split(/\r?\n/).map((l) => l.trim().split(/\s+/)[0]!).filter(Boolean);
}

test('fold selection from UCF101 split files (trainlist0k / testlist0k) and labels by class folder', async () => {
  const cfg = cfgFor(fx.data);
  for (const fold of [1, 2, 3]) {
    const train = await loadVideoSet(cfg.data, fold, 'train', fx.manifest);
    const test = await loadVideoSet(cfg.data, fold, 'test', fx.manifest);
    assert.deepEqual(new Set(train.names), new Set(splitNames(join(fx.data, 'splits', `trainlist0${fold}.txt`))));
    assert.deepEqual(new Set(test.names), new Set(splitNames(join(fx.data, 'splits', `testlist0${fold}.txt`))));
    assert.equal(train.names.filter((n) => test.names.includes(n)).length, 0, 'train and test are disjoint');
    assert.deepEqual(train.classes, ['Bounce', 'Grow']);
    for (const [i, n] of test.names.entries()) assert.equal(test.videos[i]!.label, n.startsWith('Bounce/') ? 0 : 1);
  }
});

test('fold selection from HMDB51 split files (<class>_test_split<k>.txt, tags 1 train / 2 test / 0 unused)', async () => {
  const splits = join(tmp, 'hmdb-splits');
  mkdirSync(splits, { recursive: true });
  const tagOf = (i: number, fold: number): number => (i + fold) % 3;
  for (const cls of ['Bounce', 'Grow']) {
    const files = readdirSync(join(fx.data, 'videos', cls)).sort();
    for (const fold of [1, 2, 3]) writeFileSync(join(splits, `${cls}_test_split${fold}.txt`), files.map((f, i) => `${f} ${tagOf(i, fold)} \n`).join(''));
  }
  const cfg = cfgFor(fx.data, 'tiny', { dataset: 'hmdb51', splits });
  for (const fold of [1, 2]) {
    const train = await loadVideoSet(cfg.data, fold, 'train', fx.manifest);
    const test = await loadVideoSet(cfg.data, fold, 'test', fx.manifest);
    for (const cls of ['Bounce', 'Grow']) {
      const files = readdirSync(join(fx.data, 'videos', cls)).sort();
      const want = (tag: number): string[] => files.filter((_, i) => tagOf(i, fold) === tag).sort();
      assert.deepEqual(train.videos.filter((v) => v.path.includes(`/${cls}/`)).map((v) => basename(v.path)).sort(), want(1));
      assert.deepEqual(test.videos.filter((v) => v.path.includes(`/${cls}/`)).map((v) => basename(v.path)).sort(), want(2));
    }
  }
  assert.deepEqual(parseFolds('1,3'), [1, 3]);
  assert.throws(() => parseFolds('1,4'), /folds in 1\.\.3/);
  assert.throws(() => parseFolds('2,2'), /twice/);
});

test('reference settings and the per-epoch LR table of the per-tensor groups (SPEC 9.1, Appendix B)', () => {
  const cfg = cfgFor(fx.data, 'reference');
  assert.deepEqual(
    { ...cfg.optim },
    { classifierLr: 0.0025, backboneLr: 0.00025, transformerLr: 0.00025, classifierWd: 0.005, backboneWd: 0.005, transformerWd: 0.005, momentum: 0.9, warmupEpochs: 2, multiplier: 8, milestones: [6, 10], gamma: 0.05 },
  );
  assert.equal(cfg.train.epochs, 12);
  assert.equal(cfg.train.batchSize, 32);
  assert.equal(cfg.train.clipsPerVideo, 10);
  assert.equal(cfg.train.evalFromEpoch, 7);
  assert.equal(cfg.data.numFrames, 32);
  assert.equal(cfg.data.cropSize, 128);
  assert.equal(cfg.protocol, 'clean');
  // STiCA's wrapper has all three roles; a narrow network keeps the test fast.
  const model = buildVideoModel({ kind: 'stica', width: 0.125, videoDepth: 18, numSec: 2 }, { ...cfg.model, kind: 'stica' }, 101);
  try {
    const { sgd, scheduler, groups } = finetuneOptimizer(model, cfg.optim);
    assert.equal(groups.groups.length, model.parameters().length, 'one group per tensor');
    assert.ok(sgd.paramGroups.every((g) => g.params.length === 1 && g.weightDecay === 0.005 && g.momentum === 0.9));
    assert.deepEqual(new Set(groups.roles), new Set(['classifier', 'backbone', 'transformer']));
    assert.deepEqual(groups.names.filter((_, i) => groups.roles[i] === 'classifier'), ['classifier.weight', 'classifier.bias']);
    const factors = [1, 4.5, 8, 8, 8, 8, 8, 0.4, 0.4, 0.4, 0.4, 0.02];
    const table = lrTable(scheduler, 12);
    const base = { classifier: 0.0025, backbone: 0.00025, transformer: 0.00025 };
    table.forEach((lrs, epoch) => {
      lrs.forEach((lr, g) => {
        const want = base[groups.roles[g]!] * factors[epoch]!;
        assert.ok(Math.abs(lr - want) <= 1e-12, `epoch ${epoch}, ${groups.names[g]}: ${lr} != ${want}`);
      });
    });
    const cls = table.map((lrs) => lrs[groups.roles.indexOf('classifier')]!);
    // SPEC Appendix B: classifier 0.0025, 0.01125, 0.02 (2-6), 0.001 (7-10), 0.00005.
    [0.0025, 0.01125, 0.02, 0.02, 0.02, 0.02, 0.02, 0.001, 0.001, 0.001, 0.001, 0.00005].forEach((v, e) => assert.ok(Math.abs(cls[e]! - v) < 1e-12, `epoch ${e}`));
    sgd.dispose();
  } finally {
    model.dispose();
  }
});

test("weights: a reference .pth (main_stica layout, 'module.' keys) loads by eval_video.py's rules; width and depth from the tensors", async () => {
  const { Stica } = await import('../../src/models/stica.js');
  const { saveTorchFile } = await import('../../src/io/tensors.js');
  const { loadEvalWeights } = await import('../../src/eval/weights.js');
  const { resolveModel, loadVideoWeights } = await import('../../src/eval/backbone.js');
  const { sha256File } = await import('../../src/zoo/checksum.js');
  const src = new Stica({ width: 0.125, numLayers: 2, numSec: 2, transformerTimeDim: 8 });
  const path = join(tmp, 'stica.pth');
  try {
    const sd = new Map([...src.stateDict()].map(([k, t]) => [`module.${k}`, t]));
    await saveTorchFile(path, new Map<string, unknown>([['epoch', 100], ['state_dict', sd], ['optimizer', new Map()]]));
  } finally {
    // stateDict handles share the module's memory: the module owns them.
  }
  const w = await loadEvalWeights(path);
  try {
    assert.equal(w.format, 'torch');
    assert.equal(w.epoch, 100);
    assert.equal(w.sha256, await sha256File(path));
    const cfg = cfgFor(fx.data, 'reference');
    const m = resolveModel({ ...cfg.model, kind: 'stica' }, w, 32);
    assert.deepEqual(m, { kind: 'stica', width: 0.125, videoDepth: 18, numSec: 2, numLayers: 2 });
    // The pooling depth follows the weights, not the preset: a 1-layer checkpoint under a 2-layer preset.
    const oneLayer = new Map([...w.tensors].filter(([k]) => !/transformer\.1\./.test(k)));
    assert.equal(resolveModel({ ...cfg.model, kind: 'stica', numLayers: 2 }, { ...w, tensors: oneLayer }, 32).numLayers, 1);
    assert.equal(resolveModel({ ...cfg.model, kind: 'stica', numLayers: 3 }, { ...w, tensors: new Map() }, 32).numLayers, 3);
    const model = buildVideoModel(m, { ...cfg.model, kind: 'stica' }, 5);
    try {
      const report = loadVideoWeights(model, w)!;
      assert.deepEqual(report.missing, ['classifier.weight', 'classifier.bias']);
      assert.ok(report.renamed.some((r) => r.from === 'module.video_network.base.stem.0.weight' && r.to === 'base.stem.0.weight'));
      assert.ok(report.renamed.some((r) => r.from.startsWith('module.video_pooling.2.transformer.') && r.to.startsWith('pooling_arch.2.transformer.')));
      assert.ok(report.skipped.every((s) => /^(audio_network|mlp_v|mlp_a)\./.test(s.name)), 'only the audio encoder and heads are dropped');
      const a = model.stateDict().get('base.layer4.1.conv2.0.3.weight')!;
      const b = src.stateDict().get('video_network.base.layer4.1.conv2.0.3.weight')!;
      assert.ok(a.allclose(b, 0, 0));
      // The wrong architecture fails clearly instead of silently evaluating a random network.
      const gdtModel = buildVideoModel({ kind: 'gdt', width: 0.25, videoDepth: 18 }, cfg.model, 5);
      assert.throws(() => loadVideoWeights(gdtModel, w), /fits the video encoder/);
      gdtModel.dispose();
    } finally {
      model.dispose();
    }
  } finally {
    w.dispose();
    src.dispose();
  }
});
