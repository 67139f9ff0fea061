// Central finite-difference gradient checks (float64) of the tensor-core ops: elementwise math,
// reductions, views/joins/gathers, matmul/einsum.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, gradcheck, randArray, t64, prod, type Tensor } from './helpers.js';

/** A float64 leaf requiring grad with values in [lo, hi). */
const leaf = (shape: number[], seed: number, lo = -1, hi = 1): Tensor => t64(randArray(prod(shape), seed, lo, hi), shape, true);

describe('the gradcheck helper', () => {
  test('accepts a correct gradient and reports a tiny error', () => {
    const worst = gradcheck((x) => x.mul(x).sin(), [leaf([5], 1)]);
    assert.ok(worst < 1e-6, `worst relative error ${worst}`);
  });

  test('rejects a wrong gradient (x.detach() * x differentiates as x, numerically 2x)', () => {
    assert.throws(() => gradcheck((x) => x.detach().mul(x), [leaf([4], 2, 0.5, 1)]), /gradcheck: input 0 element 0: analytical/);
  });

  test('skips inputs without requiresGrad, checks the others', () => {
    const c = t64([1, 2, 3], [3]);
    gradcheck((x, y) => x.mul(y).exp(), [leaf([3], 3), c]);
  });
});

describe('elementwise', () => {
  const unary: [string, (x: Tensor) => Tensor, number, number][] = [
    ['exp', (x) => x.exp(), -1, 1],
    ['log', (x) => x.log(), 0.5, 2],
    ['sqrt', (x) => x.sqrt(), 0.5, 2],
    ['rsqrt', (x) => x.rsqrt(), 0.5, 2],
    ['reciprocal', (x) => x.reciprocal(), 0.5, 2],
    ['sin/cos/tan', (x) => x.sin().add(x.cos()).add(x.tan()), -1, 1],
    ['asin/acos/atan', (x) => x.asin().add(x.acos().mul(2)).add(x.atan()), -0.9, 0.9],
    ['sinh/cosh/tanh', (x) => x.sinh().add(x.cosh()).add(x.tanh()), -1, 1],
    ['sigmoid', (x) => x.sigmoid(), -3, 3],
    ['erf', (x) => x.erf(), -2, 2],
    ['abs (away from 0)', (x) => x.abs(), 0.1, 1],
    ['neg/expm1/log1p/log2', (x) => x.neg().add(x.expm1()).add(x.log1p()).add(x.log2()), 0.5, 2],
    ['pow scalar', (x) => x.pow(3).add(x.pow(0.5)), 0.5, 2],
    ['clamp (interior and clipped)', (x) => x.clamp(-0.5, 0.5), -1, 1],
    ['relu', (x) => x.relu(), -1, 1],
    ['square via mul', (x) => x.mul(x), -1, 1],
  ];
  for (const [name, fn, lo, hi] of unary) {
    test(name, () => {
      gradcheck(fn, [leaf([2, 3], name.length * 7, lo, hi)]);
    });
  }

  test('binary ops with broadcasting: add/sub/mul/div/pow/atan2/minimum/maximum', () => {
    const a = leaf([2, 3], 10, 0.5, 2);
    const b = leaf([3], 11, 0.5, 2);
    gradcheck((x, y) => x.add(y, 2), [a, b]);
    gradcheck((x, y) => x.sub(y), [a, b]);
    gradcheck((x, y) => x.mul(y), [a, b]);
    gradcheck((x, y) => x.div(y), [a, b]);
    gradcheck((x, y) => x.pow(y), [a, b]);
    gradcheck((x, y) => x.atan2(y), [a, b]);
    gradcheck((x, y) => x.minimum(y).add(x.maximum(y)), [a, leaf([3], 12, -2, -1)]);
    gradcheck((x, y) => x.lerp(y.expand(2, 3), 0.3), [a, b]);
  });

  test('where / maskedFill route the gradient by the mask', () => {
    const m = torch.tensor([[true, false, true], [false, false, true]]);
    gradcheck((x, y) => torch.where(m, x, y), [leaf([2, 3], 13), leaf([2, 3], 14)]);
    gradcheck((x) => x.maskedFill(m, 0).mul(x), [leaf([2, 3], 15)]);
  });
});

