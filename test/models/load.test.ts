// Loading reference-layout checkpoints (SPEC 4.2) into the pretraining models and the finetuning
// wrappers with eval_video.py's rules (SPEC 4.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { torch, nn } from '../../src/index.js';
import type { Tensor } from '../../src/torch/index.js';
import {
  GDT,
  TextVidGDT,
  Stica,
  VideoResNet,
  FinetuneModel,
  FinetuneModelAgg,
  sticaVideoPooling,
  loadPretrained,
  renameCheckpointKey,
  formatPretrainedLoadReport,
  toLoadReport,
  skippedByModule,
  checkpointWeights,
  loadPretrainedFile,
  loadTextEncoderFiles,
  type PretrainedLoadReport,
} from '../../src/models/index.js';
import { fillHashed, fixture, fixtureDir, hashTensor } from './weights.js';

type AnyModule = nn.Module<never[], unknown>;
const W = 0.125;
const any = (m: unknown): AnyModule => m as AnyModule;

/** A source model's state dict with distinct values (hashed), optionally `module.`-prefixed. */
function stateOf(m: AnyModule, prefix = ''): Map<string, Tensor> {
  fillHashed(m, 99);
  const sd = new Map<string, Tensor>();
  for (const [k, t] of m.stateDict()) sd.set(prefix + k, torch.keep(t.clone()));
  m.dispose();
  return sd;
}

/** main_gdt.py / eval_video.py layout. */
const gdtCheckpoint = (model: Map<string, Tensor>): Record<string, unknown> & { model: Map<string, Tensor> } => ({
  model,
  optimizer: { state: {}, param_groups: [] },
  lr_scheduler: { last_epoch: 10 },
  epoch: 11,
  args: { hypothesis: 1 },
});
/** main_stica.py layout. */
const sticaCheckpoint = (stateDict: Map<string, Tensor>): Record<string, unknown> & { state_dict: Map<string, Tensor> } => ({
  epoch: 20,
  state_dict: stateDict,
  optimizer: { state: {}, param_groups: [] },
});

function keysOf(m: AnyModule): string[] {
  return torch.tidy(() => [...m.stateDict().keys()]);
}

function assertValuesLoaded(model: AnyModule, src: Map<string, Tensor>, r: PretrainedLoadReport): void {
  torch.tidy(() => {
    const sd = model.stateDict();
    const byName = new Map(r.renamed.map((x) => [x.to, x.from]));
    for (const k of r.loaded) {
      const from = byName.get(k) ?? k;
      assert.equal(sd.get(k)!.eq(src.get(from)!).all().item(), true, `${k} holds ${from}`);
    }
  });
}

test('GDT checkpoint {model, optimizer, lr_scheduler, epoch, args} into GDT: every key loaded, none missing', () => {
  const src = stateOf(any(new GDT({ width: W })));
  const m = new GDT({ width: W });
  const r = loadPretrained(any(m), gdtCheckpoint(src));
  assert.deepEqual(r.missing, []);
  assert.deepEqual(r.skipped, []);
  assert.deepEqual(r.renamed, []);
  assert.equal(r.loaded.length, 312);
  assert.equal(r.epoch, 11);
  assert.equal(r.source, 'model');
  assertValuesLoaded(any(m), src, r);
  m.dispose();
  torch.disposeAll(src);
});

test('STiCA checkpoint {epoch, state_dict (module.-prefixed), optimizer} into STiCA: module. stripped, none missing', () => {
  for (const numLayers of [0, 2]) {
    const src = stateOf(any(new Stica({ width: W, numLayers, qkvMha: true, positionalEmb: true })), 'module.');
    const m = new Stica({ width: W, numLayers, qkvMha: true, positionalEmb: true });
    const r = loadPretrained(any(m), sticaCheckpoint(src));
    assert.deepEqual(r.missing, []);
    assert.deepEqual(r.skipped, []);
    assert.equal(r.loaded.length, numLayers ? 346 : 312);
    assert.equal(r.renamed.length, r.loaded.length);
    assert.ok(r.renamed.every((x) => x.from === `module.${x.to}`));
    assert.equal(r.source, 'state_dict');
    assertValuesLoaded(any(m), src, r);
    m.dispose();
    torch.disposeAll(src);
  }
});

