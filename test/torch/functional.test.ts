// linear, interpolate, pad, embedding/oneHot, scaledDotProductAttention, gridSample: against
// float64 formulas in JS on tiny inputs.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, flat, assertClose, assertMeta, randArray, t64, prod, forEachIndex, stridesOf, assertThrowsMsg, assertNoLeak } from './helpers.js';

const F = torch.F;
const tol = { rtol: 1e-12, atol: 1e-13 };

describe('linear', () => {
  test('y = x Wᵀ + b for 1-D, 2-D and batched inputs', () => {
    const W = randArray(3 * 4, 1);
    const b = randArray(3, 2);
    for (const shape of [[4], [5, 4], [2, 3, 4]]) {
      const x = randArray(prod(shape), 3);
      const rows = prod(shape) / 4;
      const expected: number[] = [];
      const expectedNoBias: number[] = [];
      for (let r = 0; r < rows; r++)
        for (let o = 0; o < 3; o++) {
          let acc = 0;
          for (let i = 0; i < 4; i++) acc += x[r * 4 + i]! * W[o * 4 + i]!;
          expected.push(acc + b[o]!);
          expectedNoBias.push(acc);
        }
      const y = F.linear(t64(x, shape), t64(W, [3, 4]), t64(b, [3]));
      assertMeta(y, [...shape.slice(0, -1), 3], 'float64');
      assertClose(y, expected, tol);
      assertClose(F.linear(t64(x, shape), t64(W, [3, 4])), expectedNoBias, tol);
    }
  });
});

/** Source coordinate for linear modes (PyTorch's area_pixel_compute_source_index). */
function srcCoord(i: number, inSize: number, outSize: number, alignCorners: boolean, scale?: number): number {
  if (alignCorners) return outSize > 1 ? (i * (inSize - 1)) / (outSize - 1) : 0;
  const s = scale !== undefined ? 1 / scale : inSize / outSize;
  return Math.max((i + 0.5) * s - 0.5, 0);
}

/** Separable (bi/tri)linear interpolation of [N, C, ...spatial] data. */
function interpRef(x: number[], shape: number[], outSp: number[], alignCorners: boolean, scales?: number[]): number[] {
  const nd = outSp.length;
  const lead = shape.slice(0, 2);
  const inSp = shape.slice(2);
  const st = stridesOf(shape);
  const out: number[] = [];
  forEachIndex([...lead, ...outSp], (idx) => {
    const base = idx[0]! * st[0]! + idx[1]! * st[1]!;
    const parts = idx.slice(2).map((o, d) => {
      const src = srcCoord(o, inSp[d]!, outSp[d]!, alignCorners, scales?.[d]);
      const i0 = Math.min(Math.floor(src), inSp[d]! - 1);
      const i1 = Math.min(i0 + 1, inSp[d]! - 1);
      const l = src - i0;
      return [[i0, 1 - l], [i1, l]] as [number, number][];
    });
    let acc = 0;
    forEachIndex(new Array<number>(nd).fill(2), (corner) => {
      let w = 1;
      let off = base;
      corner.forEach((c, d) => {
        w *= parts[d]![c]![1];
        off += parts[d]![c]![0] * st[d + 2]!;
      });
      acc += w * x[off]!;
    });
    out.push(acc);
  });
  return out;
}