describe('reductions', () => {
  const x = () => leaf([3, 4], 20);
  const cases: [string, (t: Tensor) => Tensor][] = [
    ['sum', (t) => t.sum()],
    ['sum dim keepdim', (t) => t.sum(1, true)],
    ['mean dim', (t) => t.mean(0)],
    ['std', (t) => t.std(1)],
    ['var correction 0', (t) => t.var(0, false, 0)],
    ['norm 2', (t) => t.norm(2, 1)],
    ['norm 3', (t) => t.norm(3)],
    ['logsumexp', (t) => t.logsumexp(1)],
    ['max dim', (t) => t.max(1)[0]],
    ['min all', (t) => t.min()],
    ['amax', (t) => t.amax(0)],
    ['topk', (t) => t.topk(2, 1)[0]],
    ['sort', (t) => t.sort(0)[0]],
    ['cumsum', (t) => t.cumsum(1)],
    ['prod', (t) => t.prod()],
  ];
  for (const [name, fn] of cases) {
    test(name, () => {
      gradcheck(fn, [x()]);
    });
  }
});

describe('views, joins and gathers', () => {
  const x = () => leaf([2, 3, 4], 30);
  const cases: [string, (t: Tensor) => Tensor][] = [
    ['view/reshape', (t) => t.view(6, 4).reshape(4, 6).mul(t.reshape(4, 6))],
    ['permute/transpose', (t) => t.permute(2, 0, 1).transpose(0, 2).mul(2)],
    ['expand', (t) => t.index(':, :1').expand(2, 5, 4)],
    ['squeeze/unsqueeze/flatten', (t) => t.unsqueeze(1).flatten(2).squeeze(1)],
    ['narrow/select', (t) => t.narrow(2, 1, 2).select(1, 0)],
    ['index string', (t) => t.index('1, ::2, None, -1')],
    ['index advanced (repeats accumulate)', (t) => t.index([0, 1, 0], '...', [1, 1, 3])],
    ['flip/roll', (t) => t.flip([0, 2]).roll(1, 1)],
    ['repeat', (t) => t.repeat(2, 1, 1)],
    ['split/chunk', (t) => t.split([1, 3], 2)[1]!.mul(t.chunk(2, 2)[0]!.sum())],
    ['gather', (t) => t.gather(2, torch.tensor([[[0, 0], [3, 1], [2, 2]], [[1, 0], [1, 1], [3, 3]]]))],
    ['indexSelect', (t) => t.indexSelect(1, torch.tensor([2, 0, 2]))],
    ['scatterAdd', (t) => torch.zeros([2, 3, 5], { dtype: 'float64' }).scatterAdd(2, torch.tensor([[[0, 4, 4, 1]]]).expand(2, 3, 4), t)],
    ['triu/diagonal', (t) => t.triu().add(t.diagonal(0, 1, 2).sum())],
    ['unfold', (t) => t.unfold(2, 2, 1)],
  ];
  for (const [name, fn] of cases) {
    test(name, () => {
      gradcheck(fn, [x()]);
    });
  }

  test('cat / stack of two inputs', () => {
    gradcheck((a, b) => torch.cat([a, b, a], 1), [leaf([2, 3], 31), leaf([2, 1], 32)]);
    gradcheck((a, b) => torch.stack([a, b], 1), [leaf([2, 3], 33), leaf([2, 3], 34)]);
  });
});

describe('matmul / einsum', () => {
  test('matmul (2-D, batched broadcast, vector)', () => {
    gradcheck((a, b) => a.matmul(b), [leaf([3, 4], 40), leaf([4, 2], 41)]);
    gradcheck((a, b) => a.matmul(b), [leaf([2, 1, 3, 4], 42), leaf([3, 4, 2], 43)]);
    gradcheck((a, b) => a.matmul(b), [leaf([4], 44), leaf([3, 4, 2], 45)]);
  });

  test('mm / bmm / dot / outer', () => {
    gradcheck((a, b) => a.mm(b), [leaf([2, 3], 46), leaf([3, 2], 47)]);
    gradcheck((a, b) => a.bmm(b), [leaf([2, 2, 3], 48), leaf([2, 3, 2], 49)]);
    gradcheck((a, b) => a.dot(b).add(a.outer(b).sum()), [leaf([3], 50), leaf([3], 51)]);
  });

  test('einsum: bmm, trace, bilinear form, attention scores', () => {
    gradcheck((a, b) => torch.einsum('bij,bjk->bik', a, b), [leaf([2, 2, 3], 52), leaf([2, 3, 2], 53)]);
    gradcheck((a) => torch.einsum('ii->', a), [leaf([3, 3], 54)]);
    gradcheck((x, m, y) => torch.einsum('i,ij,j->', x, m, y), [leaf([2], 55), leaf([2, 3], 56), leaf([3], 57)]);
    gradcheck((q, k) => torch.einsum('bhqd,bhkd->bhqk', q, k), [leaf([1, 2, 2, 3], 58), leaf([1, 2, 3, 3], 59)]);
  });
});