test('TextVid_GDT checkpoint into TextVid_GDT: none missing', () => {
  const text = { numEmbeddings: 30, embeddingDim: 8 };
  const src = stateOf(any(new TextVidGDT({ width: W, text })));
  const m = new TextVidGDT({ width: W, text });
  const r = loadPretrained(any(m), gdtCheckpoint(src));
  assert.deepEqual(r.missing, []);
  assert.deepEqual(r.skipped, []);
  assert.equal(r.loaded.length, 241);
  m.dispose();
  torch.disposeAll(src);
});

test('MLP-pretrained GDT into the linear-head GDT eval_video.py builds: MLP head keys skipped, linear heads missing', () => {
  const src = stateOf(any(new GDT({ width: W })));
  const m = new GDT({ width: W, useMlp: false, normFeat: false });
  const r = loadPretrained(any(m), gdtCheckpoint(src));
  assert.deepEqual(r.missing, ['mlp_v.weight', 'mlp_v.bias', 'mlp_a.weight', 'mlp_a.bias']);
  assert.deepEqual(
    r.skipped.map((s) => s.key),
    [...src.keys()].filter((k) => k.startsWith('mlp_')),
  );
  assert.ok(r.skipped.every((s) => s.reason === 'not in model'));
  m.dispose();
  torch.disposeAll(src);
});

test('GDT checkpoint into Finetune_Model: video_network.base.X -> base.X, audio/heads dropped, classifier missing', () => {
  const src = stateOf(any(new GDT({ width: W })));
  const f = new FinetuneModel(new VideoResNet({ width: W }), { numClasses: 101 });
  const r = loadPretrained(any(f), gdtCheckpoint(src));
  assert.deepEqual(r.missing, ['classifier.weight', 'classifier.bias']);
  const video = [...src.keys()].filter((k) => k.startsWith('video_network.base.'));
  assert.deepEqual(r.renamed, video.map((k) => ({ from: k, to: `base.${k.slice('video_network.base.'.length)}` })));
  assert.equal(r.loaded.length, 222);
  assert.deepEqual([...skippedByModule(r)], [['audio_network', 74], ['mlp_v', 8], ['mlp_a', 8]]);
  assertValuesLoaded(any(f), src, r);
  f.dispose();
  torch.disposeAll(src);
});

test('TextVid_GDT checkpoint into Finetune_Model: text_network and heads skipped', () => {
  const text = { numEmbeddings: 30, embeddingDim: 8 };
  const src = stateOf(any(new TextVidGDT({ width: W, text })));
  const f = new FinetuneModel(new VideoResNet({ width: W }), { numClasses: 51 });
  const r = loadPretrained(any(f), gdtCheckpoint(src));
  assert.deepEqual(r.missing, ['classifier.weight', 'classifier.bias']);
  assert.deepEqual([...skippedByModule(r)], [['text_network', 3], ['mlp_v', 8], ['mlp_t', 8]]);
  f.dispose();
  torch.disposeAll(src);
});

test('STiCA checkpoint into Finetune_Model_Agg: base.*, pooling_arch.*, only the classifier missing', () => {
  const src = stateOf(any(new Stica({ width: W, numLayers: 2 })), 'module.');
  const base = new VideoResNet({ width: W, prePool: true });
  const f = new FinetuneModelAgg(base, sticaVideoPooling({ featureDim: base.outChannels, duration: 8, transformerTimeDim: 8, numLayers: 2 }), { numClasses: 51 });
  const r = loadPretrained(any(f), sticaCheckpoint(src));
  assert.deepEqual(r.missing, ['classifier.weight', 'classifier.bias']);
  assert.equal(r.loaded.length, keysOf(any(f)).length - 2);
  for (const x of r.renamed) {
    const want = x.from.replace('module.video_network.base.', 'base.').replace('module.video_pooling.', 'pooling_arch.');
    assert.equal(x.to, want);
  }
  assert.ok(r.renamed.some((x) => x.to.startsWith('pooling_arch.2.transformer.1.')));
  assert.deepEqual([...skippedByModule(r)], [['audio_network', 74], ['mlp_v', 8], ['mlp_a', 8]]);
  assertValuesLoaded(any(f), src, r);
  f.dispose();
  torch.disposeAll(src);
});

