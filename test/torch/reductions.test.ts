// Reductions with dim/keepdim against float64 reductions in JS.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, flat, assertClose, assertMeta, randArray, t64, forEachIndex, stridesOf, assertThrowsMsg, type Tensor } from './helpers.js';

/** Reduces `dims` of a row-major array with f (over the values in index order). */
function reduceRef(data: number[], shape: number[], dims: number[], keepdim: boolean, f: (v: number[]) => number): { data: number[]; shape: number[] } {
  const nd = shape.length;
  const ds = dims.map((d) => (d < 0 ? d + nd : d));
  const outFull = shape.map((s, i) => (ds.includes(i) ? 1 : s));
  const st = stridesOf(shape);
  const redShape = shape.map((s, i) => (ds.includes(i) ? s : 1));
  const out: number[] = [];
  forEachIndex(outFull, (o) => {
    const vals: number[] = [];
    forEachIndex(redShape, (r) => vals.push(data[o.reduce((a, v, i) => a + (v + r[i]!) * st[i]!, 0)]!));
    out.push(f(vals));
  });
  return { data: out, shape: keepdim ? outFull : shape.filter((_, i) => !ds.includes(i)) };
}

const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
const mean = (v: number[]) => sum(v) / v.length;
const variance = (c: number) => (v: number[]) => {
  const m = mean(v);
  return v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - c);
};
const lse = (v: number[]) => {
  const m = Math.max(...v);
  return m + Math.log(sum(v.map((x) => Math.exp(x - m))));
};
const pnorm = (p: number) => (v: number[]) =>
  p === Infinity ? Math.max(...v.map(Math.abs)) : sum(v.map((x) => Math.abs(x) ** p)) ** (1 / p);

const SHAPE = [3, 4, 5];
const DATA = randArray(60, 42, -2, 2);
const X = () => t64(DATA, SHAPE);
const tol = { rtol: 1e-12, atol: 1e-13 };

describe('reductions over one dim (with keepdim) and over all elements', () => {
  const ops: [string, (x: Tensor, dim: number | undefined, keep: boolean) => Tensor, (v: number[]) => number][] = [
    ['sum', (x, d, k) => x.sum(d, k), sum],
    ['mean', (x, d, k) => x.mean(d, k), mean],
    ['logsumexp', (x, d, k) => x.logsumexp(d ?? [0, 1, 2], k), lse],
    ['std', (x, d, k) => x.std(d, k), (v) => Math.sqrt(variance(1)(v))],
    ['var', (x, d, k) => x.var(d, k), variance(1)],
    ['var correction 0', (x, d, k) => x.var(d, k, 0), variance(0)],
    ['std correction 0', (x, d, k) => x.std(d, k, 0), (v) => Math.sqrt(variance(0)(v))],
    ['norm 2', (x, d, k) => x.norm(2, d, k), pnorm(2)],
    ['norm 1', (x, d, k) => x.norm(1, d, k), pnorm(1)],
    ['norm 3', (x, d, k) => x.norm(3, d, k), pnorm(3)],
    ['norm inf', (x, d, k) => x.norm(Infinity, d, k), pnorm(Infinity)],
    ['amax', (x, d, k) => x.amax(d ?? [0, 1, 2], k), (v) => Math.max(...v)],
    ['amin', (x, d, k) => x.amin(d ?? [0, 1, 2], k), (v) => Math.min(...v)],
  ];
  for (const [name, op, f] of ops) {
    for (const dim of [0, 1, 2, -1]) {
      for (const keep of [false, true]) {
        test(`${name} dim=${dim} keepdim=${keep}`, () => {
          const ref = reduceRef(DATA, SHAPE, [dim], keep, f);
          const r = op(X(), dim, keep);
          assertMeta(r, ref.shape, 'float64');
          assertClose(r, ref.data, tol);
        });
      }
    }
    if (name !== 'logsumexp' && name !== 'amax' && name !== 'amin') {
      test(`${name} over all elements`, () => {
        const r = op(X(), undefined, false);
        assertMeta(r, [], 'float64');
        assertClose(r, [f(DATA)], tol);
      });
    }
  }

  test('prod and cumsum', () => {
    const x = t64([1, 2, 3, 4, 5, 6], [2, 3]);
    assert.equal(x.prod().item(), 720);
    assert.deepEqual(x.cumsum(1).toArray(), [[1, 3, 6], [4, 9, 15]]);
    assert.deepEqual(x.cumsum(0).toArray(), [[1, 2, 3], [5, 7, 9]]);
    assert.deepEqual(x.cumsum(-1).shape, [2, 3]);
  });

  test('sum with an accumulation dtype', () => {
    const h = torch.full([4096], 1, { dtype: 'float16' });
    assert.equal(h.sum(undefined, false, 'float32').dtype, 'float32');
    assert.equal(h.sum(undefined, false, 'float32').item(), 4096);
    assert.equal(h.sum(0, true, 'float64').dtype, 'float64');
  });
});

