// Spatial and temporal transforms against their formulas, with positions computed by hand from
// identically seeded draws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../src/index.js';
import * as T from '../../src/transforms/index.js';
import { arr, loadReference, maxAbsDiff, rampClip } from './helpers.js';

const np = (seed: number): T.RandomStreams => T.sharedStream(new T.NumpyRandomState(seed));

test('layout converters', () => {
  torch.tidy(() => {
    const thwc = rampClip(2, 5, 4, 3); // read as (T, H, W, C) = (2, 5, 4, 3)
    const tchw = T.thwcToTchw(thwc);
    assert.deepEqual(tchw.shape, [2, 3, 5, 4]);
    assert.equal(tchw.index('1, 2, 3, 1').item(), thwc.index('1, 3, 1, 2').item());
    assert.equal(maxAbsDiff(T.tchwToThwc(tchw), thwc), 0);
    const cthw = T.tchwToCthw(tchw);
    assert.deepEqual(cthw.shape, [3, 2, 5, 4]);
    assert.equal(maxAbsDiff(T.cthwToTchw(cthw), tchw), 0);
    const u8 = torch.tensor([0, 51, 255], { dtype: 'uint8' });
    assert.deepEqual(arr(T.toUnitFloat(u8)), [0, Math.fround(51 / 255), 1]);
  });
});

test('short-side scale jitter: size = round(U(min, max)), long side floor(long / short * size)', () => {
  torch.tidy(() => {
    const clip = rampClip(2, 3, 30, 40);
    for (const seed of [0, 1, 2, 3]) {
      const u = new T.NumpyRandomState(seed).uniform(128, 160);
      const size = T.roundHalfEven(u);
      const out = T.randomShortSideScaleJitter(clip, np(seed), 128, 160);
      assert.deepEqual(out.shape, [2, 3, size, Math.floor((40 / 30) * size)]);
      const ref = torch.F.interpolate(clip, { size: [size, Math.floor((40 / 30) * size)], mode: 'bilinear', alignCorners: false });
      assert.equal(maxAbsDiff(out, ref), 0);
    }
    // Portrait frames scale the height; a short side already at the size is left alone.
    assert.deepEqual(T.shortSideScaleSize(40, 30, 15), [20, 15]);
    assert.equal(T.shortSideScaleSize(30, 40, 30), undefined);
    assert.equal(T.shortSideScaleSize(30, 30, 30), undefined);
    assert.deepEqual(T.shortSideScaleSize(171, 128, 112), [Math.floor((171 / 128) * 112), 112]);
    assert.equal(T.roundHalfEven(130.5), 130);
    assert.equal(T.roundHalfEven(131.5), 132);
  });
});

test('random crop: offsets from NumPy draws, y then x, inclusive by default', () => {
  torch.tidy(() => {
    const clip = rampClip(3, 3, 20, 26);
    for (const seed of [0, 4, 9]) {
      const r = new T.NumpyRandomState(seed);
      const y = r.randint(0, 20 - 12);
      const x = r.randint(0, 26 - 12);
      const out = T.randomCrop(clip, np(seed), 12);
      assert.deepEqual(out.shape, [3, 3, 12, 12]);
      assert.equal(maxAbsDiff(out, clip.index(`:, :, ${y}:${y + 12}, ${x}:${x + 12}`)), 0, `seed ${seed}: crop at (${y}, ${x})`);
    }
    // Reference offsets: numpy randint(0, side - size), i.e. randrange.
    const r = new T.NumpyRandomState(5);
    const y = r.randrange(0, 8);
    const x = r.randrange(0, 14);
    assert.deepEqual(T.drawCropOffsets(np(5), 20, 26, 12, { compat: 'reference' }), [y, x]);
    // A side equal to the crop draws nothing.
    const s = np(1);
    assert.deepEqual(T.drawCropOffsets(s, 12, 12, 12), [0, 0]);
    assert.equal(s.numpy.random(), new T.NumpyRandomState(1).random());
  });
});

test("compat 'reference' random crop never picks the last offset (SPEC 13.30)", () => {
  const seen = { correct: new Set<number>(), reference: new Set<number>() };
  for (let seed = 0; seed < 60; seed++) {
    seen.correct.add(T.drawCropOffsets(np(seed), 14, 12, 12)[0]);
    seen.reference.add(T.drawCropOffsets(np(seed), 14, 12, 12, { compat: 'reference' })[0]);
  }
  assert.deepEqual([...seen.correct].sort(), [0, 1, 2]);
  assert.deepEqual([...seen.reference].sort(), [0, 1]);
});

