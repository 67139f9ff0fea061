// Max / average / adaptive pooling in 1-3 spatial dims against float64 loops in JS.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, assertClose, assertMeta, randArray, t64, prod, forEachIndex, stridesOf, tuple } from './helpers.js';

const F = torch.F;
const tol = { rtol: 1e-12, atol: 1e-13 };

interface PoolRef {
  kernel: number | number[];
  stride?: number | number[];
  padding?: number | number[];
  dilation?: number | number[];
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number;
}

function outSize(n: number, k: number, s: number, p: number, d: number, ceil: boolean): number {
  const num = n + 2 * p - d * (k - 1) - 1;
  let o = (ceil ? Math.ceil(num / s) : Math.floor(num / s)) + 1;
  if (ceil && (o - 1) * s >= n + p) o--;
  return o;
}

/** Max or average pooling over the trailing `nd` dims of [N, C, ...] data. */
function poolRef(kind: 'max' | 'avg', x: number[], shape: number[], nd: number, o: PoolRef): { data: number[]; shape: number[] } {
  const k = tuple(o.kernel, nd);
  const s = o.stride === undefined ? k : tuple(o.stride, nd);
  const p = tuple(o.padding ?? 0, nd);
  const d = tuple(o.dilation ?? 1, nd);
  const lead = shape.slice(0, shape.length - nd);
  const inSp = shape.slice(-nd);
  const outSp = inSp.map((n, i) => outSize(n, k[i]!, s[i]!, p[i]!, d[i]!, o.ceilMode ?? false));
  const st = stridesOf(shape);
  const out: number[] = [];
  forEachIndex([...lead, ...outSp], (idx) => {
    const li = idx.slice(0, lead.length);
    const oi = idx.slice(lead.length);
    const base = li.reduce((a, v, i) => a + v * st[i]!, 0);
    if (kind === 'max') {
      let m = -Infinity;
      forEachIndex(k, (kk) => {
        let off = base;
        for (let i = 0; i < nd; i++) {
          const pos = oi[i]! * s[i]! - p[i]! + kk[i]! * d[i]!;
          if (pos < 0 || pos >= inSp[i]!) return;
          off += pos * st[lead.length + i]!;
        }
        m = Math.max(m, x[off]!);
      });
      out.push(m);
    } else {
      let sum = 0;
      let inside = 1;
      let padded = 1;
      const starts: number[] = [];
      const ends: number[] = [];
      for (let i = 0; i < nd; i++) {
        const st0 = oi[i]! * s[i]! - p[i]!;
        const en0 = Math.min(st0 + k[i]!, inSp[i]! + p[i]!);
        padded *= en0 - st0;
        const a = Math.max(st0, 0);
        const b = Math.min(en0, inSp[i]!);
        inside *= b - a;
        starts.push(a);
        ends.push(b);
      }
      forEachIndex(starts.map((a, i) => ends[i]! - a), (w) => {
        sum += x[base + w.reduce((acc, v, i) => acc + (starts[i]! + v) * st[lead.length + i]!, 0)]!;
      });
      const div = o.divisorOverride ?? (o.countIncludePad ?? true ? padded : inside);
      out.push(sum / div);
    }
  });
  return { data: out, shape: [...lead, ...outSp] };
}

function adaptiveRef(kind: 'max' | 'avg', x: number[], shape: number[], outSp: number[]): { data: number[]; shape: number[] } {
  const nd = outSp.length;
  const lead = shape.slice(0, shape.length - nd);
  const inSp = shape.slice(-nd);
  const st = stridesOf(shape);
  const out: number[] = [];
  forEachIndex([...lead, ...outSp], (idx) => {
    const base = idx.slice(0, lead.length).reduce((a, v, i) => a + v * st[i]!, 0);
    const oi = idx.slice(lead.length);
    const a = oi.map((o, i) => Math.floor((o * inSp[i]!) / outSp[i]!));
    const b = oi.map((o, i) => Math.ceil(((o + 1) * inSp[i]!) / outSp[i]!));
    const vals: number[] = [];
    forEachIndex(a.map((v, i) => b[i]! - v), (w) => vals.push(x[base + w.reduce((acc, v, i) => acc + (a[i]! + v) * st[lead.length + i]!, 0)]!));
    out.push(kind === 'max' ? Math.max(...vals) : vals.reduce((s, v) => s + v, 0) / vals.length);
  });
  return { data: out, shape: [...lead, ...outSp] };
}

