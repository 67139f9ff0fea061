// Elementwise math with broadcasting, comparisons, where/maskedFill, and in-place variants,
// against float64 computations in JavaScript.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, flat, assertClose, assertMeta, randArray, t64, forEachIndex, stridesOf, prod, assertThrowsMsg, erf, type Tensor } from './helpers.js';

/** NumPy broadcasting of two shapes, and f applied elementwise. */
function broadcastRef(a: number[], as: number[], b: number[], bs: number[], f: (x: number, y: number) => number): { data: number[]; shape: number[] } {
  const nd = Math.max(as.length, bs.length);
  const pa = [...new Array<number>(nd - as.length).fill(1), ...as];
  const pb = [...new Array<number>(nd - bs.length).fill(1), ...bs];
  const shape = pa.map((x, i) => {
    const y = pb[i]!;
    assert.ok(x === y || x === 1 || y === 1);
    return Math.max(x, y);
  });
  const sa = stridesOf(pa);
  const sb = stridesOf(pb);
  const data: number[] = [];
  forEachIndex(shape, (idx) => {
    let ia = 0;
    let ib = 0;
    idx.forEach((v, d) => {
      ia += (pa[d] === 1 ? 0 : v) * sa[d]!;
      ib += (pb[d] === 1 ? 0 : v) * sb[d]!;
    });
    data.push(f(a[ia]!, b[ib]!));
  });
  return { data, shape };
}

const tight = { rtol: 1e-13, atol: 1e-14 };

describe('binary ops broadcast like NumPy (float64 against JS)', () => {
  const shapes: [number[], number[]][] = [
    [[2, 3], [2, 3]],
    [[2, 3], [3]],
    [[2, 1], [1, 4]],
    [[3, 1, 2], [4, 1]],
    [[], [2, 2]],
    [[5], []],
  ];
  const ops: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number][] = [
    ['add', (a, b) => a.add(b), (x, y) => x + y],
    ['add alpha', (a, b) => a.add(b, 2.5), (x, y) => x + 2.5 * y],
    ['sub', (a, b) => a.sub(b), (x, y) => x - y],
    ['sub alpha', (a, b) => a.sub(b, -3), (x, y) => x + 3 * y],
    ['mul', (a, b) => a.mul(b), (x, y) => x * y],
    ['div', (a, b) => a.div(b), (x, y) => x / y],
    ['pow', (a, b) => a.abs().pow(b), (x, y) => Math.abs(x) ** y],
    ['atan2', (a, b) => a.atan2(b), Math.atan2],
    ['minimum', (a, b) => a.minimum(b), Math.min],
    ['maximum', (a, b) => a.maximum(b), Math.max],
  ];
  for (const [as, bs] of shapes) {
    for (const [name, op, f] of ops) {
      test(`${name} [${as}] with [${bs}]`, () => {
        const a = randArray(prod(as), 1, 0.5, 2);
        const b = randArray(prod(bs), 2, -2, -0.5);
        const ref = broadcastRef(a, as, b, bs, f);
        const out = op(t64(a, as), t64(b, bs));
        assertMeta(out, ref.shape, 'float64');
        assertClose(out, ref.data, tight);
      });
    }
  }

  test('incompatible shapes fail with libtorch\'s message', () => {
    assertThrowsMsg(
      () => torch.ones([2, 3]).add(torch.ones([4])),
      Error,
      'The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 1',
    );
  });

  test('scalars on either side: add/sub/mul/div/pow/rsub', () => {
    const x = t64([1, 2, 4], [3]);
    assertClose(x.add(0.5), [1.5, 2.5, 4.5], tight);
    assertClose(x.sub(1), [0, 1, 3], tight);
    assertClose(x.mul(-2), [-2, -4, -8], tight);
    assertClose(x.div(4), [0.25, 0.5, 1], tight);
    assertClose(x.pow(0.5), [1, Math.SQRT2, 2], tight);
    assertClose(x.pow(2), [1, 4, 16], tight);
    assertClose(x.pow(t64([3], [])), [1, 8, 64], tight);
    assertClose(x.rsub(10), [9, 8, 6], tight);
    assertClose(x.neg(), [-1, -2, -4], tight);
    assertClose(x.div(0), [Infinity, Infinity, Infinity]);
    assertClose(x.sub(x).div(0), [NaN, NaN, NaN]);
  });
});

