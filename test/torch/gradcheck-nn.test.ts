// Central finite-difference gradient checks (float64) of torch.F: convolutions, normalisation,
// pooling, softmax/losses, normalize, interpolate, stft/rfft, linear, gelu, pad, embedding,
// attention, dropout (with a fixed mask).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, gradcheck, flat, randArray, t64, prod, type Tensor } from './helpers.js';

const F = torch.F;
const leaf = (shape: number[], seed: number, lo = -1, hi = 1): Tensor => t64(randArray(prod(shape), seed, lo, hi), shape, true);

describe('convolutions', () => {
  test('conv1d (input, weight, bias; stride, padding, groups)', () => {
    gradcheck((x, w, b) => F.conv1d(x, w, b, { stride: 2, padding: 1, groups: 2 }), [leaf([1, 2, 5], 1), leaf([4, 1, 3], 2), leaf([4], 3)]);
  });
  test('conv2d (input, weight, bias; stride, padding, dilation)', () => {
    gradcheck((x, w, b) => F.conv2d(x, w, b, { stride: [2, 1], padding: 1, dilation: [1, 2] }), [leaf([1, 2, 4, 5], 4), leaf([2, 2, 2, 2], 5), leaf([2], 6)]);
  });
  test('conv3d (input, weight, bias)', () => {
    gradcheck((x, w, b) => F.conv3d(x, w, b, { padding: [1, 0, 0] }), [leaf([1, 2, 3, 3, 3], 7), leaf([2, 2, 2, 2, 2], 8), leaf([2], 9)]);
  });
  test('convTranspose2d and convTranspose1d', () => {
    gradcheck((x, w, b) => F.convTranspose2d(x, w, b, { stride: 2, padding: 1, outputPadding: 1 }), [leaf([1, 2, 2, 3], 10), leaf([2, 1, 3, 3], 11), leaf([1], 12)]);
    gradcheck((x, w) => F.convTranspose1d(x, w, undefined, { stride: 2 }), [leaf([1, 2, 3], 13), leaf([2, 2, 2], 14)]);
  });
  test('convTranspose3d', () => {
    gradcheck((x, w) => F.convTranspose3d(x, w), [leaf([1, 1, 2, 2, 2], 15), leaf([1, 2, 2, 2, 2], 16)]);
  });
});

describe('normalisation', () => {
  test('batchNorm in training (input, weight, bias), batch statistics', () => {
    const rm = torch.zeros([3], { dtype: 'float64' });
    const rv = torch.ones([3], { dtype: 'float64' });
    gradcheck((x, w, b) => F.batchNorm(x, rm, rv, { weight: w, bias: b, training: true }), [leaf([3, 3, 2], 20, -2, 2), leaf([3], 21), leaf([3], 22)]);
    gradcheck((x) => F.batchNorm(x, undefined, undefined, { training: true }), [leaf([4, 2, 2, 2], 23, -2, 2)]);
  });
  test('batchNorm in eval mode', () => {
    const rm = t64([0.1, -0.2], [2]);
    const rv = t64([0.5, 2], [2]);
    gradcheck((x, w, b) => F.batchNorm(x, rm, rv, { weight: w, bias: b, training: false }), [leaf([2, 2, 3], 24), leaf([2], 25), leaf([2], 26)]);
  });
  test('layerNorm (input, weight, bias), over one and two dims', () => {
    gradcheck((x, w, b) => F.layerNorm(x, [4], w, b), [leaf([2, 3, 4], 27, -2, 2), leaf([4], 28), leaf([4], 29)]);
    gradcheck((x, w) => F.layerNorm(x, [3, 4], w), [leaf([2, 3, 4], 30, -2, 2), leaf([3, 4], 31)]);
  });
  test('groupNorm', () => {
    gradcheck((x, w, b) => F.groupNorm(x, 2, w, b), [leaf([2, 4, 3], 32, -2, 2), leaf([4], 33), leaf([4], 34)]);
  });
  test('normalize (p = 2 and p = 1)', () => {
    gradcheck((x) => F.normalize(x, 2, 1), [leaf([3, 4], 35)]);
    gradcheck((x) => F.normalize(x, 1, 0), [leaf([3, 4], 36, 0.1, 1)]);
  });
  test('cosineSimilarity / cdist', () => {
    gradcheck((a, b) => F.cosineSimilarity(a, b), [leaf([3, 4], 37), leaf([3, 4], 38)]);
    gradcheck((a, b) => F.cdist(a, b), [leaf([3, 2], 39), leaf([2, 2], 40)]);
  });
});

