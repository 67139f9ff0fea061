// batchNorm (training/eval, running statistics with momentum), layerNorm, groupNorm, normalize.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, flat, assertClose, assertMeta, randArray, t64, forEachIndex, stridesOf, prod } from './helpers.js';

const F = torch.F;
const tol = { rtol: 1e-10, atol: 1e-12 };

/** Per-channel mean and biased/unbiased variance of [N, C, ...] data. */
function channelStats(x: number[], shape: number[]): { mean: number[]; varB: number[]; varU: number[] } {
  const C = shape[1]!;
  const st = stridesOf(shape);
  const vals: number[][] = Array.from({ length: C }, () => []);
  forEachIndex(shape, (i) => vals[i[1]!]!.push(x[i.reduce((a, v, d) => a + v * st[d]!, 0)]!));
  const mean = vals.map((v) => v.reduce((a, b) => a + b, 0) / v.length);
  const ss = vals.map((v, c) => v.reduce((a, b) => a + (b - mean[c]!) ** 2, 0));
  return { mean, varB: ss.map((s, c) => s / vals[c]!.length), varU: ss.map((s, c) => s / (vals[c]!.length - 1)) };
}

function bnRef(x: number[], shape: number[], mean: number[], vr: number[], w: number[] | undefined, b: number[] | undefined, eps: number): number[] {
  const st = stridesOf(shape);
  const out = new Array<number>(x.length);
  forEachIndex(shape, (i) => {
    const k = i.reduce((a, v, d) => a + v * st[d]!, 0);
    const c = i[1]!;
    out[k] = ((x[k]! - mean[c]!) / Math.sqrt(vr[c]! + eps)) * (w ? w[c]! : 1) + (b ? b[c]! : 0);
  });
  return out;
}

describe('batchNorm', () => {
  const shape = [4, 3, 2, 2];
  const xData = randArray(prod(shape), 1, -2, 3);
  const w = [1.5, -0.5, 2];
  const b = [0.1, 0.2, -0.3];

  test('training normalises with batch statistics and updates running stats with momentum', () => {
    const rm0 = [0.5, -1, 2];
    const rv0 = [1, 2, 0.5];
    const rm = t64(rm0, [3]);
    const rv = t64(rv0, [3]);
    const m = 0.3;
    const y = F.batchNorm(t64(xData, shape), rm, rv, { weight: t64(w, [3]), bias: t64(b, [3]), training: true, momentum: m, eps: 1e-5 });
    const s = channelStats(xData, shape);
    assertMeta(y, shape, 'float64');
    assertClose(y, bnRef(xData, shape, s.mean, s.varB, w, b, 1e-5), tol);
    // running = (1 - m) * running + m * batch (unbiased variance)
    assertClose(rm, rm0.map((v, c) => (1 - m) * v + m * s.mean[c]!), tol);
    assertClose(rv, rv0.map((v, c) => (1 - m) * v + m * s.varU[c]!), tol);
  });

  test('the default momentum is 0.1; repeated steps converge to the batch statistics', () => {
    const rm = torch.zeros([3], { dtype: 'float64' });
    const rv = torch.ones([3], { dtype: 'float64' });
    const x = t64(xData, shape);
    F.batchNorm(x, rm, rv, { training: true });
    const s = channelStats(xData, shape);
    assertClose(rm, s.mean.map((v) => 0.1 * v), tol);
    assertClose(rv, s.varU.map((v) => 0.9 + 0.1 * v), tol);
    for (let i = 0; i < 200; i++) F.batchNorm(x, rm, rv, { training: true });
    assertClose(rm, s.mean, { rtol: 1e-8, atol: 1e-9 });
    assertClose(rv, s.varU, { rtol: 1e-8, atol: 1e-9 });
  });

  test('eval mode uses the running statistics and leaves them unchanged', () => {
    const rmv = [0.2, -0.1, 0.4];
    const rvv = [0.8, 1.7, 0.3];
    const rm = t64(rmv, [3]);
    const rv = t64(rvv, [3]);
    const y = F.batchNorm(t64(xData, shape), rm, rv, { weight: t64(w, [3]), bias: t64(b, [3]), training: false, eps: 1e-3 });
    assertClose(y, bnRef(xData, shape, rmv, rvv, w, b, 1e-3), tol);
    assert.deepEqual(flat(rm), rmv);
    assert.deepEqual(flat(rv), rvv);
  });

  test('training without running stats (track_running_stats=False)', () => {
    const y = F.batchNorm(t64(xData, shape), undefined, undefined, { training: true });
    const s = channelStats(xData, shape);
    assertClose(y, bnRef(xData, shape, s.mean, s.varB, undefined, undefined, 1e-5), tol);
    // per-channel output mean ~ 0 and biased variance ~ 1
    const so = channelStats(flat(y), shape);
    so.mean.forEach((v) => assert.ok(Math.abs(v) < 1e-12));
    so.varB.forEach((v) => assert.ok(Math.abs(v - 1) < 1e-4));
  });

  test('works on [N, C] and [N, C, L] inputs', () => {
    for (const sh of [[5, 3], [2, 3, 4]]) {
      const d = randArray(prod(sh), 7);
      const s = channelStats(d, sh);
      assertClose(F.batchNorm(t64(d, sh), undefined, undefined, { training: true }), bnRef(d, sh, s.mean, s.varB, undefined, undefined, 1e-5), tol);
    }
  });
});