test('uniform crop: left/centre/right for landscape, top/centre/bottom for portrait', () => {
  assert.deepEqual([0, 1, 2].map((i) => T.uniformCropOffsets(128, 171, 112, i as 0 | 1 | 2)), [[8, 0], [8, 30], [8, 59]]);
  assert.deepEqual([0, 1, 2].map((i) => T.uniformCropOffsets(171, 128, 112, i as 0 | 1 | 2)), [[0, 8], [30, 8], [59, 8]]);
  assert.deepEqual(T.uniformCropOffsets(113, 113, 112, 1), [1, 1]); // ceil(1 / 2)
  torch.tidy(() => {
    const clip = rampClip(2, 3, 20, 26);
    assert.equal(maxAbsDiff(T.uniformCrop(clip, 12, 2), clip.index(':, :, 4:16, 14:26')), 0);
  });
});

test('horizontal flip reverses the width axis when U(0,1) < p; time reversal reverses frames', () => {
  torch.tidy(() => {
    const clip = rampClip(3, 3, 4, 5);
    for (const seed of [0, 1, 2, 3, 4, 5]) {
      const flips = new T.NumpyRandomState(seed).random() < 0.5;
      const out = T.horizontalFlip(clip, np(seed), 0.5);
      const want = flips ? clip.index('...', [4, 3, 2, 1, 0]) : clip;
      assert.equal(maxAbsDiff(out, want), 0);
    }
    assert.equal(maxAbsDiff(T.hflip(clip).index('..., 0'), clip.index('..., 4')), 0);
    const rev = T.timeReverse(clip);
    assert.equal(maxAbsDiff(rev.index('0'), clip.index('2')), 0);
    assert.equal(maxAbsDiff(rev.index('2'), clip.index('0')), 0);
  });
});

interface RrcCase {
  seed: number;
  h: number;
  w: number;
  scale: [number, number];
  params: [number, number, number, number][];
}

test('random resized crop geometry equals the reference (torch stream, fallback included)', () => {
  for (const c of loadReference<{ rrc: RrcCase[] }>().rrc) {
    const rng = T.sharedStream(new T.TorchRandom(c.seed));
    for (const [i, j, h, w] of c.params) {
      assert.deepEqual(T.drawResizedCropBox(rng, c.h, c.w, { scale: c.scale }), { i, j, h, w }, `seed ${c.seed} ${c.h}x${c.w}`);
    }
  }
});

test('random resized crop = crop of the drawn box resized to size x size (bilinear)', () => {
  torch.tidy(() => {
    const clip = rampClip(2, 3, 40, 50);
    const box = T.drawResizedCropBox(T.sharedStream(new T.TorchRandom(3)), 40, 50, { scale: [0.14, 1] });
    assert.ok(box.h * box.w >= 0.14 * 40 * 50 * 0.8);
    const out = T.randomResizedCrop(clip, T.sharedStream(new T.TorchRandom(3)), 16, { scale: [0.14, 1] });
    const want = torch.F.interpolate(clip.index(`..., ${box.i}:${box.i + box.h}, ${box.j}:${box.j + box.w}`), {
      size: [16, 16],
      mode: 'bilinear',
      alignCorners: false,
    });
    assert.equal(maxAbsDiff(out, want), 0);
  });
});

test('spatial sampling: indices 3..5 are uniform crops 0..2 flipped (and still draw the flip)', () => {
  torch.tidy(() => {
    const clip = rampClip(2, 3, 20, 26);
    for (const idx of [3, 4, 5] as const) {
      const a = np(2);
      const out = T.spatialSampling(clip, a, { spatialIdx: idx, minScale: 16, maxScale: 20, cropSize: 12 });
      const b = np(2);
      const base = T.spatialSampling(clip, b, { spatialIdx: (idx - 3) as 0 | 1 | 2, minScale: 16, maxScale: 20, cropSize: 12 });
      assert.equal(maxAbsDiff(out, T.hflip(base)), 0);
      b.numpy.random(); // the p = 1 flip's draw
      assert.equal(a.numpy.random(), b.numpy.random());
    }
  });
});
