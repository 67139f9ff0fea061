// Activations, softmax/logSoftmax and dropout against closed forms.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, flat, assertClose, assertMeta, randArray, t64, erf, assertThrowsMsg, type Tensor } from './helpers.js';

const F = torch.F;
const xs = [...randArray(40, 1, -4, 4), 0, -0.5, 0.5, 25, -25];
const X = () => t64(xs, [xs.length]);
const tol = { rtol: 1e-12, atol: 1e-14 };

describe('pointwise activations (float64 closed forms)', () => {
  const cases: [string, (t: Tensor) => Tensor, (x: number) => number][] = [
    ['relu', F.relu, (x) => Math.max(0, x)],
    ['gelu (erf)', (t) => F.gelu(t), (x) => 0.5 * x * (1 + erf(x / Math.SQRT2))],
    [
      'gelu (tanh)',
      (t) => F.gelu(t, 'tanh'),
      (x) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3))),
    ],
    ['silu', F.silu, (x) => x / (1 + Math.exp(-x))],
    ['leakyRelu 0.01', (t) => F.leakyRelu(t), (x) => (x > 0 ? x : 0.01 * x)],
    ['leakyRelu 0.2', (t) => F.leakyRelu(t, 0.2), (x) => (x > 0 ? x : 0.2 * x)],
    ['elu', (t) => F.elu(t), (x) => (x > 0 ? x : Math.expm1(x))],
    ['elu alpha 2', (t) => F.elu(t, 2), (x) => (x > 0 ? x : 2 * Math.expm1(x))],
    ['softplus', (t) => F.softplus(t), (x) => (x > 20 ? x : Math.log1p(Math.exp(x)))],
    ['softplus beta 2 threshold 5', (t) => F.softplus(t, 2, 5), (x) => (2 * x > 5 ? x : Math.log1p(Math.exp(2 * x)) / 2)],
    ['hardtanh', (t) => F.hardtanh(t), (x) => Math.min(1, Math.max(-1, x))],
    ['hardtanh (-2, 3)', (t) => F.hardtanh(t, -2, 3), (x) => Math.min(3, Math.max(-2, x))],
    ['sigmoid', F.sigmoid, (x) => 1 / (1 + Math.exp(-x))],
    ['tanh', F.tanh, Math.tanh],
  ];
  for (const [name, fn, ref] of cases) {
    test(name, () => {
      const y = fn(X());
      assertMeta(y, [xs.length], 'float64');
      assertClose(y, xs.map(ref), tol);
    });
  }

  test('gelu in float32 is within float32 precision of the erf formula', () => {
    const y = F.gelu(torch.tensor(xs, { dtype: 'float32' }));
    assertClose(y, xs.map((x) => Math.fround(x)).map((x) => 0.5 * x * (1 + erf(x / Math.SQRT2))), { rtol: 1e-6, atol: 1e-6 });
  });

  test('gelu known values', () => {
    assertClose(F.gelu(t64([1, -1, 2], [3])), [0.8413447460685429, -0.15865525393145707, 1.9544997361036416], { rtol: 1e-14 });
  });
});

