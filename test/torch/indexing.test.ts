// PyTorch-style indexing: the string syntax, slices, None, '...', negative indices, advanced
// indexing with tensors / number arrays / masks, and indexPut_ — against Python semantics in JS.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, flat, assertMeta, assertNoLeak, assertThrowsMsg, type NestedArray } from './helpers.js';

type Item = number | { start?: number; stop?: number; step?: number } | null | '...';

/** Python's slice.indices for a positive step. */
function sliceIndices(n: number, s: { start?: number; stop?: number; step?: number }): number[] {
  const step = s.step ?? 1;
  const norm = (v: number | undefined, dflt: number) => (v === undefined ? dflt : Math.min(Math.max(v < 0 ? v + n : v, 0), n));
  const out: number[] = [];
  for (let i = norm(s.start, 0); i < norm(s.stop, n); i += step) out.push(i);
  return out;
}

/** Basic indexing of nested arrays, as Python/NumPy/PyTorch. */
function refIndex(arr: NestedArray, items: Item[], ndim: number): NestedArray {
  const consuming = items.filter((it) => it !== null && it !== '...').length;
  const expanded: Item[] = [];
  for (const it of items) {
    if (it === '...') for (let k = 0; k < ndim - consuming; k++) expanded.push({});
    else expanded.push(it);
  }
  const go = (a: NestedArray, rest: Item[]): NestedArray => {
    if (rest.length === 0) return a;
    const [head, ...tail] = rest;
    if (head === null) return [go(a, tail)];
    const list = a as NestedArray[];
    if (typeof head === 'number') return go(list[head < 0 ? head + list.length : head]!, tail);
    return sliceIndices(list.length, head as object).map((i) => go(list[i]!, tail));
  };
  return go(arr, expanded);
}

const SHAPE = [3, 4, 5];
const base = () => torch.arange(60).view(SHAPE);

describe('string index syntax against Python semantics', () => {
  const cases: [string, Item[]][] = [
    ['1', [1]],
    ['-1', [-1]],
    ['1:3', [{ start: 1, stop: 3 }]],
    ['::2', [{ step: 2 }]],
    [':, ::2', [{}, { step: 2 }]],
    ['1:, -3:-1, 4', [{ start: 1 }, { start: -3, stop: -1 }, 4]],
    ['None', [null]],
    ['None, 0, None', [null, 0, null]],
    ['...', ['...']],
    ['..., 2', ['...', 2]],
    ['0, ...', [0, '...']],
    ['-2, ..., 1:4:2', [-2, '...', { start: 1, stop: 4, step: 2 }]],
    [':, None, ..., None', [{}, null, '...', null]],
    ['-1, -1, -1', [-1, -1, -1]],
    ['5:', [{ start: 5 }]],
    [':100', [{ stop: 100 }]],
    ['-100:2', [{ start: -100, stop: 2 }]],
    ['2:1', [{ start: 2, stop: 1 }]],
    ['', []],
  ];
  for (const [spec, items] of cases) {
    test(`t['${spec}']`, () => {
      const x = base();
      const expected = refIndex(x.toArray(), items, 3);
      const got = x.index(spec);
      assert.deepEqual(got.toArray(), expected);
      // the item form gives the same
      assert.deepEqual(x.index(...items.map((it) => (it !== null && typeof it === 'object' ? torch.slice(it.start, it.stop, it.step) : it))).toArray(), expected);
    });
  }

  test('basic indexing returns views (shared memory)', () => {
    const x = base();
    const v = x.index('1, 1:3');
    assert.equal(v.dataPtr() - x.dataPtr(), BigInt((20 + 5) * 8));
    v.fill_(-1);
    assert.equal(x.index(1, 2, 0).item(), -1);
  });

  test('spaces are ignored, `null` is accepted for None', () => {
    assert.deepEqual(base().index('  1 ,  null ,:2 ').shape, [1, 2, 5]);
  });

  test('parse errors are SyntaxErrors; non-positive steps RangeErrors', () => {
    assertThrowsMsg(() => base().index('..., ...'), SyntaxError, 'single ellipsis');
    assertThrowsMsg(() => base().index('a'), SyntaxError, "'a' is not an integer, slice, None or ...");
    assertThrowsMsg(() => base().index('1:2:3:4'), SyntaxError, 'is not a slice');
    assertThrowsMsg(() => base().index('1.5'), SyntaxError, 'is not an integer');
    assertThrowsMsg(() => base().index('::0'), RangeError, 'slice step must be positive');
    assertThrowsMsg(() => base().index('::-1'), RangeError, 'slice step must be positive');
  });

  test('an index out of range is a RangeError with libtorch\'s message', () => {
    assertThrowsMsg(() => base().index('3'), RangeError, 'index 3 out of range for tensor of size [3, 4, 5] at dimension 0');
    assertThrowsMsg(() => base().index(0, -5), RangeError, 'index -5 out of range');
    assert.throws(() => base().index('0, 0, 0, 0'), RangeError);
  });

  test(
    'too many indices name the problem as PyTorch does',
    () => {
      assertThrowsMsg(() => base().index('0, 0, 0, 0'), RangeError, 'too many indices for tensor of dimension 3');
    },
  );
});

