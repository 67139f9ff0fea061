// Creation functions: torch.tensor (dtype inference), fromBuffer (zero copy), filled tensors,
// ranges, seeded random draws and the *Like family.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, flat, assertClose, assertMeta, assertThrowsMsg } from './helpers.js';

describe('torch.tensor', () => {
  test('integers give int64, non-integers float32, booleans bool', () => {
    const a = torch.tensor([[1, 2, 3], [4, 5, 6]]);
    assertMeta(a, [2, 3], 'int64');
    assert.deepEqual(a.toArray(), [[1, 2, 3], [4, 5, 6]]);
    const b = torch.tensor([1.5, -2, 3]);
    assertMeta(b, [3], 'float32');
    assert.deepEqual(b.toArray(), [1.5, -2, 3]);
    const c = torch.tensor([[true, false], [false, true]]);
    assertMeta(c, [2, 2], 'bool');
    assert.deepEqual(c.toArray(), [[true, false], [false, true]]);
  });

  test('a number gives a 0-d tensor; an empty array a float32 tensor of shape [0]', () => {
    const s = torch.tensor(7);
    assertMeta(s, [], 'int64');
    assert.equal(s.item(), 7);
    assert.equal(s.numel, 1);
    const f = torch.tensor(0.25);
    assertMeta(f, [], 'float32');
    assert.equal(f.item(), 0.25);
    assertMeta(torch.tensor([]), [0], 'float32');
    assertMeta(torch.tensor([[], []]), [2, 0], 'float32');
  });

  test('deeply nested arrays keep their shape and row-major order', () => {
    const data = [[[1, 2], [3, 4], [5, 6]], [[7, 8], [9, 10], [11, 12]]];
    const t = torch.tensor(data);
    assertMeta(t, [2, 3, 2], 'int64');
    assert.deepEqual(flat(t), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    assert.deepEqual(t.toArray(), data);
  });

  test('an explicit dtype converts the values', () => {
    const a = torch.tensor([1, 2, 3], { dtype: 'float64' });
    assertMeta(a, [3], 'float64');
    assert.deepEqual(a.toArray(), [1, 2, 3]);
    const b = torch.tensor([1.7, -1.7, 2.5], { dtype: 'int32' });
    assertMeta(b, [3], 'int32');
    assert.deepEqual(b.toArray(), [1, -1, 2]); // truncation toward zero, as PyTorch
    const c = torch.tensor([0, 1, 2], { dtype: 'bool' });
    assert.deepEqual(c.toArray(), [false, true, true]);
    const d = torch.tensor([1, 2], { dtype: 'float16' });
    assertMeta(d, [2], 'float16');
    assert.deepEqual(flat(d), [1, 2]);
    const e = torch.tensor([0.1], { dtype: 'float64' });
    assert.equal(e.item(), 0.1); // float64 keeps the JS double exactly
  });

  test('int64 values beyond float32 precision survive exactly', () => {
    const big = 2 ** 40 + 1;
    const t = torch.tensor([big, -big]);
    assert.equal(t.dtype, 'int64');
    assert.deepEqual(Array.from(t.toTypedArray() as BigInt64Array), [BigInt(big), BigInt(-big)]);
  });

  test('typed arrays give their own dtype and are copied', () => {
    const cases: [ArrayBufferView & ArrayLike<number | bigint>, torch.DType][] = [
      [new Float32Array([1.5, 2]), 'float32'],
      [new Float64Array([1.5, 2]), 'float64'],
      [new Int32Array([-3, 4]), 'int32'],
      [new Int16Array([-3, 4]), 'int16'],
      [new Int8Array([-3, 4]), 'int8'],
      [new Uint8Array([3, 250]), 'uint8'],
      [new BigInt64Array([-3n, 4n]), 'int64'],
    ];
    for (const [arr, dt] of cases) {
      const t = torch.tensor(arr as unknown as Float32Array);
      assertMeta(t, [2], dt);
      assert.deepEqual(flat(t), flat(arr as ArrayLike<number>));
    }
    const src = new Float32Array([1, 2, 3]);
    const t = torch.tensor(src);
    src[0] = 100;
    assert.deepEqual(flat(t), [1, 2, 3], 'torch.tensor copies typed arrays');
    const conv = torch.tensor(new Int32Array([1, 2]), { dtype: 'float64' });
    assertMeta(conv, [2], 'float64');
  });

  test('requiresGrad option', () => {
    const t = torch.tensor([1.5, 2.5], { requiresGrad: true });
    assert.equal(t.requiresGrad, true);
    assert.equal(t.isLeaf, true);
    assert.equal(torch.tensor([1.5]).requiresGrad, false);
  });

  test('mixing booleans and numbers is a TypeError; a non-number a TypeError', () => {
    assertThrowsMsg(() => torch.tensor([true, 1] as unknown as number[]), TypeError, 'cannot mix booleans and numbers');
    assertThrowsMsg(() => torch.tensor(['a'] as unknown as number[]), TypeError, 'cannot make a tensor from string');
  });

  test('ragged arrays are a RangeError', () => {
    assertThrowsMsg(() => torch.tensor([[1, 2], [3]]), RangeError, 'expected sequence of length 2 at dim 1 (got 1)');
    assertThrowsMsg(() => torch.tensor([[1], 2] as unknown as number[][]), RangeError, 'ragged');
  });

  test(
    'ragged arrays whose first element is shallower are rejected',
    () => {
      assert.throws(() => torch.tensor([1, [2]] as unknown as number[]), RangeError);
      assert.throws(() => torch.tensor([[1, 2], [3, [4]]] as unknown as number[][]), RangeError);
    },
  );
});

describe('torch.fromBuffer (zero copy)', () => {
  test('writes through in both directions', () => {
    const buf = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = torch.fromBuffer(buf, 'float32', [2, 3]);
    assertMeta(t, [2, 3], 'float32');
    assert.deepEqual(t.toArray(), [[1, 2, 3], [4, 5, 6]]);
    buf[4] = 50;
    assert.equal(t.index(1, 1).item(), 50, 'JS write visible to the tensor');
    t.mul_(2);
    assert.deepEqual(Array.from(buf), [2, 4, 6, 8, 100, 12], 'in-place op visible in the buffer');
    t.indexPut_('0, 0', -1);
    assert.equal(buf[0], -1);
  });

  test('dataPtr: same memory for two tensors over one buffer, offsets for sub-views', () => {
    const ab = new ArrayBuffer(64);
    const a = torch.fromBuffer(ab, 'float64', [8]);
    const b = torch.fromBuffer(new Float64Array(ab), 'float64', [2, 4]);
    assert.equal(a.dataPtr(), b.dataPtr());
    const sub = torch.fromBuffer(new Float64Array(ab, 16, 3), 'float64', [3]);
    assert.equal(sub.dataPtr() - a.dataPtr(), 16n);
    new Float64Array(ab)[2] = 9;
    assert.equal(sub.index(0).item(), 9);
    // Views share memory; copies do not.
    assert.equal(a.narrow(0, 3, 2).dataPtr() - a.dataPtr(), 24n);
    assert.equal(a.view(2, 4).dataPtr(), a.dataPtr());
    assert.notEqual(a.clone().dataPtr(), a.dataPtr());
    assert.notEqual(torch.tensor(new Float64Array(ab)).dataPtr(), a.dataPtr());
  });

  test('other dtypes and DataView', () => {
    const i = new Int32Array([1, -2, 3, -4]);
    const t = torch.fromBuffer(i, 'int32', [4]);
    assert.equal(t.dtype, 'int32');
    t.add_(10);
    assert.deepEqual(Array.from(i), [11, 8, 13, 6]);
    const dv = new DataView(new ArrayBuffer(4));
    const u = torch.fromBuffer(dv, 'uint8', [2, 2]);
    u.fill_(7);
    assert.equal(dv.getUint8(3), 7);
    // Reinterpretation: the bytes of a float32 1.0 read as int32.
    const f = new Float32Array([1]);
    assert.equal(torch.fromBuffer(f.buffer, 'int32', [1]).item(), 0x3f800000);
  });

  test('a shape that does not match the byte length is a RangeError', () => {
    assertThrowsMsg(() => torch.fromBuffer(new Float32Array(6), 'float32', [4]), RangeError, 'shape needs 16 bytes but the buffer holds 24');
    assertThrowsMsg(() => torch.fromBuffer([1, 2] as unknown as Float32Array, 'float32', [2]), TypeError, 'expected an ArrayBuffer');
  });
});

describe('filled tensors', () => {
  test('zeros/ones/full/empty: shapes, dtypes and values', () => {
    const z = torch.zeros([2, 3]);
    assertMeta(z, [2, 3], 'float32');
    assert.deepEqual(flat(z), [0, 0, 0, 0, 0, 0]);
    const o = torch.ones([3], { dtype: 'int32' });
    assertMeta(o, [3], 'int32');
    assert.deepEqual(flat(o), [1, 1, 1]);
    assertMeta(torch.zeros([]), [], 'float32');
    assertMeta(torch.ones([0, 4]), [0, 4], 'float32');
    assert.equal(torch.ones([0, 4]).numel, 0);
    const f = torch.full([2, 2], 2.5);
    assertMeta(f, [2, 2], 'float32');
    assert.deepEqual(flat(f), [2.5, 2.5, 2.5, 2.5]);
    assertMeta(torch.full([1], 3), [1], 'int64');
    assertMeta(torch.full([1], true), [1], 'bool');
    assert.deepEqual(flat(torch.full([2], 3, { dtype: 'float64' })), [3, 3]);
    assert.equal(torch.full([2], -1, { dtype: 'float64' }).dtype, 'float64');
    const e = torch.empty([4, 5], { dtype: 'float64' });
    assertMeta(e, [4, 5], 'float64');
    assert.equal(e.numel, 20);
    assert.equal(torch.zeros([2], { requiresGrad: true }).requiresGrad, true);
  });

  test('scalarTensor', () => {
    const s = torch.scalarTensor(3.5);
    assertMeta(s, [], 'float32');
    assert.equal(s.item(), 3.5);
    assert.equal(torch.scalarTensor(true, { dtype: 'bool' }).item(), true);
    // As torch.scalar_tensor(True): the default dtype, value 1.
    assertMeta(torch.scalarTensor(true), [], 'float32');
    assert.equal(torch.scalarTensor(true).item(), 1);
    assert.equal(torch.scalarTensor(2, { dtype: 'int64' }).item(), 2);
  });
});

describe('ranges', () => {
  test('arange', () => {
    const a = torch.arange(5);
    assertMeta(a, [5], 'int64');
    assert.deepEqual(a.toArray(), [0, 1, 2, 3, 4]);
    assert.deepEqual(torch.arange(2, 8, 3).toArray(), [2, 5]);
    assert.deepEqual(torch.arange(5, 0, -2).toArray(), [5, 3, 1]);
    const f = torch.arange(1, 2, 0.25);
    assertMeta(f, [4], 'float32');
    assert.deepEqual(f.toArray(), [1, 1.25, 1.5, 1.75]);
    const d = torch.arange(0, 3, 1, { dtype: 'float64' });
    assertMeta(d, [3], 'float64');
    assert.equal(torch.arange(0).numel, 0);
  });

  test('linspace', () => {
    const l = torch.linspace(0, 1, 5);
    assertMeta(l, [5], 'float32');
    assert.deepEqual(l.toArray(), [0, 0.25, 0.5, 0.75, 1]);
    assertClose(torch.linspace(-1, 2, 4, { dtype: 'float64' }), [-1, 0, 1, 2], { rtol: 0, atol: 1e-15 });
    assert.deepEqual(torch.linspace(3, 9, 1).toArray(), [3]);
    const n = 7;
    const vals = flat(torch.linspace(-2, 5, n, { dtype: 'float64' }));
    vals.forEach((v, i) => assert.ok(Math.abs(v - (-2 + (7 * i) / (n - 1))) < 1e-12));
  });

  test('eye', () => {
    assert.deepEqual(torch.eye(3).toArray(), [[1, 0, 0], [0, 1, 0], [0, 0, 1]]);
    assert.deepEqual(torch.eye(2, 3).toArray(), [[1, 0, 0], [0, 1, 0]]);
    assert.deepEqual(torch.eye(3, 2).toArray(), [[1, 0], [0, 1], [0, 0]]);
    assertMeta(torch.eye(2, 2, { dtype: 'int64' }), [2, 2], 'int64');
  });
});

function meanVar(xs: number[]): [number, number] {
  const m = xs.reduce((a, b) => a + b, 0) / xs.length;
  const v = xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1);
  return [m, v];
}

