// The GDT (SPEC 5.7) and AVideo (SPEC 5.8) samples on a small synthetic dataset.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch } from '../../src/index.js';
import { generateSyntheticDataset } from '../../src/media/synth.js';
import { createGdtPretrainDataset } from '../../src/data/gdt-dataset.js';
import { createAVideoDataset } from '../../src/data/av-dataset.js';
import type { Sample, SampleArray, SampleContext } from '../../src/data/sample.js';

let root = '';
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'gdt-samples-'));
  await generateSyntheticDataset(root, { classes: 2, videosPerClass: 2, seconds: 2, width: 64, height: 64, seed: 1 });
});

const ctx = (seed: number, index: number): SampleContext => ({ seed, epoch: 0, index, attempt: 0 });
const arr = (s: Sample, k: string): SampleArray => s[k] as SampleArray;
const tensorOf = (a: SampleArray) => torch.tensor(a.data as Float32Array).reshape(a.shape);

test('GDT sample: [clip, clip reversed, clip2, clip2 reversed] video and spectrograms (SPEC 5.7)', async () => {
  const ds = await createGdtPretrainDataset({ root, format: 'ucf101', fold: 1, split: 'train' });
  assert.ok(ds.length >= 2);
  const s = await ds.get(0, ctx(7, 0));
  assert.deepEqual(arr(s, 'video').shape, [12, 30, 112, 112]);
  assert.deepEqual(arr(s, 'spec').shape, [4, 40, 99]);
  assert.equal(typeof s.label, 'number');
  torch.tidy(() => {
    const spec = tensorOf(arr(s, 'spec'));
    // The reversed spectrogram is the time-mirrored augmented one.
    assert.ok(spec.select(0, 1).allclose(spec.select(0, 0).flip(-1), 0, 0));
    assert.ok(spec.select(0, 3).allclose(spec.select(0, 2).flip(-1), 0, 0));
    const video = tensorOf(arr(s, 'video'));
    // Normalised with mean 0.45 / std 0.225 after the reference's unclamped colour jitter:
    // finite, and the mean pixel of a mostly dark synthetic frame lies below 0.
    assert.equal(video.isfinite().all().item(), true);
    const m = video.mean().item() as number;
    assert.ok(m > -2.5 && m < 0.5, `mean ${m}`);
  });
  const again = await ds.get(0, ctx(7, 0));
  assert.deepEqual(Array.from(arr(again, 'video').data.slice(0, 1000)), Array.from(arr(s, 'video').data.slice(0, 1000)), 'same seed, same sample');
  const other = await ds.get(0, ctx(8, 0));
  assert.notDeepEqual(Array.from(arr(other, 'spec').data.slice(0, 4000)), Array.from(arr(s, 'spec').data.slice(0, 4000)));
});

test('AVideo test views: 10 temporal x 3 spatial per video, deterministic in clean mode', async () => {
  const ds = await createAVideoDataset({ root, format: 'ucf101', fold: 1, split: 'test', mode: 'test', numFrames: 8, cropSize: 64 });
  const per = 30;
  assert.equal(ds.length % per, 0);
  const a = await ds.get(4, ctx(1, 4));
  const b = await ds.get(4, ctx(2, 4));
  assert.deepEqual(arr(a, 'view').shape, [3, 8, 64, 64]);
  assert.deepEqual(Array.from(arr(a, 'view').data), Array.from(arr(b, 'view').data), 'clean test views do not depend on the seed');
  const first = await ds.get(1, ctx(1, 1)); // temporal 0, spatial 1
  assert.notDeepEqual(Array.from(arr(first, 'view').data), Array.from(arr(a, 'view').data), 'another temporal position');
  assert.equal(a.video, 0);
});

test('STiCA sample: two augmented views of one clip and its type-2 spectrogram (SPEC 5.8)', async () => {
  const ds = await createAVideoDataset({
    root, format: 'ucf101', fold: 1, split: 'train', mode: 'train', multiCrop: true, decodeAudio: true, numFrames: 8,
    augment: { randomResizedCrop: true, colorJitter: true, grayscale: true, gaussianBlur: true },
  });
  const s = await ds.get(1, ctx(3, 1));
  assert.deepEqual(arr(s, 'view0').shape, [3, 8, 112, 112]);
  assert.deepEqual(arr(s, 'view1').shape, [3, 8, 112, 112]);
  assert.notDeepEqual(Array.from(arr(s, 'view0').data.slice(0, 500)), Array.from(arr(s, 'view1').data.slice(0, 500)));
  assert.deepEqual(arr(s, 'audio').shape, [1, 257, 26]);
});