describe('advanced indexing', () => {
  test('number arrays and int64 tensors index by value', () => {
    const x = base();
    const a = x.index([2, 0]);
    assertMeta(a, [2, 4, 5], 'int64');
    assert.deepEqual(a.toArray(), [x.index(2).toArray(), x.index(0).toArray()]);
    assert.deepEqual(x.index(torch.tensor([2, 0])).toArray(), a.toArray());
    // negative values count from the end
    assert.deepEqual(x.index([-1]).toArray(), [x.index(2).toArray()]);
    // a tensor index of shape [2, 2] gives that shape
    const t = x.index(torch.tensor([[0, 1], [2, 0]]), 0, 0);
    assert.deepEqual(t.toArray(), [[0, 20], [40, 0]]);
  });

  test('several advanced indices broadcast together (x[i, j, k] pairs)', () => {
    const x = base();
    const r = x.index([0, 2], [1, 3], [4, 0]);
    assert.deepEqual(r.toArray(), [0 * 20 + 1 * 5 + 4, 2 * 20 + 3 * 5 + 0]);
    const b = x.index(torch.tensor([[0], [2]]), [1, 3], 0);
    assert.deepEqual(b.toArray(), [[5, 15], [45, 55]]);
  });

  test('adjacent advanced indices stay in place; separated ones go first (PyTorch rules)', () => {
    const x = base();
    // x[:, [0, 3]] -> [3, 2, 5]
    const a = x.index(torch.slice(), [0, 3]);
    assertMeta(a, [3, 2, 5]);
    assert.equal(a.index(1, 1, 2).item(), 20 + 15 + 2);
    // x[[1, 0], ..., [0, 4]] -> advanced dims first: [2, 4]
    const b = x.index([1, 0], '...', [0, 4]);
    assertMeta(b, [2, 4]);
    assert.deepEqual(b.toArray(), [[20, 25, 30, 35], [4, 9, 14, 19]]);
    // an integer is applied as a basic index first: x[0, :, [0, 4]] -> [4, 2]
    const c = x.index(0, torch.slice(), [0, 4]);
    assertMeta(c, [4, 2]);
    assert.deepEqual(c.toArray(), [[0, 4], [5, 9], [10, 14], [15, 19]]);
  });

  test('boolean masks select elements', () => {
    const x = base();
    assert.deepEqual(x.index(x.gt(55)).toArray(), [56, 57, 58, 59]);
    const rows = torch.tensor([true, false, true]);
    assertMeta(x.index(rows), [2, 4, 5]);
    assert.deepEqual(x.index(rows, 0, 0).toArray(), [0, 40]);
  });

  test('advanced indexing copies (no shared memory)', () => {
    const x = base();
    const a = x.index([0]);
    a.fill_(-7);
    assert.equal(x.index(0, 0, 0).item(), 0);
  });

  test('out-of-range advanced index is a RangeError', () => {
    assertThrowsMsg(() => base().index([3]), RangeError, 'index 3 is out of bounds for dimension 0 with size 3');
  });
});

describe('indexPut_', () => {
  test('basic: scalars and broadcast tensors, returns this', () => {
    const x = torch.zeros([3, 4]);
    const r = x.indexPut_('1', 5);
    assert.equal(r, x);
    x.indexPut_(':, -1', torch.tensor([1, 2, 3], { dtype: 'float32' }));
    x.indexPut_('0, 0:2', torch.tensor([8, 9], { dtype: 'float32' }));
    x.indexPut_('..., ::3', -1);
    assert.deepEqual(x.toArray(), [[-1, 9, 0, -1], [-1, 5, 5, -1], [-1, 0, 0, -1]]);
    x.indexPut_([torch.slice(1, 3), 1], 4);
    assert.deepEqual(flat(x.index(':, 1')), [9, 4, 4]);
  });

  test('advanced: number arrays, tensors, masks; mixed with slices and ...', () => {
    const x = torch.zeros([3, 4], { dtype: 'int64' });
    x.indexPut_([[0, 2], [1, 3]], 7);
    assert.deepEqual(x.toArray(), [[0, 7, 0, 0], [0, 0, 0, 0], [0, 0, 0, 7]]);
    x.indexPut_([torch.slice(), [0]], torch.tensor([1, 2, 3]).view(3, 1));
    assert.deepEqual(flat(x.index(':, 0')), [1, 2, 3]);
    x.indexPut_([x.eq(7)], -1);
    assert.deepEqual(x.toArray(), [[1, -1, 0, 0], [2, 0, 0, 0], [3, 0, 0, -1]]);
    x.indexPut_(['...', [2]], 9);
    assert.deepEqual(flat(x.index(':, 2')), [9, 9, 9]);
    x.indexPut_([1, [0, 3]], 5);
    assert.deepEqual(flat(x.index(1)), [5, 0, 9, 5]);
  });

  test('values are converted to the destination dtype', () => {
    const x = torch.zeros([2], { dtype: 'int64' });
    x.indexPut_([[0]], 2.9);
    assert.deepEqual(flat(x), [2, 0]);
    const f = torch.zeros([2], { dtype: 'float64' });
    f.indexPut_('1', 0.1);
    assert.equal(f.index(1).item(), 0.1);
  });
});

describe('indexing frees its temporaries', () => {
  test('no handle leaks on success', () => {
    const x = base();
    assertNoLeak(() => x.index('1:, None, ..., ::2').dispose());
    assertNoLeak(() => x.index([0, 1], '...', torch.slice(0, 2)).dispose());
    assertNoLeak(() => x.indexPut_([[0, 1], 0], 3));
    assertNoLeak(() => x.indexPut_('0, 1:3', 3));
  });

  test(
    'no handle leaks when an index is out of range',
    () => {
      const x = base();
      assertNoLeak(() => assert.throws(() => x.index('0, 9'), RangeError));
    },
  );
});
