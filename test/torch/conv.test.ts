// Convolutions and transposed convolutions against direct float64 loops in JS (tiny shapes).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, assertClose, assertMeta, randArray, t64, prod, convRef, convTransposeRef, assertThrowsMsg, type ConvRefOptions } from './helpers.js';

const F = torch.F;
const tol = { rtol: 1e-11, atol: 1e-12 };

interface Case {
  x: number[];
  w: number[];
  bias?: boolean;
  o?: ConvRefOptions;
}

function runConv(nd: 1 | 2 | 3, c: Case, seed: number): void {
  const x = randArray(prod(c.x), seed);
  const w = randArray(prod(c.w), seed + 1);
  const b = c.bias ? randArray(c.w[0]!, seed + 2) : undefined;
  const ref = convRef(x, c.x, w, c.w, b, c.o);
  const fn = [F.conv1d, F.conv2d, F.conv3d][nd - 1]!;
  const out = fn(t64(x, c.x), t64(w, c.w), b ? t64(b, [b.length]) : undefined, c.o);
  assertMeta(out, ref.shape, 'float64');
  assertClose(out, ref.data, tol);
}

function runConvT(nd: 1 | 2 | 3, c: Case & { o?: ConvRefOptions & { outputPadding?: number | number[] } }, seed: number): void {
  const x = randArray(prod(c.x), seed);
  const w = randArray(prod(c.w), seed + 1);
  const g = c.o?.groups ?? 1;
  const b = c.bias ? randArray(c.w[1]! * g, seed + 2) : undefined;
  const ref = convTransposeRef(x, c.x, w, c.w, b, c.o);
  const fn = [F.convTranspose1d, F.convTranspose2d, F.convTranspose3d][nd - 1]!;
  const out = fn(t64(x, c.x), t64(w, c.w), b ? t64(b, [b.length]) : undefined, c.o);
  assertMeta(out, ref.shape, 'float64');
  assertClose(out, ref.data, tol);
}

describe('conv1d', () => {
  const cases: [string, Case][] = [
    ['plain', { x: [2, 3, 7], w: [4, 3, 3] }],
    ['bias', { x: [1, 2, 5], w: [3, 2, 2], bias: true }],
    ['stride 2 padding 1', { x: [1, 2, 8], w: [2, 2, 3], bias: true, o: { stride: 2, padding: 1 } }],
    ['dilation 2', { x: [1, 1, 9], w: [2, 1, 3], o: { dilation: 2 } }],
    ['groups 2', { x: [2, 4, 6], w: [6, 2, 3], bias: true, o: { groups: 2 } }],
    ['depthwise', { x: [1, 3, 6], w: [3, 1, 2], o: { groups: 3, padding: 1 } }],
  ];
  cases.forEach(([name, c], i) => test(name, () => runConv(1, c, 100 + i * 7)));
});

describe('conv2d', () => {
  const cases: [string, Case][] = [
    ['plain', { x: [2, 2, 5, 4], w: [3, 2, 3, 2] }],
    ['bias, stride (2, 1), padding (1, 2)', { x: [1, 3, 6, 5], w: [2, 3, 3, 3], bias: true, o: { stride: [2, 1], padding: [1, 2] } }],
    ['dilation 2', { x: [1, 1, 7, 7], w: [1, 1, 3, 3], o: { dilation: 2 } }],
    ['groups 2 with stride 2', { x: [1, 4, 5, 5], w: [4, 2, 2, 2], bias: true, o: { groups: 2, stride: 2 } }],
    ['1x1 kernel', { x: [2, 3, 2, 2], w: [5, 3, 1, 1], bias: true }],
  ];
  cases.forEach(([name, c], i) => test(name, () => runConv(2, c, 200 + i * 7)));

  test('a 2x2 example by hand', () => {
    const x = t64([1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 1, 3, 3]);
    const w = t64([1, 0, 0, -1], [1, 1, 2, 2]);
    assert.deepEqual(F.conv2d(x, w).toArray(), [[[[1 - 5, 2 - 6], [4 - 8, 5 - 9]]]]);
  });

  test('channel mismatch is libtorch\'s error', () => {
    assertThrowsMsg(
      () => F.conv2d(torch.ones([1, 3, 4, 4]), torch.ones([2, 2, 3, 3])),
      Error,
      'expected input[1, 3, 4, 4] to have 2 channels, but got 3 channels instead',
    );
  });
});