describe('interpolate', () => {
  const cases: [string, number[], number[]][] = [
    ['linear', [1, 2, 4], [7]],
    ['linear', [2, 1, 5], [3]],
    ['bilinear', [1, 2, 3, 4], [5, 6]],
    ['bilinear', [1, 1, 4, 4], [2, 3]],
    ['bilinear', [1, 1, 2, 3], [2, 3]],
    ['trilinear', [1, 1, 2, 3, 4], [3, 5, 2]],
    ['trilinear', [1, 2, 3, 2, 2], [4, 4, 4]],
  ];
  for (const [mode, shape, size] of cases) {
    for (const alignCorners of [false, true]) {
      test(`${mode} [${shape}] -> [${size}] alignCorners=${alignCorners}`, () => {
        const x = randArray(prod(shape), prod(shape) + size[0]!);
        const y = F.interpolate(t64(x, shape), { size, mode: mode as 'bilinear', alignCorners });
        assertMeta(y, [...shape.slice(0, 2), ...size], 'float64');
        assertClose(y, interpRef(x, shape, size, alignCorners), tol);
      });
    }
  }

  test('a hand-checked bilinear upsampling (alignCorners=true)', () => {
    const y = F.interpolate(t64([0, 1, 2, 3], [1, 1, 2, 2]), { size: 3, mode: 'bilinear', alignCorners: true });
    assert.deepEqual(y.toArray(), [[[[0, 0.5, 1], [1, 1.5, 2], [2, 2.5, 3]]]]);
  });

  test('scaleFactor is passed to the kernel (source scale 1/scaleFactor, as PyTorch without recompute)', () => {
    const shape = [1, 1, 3, 4];
    const x = randArray(12, 77);
    const y = F.interpolate(t64(x, shape), { scaleFactor: 1.7, mode: 'bilinear' });
    assertMeta(y, [1, 1, 5, 6]);
    assertClose(y, interpRef(x, shape, [5, 6], false, [1.7, 1.7]), tol);
    const y2 = F.interpolate(t64(x, shape), { scaleFactor: [2, 0.5], mode: 'bilinear' });
    assertMeta(y2, [1, 1, 6, 2]);
    assertClose(y2, interpRef(x, shape, [6, 2], false, [2, 0.5]), tol);
  });

  test('nearest', () => {
    const x = [0, 1, 2, 3, 4, 5];
    const y = F.interpolate(t64(x, [1, 1, 2, 3]), { size: [4, 5] });
    const expected: number[] = [];
    forEachIndex([4, 5], ([i, j]) => expected.push(x[Math.floor((i! * 2) / 4) * 3 + Math.min(Math.floor((j! * 3) / 5), 2)]!));
    assertClose(y, expected, tol);
    assert.deepEqual(F.interpolate(t64([1, 2], [1, 1, 2]), { scaleFactor: 2 }).toArray(), [[[1, 1, 2, 2]]]);
    assert.deepEqual(F.interpolate(t64([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 2, 2, 2]), { size: 4 }).shape, [1, 1, 4, 4, 4]);
  });

  test('argument errors', () => {
    const x = torch.zeros([1, 1, 2, 2]);
    assertThrowsMsg(() => F.interpolate(x, { size: 3, mode: 'trilinear' }), RangeError, "mode 'trilinear' needs a 5-D input, got 4-D");
    assertThrowsMsg(() => F.interpolate(x, { mode: 'bilinear' }), TypeError, 'exactly one of size and scaleFactor');
    assertThrowsMsg(() => F.interpolate(x, { size: 3, scaleFactor: 2 }), TypeError, 'exactly one of size and scaleFactor');
    assertThrowsMsg(() => F.interpolate(x, { size: 3, alignCorners: true }), TypeError, 'alignCorners only applies to linear modes');
  });
});