function check(kind: 'max' | 'avg', nd: 1 | 2 | 3, shape: number[], o: PoolRef, seed: number): void {
  const x = randArray(prod(shape), seed, -2, 2);
  const ref = poolRef(kind, x, shape, nd, o);
  const opts = { stride: o.stride ?? o.kernel, padding: o.padding, dilation: o.dilation, ceilMode: o.ceilMode, countIncludePad: o.countIncludePad, divisorOverride: o.divisorOverride };
  const fns = kind === 'max' ? [F.maxPool1d, F.maxPool2d, F.maxPool3d] : [F.avgPool1d, F.avgPool2d, F.avgPool3d];
  const y = fns[nd - 1]!(t64(x, shape), o.kernel, opts);
  assertMeta(y, ref.shape, 'float64');
  assertClose(y, ref.data, tol);
}

describe('max pooling', () => {
  test('maxPool1d', () => {
    check('max', 1, [2, 3, 9], { kernel: 3, stride: 2 }, 1);
    check('max', 1, [1, 2, 8], { kernel: 2, stride: 2, padding: 1 }, 2);
    check('max', 1, [1, 1, 10], { kernel: 3, stride: 1, dilation: 2 }, 3);
  });
  test('maxPool2d', () => {
    check('max', 2, [2, 2, 6, 5], { kernel: 2 }, 10);
    check('max', 2, [1, 3, 7, 7], { kernel: 3, stride: 2, padding: 1 }, 11);
    check('max', 2, [1, 1, 7, 6], { kernel: [3, 2], stride: [2, 1], dilation: [1, 2] }, 12);
    check('max', 2, [1, 1, 5, 5], { kernel: 2, stride: 2, ceilMode: true }, 13);
    check('max', 2, [3, 4, 4], { kernel: 2, stride: 2 }, 14); // unbatched [C, H, W]
  });
  test('maxPool3d', () => {
    check('max', 3, [1, 2, 4, 4, 4], { kernel: 2 }, 20);
    check('max', 3, [1, 1, 5, 4, 6], { kernel: [3, 2, 3], stride: [2, 2, 1], padding: [1, 0, 1] }, 21);
  });
  test('a hand-checked 2x2 max pool', () => {
    const x = t64([1, 5, 2, 0, 3, 4, 8, 1, 0, 0, 9, 9, 7, 2, 1, 6], [1, 1, 4, 4]);
    assert.deepEqual(F.maxPool2d(x, 2, { stride: 2 }).toArray(), [[[[5, 8], [7, 9]]]]);
  });
});

describe('average pooling', () => {
  test('avgPool1d', () => {
    check('avg', 1, [2, 2, 9], { kernel: 3, stride: 2 }, 30);
    check('avg', 1, [1, 1, 7], { kernel: 3, stride: 2, padding: 1 }, 31);
    check('avg', 1, [1, 1, 7], { kernel: 3, stride: 2, padding: 1, countIncludePad: false }, 32);
    check('avg', 1, [1, 1, 8], { kernel: 3, stride: 2, ceilMode: true }, 33);
  });
  test('avgPool2d', () => {
    check('avg', 2, [2, 3, 6, 6], { kernel: 2 }, 40);
    check('avg', 2, [1, 2, 5, 5], { kernel: 3, stride: 2, padding: 1 }, 41);
    check('avg', 2, [1, 2, 5, 5], { kernel: 3, stride: 2, padding: 1, countIncludePad: false }, 42);
    check('avg', 2, [1, 1, 5, 7], { kernel: [2, 3], stride: [2, 2], ceilMode: true }, 43);
    check('avg', 2, [1, 1, 4, 4], { kernel: 2, stride: 2, divisorOverride: 3 }, 44);
  });
  test('avgPool3d', () => {
    check('avg', 3, [1, 2, 4, 4, 4], { kernel: 2 }, 50);
    check('avg', 3, [1, 1, 5, 5, 3], { kernel: 3, stride: 2, padding: 1, countIncludePad: false }, 51);
    check('avg', 3, [1, 1, 4, 4, 4], { kernel: 2, stride: 2, divisorOverride: 5 }, 52);
  });
});

