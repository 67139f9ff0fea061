// `gdt launch --nproc-per-node 2 -- gdt pretrain gdt ...` trains like one process with twice the
// batch: the same samples per step, gradients averaged by DDP, SyncBatchNorm, gathered negatives.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyntheticDataset } from '../../src/media/synth.js';
import { loadCheckpoint, section } from '../../src/io/checkpoint.js';
import { skipReason } from './helpers.js';
import { cli } from '../cli/helpers.js';

let data = '';
before(async () => {
  data = mkdtempSync(join(tmpdir(), 'gdt-ddp-data-'));
  await generateSyntheticDataset(data, { classes: 4, videosPerClass: 6, seconds: 2, width: 64, height: 64, seed: 5 });
});

// Linear heads (no dropout, whose masks would differ per rank) and hypothesis 1, whose
// negatives are the whole gathered batch on every rank.
const common = ['--preset', 'tiny', '--data', data, '--hypothesis', '1', '--workers', '1', '--max-steps', '3', '--set', 'model.useMlp=false', '--set', 'train.checkpointEverySteps=0'];

// Known bug (open): the first step's loss matches to 1e-6, but BatchNorm affine gradients differ by
// ~1% after the first backward (only BN weight/bias; convolutions agree). The SyncBatchNorm
// test with one forward pass per step passes; GDT runs two passes through every BN per step.
test('2 ranks x batch 2 end with the weights of 1 process x batch 4', { skip: skipReason, todo: 'SyncBatchNorm gradients with several forward passes per step differ by ~1% (see note)' }, async () => {
  const one = mkdtempSync(join(tmpdir(), 'gdt-one-'));
  const r1 = await cli('pretrain', 'gdt', ...common, '--out', one, '--batch-size', '4');
  assert.equal(r1.code, 0, r1.err);
  const two = mkdtempSync(join(tmpdir(), 'gdt-two-'));
  const r2 = await cli('launch', '--nproc-per-node', '2', '--master-port', '29617', '--', 'pretrain', 'gdt', ...common, '--out', two, '--batch-size', '2');
  assert.equal(r2.code, 0, r2.out + r2.err);
  const a = section((await loadCheckpoint(join(one, 'checkpoint.safetensors'))).tensors, 'model');
  const b = section((await loadCheckpoint(join(two, 'checkpoint.safetensors'))).tensors, 'model');
  assert.deepEqual([...b.keys()], [...a.keys()]);
  // Per tensor: the largest difference relative to the tensor's own scale.
  const diffs: [string, number][] = [];
  for (const [k, t] of a) {
    if (k.endsWith('num_batches_tracked')) continue;
    const x = t.toTypedArray() as Float32Array;
    const y = b.get(k)!.toTypedArray() as Float32Array;
    let d = 0;
    let scale = 1e-6;
    for (let i = 0; i < x.length; i++) {
      d = Math.max(d, Math.abs(x[i]! - y[i]!));
      scale = Math.max(scale, Math.abs(x[i]!));
    }
    diffs.push([k, d / scale]);
  }
  diffs.sort((p, q) => q[1] - p[1]);
  assert.ok(diffs[0]![1] < 1e-3, `largest relative differences: ${diffs.slice(0, 5).map(([k, d]) => `${k} ${d.toExponential(2)}`).join(', ')}`);
});