describe('random draws with a seeded Generator', () => {
  const N = 100_000;
  test('rand: in [0, 1), mean 1/2, variance 1/12', () => {
    const g = new torch.Generator({ seed: 1 });
    const r = torch.rand([N], { generator: g });
    assertMeta(r, [N], 'float32');
    const xs = flat(r);
    assert.ok(xs.every((x) => x >= 0 && x < 1));
    const [m, v] = meanVar(xs);
    assert.ok(Math.abs(m - 0.5) < 0.01, `mean ${m}`);
    assert.ok(Math.abs(v - 1 / 12) < 0.003, `var ${v}`);
    assert.equal(torch.rand([3, 4], { generator: g, dtype: 'float64' }).dtype, 'float64');
  });

  test('randn: mean 0, variance 1, symmetric, about 68% within one sigma', () => {
    const g = new torch.Generator({ seed: 2 });
    const xs = flat(torch.randn([N], { generator: g, dtype: 'float64' }));
    const [m, v] = meanVar(xs);
    assert.ok(Math.abs(m) < 0.02, `mean ${m}`);
    assert.ok(Math.abs(v - 1) < 0.03, `var ${v}`);
    const within = xs.filter((x) => Math.abs(x) < 1).length / N;
    assert.ok(Math.abs(within - 0.6827) < 0.01, `P(|x|<1) = ${within}`);
    const pos = xs.filter((x) => x > 0).length / N;
    assert.ok(Math.abs(pos - 0.5) < 0.01);
  });

  test('normal(mean, std)', () => {
    const g = new torch.Generator({ seed: 3 });
    const [m, v] = meanVar(flat(torch.normal(5, 2, [N], { generator: g })));
    assert.ok(Math.abs(m - 5) < 0.03, `mean ${m}`);
    assert.ok(Math.abs(v - 4) < 0.1, `var ${v}`);
  });

  test('randint: int64 in [low, high), every value drawn, roughly uniform', () => {
    const g = new torch.Generator({ seed: 4 });
    const r = torch.randint(-3, 4, [N], { generator: g });
    assertMeta(r, [N], 'int64');
    const counts = new Map<number, number>();
    for (const x of flat(r)) counts.set(x, (counts.get(x) ?? 0) + 1);
    assert.deepEqual([...counts.keys()].sort((a, b) => a - b), [-3, -2, -1, 0, 1, 2, 3]);
    for (const c of counts.values()) assert.ok(Math.abs(c / N - 1 / 7) < 0.01);
    assert.equal(torch.randint(0, 2, [3], { generator: g, dtype: 'int32' }).dtype, 'int32');
  });

  test('randperm: a permutation of 0..n-1, not the identity', () => {
    const g = new torch.Generator({ seed: 5 });
    const p = torch.randperm(50, { generator: g });
    assertMeta(p, [50], 'int64');
    const xs = flat(p);
    assert.deepEqual([...xs].sort((a, b) => a - b), Array.from({ length: 50 }, (_, i) => i));
    assert.notDeepEqual(xs, Array.from({ length: 50 }, (_, i) => i));
  });

  test('bernoulli and multinomial', () => {
    const g = new torch.Generator({ seed: 6 });
    const b = flat(torch.bernoulli(torch.zeros([N]), 0.3, g));
    assert.ok(b.every((x) => x === 0 || x === 1));
    assert.ok(Math.abs(b.reduce<number>((a, x) => a + x, 0) / N - 0.3) < 0.01);
    const probs = torch.tensor([0, 0.25, 0.75]);
    const m = flat(torch.multinomial(probs, 20_000, true, g));
    assert.ok(!m.includes(0));
    assert.ok(Math.abs(m.filter((x) => x === 2).length / 20_000 - 0.75) < 0.02);
    const noRep = flat(torch.multinomial(torch.tensor([1, 1, 1, 1], { dtype: 'float32' }), 4, false, g));
    assert.deepEqual([...noRep].sort(), [0, 1, 2, 3]);
  });

  test('in-place random fills: uniform_, normal_, bernoulli_', () => {
    const g = new torch.Generator({ seed: 7 });
    const u = torch.empty([N]).uniform_(-2, 3, g);
    const xs = flat(u);
    assert.ok(xs.every((x) => x >= -2 && x < 3));
    assert.ok(Math.abs(meanVar(xs)[0] - 0.5) < 0.03);
    const n = flat(torch.empty([N]).normal_(1, 0.5, g));
    const [m, v] = meanVar(n);
    assert.ok(Math.abs(m - 1) < 0.01 && Math.abs(v - 0.25) < 0.01);
    const bb = flat(torch.empty([N]).bernoulli_(0.8, g));
    assert.ok(Math.abs(bb.reduce((a, x) => a + x, 0) / N - 0.8) < 0.01);
  });
});