describe(
  'reductions over several dims (dim lists for int[1] arguments)',
  () => {
    const ops: [string, (x: Tensor, dims: number[], keep: boolean) => Tensor, (v: number[]) => number][] = [
      ['sum', (x, d, k) => x.sum(d, k), sum],
      ['mean', (x, d, k) => x.mean(d, k), mean],
      ['amax', (x, d, k) => x.amax(d, k), (v) => Math.max(...v)],
      ['amin', (x, d, k) => x.amin(d, k), (v) => Math.min(...v)],
      ['logsumexp', (x, d, k) => x.logsumexp(d, k), lse],
      ['std', (x, d, k) => x.std(d, k), (v) => Math.sqrt(variance(1)(v))],
      ['var', (x, d, k) => x.var(d, k), variance(1)],
      ['norm', (x, d, k) => x.norm(2, d, k), pnorm(2)],
    ];
    for (const [name, op, f] of ops) {
      test(`${name} dims [0, 2]`, () => {
        for (const keep of [false, true]) {
          const ref = reduceRef(DATA, SHAPE, [0, 2], keep, f);
          const r = op(X(), [0, 2], keep);
          assertMeta(r, ref.shape, 'float64');
          assertClose(r, ref.data, tol);
        }
      });
    }
    test('amax()/amin() with no dims reduce everything; sum over [] reduces everything (1.13)', () => {
      assert.equal(X().amax().item(), Math.max(...DATA));
      assert.equal(X().amin().item(), Math.min(...DATA));
      assertClose(X().sum([]), [sum(DATA)], tol);
      assertClose(X().mean([0, 1, 2]), [mean(DATA)], tol);
      assertClose(X().sum([-1, 0], true), reduceRef(DATA, SHAPE, [2, 0], true, sum).data, tol);
    });
  },
);

describe('max/min/argmax/argmin', () => {
  test('max()/min() of all elements', () => {
    assert.equal(X().max().item(), Math.max(...DATA));
    assert.equal(X().min().item(), Math.min(...DATA));
  });

  for (const dim of [0, 1, 2, -2]) {
    for (const keep of [false, true]) {
      test(`max/min(dim=${dim}, keepdim=${keep}) give values and indices`, () => {
        const argOf = (better: (a: number, b: number) => boolean) => (v: number[]) =>
          v.reduce((bi, x, i) => (better(x, v[bi]!) ? i : bi), 0);
        const [mv, mi] = X().max(dim, keep);
        const rv = reduceRef(DATA, SHAPE, [dim], keep, (v) => Math.max(...v));
        assertMeta(mv, rv.shape, 'float64');
        assertMeta(mi, rv.shape, 'int64');
        assertClose(mv, rv.data, { rtol: 0, atol: 0 });
        assert.deepEqual(flat(mi), reduceRef(DATA, SHAPE, [dim], keep, argOf((a, b) => a > b)).data);
        assert.deepEqual(flat(X().argmax(dim, keep)), flat(mi));
        const [nv, ni] = X().min(dim, keep);
        assertClose(nv, reduceRef(DATA, SHAPE, [dim], keep, (v) => Math.min(...v)).data, { rtol: 0, atol: 0 });
        assert.deepEqual(flat(ni), reduceRef(DATA, SHAPE, [dim], keep, argOf((a, b) => a < b)).data);
        assert.deepEqual(flat(X().argmin(dim, keep)), flat(ni));
      });
    }
  }

  test('argmax/argmin with no dim index the flattened tensor', () => {
    assert.equal(X().argmax().item(), DATA.indexOf(Math.max(...DATA)));
    assert.equal(X().argmin().item(), DATA.indexOf(Math.min(...DATA)));
    assertMeta(X().argmax(), [], 'int64');
  });

  test('a reduction dim out of range is libtorch\'s IndexError', () => {
    assertThrowsMsg(() => X().sum(3), RangeError, 'Dimension out of range (expected to be in range of [-3, 2], but got 3)');
  });
});

describe('topk / sort / argsort', () => {
  test('topk largest and smallest along the last dim', () => {
    const rows = [[3, 1, 4, 1.5, 9], [2, 7, 1, 8, 2.5]];
    const x = t64(rows.flat(), [2, 5]);
    const [v, i] = x.topk(3);
    assert.deepEqual(v.toArray(), rows.map((r) => [...r].sort((a, b) => b - a).slice(0, 3)));
    assert.deepEqual(i.toArray(), rows.map((r) => [...r].sort((a, b) => b - a).slice(0, 3).map((val) => r.indexOf(val))));
    assertMeta(i, [2, 3], 'int64');
    const [sv] = x.topk(2, -1, false);
    assert.deepEqual(sv.toArray(), rows.map((r) => [...r].sort((a, b) => a - b).slice(0, 2)));
    const [cv, ci] = x.topk(1, 0);
    assert.deepEqual(cv.toArray(), [[3, 7, 4, 8, 9]]);
    assert.deepEqual(ci.toArray(), [[0, 1, 0, 1, 0]]);
  });

  test('topk k larger than the dim is libtorch\'s error', () => {
    assertThrowsMsg(() => torch.ones([3]).topk(4), Error, /selected index k out of range|k \(4\) is too big/);
  });

  test('sort / argsort, ascending and descending, gathering back', () => {
    const x = X();
    for (const desc of [false, true]) {
      const [v, i] = x.sort(1, desc);
      const back = x.gather(1, i);
      assert.deepEqual(flat(back), flat(v));
      const vt = v.toArray() as number[][][];
      for (const plane of vt) {
        for (let c = 0; c < 5; c++) {
          for (let r = 1; r < 4; r++) {
            const ok = desc ? plane[r - 1]![c]! >= plane[r]![c]! : plane[r - 1]![c]! <= plane[r]![c]!;
            assert.ok(ok, 'sorted');
          }
        }
      }
      assert.deepEqual(flat(x.argsort(1, desc)), flat(i));
    }
  });
});