describe('pad', () => {
  /** Pads the trailing dims; `pad` pairs run from the last dim backwards. */
  function padRef(x: number[], shape: number[], pad: number[], mode: 'constant' | 'reflect' | 'replicate' | 'circular', value = 0): { data: number[]; shape: number[] } {
    const nd = shape.length;
    const before = new Array<number>(nd).fill(0);
    const after = new Array<number>(nd).fill(0);
    for (let k = 0; k < pad.length / 2; k++) {
      before[nd - 1 - k] = pad[2 * k]!;
      after[nd - 1 - k] = pad[2 * k + 1]!;
    }
    const outShape = shape.map((s, d) => s + before[d]! + after[d]!);
    const st = stridesOf(shape);
    const out: number[] = [];
    forEachIndex(outShape, (idx) => {
      let off = 0;
      for (let d = 0; d < nd; d++) {
        let i = idx[d]! - before[d]!;
        const n = shape[d]!;
        if (i < 0 || i >= n) {
          if (mode === 'constant') {
            out.push(value);
            return;
          }
          if (mode === 'reflect') i = i < 0 ? -i : 2 * (n - 1) - i;
          else if (mode === 'replicate') i = Math.min(Math.max(i, 0), n - 1);
          else i = ((i % n) + n) % n;
        }
        off += i * st[d]!;
      }
      out.push(x[off]!);
    });
    return { data: out, shape: outShape };
  }

  const shape = [1, 2, 3, 4];
  const x = randArray(24, 9);
  const cases: ['constant' | 'reflect' | 'replicate' | 'circular', number[]][] = [
    ['constant', [1, 2]],
    ['constant', [0, 1, 2, 0]],
    ['reflect', [1, 2]],
    ['reflect', [2, 3, 1, 2]],
    ['replicate', [1, 2]],
    ['replicate', [3, 0, 2, 2]],
    ['circular', [1, 2, 2, 1]],
  ];
  for (const [mode, pad] of cases) {
    // libtorch pads 1 trailing dim of 2-D/3-D inputs and 2 of 3-D/4-D inputs in the non-constant modes
    const sh = pad.length === 2 && mode !== 'constant' ? [2, 3, 4] : shape;
    test(`${mode} [${pad}] on [${sh}]`, () => {
      const ref = padRef(x, sh, pad, mode, mode === 'constant' ? -2.5 : 0);
      const y = F.pad(t64(x, sh), pad, mode, -2.5);
      assertMeta(y, ref.shape, 'float64');
      assertClose(y, ref.data, tol);
    });
  }

  test('constant padding of three dims and negative padding (cropping)', () => {
    const ref = padRef(x, shape, [1, 1, 1, 0, 0, 1], 'constant');
    assertClose(F.pad(t64(x, shape), [1, 1, 1, 0, 0, 1]), ref.data, tol);
    assert.deepEqual(F.pad(t64([1, 2, 3, 4], [4]), [-1, -1]).toArray(), [2, 3]);
  });

  test('libtorch\'s errors: reflect padding as large as the dim; unsupported pad length', () => {
    assertThrowsMsg(() => F.pad(t64(x, [2, 3, 4]), [4, 0], 'reflect'), Error, /Padding size should be less than the corresponding input dimension/);
    assertThrowsMsg(() => F.pad(t64(x, shape), [1, 1], 'reflect'), Error, 'Only 2D, 3D, 4D, 5D padding with non-constant padding are supported for now');
  });
});

describe('embedding / oneHot', () => {
  test('embedding looks up rows, any index shape', () => {
    const W = randArray(5 * 3, 10);
    const idx = [[4, 0, 4], [2, 1, 3]];
    const y = F.embedding(torch.tensor(idx), t64(W, [5, 3]));
    assertMeta(y, [2, 3, 3], 'float64');
    assertClose(y, idx.flat().flatMap((i) => W.slice(i * 3, i * 3 + 3)), { rtol: 0, atol: 0 });
    assert.deepEqual(F.embedding(torch.tensor([1]), t64(W, [5, 3]), 1).shape, [1, 3]);
    assertThrowsMsg(() => F.embedding(torch.tensor([5]), t64(W, [5, 3])), RangeError, 'index out of range in self');
  });

  test('oneHot', () => {
    assert.deepEqual(F.oneHot(torch.tensor([0, 2, 1])).toArray(), [[1, 0, 0], [0, 0, 1], [0, 1, 0]]);
    assert.deepEqual(F.oneHot(torch.tensor([[1], [0]]), 4).toArray(), [[[0, 1, 0, 0]], [[1, 0, 0, 0]]]);
    assertMeta(F.oneHot(torch.tensor([0]), 2), [1, 2], 'int64');
  });
});

