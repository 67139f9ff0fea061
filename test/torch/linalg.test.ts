// matmul / mm / bmm / dot / outer / einsum against float64 loops in JS.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, assertClose, assertMeta, randArray, t64, forEachIndex, stridesOf, prod, assertThrowsMsg } from './helpers.js';

/** Batched matrix product with broadcasting of batch dims: a [..., n, k] @ b [..., k, m]. */
function matmulRef(a: number[], as: number[], b: number[], bs: number[]): { data: number[]; shape: number[] } {
  const [n, k] = as.slice(-2) as [number, number];
  const [k2, m] = bs.slice(-2) as [number, number];
  assert.equal(k, k2);
  const ba = as.slice(0, -2);
  const bb = bs.slice(0, -2);
  const nd = Math.max(ba.length, bb.length);
  const pa = [...new Array<number>(nd - ba.length).fill(1), ...ba];
  const pb = [...new Array<number>(nd - bb.length).fill(1), ...bb];
  const batch = pa.map((x, i) => Math.max(x, pb[i]!));
  const sa = stridesOf(pa);
  const sb = stridesOf(pb);
  const out: number[] = [];
  forEachIndex(batch, (idx) => {
    const oa = idx.reduce((s, v, d) => s + (pa[d] === 1 ? 0 : v) * sa[d]!, 0) * n * k;
    const ob = idx.reduce((s, v, d) => s + (pb[d] === 1 ? 0 : v) * sb[d]!, 0) * k * m;
    for (let i = 0; i < n; i++)
      for (let j = 0; j < m; j++) {
        let acc = 0;
        for (let l = 0; l < k; l++) acc += a[oa + i * k + l]! * b[ob + l * m + j]!;
        out.push(acc);
      }
  });
  return { data: out, shape: [...batch, n, m] };
}

const tol = { rtol: 1e-12, atol: 1e-13 };

describe('matmul', () => {
  const cases: [number[], number[]][] = [
    [[3, 4], [4, 2]],
    [[1, 5], [5, 1]],
    [[2, 3, 4], [2, 4, 5]],
    [[2, 3, 4], [4, 5]],
    [[3, 4], [2, 4, 5]],
    [[2, 1, 3, 4], [3, 4, 2]],
  ];
  for (const [as, bs] of cases) {
    test(`[${as}] @ [${bs}]`, () => {
      const a = randArray(prod(as), 1);
      const b = randArray(prod(bs), 2);
      const ref = matmulRef(a, as, b, bs);
      const r = t64(a, as).matmul(t64(b, bs));
      assertMeta(r, ref.shape, 'float64');
      assertClose(r, ref.data, tol);
      assertClose(torch.matmul(t64(a, as), t64(b, bs)), ref.data, tol);
    });
  }

  test('vector cases: 1-D @ 1-D is a dot product, 1-D operands lose their dim', () => {
    const v = randArray(4, 3);
    const M = randArray(12, 4);
    const dot = t64(v, [4]).matmul(t64(v, [4]));
    assertMeta(dot, [], 'float64');
    assertClose(dot, [v.reduce((s, x) => s + x * x, 0)], tol);
    const vm = t64(v, [4]).matmul(t64(M, [4, 3]));
    assertMeta(vm, [3]);
    assertClose(vm, matmulRef(v, [1, 4], M, [4, 3]).data, tol);
    const mv = t64(M, [3, 4]).matmul(t64(v, [4]));
    assertMeta(mv, [3]);
    assertClose(mv, matmulRef(M, [3, 4], v, [4, 1]).data, tol);
  });

  test('float32 matmul agrees with float64 to float32 precision', () => {
    const a = randArray(64 * 32, 5);
    const b = randArray(32 * 16, 6);
    const r = torch.tensor(a, { dtype: 'float32' }).view(64, 32).matmul(torch.tensor(b, { dtype: 'float32' }).view(32, 16));
    assert.equal(r.dtype, 'float32');
    assertClose(r, matmulRef(a, [64, 32], b, [32, 16]).data, { rtol: 1e-4, atol: 1e-5 });
  });

  test('integer matmul is exact', () => {
    const r = torch.tensor([[1, 2], [3, 4]]).matmul(torch.tensor([[5, 6], [7, 8]]));
    assertMeta(r, [2, 2], 'int64');
    assert.deepEqual(r.toArray(), [[19, 22], [43, 50]]);
  });
});

