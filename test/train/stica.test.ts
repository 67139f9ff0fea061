// gdt pretrain stica end to end on a small synthetic dataset (CPU).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyntheticDataset } from '../../src/media/synth.js';
import { loadCheckpoint, section } from '../../src/io/checkpoint.js';
import { cli } from '../cli/helpers.js';

let data = '';
before(async () => {
  data = mkdtempSync(join(tmpdir(), 'gdt-stica-data-'));
  await generateSyntheticDataset(data, { classes: 4, videosPerClass: 8, seconds: 2, width: 64, height: 64, seed: 4 });
});
const base = (out: string, ...extra: string[]): string[] => ['pretrain', 'stica', '--preset', 'tiny', '--data', data, '--out', out, '--workers', '2', ...extra];
const metrics = (out: string): Record<string, number>[] =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);

test('50 steps of tiny STiCA (crops + transformer pooling) lower the loss and log per-crop-type losses', async () => {
  const out = mkdtempSync(join(tmpdir(), 'gdt-st-'));
  const r = await cli(...base(out, '--epochs', '100', '--max-steps', '50'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /STiCA pretraining: crops 'tiny' \(paper\)/);
  const m = metrics(out);
  assert.equal(m.length, 50);
  for (const k of ['loss/av', 'loss/crop', 'loss/crop/L-L', 'loss/crop/S-L', 'loss/crop/TL-TL', 'loss/crop/TS-TL']) {
    assert.ok(m.every((x) => Number.isFinite(x[k])), `${k} logged every step`);
  }
  // The per-iteration warm-up of SPEC 8.2: linear from 0.01 to the base LR over the first epoch.
  assert.equal(m[0]!.lr, 0.01);
  assert.ok(m[1]!.lr! > 0.01 && m[1]!.lr! < 0.4);
  assert.equal(m[49]!.lr, 0.4);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(m.slice(0, 10).map((x) => x.loss!));
  const last = mean(m.slice(-10).map((x) => x.loss!));
  assert.ok(last < first - 0.05, `loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
});

test('a STiCA run stopped and resumed ends with the same weights bit for bit', async () => {
  const a = mkdtempSync(join(tmpdir(), 'gdt-sta-'));
  assert.equal((await cli(...base(a, '--deterministic', '--max-steps', '7'))).code, 0);
  const b = mkdtempSync(join(tmpdir(), 'gdt-stb-'));
  assert.equal((await cli(...base(b, '--deterministic', '--max-steps', '3'))).code, 0);
  const r = await cli(...base(b, '--deterministic', '--max-steps', '7'));
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /resumed from .* \(global step 3\)/);
  const ma = section((await loadCheckpoint(join(a, 'checkpoint.safetensors'))).tensors, 'model');
  const mb = section((await loadCheckpoint(join(b, 'checkpoint.safetensors'))).tensors, 'model');
  for (const [k, t] of ma) assert.ok(Buffer.from(t.toTypedArray().buffer).equals(Buffer.from(mb.get(k)!.toTypedArray().buffer)), `${k} differs`);
  assert.deepEqual(metrics(b).map((x) => x.loss), metrics(a).map((x) => x.loss), 'the same losses step by step');
});