describe('layerNorm / groupNorm', () => {
  function lnRef(x: number[], outer: number, inner: number, w?: number[], b?: number[], eps = 1e-5): number[] {
    const out: number[] = [];
    for (let o = 0; o < outer; o++) {
      const seg = x.slice(o * inner, (o + 1) * inner);
      const m = seg.reduce((a, c) => a + c, 0) / inner;
      const v = seg.reduce((a, c) => a + (c - m) ** 2, 0) / inner;
      seg.forEach((c, i) => out.push(((c - m) / Math.sqrt(v + eps)) * (w ? w[i]! : 1) + (b ? b[i]! : 0)));
    }
    return out;
  }

  test('layerNorm over the last dim, with and without affine parameters', () => {
    const x = randArray(24, 11, -3, 3);
    const w = randArray(4, 12);
    const b = randArray(4, 13);
    assertClose(F.layerNorm(t64(x, [2, 3, 4]), [4]), lnRef(x, 6, 4), tol);
    assertClose(F.layerNorm(t64(x, [2, 3, 4]), [4], t64(w, [4]), t64(b, [4]), 1e-3), lnRef(x, 6, 4, w, b, 1e-3), tol);
  });

  test('layerNorm over the last two dims', () => {
    const x = randArray(24, 14);
    const w = randArray(12, 15);
    const y = F.layerNorm(t64(x, [2, 3, 4]), [3, 4], t64(w, [3, 4]));
    assertMeta(y, [2, 3, 4], 'float64');
    assertClose(y, lnRef(x, 2, 12, w), tol);
  });

  test('groupNorm normalises groups of channels', () => {
    const x = randArray(2 * 4 * 3, 16);
    const w = [1, 2, 3, 4];
    const b = [0, -1, 1, 0.5];
    // groups of 2 channels x 3 positions are contiguous: layer norm over 6 values, then per-channel affine
    const normed = lnRef(x, 4, 6);
    const expected = normed.map((v, k) => {
      const c = Math.floor(k / 3) % 4;
      return v * w[c]! + b[c]!;
    });
    assertClose(F.groupNorm(t64(x, [2, 4, 3]), 2, t64(w, [4]), t64(b, [4])), expected, tol);
  });
});

describe('normalize / cosineSimilarity / cdist', () => {
  test('normalize divides by the p-norm along a dim, clamped at eps', () => {
    const x = [3, 4, 0, 0, 1, -1];
    const y = F.normalize(t64(x, [3, 2]), 2, 1);
    assertClose(y, [0.6, 0.8, 0, 0, Math.SQRT1_2, -Math.SQRT1_2], tol);
    const y1 = F.normalize(t64(x, [3, 2]), 1, 0);
    const n1 = [3 + 0 + 1, 4 + 0 + 1];
    assertClose(y1, x.map((v, i) => v / n1[i % 2]!), tol);
    const tiny = F.normalize(t64([1e-14, 0], [1, 2]), 2, 1, 1e-12);
    assertClose(tiny, [1e-14 / 1e-12, 0], tol);
    const neg = F.normalize(t64(x, [3, 2]), 2, -1);
    assertClose(neg, flat(y), tol);
  });

  test('cosineSimilarity and cdist', () => {
    const a = [1, 0, 1, 1];
    const b = [0, 1, 1, 1];
    assertClose(F.cosineSimilarity(t64(a, [2, 2]), t64(b, [2, 2])), [0, 1], tol);
    const p = t64([0, 0, 3, 4], [2, 2]);
    const q = t64([0, 0, 1, 1, 6, 8], [3, 2]);
    assertClose(F.cdist(p, q), [0, Math.SQRT2, 10, 5, Math.hypot(2, 3), 5], tol);
    assertClose(F.cdist(p, q, 1), [0, 2, 14, 7, 5, 7], tol);
  });
});
