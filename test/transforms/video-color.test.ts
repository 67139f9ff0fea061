// Colour transforms and blur against their formulas; compat 'reference' reproduces the bugs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../src/index.js';
import * as T from '../../src/transforms/index.js';
import { arr, maxAbsDiff, rampClip } from './helpers.js';

const np = (seed: number): T.RandomStreams => T.sharedStream(new T.NumpyRandomState(seed));

/** A (1, 3, 1, 1) clip of one RGB pixel. */
const pixel = (r: number, g: number, b: number) => torch.tensor([r, g, b], { dtype: 'float32' }).reshape([1, 3, 1, 1]);

test('grayscale: 0.299 R + 0.587 G + 0.114 B into every channel; reference uses BGR weights (13.26)', () => {
  torch.tidy(() => {
    const red = pixel(1, 0, 0);
    const blue = pixel(0, 0, 1);
    assert.deepEqual(arr(T.grayscale(red)), [0.299, 0.299, 0.299].map(Math.fround));
    assert.deepEqual(arr(T.grayscale(blue)), [0.114, 0.114, 0.114].map(Math.fround));
    assert.deepEqual(arr(T.grayscale(red, { compat: 'reference' })), [0.114, 0.114, 0.114].map(Math.fround));
    assert.deepEqual(arr(T.grayscale(blue, { compat: 'reference' })), [0.299, 0.299, 0.299].map(Math.fround));
    const clip = rampClip(2, 3, 4, 5);
    const g = T.grayscale(clip);
    const want = clip.index(':, 0').mul(0.299).add(clip.index(':, 1').mul(0.587)).add(clip.index(':, 2').mul(0.114));
    for (let c = 0; c < 3; c++) assert.equal(maxAbsDiff(g.index(`:, ${c}`), want), 0);
  });
});

test('grayscale on a mislaid (C, T, H, W) clip fills only "channels" 0..2 (13.25)', () => {
  torch.tidy(() => {
    const clip = rampClip(3, 5, 2, 2); // 5 "channels" = frames of a (C, T, H, W) clip
    const g = T.grayscale(clip, { compat: 'reference' });
    const want = clip.index(':, 2').mul(0.299).add(clip.index(':, 1').mul(0.587)).add(clip.index(':, 0').mul(0.114));
    assert.equal(maxAbsDiff(g.index(':, 1'), want), 0);
    assert.equal(g.index(':, 3:').abs().sum().item(), 0);
  });
});

test('brightness multiplies; contrast blends to the per-frame gray mean; saturation blends to gray', () => {
  torch.tidy(() => {
    const clip = rampClip(2, 3, 4, 5);
    assert.ok(maxAbsDiff(T.adjustBrightness(clip, 1.3), clip.mul(1.3)) < 1e-7);
    const g = T.grayscale(clip);
    const m = g.index(':, 0').flatten(1).mean(1).reshape([2, 1, 1, 1]); // (T, 1, 1, 1)
    const contrast = clip.mul(0.7).add(m.mul(0.3));
    assert.ok(maxAbsDiff(T.adjustContrast(clip, 0.7), contrast) < 1e-6);
    assert.ok(maxAbsDiff(T.adjustSaturation(clip, 1.2), clip.mul(1.2).add(g.mul(-0.2))) < 1e-6);
    // Saturation 0 gives the grayscale image; contrast 0 gives the constant mean per frame.
    assert.ok(maxAbsDiff(T.adjustSaturation(clip, 0), g) < 1e-6);
    const flat = T.adjustContrast(clip, 0);
    assert.ok((flat.index('0').std().item() as number) < 1e-6);
  });
});

test('colour jitter: one permutation, then 1 + U(-0.4, 0.4) per part in that order (NumPy)', () => {
  torch.tidy(() => {
    const clip = rampClip(2, 3, 4, 5);
    for (const seed of [0, 1, 2, 7]) {
      const r = new T.NumpyRandomState(seed);
      const kinds = ['brightness', 'contrast', 'saturation'] as const;
      const order = r.permutation(3).map((i) => kinds[i]!);
      const alphas = order.map(() => 1 + r.uniform(-0.4, 0.4));
      let want = clip;
      order.forEach((k, n) => {
        const a = alphas[n]!;
        want = k === 'brightness' ? T.adjustBrightness(want, a) : k === 'contrast' ? T.adjustContrast(want, a) : T.adjustSaturation(want, a);
      });
      const [out, params] = T.colorJitterWithParams(clip, np(seed));
      assert.deepEqual(params, { order, alphas });
      assert.equal(maxAbsDiff(out, want), 0);
    }
    // Disabled parts are not in the permutation: brightness alone draws perm(1) then one factor.
    const r = new T.NumpyRandomState(3);
    r.permutation(1);
    const a = 1 + r.uniform(-0.2, 0.2);
    const only = T.colorJitter(clip, np(3), { brightness: 0.2, contrast: 0, saturation: 0 });
    assert.ok(maxAbsDiff(only, clip.mul(a)) < 1e-7);
  });
});