describe('pooling', () => {
  test('maxPool2d / maxPool3d (distinct values, no ties)', () => {
    gradcheck((x) => F.maxPool2d(x, 2, { stride: 1, padding: 1 }), [leaf([1, 2, 3, 4], 41)]);
    gradcheck((x) => F.maxPool3d(x, [2, 2, 2], { stride: 2 }), [leaf([1, 1, 4, 4, 4], 42)]);
    gradcheck((x) => F.maxPool1d(x, 3, { stride: 2 }), [leaf([1, 2, 7], 43)]);
  });
  test('avgPool2d / avgPool3d (padding, countIncludePad=false, ceilMode)', () => {
    gradcheck((x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, countIncludePad: false }), [leaf([1, 2, 5, 4], 44)]);
    gradcheck((x) => F.avgPool3d(x, 2, { stride: 2, ceilMode: true }), [leaf([1, 1, 3, 3, 3], 45)]);
    gradcheck((x) => F.avgPool1d(x, 2, { stride: 1 }), [leaf([1, 1, 5], 46)]);
  });
  test('adaptive avg / max pooling', () => {
    gradcheck((x) => F.adaptiveAvgPool2d(x, [2, 3]), [leaf([1, 2, 5, 4], 47)]);
    gradcheck((x) => F.adaptiveAvgPool3d(x, 2), [leaf([1, 1, 3, 3, 3], 48)]);
    gradcheck((x) => F.adaptiveMaxPool2d(x, [2, 2]), [leaf([1, 1, 5, 4], 49)]);
    gradcheck((x) => F.adaptiveMaxPool3d(x, 2), [leaf([1, 1, 3, 4, 3], 50)]);
    gradcheck((x) => F.adaptiveAvgPool1d(x, 3), [leaf([1, 2, 5], 51)]);
  });
});

describe('softmax and losses', () => {
  test('softmax / logSoftmax along each dim', () => {
    for (const d of [0, 1, -1]) {
      gradcheck((x) => F.softmax(x, d), [leaf([2, 3, 2], 60 + d, -2, 2)]);
      gradcheck((x) => F.logSoftmax(x, d), [leaf([2, 3, 2], 63 + d, -2, 2)]);
    }
  });
  test('crossEntropy: plain, labelSmoothing, ignoreIndex, weights, reduction none, probability targets', () => {
    const tg = torch.tensor([0, 3, 1, 2]);
    gradcheck((x) => F.crossEntropy(x, tg), [leaf([4, 4], 70, -2, 2)]);
    gradcheck((x) => F.crossEntropy(x, tg, { labelSmoothing: 0.2 }), [leaf([4, 4], 71, -2, 2)]);
    gradcheck((x) => F.crossEntropy(x, torch.tensor([0, -100, 1, 2]), { labelSmoothing: 0.1 }), [leaf([4, 4], 72, -2, 2)]);
    gradcheck((x) => F.crossEntropy(x, tg, { weight: t64([1, 2, 0.5, 3], [4]), reduction: 'sum' }), [leaf([4, 4], 73, -2, 2)]);
    gradcheck((x) => F.crossEntropy(x, tg, { reduction: 'none' }), [leaf([4, 4], 74, -2, 2)]);
    gradcheck((x, p) => F.crossEntropy(x, F.softmax(p, 1)), [leaf([3, 4], 75, -2, 2), leaf([3, 4], 76)]);
  });
  test('nllLoss (spatial, weighted)', () => {
    gradcheck((x) => F.nllLoss(F.logSoftmax(x, 1), torch.tensor([[0, 2], [1, 1]]), { weight: t64([1, 2, 3], [3]) }), [leaf([2, 3, 2], 77)]);
  });
  test('regression and binary losses', () => {
    const y = t64(randArray(6, 78, 0, 1), [2, 3]);
    gradcheck((a, b) => F.mseLoss(a, b), [leaf([2, 3], 79), leaf([2, 3], 80)]);
    gradcheck((a) => F.l1Loss(a, y), [leaf([2, 3], 81, 1.1, 2)]);
    gradcheck((a) => F.smoothL1Loss(a, y, 'sum', 0.5), [leaf([2, 3], 82, -3, 3)]);
    gradcheck((a) => F.binaryCrossEntropy(a, y), [leaf([2, 3], 83, 0.1, 0.9)]);
    gradcheck((a) => F.binaryCrossEntropyWithLogits(a, y, { posWeight: t64([1, 2, 3], [3]) }), [leaf([2, 3], 84, -2, 2)]);
    gradcheck((a) => F.klDiv(F.logSoftmax(a, 1), F.softmax(y, 1), 'sum'), [leaf([2, 3], 85)]);
  });
});