test('a GAP-pretrained STiCA into Finetune_Model_Agg leaves the fresh transformer missing (SPEC 13.15)', () => {
  const src = stateOf(any(new Stica({ width: W, numLayers: 0 })), 'module.');
  const base = new VideoResNet({ width: W, prePool: true });
  const f = new FinetuneModelAgg(base, sticaVideoPooling({ featureDim: base.outChannels, duration: 8, transformerTimeDim: 8, numLayers: 2 }), { numClasses: 51 });
  const r = loadPretrained(any(f), sticaCheckpoint(src));
  assert.equal(r.missing.length, 24 + 2);
  assert.ok(r.missing.every((k) => k.startsWith('pooling_arch.2.transformer.') || k.startsWith('classifier.')));
  f.dispose();
  torch.disposeAll(src);
});

test('shape mismatches are skipped and reported, not fatal; the report formats like nn.formatLoadReport', () => {
  const src = stateOf(any(new GDT({ width: 0.25 })));
  const m = new GDT({ width: W });
  const r = loadPretrained(any(m), gdtCheckpoint(src));
  const mism = r.skipped.filter((s) => s.reason === 'shape mismatch');
  assert.ok(mism.length > 200);
  assert.deepEqual(mism.find((s) => s.key === 'video_network.base.stem.0.weight'), {
    key: 'video_network.base.stem.0.weight',
    name: 'video_network.base.stem.0.weight',
    reason: 'shape mismatch',
    expected: [6, 3, 1, 7, 7],
    got: [11, 3, 1, 7, 7],
  });
  // Only width-independent entries load: BN counters, the fc bias, the heads' hidden/output layers.
  assert.ok(r.loaded.includes('video_network.base.stem.1.num_batches_tracked'));
  assert.ok(r.loaded.includes('mlp_v.block_forward.8.weight'));
  assert.ok(!r.loaded.some((k) => k.startsWith('video_network.') && !k.endsWith('num_batches_tracked')));
  const lr = toLoadReport(r);
  assert.equal(lr.shapeMismatches.length, mism.length);
  const text = formatPretrainedLoadReport(r);
  assert.match(text, /^loaded \d+ tensors/);
  assert.match(text, /missing keys \(\d+\)/);
  assert.match(text, /shape mismatch for video_network\.base\.stem\.0\.weight: the model has \[6, 3, 1, 7, 7\], the file has \[11, 3, 1, 7, 7\]/);
  assert.match(text, /weights from 'model', epoch 11/);
  m.dispose();
  torch.disposeAll(src);
});

test('renaming rules: every `module.` is deleted (not only a leading one); finetuning prefixes', () => {
  assert.equal(renameCheckpointKey('module.video_network.base.stem.0.weight', false), 'video_network.base.stem.0.weight');
  assert.equal(renameCheckpointKey('module.video_network.base.stem.0.weight', true), 'base.stem.0.weight');
  assert.equal(renameCheckpointKey('module.video_pooling.2.pos_ids', true), 'pooling_arch.2.pos_ids');
  assert.equal(renameCheckpointKey('a.module.b', false), 'a.b');
  assert.equal(renameCheckpointKey('base.layer1.0.conv1.0.0.weight', true), 'base.layer1.0.conv1.0.0.weight');
  assert.equal(renameCheckpointKey('audio_network.base.fc.weight', true), 'audio_network.base.fc.weight');
});

