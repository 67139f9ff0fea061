// gdt eval finetune end to end from a `gdt pretrain` checkpoint on the synthetic dataset: it learns
// (clearly above chance), writes results.json and report.html, resumes finished folds, and the
// reference protocol reports the best evaluated epoch.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch } from '../../src/index.js';
import { cli } from '../cli/helpers.js';
import type { FinetuneFoldResult } from '../../src/eval/run-finetune.js';
import { evalFixture, type EvalFixture } from './fixture.js';
import { checkOutputs } from './helpers.js';

let fx: EvalFixture;
before(async () => {
  fx = await evalFixture();
});

// Two threads whatever the machine: the same arithmetic, hence the same numbers, everywhere.
const args = (out: string, ...extra: string[]): string[] => [
  '--threads', '2', 'eval', 'finetune', '--dataset', 'ucf101', '--root', fx.data, '--fold', '1', '--weights', fx.checkpoint,
  '--model', 'gdt', '--preset', 'tiny', '--crop', '32', '--manifest', fx.manifest, '--out', out, '--workers', '1', '--quiet', ...extra,
];

test('tiny finetune (clean protocol): beats chance clearly; 30 views per test video; results.json and report.html', async () => {
  const out = mkdtempSync(join(tmpdir(), 'gdt-eval-ft-'));
  const live = torch.memory.liveTensors();
  const r = await cli(...args(out));
  assert.equal(r.code, 0, r.err);
  // Not more than before (tensors of earlier in-process runs may be finalised meanwhile).
  assert.ok(torch.memory.liveTensors() <= live, `${torch.memory.liveTensors() - live} tensors of the run left alive`);
  assert.match(r.out, /finetune \(clean protocol\)/);
  const { results, html } = await checkOutputs<FinetuneFoldResult>(out, { command: 'finetune', protocol: 'clean', checkpoint: fx.checkpoint });
  const f = results.folds[0]!;
  // Two classes (chance 50 %); seeded data, initialisation and augmentation.
  assert.ok(f.top1 >= 70, `top-1 ${f.top1}`);
  assert.equal(f.top5, 100);
  assert.equal(f.selection, 'last epoch');
  assert.deepEqual(f.evaluations.map((e) => e.epoch), [4], 'clean: only the last epoch is tested');
  assert.equal(f.testVideos, f.predictions.length);
  assert.ok(f.predictions.every((p) => p.views === 30), 'each video averaged over 10 clips x 3 crops');
  assert.equal(f.evaluations[0]!.views, 30 * f.testVideos);
  assert.equal(f.training.length, 5);
  assert.deepEqual(f.training.map((t) => +t.lr.classifier!.toPrecision(6)), [0.0006, 0.0048, 0.0048, 0.0048, 0.00024]);
  assert.ok(f.weightsLoaded && f.weightsLoaded.loaded > 100, 'the pretrained encoder was loaded');
  assert.equal(results.mean.top1, f.top1);
  assert.ok(html.includes('data:image/png;base64,'), 'thumbnails as data URIs');
  assert.ok(html.includes('Confusion matrix') && html.includes('Per-class accuracy'));

  // Run again: the finished fold is read back, not trained again.
  const again = await cli(...args(out));
  assert.equal(again.code, 0, again.err);
  assert.match(again.out, /fold 1: already done/);
});

test('reference protocol: tests every epoch from evalFromEpoch and reports the best; labelled as such', async () => {
  const out = mkdtempSync(join(tmpdir(), 'gdt-eval-ftref-'));
  const r = await cli(
    ...args(out, '--protocol', 'reference', '--epochs', '2', '--set', 'train.evalFromEpoch=0', '--set', 'train.clipsPerVideo=1', '--set', 'test.clips=2'),
  );
  assert.equal(r.code, 0, r.err);
  const { results } = await checkOutputs<FinetuneFoldResult>(out, { command: 'finetune', protocol: 'reference' });
  const f = results.folds[0]!;
  assert.deepEqual(f.evaluations.map((e) => e.epoch), [0, 1]);
  const best = Math.max(...f.evaluations.map((e) => e.top1));
  assert.equal(f.top1, best);
  assert.equal(f.selectedEpoch, f.evaluations.find((e) => e.top1 === best)!.epoch);
  assert.equal(f.selection, 'best test top-1 over the evaluated epochs');
  assert.ok(f.predictions.every((p) => p.views === 6));
  assert.match(results.protocolDescription, /model selection on the test set/);
});

test('configuration: presets, --print-config and readable errors', async () => {
  let r = await cli('eval', 'finetune', '--dataset', 'ucf101', '--root', '/x', '--weights', 'none', '--out', '/tmp/x', '--print-config');
  assert.equal(r.code, 0, r.err);
  const cfg = JSON.parse(r.out) as { protocol: string; optim: { classifierLr: number }; train: { epochs: number }; test: { clips: number; crops: number } };
  assert.equal(cfg.protocol, 'clean');
  assert.equal(cfg.optim.classifierLr, 0.0025);
  assert.equal(cfg.train.epochs, 12);
  assert.deepEqual([cfg.test.clips, cfg.test.crops], [10, 3]);
  r = await cli('eval', 'finetune', '--dataset', 'ucf101', '--root', '/x', '--weights', 'none', '--out', '/tmp/x', '--set', 'optim.gamma=-1', '--print-config');
  assert.equal(r.code, 1);
  assert.match(r.err, /optim\.gamma: .*\(got -1\)/);
  r = await cli('eval', 'finetune', '--dataset', 'kinetics', '--root', '/x', '--weights', 'none', '--out', '/tmp/x', '--print-config');
  assert.match(r.err, /data\.dataset/);
  r = await cli('eval', 'finetune', '--dataset', 'ucf101', '--root', '/x', '--weights', 'none', '--out', '/tmp/x', '--protocol', 'best');
  assert.match(r.err, /--protocol must be one of clean, reference/);
});