test('colour jitter on an RGB-gray clip: correct saturation is a no-op, reference is not (BGR weights)', () => {
  torch.tidy(() => {
    // R = G = B: the correct gray equals each channel; BGR weights on RGB also sum to 1 here, so use
    // a coloured clip where the two gray images differ.
    const clip = torch.cat([rampClip(2, 1, 4, 5), rampClip(2, 1, 4, 5).mul(0.5), rampClip(2, 1, 4, 5).mul(0.1)], 1);
    const c = T.adjustSaturation(clip, 0);
    const r = T.adjustSaturation(clip, 0, { compat: 'reference' });
    assert.ok(maxAbsDiff(c, r) > 1e-3);
    const gray = torch.cat([rampClip(2, 1, 4, 5), rampClip(2, 1, 4, 5), rampClip(2, 1, 4, 5)], 1);
    assert.ok(maxAbsDiff(T.adjustSaturation(gray, 0.6), gray) < 1e-6);
  });
});

test('normalisation: (x - 0.45) / 0.225 on every channel; custom mean/std per channel', () => {
  torch.tidy(() => {
    const out = T.normalize(pixel(0, 0.45, 1));
    assert.deepEqual(arr(out), [Math.fround(-0.45) / Math.fround(0.225), 0, Math.fround(0.55) / Math.fround(0.225)].map(Math.fround));
    const o2 = T.normalize(pixel(1, 1, 1), [0.5, 0, 1], [0.5, 2, 1]);
    assert.deepEqual(arr(o2), [1, 0.5, 0]);
  });
});

test('Gaussian kernel: exp(-(t-5)^2 / (2 s^2)) normalised to sum 1; 2-D = outer(g_sH, g_sW)', () => {
  for (const s of [0.1, 0.5, 2.0]) {
    const k = T.gaussianKernel1d(11, s);
    const raw = Array.from({ length: 11 }, (_, t) => Math.exp(-((t - 5) ** 2) / (2 * s * s)));
    const z = raw.reduce((a, b) => a + b, 0);
    k.forEach((v, t) => assert.ok(Math.abs(v - raw[t]! / z) < 1e-15));
    assert.ok(Math.abs(k.reduce((a, b) => a + b, 0) - 1) < 1e-12);
  }
  torch.tidy(() => {
    const k2 = T.gaussianKernel2d(11, 0.1, 2.0, 'float64');
    assert.ok(Math.abs((k2.sum().item() as number) - 1) < 1e-12);
    const gy = T.gaussianKernel1d(11, 0.1);
    const gx = T.gaussianKernel1d(11, 2.0);
    assert.ok(Math.abs((k2.index('5, 3').item() as number) - gy[5]! * gx[3]!) < 1e-15);
    // sigma 0.1 along the height: rows other than the centre are ~0.
    assert.ok((k2.index('4').sum().item() as number) < 1e-20);
  });
});

test('blur: reflect borders, constant image unchanged, equals a direct 2-D correlation', () => {
  torch.tidy(() => {
    const c = torch.full([2, 3, 12, 14], 0.3);
    assert.ok(maxAbsDiff(T.gaussianBlur(c, [1.0, 1.0]), c) < 1e-6);
    const clip = rampClip(1, 1, 12, 14).mul(7).sin();
    const out = T.gaussianBlur(clip, [0.7, 1.6]);
    // Direct evaluation at one pixel with reflect indexing.
    const v = arr(clip);
    const gy = T.gaussianKernel1d(11, 0.7);
    const gx = T.gaussianKernel1d(11, 1.6);
    const refl = (i: number, n: number): number => (i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i);
    for (const [y, x] of [[0, 0], [3, 7], [11, 13]] as const) {
      let s = 0;
      for (let a = 0; a < 11; a++) for (let b = 0; b < 11; b++) s += gy[a]! * gx[b]! * v[refl(y + a - 5, 12) * 14 + refl(x + b - 5, 14)]!;
      assert.ok(Math.abs((out.index(`0, 0, ${y}, ${x}`).item() as number) - s) < 1e-5, `pixel (${y}, ${x})`);
    }
  });
});

test("blur sigma: correct draws one isotropic U(0.1, 2.0); 'reference' is fixed (0.1, 2.0) (13.28)", () => {
  const s = new T.NumpyRandomState(4).uniform(0.1, 2.0);
  assert.deepEqual(T.drawBlurSigma(np(4)), [s, s]);
  const r = np(4);
  assert.deepEqual(T.drawBlurSigma(r, { compat: 'reference' }), [0.1, 2.0]);
  assert.equal(r.numpy.random(), new T.NumpyRandomState(4).random(), 'reference draws nothing');
  torch.tidy(() => {
    // The reference blur barely mixes rows: an image that varies only along H is ~unchanged.
    const rows = torch.arange(16, undefined, 1, { dtype: 'float32' }).reshape([1, 1, 16, 1]).expand([1, 3, 16, 16]).contiguous();
    assert.ok(maxAbsDiff(T.randomGaussianBlur(rows, np(0), { compat: 'reference' }), rows) < 1e-4);
    assert.ok(maxAbsDiff(T.gaussianBlur(rows, [2.0, 2.0]), rows) > 0.1);
  });
});