test('checkpoint layouts: state_dict preferred over model; a bare Map is a state dict; requireEpoch', () => {
  const a = new Map<string, Tensor>();
  const b = new Map<string, Tensor>();
  assert.equal(checkpointWeights({ state_dict: a, model: b, epoch: 3 }).weights, a);
  assert.equal(checkpointWeights({ model: b }).source, 'model');
  assert.equal(checkpointWeights(a).source, 'flat');
  assert.throws(() => checkpointWeights({ optimizer: {} }), /neither 'state_dict' nor 'model'/);
  const m = new VideoResNet({ width: W });
  assert.throws(() => loadPretrained(any(m), { model: a }, { requireEpoch: true }), /no 'epoch'/);
  m.dispose();
});

// ---- files written by Python's torch.save in the reference's layouts (make_model_fixtures.py)
const fixturePath = (n: string): string => fileURLToPath(new URL(n, fixtureDir));

function assertSumsEqual(model: AnyModule, sums: Record<string, number>, rename: (k: string) => string): void {
  torch.tidy(() => {
    const sd = model.stateDict();
    for (const [k, want] of Object.entries(sums)) {
      const t = sd.get(rename(k));
      if (!t) continue;
      assert.ok(Math.abs((t.double().sum().item() as number) - want) <= 1e-6 * Math.max(1, Math.abs(want)), k);
    }
  });
}

test('torch.save files: main_gdt.py {model, optimizer, lr_scheduler, epoch, args: Namespace} into GDT', async () => {
  const m = new GDT({ width: 1 / 32, useMlp: false });
  const r = await loadPretrainedFile(any(m), fixturePath('gdt_checkpoint.pth'));
  assert.deepEqual(r.missing, []);
  assert.deepEqual(r.skipped, []);
  assert.equal(r.epoch, 3);
  assert.equal(r.source, 'model');
  assertSumsEqual(any(m), fixture().checkpoints.gdt, (k) => k);
  m.dispose();
});

test('torch.save files: main_stica.py {epoch, state_dict (module.), optimizer} into STiCA and Finetune_Model_Agg', async () => {
  const s = new Stica({ width: 1 / 32, numLayers: 2, useMlp: false });
  const r = await loadPretrainedFile(any(s), fixturePath('stica_checkpoint.pth.tar'), { requireEpoch: true });
  assert.deepEqual(r.missing, []);
  assert.deepEqual(r.skipped, []);
  assert.equal(r.renamed.length, r.loaded.length);
  assert.equal(r.epoch, 20);
  assertSumsEqual(any(s), fixture().checkpoints.stica, (k) => k);
  s.dispose();
  const base = new VideoResNet({ width: 1 / 32, prePool: true });
  const f = new FinetuneModelAgg(base, sticaVideoPooling({ featureDim: base.outChannels, duration: 8, transformerTimeDim: 8, numLayers: 2 }), { numClasses: 51 });
  const rf = await loadPretrainedFile(any(f), fixturePath('stica_checkpoint.pth.tar'));
  assert.deepEqual(rf.missing, ['classifier.weight', 'classifier.bias']);
  assert.deepEqual([...skippedByModule(rf)], [['audio_network', 74], ['mlp_v', 2], ['mlp_a', 2]]);
  assertSumsEqual(any(f), fixture().checkpoints.stica, (k) => renameCheckpointKey(`module.${k}`, true));
  f.dispose();
});

test('word2vec.pth (torch.save of the matrix) and dict.npy give the frozen text encoder and its dictionary', async () => {
  const { encoder, dictionary } = await loadTextEncoderFiles(fixturePath('word2vec.pth'), fixturePath('dict.npy'), { outputDim: 16 });
  try {
    assert.deepEqual(dictionary.words, fixture().tokens.words);
    assert.equal(encoder.wordEmbd.weight.requiresGrad, false);
    torch.tidy(() => assert.ok(encoder.wordEmbd.weight.eq(hashTensor('word2vec', [50, 12], fixture().seed)).all().item()));
    torch.tidy(() => assert.deepEqual(encoder.forward(dictionary.encode(['the cat sat'])).shape, [1, 16]));
  } finally {
    encoder.dispose();
  }
});