describe('unary ops (float64 against Math)', () => {
  const xs = randArray(24, 3, -3, 3);
  const pos = randArray(24, 4, 0.01, 5);
  const unit = randArray(24, 5, -0.99, 0.99);
  const cases: [string, (t: Tensor) => Tensor, (x: number) => number, number[]][] = [
    ['exp', (t) => t.exp(), Math.exp, xs],
    ['expm1', (t) => t.expm1(), Math.expm1, xs],
    ['log', (t) => t.log(), Math.log, pos],
    ['log1p', (t) => t.log1p(), Math.log1p, pos],
    ['log2', (t) => t.log2(), Math.log2, pos],
    ['sqrt', (t) => t.sqrt(), Math.sqrt, pos],
    ['rsqrt', (t) => t.rsqrt(), (x) => 1 / Math.sqrt(x), pos],
    ['reciprocal', (t) => t.reciprocal(), (x) => 1 / x, pos],
    ['abs', (t) => t.abs(), Math.abs, xs],
    ['sign', (t) => t.sign(), Math.sign, [...xs, 0]],
    ['sin', (t) => t.sin(), Math.sin, xs],
    ['cos', (t) => t.cos(), Math.cos, xs],
    ['tan', (t) => t.tan(), Math.tan, unit],
    ['asin', (t) => t.asin(), Math.asin, unit],
    ['acos', (t) => t.acos(), Math.acos, unit],
    ['atan', (t) => t.atan(), Math.atan, xs],
    ['sinh', (t) => t.sinh(), Math.sinh, xs],
    ['cosh', (t) => t.cosh(), Math.cosh, xs],
    ['tanh', (t) => t.tanh(), Math.tanh, xs],
    ['sigmoid', (t) => t.sigmoid(), (x) => 1 / (1 + Math.exp(-x)), xs],
    ['relu', (t) => t.relu(), (x) => Math.max(x, 0), xs],
    ['floor', (t) => t.floor(), Math.floor, xs],
    ['ceil', (t) => t.ceil(), Math.ceil, xs],
    ['trunc', (t) => t.trunc(), Math.trunc, xs],
    ['frac', (t) => t.frac(), (x) => x - Math.trunc(x), xs],
    ['fmod 1.5', (t) => t.fmod(1.5), (x) => x % 1.5, xs],
    ['remainder 1.5', (t) => t.remainder(1.5), (x) => x - 1.5 * Math.floor(x / 1.5), xs],
    ['clamp', (t) => t.clamp(-1, 0.5), (x) => Math.min(Math.max(x, -1), 0.5), xs],
    ['clamp min only', (t) => t.clamp(0.2), (x) => Math.max(x, 0.2), xs],
    ['clamp max only', (t) => t.clamp(undefined, 0.2), (x) => Math.min(x, 0.2), xs],
    ['clampMin', (t) => t.clampMin(-0.5), (x) => Math.max(x, -0.5), xs],
    ['clampMax', (t) => t.clampMax(-0.5), (x) => Math.min(x, -0.5), xs],
  ];
  for (const [name, op, f, domain] of cases) {
    test(name, () => {
      assertClose(op(t64(domain, [domain.length])), domain.map(f), { rtol: 1e-12, atol: 1e-14, msg: name });
    });
  }

  test('round: half to even, as PyTorch', () => {
    assert.deepEqual(flat(t64([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6], [7]).round()), [0, 2, 2, -0, -2, 2, 3]);
  });

  test('erf against a float64 series', () => {
    assertClose(t64(xs, [24]).erf(), xs.map(erf), { rtol: 1e-12, atol: 1e-15 });
    assertClose(t64([0, 0.5, 1, 2], [4]).erf(), [0, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527], { rtol: 1e-14 });
  });

  test('clamp with tensor bounds broadcasts', () => {
    const x = t64([-3, -1, 0, 2, 5, 7], [2, 3]);
    const lo = t64([-2, 0, 1], [3]);
    const hi = t64([4, 6], [2, 1]);
    assert.deepEqual(x.clamp(lo, hi).toArray(), [[-2, 0, 1], [2, 5, 6]]);
    assert.deepEqual(x.clamp(lo).toArray(), [[-2, 0, 1], [2, 5, 7]]);
  });

  test(
    'clamp with one tensor bound and one number bound applies both',
    () => {
      const x = t64([-2, 0, 2], [3]);
      assert.deepEqual(flat(x.clamp(t64([-1, -1, -1], [3]), 0.5)), [-1, 0, 0.5]);
      assert.deepEqual(flat(x.clamp(-1, t64([1, 1, 1], [3]))), [-1, 0, 1]);
    },
  );

  test('lerp, nanToNum, isnan, isfinite', () => {
    const a = t64([0, 10], [2]);
    const b = t64([10, 20], [2]);
    assertClose(a.lerp(b, 0.25), [2.5, 12.5], tight);
    const bad = t64([NaN, Infinity, -Infinity, 1], [4]);
    assert.deepEqual(flat(bad.nanToNum(0, 100, -100)), [0, 100, -100, 1]);
    assert.deepEqual(flat(bad.nanToNum()), [0, Number.MAX_VALUE, -Number.MAX_VALUE, 1]);
    assert.deepEqual(bad.isnan().toArray(), [true, false, false, false]);
    assert.deepEqual(bad.isfinite().toArray(), [false, false, false, true]);
  });

  test('float32 results are the float32 rounding of the exact value', () => {
    const xs32 = randArray(16, 9, -2, 2);
    const out = torch.tensor(xs32, { dtype: 'float32' }).exp();
    assertMeta(out, [16], 'float32');
    assertClose(out, xs32.map((x) => Math.exp(Math.fround(x))), { rtol: 2e-7, atol: 0 });
  });
});