describe('resampling and padding', () => {
  for (const alignCorners of [false, true]) {
    test(`interpolate bilinear / trilinear / linear (alignCorners=${alignCorners})`, () => {
      gradcheck((x) => F.interpolate(x, { size: [3, 5], mode: 'bilinear', alignCorners }), [leaf([1, 2, 2, 3], 90)]);
      gradcheck((x) => F.interpolate(x, { size: [3, 2, 3], mode: 'trilinear', alignCorners }), [leaf([1, 1, 2, 3, 2], 91)]);
      gradcheck((x) => F.interpolate(x, { size: 5, mode: 'linear', alignCorners }), [leaf([1, 2, 3], 92)]);
    });
  }
  test('interpolate nearest and bicubic', () => {
    gradcheck((x) => F.interpolate(x, { size: [4, 5] }), [leaf([1, 1, 2, 3], 93)]);
    gradcheck((x) => F.interpolate(x, { size: [4, 4], mode: 'bicubic', alignCorners: false }), [leaf([1, 1, 3, 3], 94)]);
  });
  test('pad constant / reflect / replicate / circular', () => {
    gradcheck((x) => F.pad(x, [1, 2, 0, 1], 'constant', 0.5), [leaf([1, 1, 3, 3], 95)]);
    gradcheck((x) => F.pad(x, [2, 1, 1, 2], 'reflect'), [leaf([1, 1, 3, 4], 96)]);
    gradcheck((x) => F.pad(x, [2, 1], 'replicate'), [leaf([1, 2, 3], 97)]);
    gradcheck((x) => F.pad(x, [1, 1, 1, 1], 'circular'), [leaf([1, 1, 3, 3], 98)]);
  });
  test('gridSample (input and grid)', () => {
    gradcheck((x, g) => F.gridSample(x, g, 'bilinear', 'zeros', false), [leaf([1, 1, 3, 3], 99), leaf([1, 2, 2, 2], 100, -0.9, 0.9)]);
  });
});

describe('signal', () => {
  test('stft magnitude (input; window as a second input)', () => {
    gradcheck((x) => F.stft(x, 8, { hopLength: 2, window: F.hannWindow(8, { dtype: 'float64' }) }).abs(), [leaf([16], 110)]);
    gradcheck((x, w) => F.stft(x, 4, { hopLength: 2, window: w }).abs(), [leaf([10], 111), leaf([4], 112, 0.5, 1)]);
  });
  test('stft as real pairs (viewAsReal), center=false', () => {
    gradcheck((x) => F.viewAsReal(F.stft(x, 6, { hopLength: 3, center: false })), [leaf([15], 113)]);
  });
  test('rfft / irfft / fft', () => {
    gradcheck((x) => F.viewAsReal(F.rfft(x)), [leaf([7], 114)]);
    gradcheck((x) => F.irfft(F.rfft(x).mul(2)), [leaf([6], 115)]);
    gradcheck((x) => F.fft(x).abs(), [leaf([5], 116)]);
  });
});

describe('layers', () => {
  test('linear (input, weight, bias)', () => {
    gradcheck((x, w, b) => F.linear(x, w, b), [leaf([2, 3, 4], 120), leaf([2, 4], 121), leaf([2], 122)]);
  });
  test('activations: gelu (erf and tanh), silu, elu, leakyRelu, softplus, hardtanh', () => {
    const x = () => leaf([2, 5], 123, -3, 3);
    gradcheck((t) => F.gelu(t), [x()]);
    gradcheck((t) => F.gelu(t, 'tanh'), [x()]);
    gradcheck((t) => F.silu(t), [x()]);
    gradcheck((t) => F.elu(t, 1.5), [x()]);
    gradcheck((t) => F.leakyRelu(t, 0.1), [x()]);
    gradcheck((t) => F.softplus(t, 2), [x()]);
    gradcheck((t) => F.hardtanh(t, -2, 2), [x()]);
  });
  test('embedding: gradient w.r.t. the weights (repeated indices accumulate)', () => {
    const idx = torch.tensor([[0, 2, 0], [3, 3, 1]]);
    gradcheck((w) => F.embedding(idx, w), [leaf([4, 3], 124)]);
  });
  test('embedding with paddingIdx: the padding row gets no gradient', () => {
    const w = leaf([4, 2], 125);
    const idx = torch.tensor([0, 1, 1, 3]);
    F.embedding(idx, w, 1).sum().backward();
    assert.deepEqual(w.grad!.toArray(), [[1, 1], [0, 0], [0, 0], [1, 1]]);
  });
  test('scaledDotProductAttention (q, k, v) with a bool mask and with isCausal', () => {
    const m = torch.tensor([[true, false, true], [true, true, false]]);
    gradcheck((q, k, v) => F.scaledDotProductAttention(q, k, v, { attnMask: m })[0], [leaf([1, 2, 2], 126), leaf([1, 3, 2], 127), leaf([1, 3, 2], 128)]);
    gradcheck((q, k, v) => F.scaledDotProductAttention(q, k, v, { isCausal: true })[0], [leaf([2, 3, 2], 129), leaf([2, 3, 2], 130), leaf([2, 3, 2], 131)]);
  });
  test('dropout with a fixed mask (reseeded per evaluation)', () => {
    gradcheck((x) => {
      torch.manualSeed(7);
      return F.dropout(x, 0.4);
    }, [leaf([20], 132)]);
    // the gradient is the mask scaled by 1/(1-p)
    torch.manualSeed(7);
    const x = leaf([20], 133);
    const y = F.dropout(x, 0.4);
    y.sum().backward();
    const g = flat(x.grad!);
    const kept = flat(y).map((v) => (v !== 0 ? 1 : 0));
    g.forEach((v, i) => assert.ok(Math.abs(v - kept[i]! / 0.6) < 1e-12));
  });
});