describe('conv3d', () => {
  const cases: [string, Case][] = [
    ['plain', { x: [1, 2, 4, 3, 3], w: [2, 2, 2, 2, 2] }],
    ['bias, stride 2, padding 1', { x: [1, 1, 5, 4, 4], w: [3, 1, 3, 3, 3], bias: true, o: { stride: 2, padding: 1 } }],
    ['groups and dilation', { x: [2, 2, 5, 5, 5], w: [2, 1, 2, 2, 2], o: { groups: 2, dilation: [2, 1, 2] } }],
  ];
  cases.forEach(([name, c], i) => test(name, () => runConv(3, c, 300 + i * 7)));
});

describe('transposed convolutions', () => {
  test('convTranspose1d: plain, stride/padding/outputPadding, groups', () => {
    runConvT(1, { x: [1, 2, 4], w: [2, 3, 3] }, 400);
    runConvT(1, { x: [2, 2, 5], w: [2, 3, 3], bias: true, o: { stride: 2, padding: 1, outputPadding: 1 } }, 401);
    runConvT(1, { x: [1, 4, 3], w: [4, 1, 2], bias: true, o: { groups: 2, dilation: 2 } }, 402);
  });

  test('convTranspose2d: plain, stride 2, padding, outputPadding, groups', () => {
    runConvT(2, { x: [1, 2, 3, 3], w: [2, 2, 2, 2] }, 410);
    runConvT(2, { x: [1, 2, 3, 4], w: [2, 3, 3, 3], bias: true, o: { stride: 2, padding: 1, outputPadding: [1, 0] } }, 411);
    runConvT(2, { x: [2, 4, 2, 2], w: [4, 1, 3, 2], bias: true, o: { groups: 2, stride: [1, 2] } }, 412);
  });

  test('convTranspose3d: plain and strided', () => {
    runConvT(3, { x: [1, 2, 2, 2, 3], w: [2, 2, 2, 2, 2] }, 420);
    runConvT(3, { x: [1, 1, 3, 2, 2], w: [1, 2, 3, 2, 2], bias: true, o: { stride: 2, padding: 1, outputPadding: 1 } }, 421);
  });

  test('transposed conv is the adjoint of conv: <conv(x), y> = <x, convT(y)>', () => {
    const x = t64(randArray(1 * 2 * 5 * 5, 430), [1, 2, 5, 5]);
    const w = t64(randArray(3 * 2 * 3 * 3, 431), [3, 2, 3, 3]);
    const cx = F.conv2d(x, w, undefined, { stride: 2, padding: 1 });
    const y = t64(randArray(cx.numel, 432), cx.shape);
    const lhs = cx.mul(y).sum().item() as number;
    const ty = F.convTranspose2d(y, w, undefined, { stride: 2, padding: 1 });
    assert.deepEqual(ty.shape, x.shape);
    const rhs = x.mul(ty).sum().item() as number;
    assert.ok(Math.abs(lhs - rhs) < 1e-10 * Math.max(1, Math.abs(lhs)), `${lhs} vs ${rhs}`);
  });
});

describe('float32 convolutions', () => {
  test('conv2d in float32 agrees with the float64 reference to float32 precision', () => {
    const xs = [2, 3, 8, 8];
    const ws = [4, 3, 3, 3];
    const x = randArray(prod(xs), 500);
    const w = randArray(prod(ws), 501);
    const ref = convRef(x, xs, w, ws, undefined, { padding: 1 });
    const out = F.conv2d(torch.tensor(x, { dtype: 'float32' }).view(xs), torch.tensor(w, { dtype: 'float32' }).view(ws), undefined, { padding: 1 });
    assert.equal(out.dtype, 'float32');
    assertClose(out, ref.data, { rtol: 1e-4, atol: 1e-5 });
  });
});