describe('mm / bmm / dot / outer', () => {
  test('mm', () => {
    const a = randArray(6, 7);
    const b = randArray(12, 8);
    assertClose(t64(a, [2, 3]).mm(t64(b, [3, 4])), matmulRef(a, [2, 3], b, [3, 4]).data, tol);
  });

  test('mm shape error is PyTorch\'s message', () => {
    assertThrowsMsg(() => torch.ones([2, 3]).mm(torch.ones([2, 3])), Error, 'mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)');
  });

  test('bmm', () => {
    const a = randArray(2 * 3 * 4, 9);
    const b = randArray(2 * 4 * 2, 10);
    const r = t64(a, [2, 3, 4]).bmm(t64(b, [2, 4, 2]));
    assertMeta(r, [2, 3, 2], 'float64');
    assertClose(r, matmulRef(a, [2, 3, 4], b, [2, 4, 2]).data, tol);
    assertThrowsMsg(() => torch.ones([2, 3, 4]).bmm(torch.ones([3, 4, 2])), Error, 'Expected size for first two dimensions of batch2 tensor to be: [2, 4] but got: [3, 4].');
  });

  test('dot and outer', () => {
    const u = [1, 2, 3];
    const v = [4, -5, 6];
    assert.equal(t64(u, [3]).dot(t64(v, [3])).item(), 1 * 4 - 2 * 5 + 3 * 6);
    assert.deepEqual(t64(u, [3]).outer(t64([1, 10], [2])).toArray(), [[1, 10], [2, 20], [3, 30]]);
  });
});

describe('einsum', () => {
  const A = randArray(2 * 3 * 4, 11);
  const B = randArray(2 * 4 * 5, 12);
  test("'bij,bjk->bik' is bmm", () => {
    const r = torch.einsum('bij,bjk->bik', t64(A, [2, 3, 4]), t64(B, [2, 4, 5]));
    assertMeta(r, [2, 3, 5], 'float64');
    assertClose(r, matmulRef(A, [2, 3, 4], B, [2, 4, 5]).data, tol);
  });

  test("'ij,jk' (implicit output) is mm", () => {
    const a = A.slice(0, 12);
    const b = B.slice(0, 20);
    assertClose(torch.einsum('ij,jk', t64(a, [3, 4]), t64(b, [4, 5])), matmulRef(a, [3, 4], b, [4, 5]).data, tol);
  });

  test("trace 'ii->', transpose 'ij->ji', outer 'i,j->ij', sum 'ijk->'", () => {
    const m = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    assert.equal(torch.einsum('ii->', t64(m, [3, 3])).item(), 15);
    assert.deepEqual(torch.einsum('ij->ji', t64(m, [3, 3])).toArray(), [[1, 4, 7], [2, 5, 8], [3, 6, 9]]);
    assert.deepEqual(torch.einsum('i,j->ij', t64([1, 2], [2]), t64([3, 4, 5], [3])).toArray(), [[3, 4, 5], [6, 8, 10]]);
    assertClose(torch.einsum('ijk->', t64(A, [2, 3, 4])), [A.reduce((s, x) => s + x, 0)], tol);
  });

  test("attention scores 'bhqd,bhkd->bhqk' and a three-operand contraction", () => {
    const q = randArray(1 * 2 * 3 * 4, 13);
    const k = randArray(1 * 2 * 5 * 4, 14);
    const r = torch.einsum('bhqd,bhkd->bhqk', t64(q, [1, 2, 3, 4]), t64(k, [1, 2, 5, 4]));
    assertMeta(r, [1, 2, 3, 5]);
    const expected: number[] = [];
    forEachIndex([1, 2, 3, 5], ([, h, i, j]) => {
      let acc = 0;
      for (let d = 0; d < 4; d++) acc += q[h! * 12 + i! * 4 + d]! * k[h! * 20 + j! * 4 + d]!;
      expected.push(acc);
    });
    assertClose(r, expected, tol);
    const x = randArray(3, 15);
    const M = randArray(12, 16);
    const y = randArray(4, 17);
    let bil = 0;
    for (let i = 0; i < 3; i++) for (let j = 0; j < 4; j++) bil += x[i]! * M[i * 4 + j]! * y[j]!;
    assertClose(torch.einsum('i,ij,j->', t64(x, [3]), t64(M, [3, 4]), t64(y, [4])), [bil], tol);
  });

  test('einsum errors carry libtorch\'s message', () => {
    assertThrowsMsg(() => torch.einsum('ij,jk->ik', torch.ones([2, 3]), torch.ones([4, 5])), Error, /einsum\(\).*operand/);
  });
});