describe('scaledDotProductAttention', () => {
  const B = 2;
  const Lq = 3;
  const S = 4;
  const D = 5;
  const q = randArray(B * Lq * D, 20);
  const k = randArray(B * S * D, 21);
  const v = randArray(B * S * D, 22);

  /** softmax(q kᵀ * scale + mask) v per batch; mask(i, j) returns an additive term. */
  function sdpaRef(L: number, mask: (i: number, j: number) => number, scale = 1 / Math.sqrt(D), qv: number[] = q): { out: number[]; w: number[] } {
    const out: number[] = [];
    const wts: number[] = [];
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < L; i++) {
        const s: number[] = [];
        for (let j = 0; j < S; j++) {
          let acc = 0;
          for (let d = 0; d < D; d++) acc += qv[b * L * D + i * D + d]! * k[b * S * D + j * D + d]!;
          s.push(acc * scale + mask(i, j));
        }
        const m = Math.max(...s);
        const e = s.map((x) => Math.exp(x - m));
        const z = e.reduce((a, x) => a + x, 0);
        const p = e.map((x) => x / z);
        wts.push(...p);
        for (let d = 0; d < D; d++) out.push(p.reduce((a, pj, j) => a + pj * v[b * S * D + j * D + d]!, 0));
      }
    }
    return { out, w: wts };
  }
  const Q = () => t64(q, [B, Lq, D]);
  const K = () => t64(k, [B, S, D]);
  const V = () => t64(v, [B, S, D]);

  test('no mask: output and weights', () => {
    const [o, w] = F.scaledDotProductAttention(Q(), K(), V());
    const ref = sdpaRef(Lq, () => 0);
    assertMeta(o, [B, Lq, D], 'float64');
    assertMeta(w, [B, Lq, S], 'float64');
    assertClose(o, ref.out, tol);
    assertClose(w, ref.w, tol);
  });

  test('custom scale', () => {
    const [o] = F.scaledDotProductAttention(Q(), K(), V(), { scale: 0.3 });
    assertClose(o, sdpaRef(Lq, () => 0, 0.3).out, tol);
  });

  test('boolean mask (true = attend), broadcast over the batch', () => {
    const m = [[true, false, true, true], [false, true, false, true], [true, true, true, false]];
    const [o, w] = F.scaledDotProductAttention(Q(), K(), V(), { attnMask: torch.tensor(m) });
    const ref = sdpaRef(Lq, (i, j) => (m[i]![j] ? 0 : -Infinity));
    assertClose(o, ref.out, tol);
    assertClose(w, ref.w, tol);
    flat(w).forEach((x, n) => {
      if (!m[Math.floor(n / S) % Lq]![n % S]) assert.equal(x, 0);
    });
  });

  test('additive float mask', () => {
    const m = randArray(Lq * S, 23, -2, 2);
    const [o] = F.scaledDotProductAttention(Q(), K(), V(), { attnMask: t64(m, [Lq, S]) });
    assertClose(o, sdpaRef(Lq, (i, j) => m[i * S + j]!).out, tol);
  });

  test('isCausal masks j > i (square scores)', () => {
    const qs = randArray(B * S * D, 24);
    const [o, w] = F.scaledDotProductAttention(t64(qs, [B, S, D]), K(), V(), { isCausal: true });
    const ref = sdpaRef(S, (i, j) => (j > i ? -Infinity : 0), 1 / Math.sqrt(D), qs);
    assertClose(o, ref.out, tol);
    assertClose(w, ref.w, tol);
    const wt = w.toArray() as number[][][];
    assert.deepEqual(wt[0]![0]!.slice(1), [0, 0, 0]);
    assert.equal(wt[1]![0]![0], 1);
    // combined with a bool mask: both apply
    const m = torch.tensor([[true, true, true, true], [false, true, true, true], [true, false, true, true], [true, true, true, false]]);
    const [o2] = F.scaledDotProductAttention(t64(qs, [B, S, D]), K(), V(), { isCausal: true, attnMask: m });
    const mm = m.toArray() as boolean[][];
    assertClose(o2, sdpaRef(S, (i, j) => (j > i || !mm[i]![j] ? -Infinity : 0), 1 / Math.sqrt(D), qs).out, tol);
  });

  test('isCausal with a rectangular (L < S) score matrix keeps the top-left triangle', () => {
    const [, w] = F.scaledDotProductAttention(Q(), K(), V(), { isCausal: true });
    const ref = sdpaRef(Lq, (i, j) => (j > i ? -Infinity : 0));
    assertClose(w, ref.w, tol);
  });

  test('multi-head 4-D inputs', () => {
    const q4 = t64(randArray(2 * 2 * 3 * 4, 30), [2, 2, 3, 4]);
    const [o, w] = F.scaledDotProductAttention(q4, q4, q4);
    assertMeta(o, [2, 2, 3, 4]);
    assertClose(w.sum(-1), new Array<number>(12).fill(1), tol);
    const scores = q4.matmul(q4.transpose(-2, -1)).mul(0.5).softmax(-1);
    assertClose(w, flat(scores), tol);
  });

  test('dropout applies only in training', () => {
    const [o] = F.scaledDotProductAttention(Q(), K(), V(), { dropoutP: 0.5, training: false });
    assertClose(o, sdpaRef(Lq, () => 0).out, tol);
    torch.manualSeed(5);
    const [, w] = F.scaledDotProductAttention(Q(), K(), V(), { dropoutP: 0.5 });
    const vals = flat(w);
    assert.ok(vals.some((x) => x === 0), 'some weights dropped');
    const ref = sdpaRef(Lq, () => 0).w;
    vals.forEach((x, i) => assert.ok(x === 0 || Math.abs(x - 2 * ref[i]!) < 1e-12));
  });

  test('frees its intermediates', () => {
    const q0 = Q();
    const k0 = K();
    const v0 = V();
    assertNoLeak(() => {
      const [o, w] = F.scaledDotProductAttention(q0, k0, v0, { isCausal: true });
      o.dispose();
      w.dispose();
    });
  });

  test('frees its intermediates (no causal mask)', () => {
    const q0 = Q();
    const k0 = K();
    const v0 = V();
    const mask = torch.tensor([[true, true, false, true]]);
    assertNoLeak(() => {
      const [o, w] = F.scaledDotProductAttention(q0, k0, v0, { attnMask: mask });
      o.dispose();
      w.dispose();
    });
  });
});

describe('gridSample', () => {
  test('an identity grid with alignCorners reproduces the input; a shifted grid interpolates', () => {
    const x = randArray(12, 40);
    const H = 3;
    const W = 4;
    const grid: number[] = [];
    forEachIndex([H, W], ([i, j]) => grid.push(-1 + (2 * j!) / (W - 1), -1 + (2 * i!) / (H - 1)));
    const y = F.gridSample(t64(x, [1, 1, H, W]), t64(grid, [1, H, W, 2]), 'bilinear', 'zeros', true);
    assertClose(y, x, tol);
    // the midpoint between pixels (0,0) and (0,1)
    const mid = F.gridSample(t64(x, [1, 1, H, W]), t64([-1 + 1 / (W - 1), -1], [1, 1, 1, 2]), 'bilinear', 'zeros', true);
    assertClose(mid, [(x[0]! + x[1]!) / 2], tol);
    const near = F.gridSample(t64(x, [1, 1, H, W]), t64([1, 1], [1, 1, 1, 2]), 'nearest', 'border', true);
    assertClose(near, [x[11]!], tol);
  });
});
