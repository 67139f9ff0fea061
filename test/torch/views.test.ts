// Views (shape changes sharing memory) and joins/splits/gathers, against index arithmetic in JS.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, flat, assertMeta, forEachIndex, stridesOf, prod, assertThrowsMsg } from './helpers.js';

const ar = (...shape: number[]) => torch.arange(prod(shape)).view(shape);
/** Value of arange(prod(shape)).view(shape) at a multi-index. */
const at = (shape: number[], idx: number[]) => idx.reduce((a, v, d) => a + v * stridesOf(shape)[d]!, 0);

describe('views', () => {
  test('view/reshape keep row-major order; -1 is inferred; views share memory', () => {
    const x = ar(2, 6);
    const v = x.view(3, 4);
    assertMeta(v, [3, 4], 'int64');
    assert.deepEqual(flat(v), flat(x));
    assert.deepEqual(x.view([4, -1]).shape, [4, 3]);
    assert.equal(v.dataPtr(), x.dataPtr());
    v.indexPut_('2, 3', 100);
    assert.equal(x.index(1, 5).item(), 100, 'write through a view');
    assert.deepEqual(x.reshape(12).shape, [12]);
    assert.deepEqual(x.viewAs(torch.zeros([6, 2])).shape, [6, 2]);
    assertThrowsMsg(() => x.view(5, 3), Error, "shape '[5, 3]' is invalid for input of size 12");
  });

  test('view of a non-contiguous tensor fails with libtorch\'s message; reshape copies', () => {
    const t = ar(3, 4).t();
    assertThrowsMsg(() => t.view(12), Error, 'view size is not compatible with input tensor');
    const r = t.reshape(12);
    assert.deepEqual(flat(r), [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    assert.notEqual(r.dataPtr(), t.dataPtr());
  });

  test('permute / transpose / t / mT / movedim', () => {
    const shape = [2, 3, 4];
    const x = ar(...shape);
    const p = x.permute(2, 0, 1);
    assertMeta(p, [4, 2, 3]);
    const expected: number[] = [];
    forEachIndex([4, 2, 3], ([k, i, j]) => expected.push(at(shape, [i!, j!, k!])));
    assert.deepEqual(flat(p), expected);
    assert.deepEqual(flat(x.permute([2, 0, 1])), expected);
    assert.deepEqual(flat(x.movedim(2, 0)), expected);
    const tr = x.transpose(0, 2);
    const exp2: number[] = [];
    forEachIndex([4, 3, 2], ([k, j, i]) => exp2.push(at(shape, [i!, j!, k!])));
    assert.deepEqual(flat(tr), exp2);
    assert.deepEqual(ar(2, 3).t().toArray(), [[0, 3], [1, 4], [2, 5]]);
    assert.deepEqual(flat(x.mT), flat(x.transpose(1, 2)));
    assert.deepEqual(x.mT.shape, [2, 4, 3]);
  });

  test('squeeze / unsqueeze', () => {
    const x = torch.zeros([1, 3, 1, 2]);
    assert.deepEqual(x.squeeze().shape, [3, 2]);
    assert.deepEqual(x.squeeze(0).shape, [3, 1, 2]);
    assert.deepEqual(x.squeeze(1).shape, [1, 3, 1, 2], 'squeezing a non-1 dim is a no-op');
    assert.deepEqual(x.squeeze(-2).shape, [1, 3, 2]);
    assert.deepEqual(x.unsqueeze(0).shape, [1, 1, 3, 1, 2]);
    assert.deepEqual(x.unsqueeze(-1).shape, [1, 3, 1, 2, 1]);
    assert.deepEqual(ar(3).unsqueeze(1).toArray(), [[0], [1], [2]]);
  });

  test('expand / expandAs broadcast with stride 0', () => {
    const x = torch.tensor([[1], [2]]);
    const e = x.expand(2, 3);
    assert.deepEqual(e.toArray(), [[1, 1, 1], [2, 2, 2]]);
    assert.deepEqual(e.strides, [1, 0]);
    assert.equal(e.dataPtr(), x.dataPtr());
    assert.deepEqual(x.expand([4, 2, -1]).shape, [4, 2, 1]);
    assert.deepEqual(x.expandAs(torch.zeros([3, 2, 5])).shape, [3, 2, 5]);
    assertThrowsMsg(() => x.expand(3, 3), Error, 'The expanded size of the tensor (3) must match the existing size (2)');
  });

  test('flatten / unflatten', () => {
    const x = ar(2, 3, 4);
    assert.deepEqual(x.flatten().shape, [24]);
    assert.deepEqual(x.flatten(1).shape, [2, 12]);
    assert.deepEqual(x.flatten(0, 1).shape, [6, 4]);
    assert.deepEqual(flat(x.flatten(0, 1)), flat(x));
    assert.deepEqual(x.unflatten(2, [2, 2]).shape, [2, 3, 2, 2]);
    assert.deepEqual(x.unflatten(-1, [4, 1]).shape, [2, 3, 4, 1]);
  });

  test('narrow / select / unfold / diagonal share memory', () => {
    const x = ar(4, 5);
    const n = x.narrow(1, 1, 3);
    assert.deepEqual(n.toArray(), [[1, 2, 3], [6, 7, 8], [11, 12, 13], [16, 17, 18]]);
    assert.equal(n.dataPtr() - x.dataPtr(), 8n);
    assert.deepEqual(x.select(0, 2).toArray(), [10, 11, 12, 13, 14]);
    assert.deepEqual(x.select(1, -1).toArray(), [4, 9, 14, 19]);
    assert.deepEqual(ar(5).unfold(0, 2, 2).toArray(), [[0, 1], [2, 3]]);
    assert.deepEqual(ar(6).unfold(0, 3, 1).toArray(), [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]);
    assert.deepEqual(ar(3, 3).diagonal().toArray(), [0, 4, 8]);
    assert.deepEqual(ar(3, 3).diagonal(1).toArray(), [1, 5]);
    assert.deepEqual(ar(3, 3).diagonal(-1).toArray(), [3, 7]);
  });

  test('triu / tril', () => {
    assert.deepEqual(torch.ones([3, 3], { dtype: 'int64' }).triu().toArray(), [[1, 1, 1], [0, 1, 1], [0, 0, 1]]);
    assert.deepEqual(torch.ones([3, 3], { dtype: 'int64' }).tril(-1).toArray(), [[0, 0, 0], [1, 0, 0], [1, 1, 0]]);
    assert.deepEqual(ar(2, 3).triu(1).toArray(), [[0, 1, 2], [0, 0, 5]]);
  });
});

describe('reordering', () => {
  test('flip', () => {
    const x = ar(2, 3);
    assert.deepEqual(x.flip(0).toArray(), [[3, 4, 5], [0, 1, 2]]);
    assert.deepEqual(x.flip(1).toArray(), [[2, 1, 0], [5, 4, 3]]);
    assert.deepEqual(x.flip([0, 1]).toArray(), [[5, 4, 3], [2, 1, 0]]);
    assert.deepEqual(x.flip(-1).toArray(), [[2, 1, 0], [5, 4, 3]]);
  });

  test('roll along one dim', () => {
    assert.deepEqual(ar(5).roll(2, 0).toArray(), [3, 4, 0, 1, 2]);
    assert.deepEqual(ar(5).roll(-1, 0).toArray(), [1, 2, 3, 4, 0]);
    const x = ar(2, 3);
    assert.deepEqual(x.roll(1, 1).toArray(), [[2, 0, 1], [5, 3, 4]]);
    assert.deepEqual(x.roll(1, -2).toArray(), [[3, 4, 5], [0, 1, 2]]);
  });

  test(
    'roll over several dims, and with no dims (flattened)',
    () => {
      const x = ar(2, 3);
      assert.deepEqual(x.roll([1, 1], [0, 1]).toArray(), [[5, 3, 4], [2, 0, 1]]);
      // no dims: flatten, roll, restore shape
      assert.deepEqual(x.roll(1).toArray(), [[5, 0, 1], [2, 3, 4]]);
      assert.deepEqual(ar(5).roll(2).toArray(), [3, 4, 0, 1, 2]);
    },
  );

  test('repeat / tile', () => {
    assert.deepEqual(torch.tensor([1, 2]).repeat(2, 2).toArray(), [[1, 2, 1, 2], [1, 2, 1, 2]]);
    assert.deepEqual(torch.tensor([[1, 2]]).repeat([3, 1]).toArray(), [[1, 2], [1, 2], [1, 2]]);
    assert.deepEqual(torch.tensor([1, 2]).tile([2]).toArray(), [1, 2, 1, 2]);
  });
});

describe('joins and splits', () => {
  test('cat along each dim, with negative dims', () => {
    const a = ar(2, 2);
    const b = torch.tensor([[10, 11]]);
    assert.deepEqual(torch.cat([a, b]).toArray(), [[0, 1], [2, 3], [10, 11]]);
    assert.deepEqual(torch.cat([a, a.add(4)], 1).toArray(), [[0, 1, 4, 5], [2, 3, 6, 7]]);
    assert.deepEqual(torch.cat([a, a], -1).shape, [2, 4]);
    // mixed dtypes promote
    assert.equal(torch.cat([a, torch.ones([1, 2])]).dtype, 'float32');
    assertThrowsMsg(() => torch.cat([a, torch.zeros([2, 3])]), Error, 'Sizes of tensors must match except in dimension 0');
  });

  test('stack inserts a dimension', () => {
    const a = torch.tensor([1, 2, 3]);
    const b = torch.tensor([4, 5, 6]);
    assert.deepEqual(torch.stack([a, b]).toArray(), [[1, 2, 3], [4, 5, 6]]);
    assert.deepEqual(torch.stack([a, b], 1).toArray(), [[1, 4], [2, 5], [3, 6]]);
    assert.deepEqual(torch.stack([a, b], -1).shape, [3, 2]);
    assertThrowsMsg(() => torch.stack([a, torch.tensor([1])]), Error, 'stack expects each tensor to be equal size');
  });

  test('split by size and by sections; chunk; unbind', () => {
    const x = ar(7);
    assert.deepEqual(x.split(3).map((t) => t.toArray()), [[0, 1, 2], [3, 4, 5], [6]]);
    assert.deepEqual(x.split([2, 5]).map((t) => t.toArray()), [[0, 1], [2, 3, 4, 5, 6]]);
    const y = ar(2, 4);
    assert.deepEqual(y.split(2, 1).map((t) => t.toArray()), [[[0, 1], [4, 5]], [[2, 3], [6, 7]]]);
    assert.deepEqual(x.chunk(3).map((t) => t.shape[0]), [3, 3, 1]);
    assert.deepEqual(ar(6).chunk(4).map((t) => t.shape[0]), [2, 2, 2]);
    assert.deepEqual(y.chunk(2, -1).map((t) => t.toArray()), [[[0, 1], [4, 5]], [[2, 3], [6, 7]]]);
    assert.deepEqual(y.unbind(1).map((t) => t.toArray()), [[0, 4], [1, 5], [2, 6], [3, 7]]);
    // pieces are views
    assert.equal(x.split(3)[1]!.dataPtr() - x.dataPtr(), 24n);
  });

  test('indexSelect', () => {
    const x = ar(3, 4);
    const idx = torch.tensor([2, 0, 2]);
    assert.deepEqual(x.indexSelect(0, idx).toArray(), [[8, 9, 10, 11], [0, 1, 2, 3], [8, 9, 10, 11]]);
    assert.deepEqual(x.indexSelect(1, torch.tensor([3, 1])).toArray(), [[3, 1], [7, 5], [11, 9]]);
    assertThrowsMsg(() => x.indexSelect(0, torch.tensor([3])), RangeError, 'out of range');
  });

  test('gather matches out[i][j] = x[i][idx[i][j]] (dim 1) and x[idx[i][j]][j] (dim 0)', () => {
    const x = ar(3, 4);
    const idx = [[0, 3], [2, 2], [1, 0]];
    const g1 = x.gather(1, torch.tensor(idx));
    assert.deepEqual(g1.toArray(), idx.map((row, i) => row.map((j) => i * 4 + j)));
    const idx0 = [[2, 0, 1, 1]];
    const g0 = x.gather(0, torch.tensor(idx0));
    assert.deepEqual(g0.toArray(), [idx0[0]!.map((i, j) => i * 4 + j)]);
  });

  test('scatter / scatterAdd / indexFill_', () => {
    const base = torch.zeros([2, 4]);
    const idx = torch.tensor([[0, 2], [3, 3]]);
    const src = torch.tensor([[1, 2], [3, 4]], { dtype: 'float32' });
    assert.deepEqual(base.scatter(1, idx, src).toArray(), [[1, 0, 2, 0], [0, 0, 0, 4]].map((r, i) => (i === 1 ? [0, 0, 0, r[3]!] : r)));
    assert.deepEqual(base.scatterAdd(1, idx, src).toArray(), [[1, 0, 2, 0], [0, 0, 0, 7]]);
    assert.deepEqual(flat(base), [0, 0, 0, 0, 0, 0, 0, 0], 'out of place');
    const f = torch.zeros([2, 3]).indexFill_(1, torch.tensor([0, 2]), 5);
    assert.deepEqual(f.toArray(), [[5, 0, 5], [5, 0, 5]]);
  });

  test('maskedSelect / nonzero', () => {
    const x = ar(2, 3);
    const m = x.remainder(2).eq(0);
    assert.deepEqual(x.maskedSelect(m).toArray(), [0, 2, 4]);
    assert.deepEqual(m.nonzero().toArray(), [[0, 0], [0, 2], [1, 1]]);
    assertMeta(m.nonzero(), [3, 2], 'int64');
  });
});