describe('softmax / logSoftmax', () => {
  const shape = [2, 3, 4];
  const data = randArray(24, 5, -3, 3);
  function softmaxRef(dim: number): number[] {
    const st = [12, 4, 1];
    const out = new Array<number>(24);
    for (let k = 0; k < 24; k++) {
      const idx = [Math.floor(k / 12), Math.floor(k / 4) % 3, k % 4];
      const vals: number[] = [];
      for (let j = 0; j < shape[dim]!; j++) {
        const i2 = [...idx];
        i2[dim] = j;
        vals.push(data[i2[0]! * st[0]! + i2[1]! * st[1]! + i2[2]!]!);
      }
      const m = Math.max(...vals);
      const z = vals.reduce((a, v) => a + Math.exp(v - m), 0);
      out[k] = Math.exp(data[k]! - m) / z;
    }
    return out;
  }
  for (const dim of [0, 1, 2]) {
    test(`softmax and logSoftmax along dim ${dim}`, () => {
      const ref = softmaxRef(dim);
      assertClose(F.softmax(t64(data, shape), dim), ref, tol);
      assertClose(t64(data, shape).softmax(dim), ref, tol);
      assertClose(F.logSoftmax(t64(data, shape), dim), ref.map(Math.log), tol);
      assertClose(t64(data, shape).logSoftmax(dim - 3), ref.map(Math.log), tol);
    });
  }

  test('softmax sums to one and is stable for large logits', () => {
    const big = t64([1000, 1001, 1002, -1000], [4]);
    const s = F.softmax(big, 0);
    const e = [Math.exp(-2), Math.exp(-1), 1, 0];
    const z = e.reduce((a, b) => a + b, 0);
    assertClose(s, e.map((v) => v / z), tol);
    const ls = F.logSoftmax(big, 0);
    assertClose(ls.index('0:3'), [-2, -1, 0].map((v) => v - Math.log(z)), tol);
    assert.ok(Number.isFinite(ls.index(3).item() as number));
  });

  test('the dtype argument casts before the softmax', () => {
    const h = torch.tensor([1, 2, 3], { dtype: 'float16' });
    const s = F.softmax(h, 0, 'float32');
    assert.equal(s.dtype, 'float32');
    const e = [1, 2, 3].map(Math.exp);
    assertClose(s, e.map((v) => v / (e[0]! + e[1]! + e[2]!)), { rtol: 1e-6 });
    assert.equal(F.logSoftmax(h, 0, 'float64').dtype, 'float64');
  });
});

describe('dropout', () => {
  test('p = 0 is the identity (values)', () => {
    const x = X();
    assert.deepEqual(flat(F.dropout(x, 0)), xs);
  });

  test('eval mode (training=false) is the identity', () => {
    assert.deepEqual(flat(F.dropout(X(), 0.7, false)), xs);
  });

  test('kept elements are scaled by 1/(1-p), the rest are zero', () => {
    torch.manualSeed(0);
    const p = 0.25;
    const y = flat(F.dropout(X(), p));
    y.forEach((v, i) => {
      if (v !== 0) assert.ok(Math.abs(v - xs[i]! / (1 - p)) < 1e-12, `element ${i}: ${v} vs ${xs[i]! / (1 - p)}`);
    });
  });

  test('the drop rate is close to p on a large input and the mean is preserved', () => {
    torch.manualSeed(1);
    const n = 200_000;
    for (const p of [0.1, 0.5, 0.8]) {
      const y = flat(F.dropout(torch.ones([n]), p));
      const zeros = y.filter((v) => v === 0).length / n;
      assert.ok(Math.abs(zeros - p) < 0.005, `p=${p}: dropped ${zeros}`);
      const mean = y.reduce((a, b) => a + b, 0) / n;
      assert.ok(Math.abs(mean - 1) < 0.02, `p=${p}: mean ${mean}`);
      assert.ok(y.every((v) => v === 0 || Math.abs(v - 1 / (1 - p)) < 1e-6));
    }
  });

  test('p = 1 zeroes everything; p outside [0, 1] is a RangeError', () => {
    assert.ok(flat(F.dropout(X(), 1)).every((v) => v === 0));
    assertThrowsMsg(() => F.dropout(X(), 1.5), RangeError, 'dropout probability has to be between 0 and 1, but got 1.5');
    assertThrowsMsg(() => F.dropout(X(), -0.1), RangeError, 'dropout probability has to be between 0 and 1');
  });

  test('featureDropout zeroes whole channels and scales the rest', () => {
    torch.manualSeed(3);
    const y = F.featureDropout(torch.ones([8, 16, 3, 3]), 0.5);
    const per = y.view(8 * 16, 9).toArray() as number[][];
    let dropped = 0;
    for (const ch of per) {
      const first = ch[0]!;
      assert.ok(first === 0 || first === 2);
      assert.ok(ch.every((v) => v === first), 'a channel is dropped entirely or kept entirely');
      if (first === 0) dropped++;
    }
    assert.ok(dropped > 30 && dropped < 98, `dropped ${dropped} of 128 channels`);
    assert.deepEqual(flat(F.featureDropout(torch.ones([1, 2, 2]), 0.5, false)), [1, 1, 1, 1]);
  });
});