describe('comparisons and logic', () => {
  const a = t64([1, 2, 3, 4], [2, 2]);
  const b = t64([3, 2], [2]);
  const cmp: [string, (x: Tensor, y: Tensor | number) => Tensor, (x: number, y: number) => boolean][] = [
    ['eq', (x, y) => x.eq(y), (x, y) => x === y],
    ['ne', (x, y) => x.ne(y), (x, y) => x !== y],
    ['lt', (x, y) => x.lt(y), (x, y) => x < y],
    ['le', (x, y) => x.le(y), (x, y) => x <= y],
    ['gt', (x, y) => x.gt(y), (x, y) => x > y],
    ['ge', (x, y) => x.ge(y), (x, y) => x >= y],
  ];
  for (const [name, op, f] of cmp) {
    test(`${name}: bool result, broadcast tensor and scalar operands`, () => {
      const r = op(a, b);
      assertMeta(r, [2, 2], 'bool');
      assert.deepEqual(flat(r), broadcastRef([1, 2, 3, 4], [2, 2], [3, 2], [2], (x, y) => +f(x, y)).data);
      assert.deepEqual(flat(op(a, 3)), [1, 2, 3, 4].map((x) => +f(x, 3)));
      // int tensor compared with a float scalar compares values, not truncated values
      assert.deepEqual(flat(op(torch.tensor([2, 3]), 2.5)), [2, 3].map((x) => +f(x, 2.5)));
    });
  }

  test('logicalAnd / logicalOr / logicalNot / bitwiseNot', () => {
    const p = torch.tensor([true, true, false, false]);
    const q = torch.tensor([true, false, true, false]);
    assert.deepEqual(p.logicalAnd(q).toArray(), [true, false, false, false]);
    assert.deepEqual(p.logicalOr(q).toArray(), [true, true, true, false]);
    assert.deepEqual(p.logicalNot().toArray(), [false, false, true, true]);
    assert.deepEqual(p.bitwiseNot().toArray(), [false, false, true, true]);
    assert.deepEqual(flat(torch.tensor([0, 5]).bitwiseNot()), [-1, -6]);
    assert.deepEqual(torch.tensor([0, 2]).logicalAnd(torch.tensor([1, 1])).toArray(), [false, true]);
  });

  test('any / all', () => {
    const m = torch.tensor([[true, false], [true, true]]);
    assert.equal(m.all().item(), false);
    assert.equal(m.any().item(), true);
    assert.deepEqual(m.all(1).toArray(), [false, true]);
    assert.deepEqual(m.any(0, true).toArray(), [[true, true]]);
  });

  test('where (function): broadcasting, scalars on either side', () => {
    const c = torch.tensor([[true, false, true]]);
    const x = t64([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = t64([-1], [1]);
    assert.deepEqual(torch.where(c, x, y).toArray(), [[1, -1, 3], [4, -1, 6]]);
    assert.deepEqual(torch.where(c, x, 0).toArray(), [[1, 0, 3], [4, 0, 6]]);
    assert.deepEqual(torch.where(c, 9, x).toArray(), [[9, 2, 9], [9, 5, 9]]);
    assert.equal(torch.where(c, x, 0).dtype, 'float64');
    // Two scalar branches, as torch.where(c, 1, 2) (aten::where.Scalar).
    assert.deepEqual(torch.where(c, 1, 2).toArray(), [[1, 2, 1]]);
  });

  test('where (method) and maskedFill', () => {
    const x = t64([1, 2, 3, 4], [2, 2]);
    const m = x.gt(2.5);
    assert.deepEqual(x.where(m, -1).toArray(), [[-1, -1], [3, 4]]);
    assert.deepEqual(x.where(m, t64([10, 20], [2])).toArray(), [[10, 20], [3, 4]]);
    assert.deepEqual(x.maskedFill(m, 0).toArray(), [[1, 2], [0, 0]]);
    assert.deepEqual(x.maskedFill(torch.tensor([true, false]), -Infinity).toArray(), [[-Infinity, 2], [-Infinity, 4]]);
    assert.deepEqual(x.maskedFill(m, t64([7], [])).toArray(), [[1, 2], [7, 7]]);
    assert.deepEqual(flat(x), [1, 2, 3, 4], 'out of place');
  });

  test('allclose', () => {
    const a = t64([1, 2, 3], [3]);
    assert.equal(a.allclose(t64([1, 2, 3 + 1e-7], [3])), true);
    assert.equal(a.allclose(t64([1, 2, 3.01], [3])), false);
    assert.equal(a.allclose(t64([1, 2, 3.01], [3]), 0.01), true);
    assert.equal(a.allclose(t64([1.5, 2, 3], [3]), 0, 0.5), true);
  });

  test('allclose frees its temporaries', () => {
    const a = t64([1, 2, 3], [3]);
    const b = t64([1, 2, 3], [3]);
    const before = torch.memory.liveTensors();
    a.allclose(b);
    assert.equal(torch.memory.liveTensors(), before);
  });
});

describe('in-place variants return the same object and modify values', () => {
  const cases: [string, (t: Tensor) => Tensor, (x: number, i: number) => number][] = [
    ['add_ scalar', (t) => t.add_(2), (x) => x + 2],
    ['add_ tensor alpha', (t) => t.add_(t64([1, 2, 3, 4], [4]), 0.5), (x, i) => x + 0.5 * (i + 1)],
    ['sub_', (t) => t.sub_(t64([1], [1]), 2), (x) => x - 2],
    ['sub_ scalar', (t) => t.sub_(0.5), (x) => x - 0.5],
    ['sub_ scalar alpha', (t) => t.sub_(2, 0.25), (x) => x - 0.5],
    ['mul_ scalar', (t) => t.mul_(3), (x) => x * 3],
    ['mul_ tensor', (t) => t.mul_(t64([2], [])), (x) => x * 2],
    ['div_ scalar', (t) => t.div_(4), (x) => x / 4],
    ['div_ tensor', (t) => t.div_(t64([1, 2, 4, 8], [4])), (x, i) => x / 2 ** i],
    ['pow_', (t) => t.pow_(3), (x) => x ** 3],
    ['sqrt_', (t) => t.abs().sqrt_(), (x) => Math.sqrt(Math.abs(x))],
    ['exp_', (t) => t.exp_(), Math.exp],
    ['neg_', (t) => t.neg_(), (x) => -x],
    ['relu_', (t) => t.relu_(), (x) => Math.max(0, x)],
    ['clamp_', (t) => t.clamp_(-0.5, 0.5), (x) => Math.min(0.5, Math.max(-0.5, x))],
    ['clamp_ min', (t) => t.clamp_(0), (x) => Math.max(0, x)],
    ['zero_', (t) => t.zero_(), () => 0],
    ['fill_', (t) => t.fill_(1.25), () => 1.25],
    ['maskedFill_', (t) => t.maskedFill_(t.gt(0), 9), (x) => (x > 0 ? 9 : x)],
    ['addcmul_', (t) => t.addcmul_(t64([1, 2, 3, 4], [4]), t64([2], [1]), 0.5), (x, i) => x + 0.5 * (i + 1) * 2],
    ['addcdiv_', (t) => t.addcdiv_(t64([1, 2, 3, 4], [4]), t64([2], [1]), 3), (x, i) => x + (3 * (i + 1)) / 2],
    ['lerp_', (t) => t.lerp_(t64([10, 10, 10, 10], [4]), 0.25), (x) => x + 0.25 * (10 - x)],
    ['indexFill_', (t) => t.indexFill_(0, torch.tensor([1, 3]), -4), (x, i) => (i % 2 ? -4 : x)],
  ];
  for (const [name, op, f] of cases) {
    test(name, () => {
      const vals = [-1.5, 0.25, 2, -0.75];
      const t = t64(vals, [4]);
      const ptr = t.dataPtr();
      const r = op(t);
      if (name !== 'sqrt_') {
        assert.equal(r, t, 'returns this');
        assert.equal(t.dataPtr(), ptr, 'same memory');
      }
      assertClose(r, vals.map(f), tight);
    });
  }

  test('in-place through a view modifies the base', () => {
    const base = torch.zeros([2, 3]);
    base.select(0, 1).add_(5);
    base.t().index(0).mul_(2).add_(1);
    assert.deepEqual(base.toArray(), [[1, 0, 0], [11, 5, 5]]);
  });

  test('in-place cannot change the dtype: libtorch\'s message', () => {
    assertThrowsMsg(() => torch.tensor([1, 2]).add_(torch.tensor([0.5], { dtype: 'float32' })), Error, "result type Float can't be cast to the desired output type Long");
    assertThrowsMsg(() => torch.tensor([1, 2]).div_(2), Error, "result type Float can't be cast to the desired output type Long");
  });

  test('in-place cannot broadcast the destination', () => {
    assertThrowsMsg(() => torch.zeros([3]).add_(torch.ones([2, 3])), Error, "output with shape [3] doesn't match the broadcast shape [2, 3]");
  });
});