describe('*Like', () => {
  const base = torch.arange(6, undefined, 1, { dtype: 'float64' }).view(2, 3);
  test('zerosLike/onesLike/fullLike/emptyLike keep shape and dtype', () => {
    const z = torch.zerosLike(base);
    assertMeta(z, [2, 3], 'float64');
    assert.deepEqual(flat(z), [0, 0, 0, 0, 0, 0]);
    assert.deepEqual(flat(torch.onesLike(base)), [1, 1, 1, 1, 1, 1]);
    const f = torch.fullLike(base, 7);
    assertMeta(f, [2, 3], 'float64');
    assert.deepEqual(flat(f), [7, 7, 7, 7, 7, 7]);
    assertMeta(torch.emptyLike(base), [2, 3], 'float64');
    assertMeta(torch.zerosLike(base, { dtype: 'int32' }), [2, 3], 'int32');
    assertMeta(torch.fullLike(torch.tensor([1, 2]), 4), [2], 'int64');
  });

  test('randLike/randnLike/randintLike', () => {
    torch.manualSeed(11);
    const big = torch.zeros([10_000]);
    const r = flat(torch.randLike(big));
    assert.ok(r.every((x) => x >= 0 && x < 1));
    assert.ok(Math.abs(meanVar(r)[0] - 0.5) < 0.02);
    const n = torch.randnLike(big);
    assertMeta(n, [10_000], 'float32');
    assert.ok(Math.abs(meanVar(flat(n))[1] - 1) < 0.06);
    const ri = torch.randintLike(big, 2, 5);
    assertMeta(ri, [10_000], 'float32');
    const vals = new Set(flat(ri));
    assert.deepEqual([...vals].sort(), [2, 3, 4]);
    assertMeta(torch.randintLike(big, 0, 3, { dtype: 'int64' }), [10_000], 'int64');
  });
});