describe('adaptive pooling', () => {
  const cases: [number[], number[]][] = [
    [[2, 3, 7], [3]],
    [[1, 2, 5, 7], [3, 4]],
    [[1, 2, 6, 6], [1, 1]],
    [[1, 1, 5, 4, 7], [2, 3, 3]],
    [[1, 1, 4, 4], [4, 4]],
    [[1, 1, 3, 3], [5, 5]],
  ];
  for (const [shape, outSp] of cases) {
    test(`adaptive avg [${shape}] -> [${outSp}]`, () => {
      const x = randArray(prod(shape), prod(shape));
      const ref = adaptiveRef('avg', x, shape, outSp);
      const fn = [F.adaptiveAvgPool1d, F.adaptiveAvgPool2d, F.adaptiveAvgPool3d][outSp.length - 1]!;
      const y = fn(t64(x, shape), outSp);
      assertMeta(y, ref.shape, 'float64');
      assertClose(y, ref.data, tol);
    });
    if (outSp.length >= 2) {
      test(`adaptive max [${shape}] -> [${outSp}]`, () => {
        const x = randArray(prod(shape), prod(shape) + 1);
        const ref = adaptiveRef('max', x, shape, outSp);
        const fn = outSp.length === 2 ? F.adaptiveMaxPool2d : F.adaptiveMaxPool3d;
        const y = fn(t64(x, shape), outSp);
        assertMeta(y, ref.shape, 'float64');
        assertClose(y, ref.data, tol);
      });
    }
  }
  test('a single output size repeats over the spatial dims', () => {
    const x = t64(randArray(2 * 36, 7), [1, 2, 6, 6]);
    assert.deepEqual(F.adaptiveAvgPool2d(x, 2).shape, [1, 2, 2, 2]);
    assert.deepEqual(F.adaptiveMaxPool2d(x, 3).shape, [1, 2, 3, 3]);
  });
  test('adaptive max pooling frees its indices', () => {
    const x = t64(randArray(16, 8), [1, 1, 4, 4]);
    const before = torch.memory.liveTensors();
    const y = F.adaptiveMaxPool2d(x, 2);
    assert.equal(torch.memory.liveTensors(), before + 1);
    y.dispose();
  });
});

describe('default stride (= kernel size), kernel as a one-element array', () => {
  test('maxPool1d/2d/3d without a stride', () => {
    const x1 = randArray(8, 60);
    assertClose(F.maxPool1d(t64(x1, [1, 1, 8]), 2), poolRef('max', x1, [1, 1, 8], 1, { kernel: 2 }).data, tol);
    const x2 = randArray(16, 61);
    assertClose(F.maxPool2d(t64(x2, [1, 1, 4, 4]), 2), poolRef('max', x2, [1, 1, 4, 4], 2, { kernel: 2 }).data, tol);
    const x3 = randArray(64, 62);
    assertClose(F.maxPool3d(t64(x3, [1, 1, 4, 4, 4]), 2), poolRef('max', x3, [1, 1, 4, 4, 4], 3, { kernel: 2 }).data, tol);
  });
  test('a one-element kernel/stride array means the same value for every dim', () => {
    const x2 = randArray(36, 66);
    const ref = poolRef('max', x2, [1, 1, 6, 6], 2, { kernel: 2, stride: 2 }).data;
    assertClose(F.maxPool2d(t64(x2, [1, 1, 6, 6]), [2], { stride: [2] }), ref, tol);
    assertClose(F.avgPool2d(t64(x2, [1, 1, 6, 6]), [3], { stride: [3] }), poolRef('avg', x2, [1, 1, 6, 6], 2, { kernel: 3, stride: 3 }).data, tol);
  });
  test('avgPool1d/2d/3d without a stride', () => {
    const x1 = randArray(8, 63);
    assertClose(F.avgPool1d(t64(x1, [1, 1, 8]), 2), poolRef('avg', x1, [1, 1, 8], 1, { kernel: 2 }).data, tol);
    const x2 = randArray(16, 64);
    assertClose(F.avgPool2d(t64(x2, [1, 1, 4, 4]), 2), poolRef('avg', x2, [1, 1, 4, 4], 2, { kernel: 2 }).data, tol);
    const x3 = randArray(64, 65);
    assertClose(F.avgPool3d(t64(x3, [1, 1, 4, 4, 4]), 2), poolRef('avg', x3, [1, 1, 4, 4, 4], 3, { kernel: 2 }).data, tol);
  });
});
