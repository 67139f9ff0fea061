// Shared helpers for the tensor-core tests: value comparison, deterministic JS-side random data,
// float64 reference implementations and a finite-difference gradient checker.
import assert from 'node:assert/strict';
import { torch } from '../../src/index.js';

export { torch };
export type Tensor = torch.Tensor;
export type NestedArray = torch.NestedArray;

/** The elements of a tensor (or nested array, or number) as a flat array of JS numbers. */
export function flat(x: Tensor | NestedArray | ArrayLike<number> | ArrayLike<bigint>): number[] {
  if (x instanceof torch.Tensor) return Array.from(x.toTypedArray() as ArrayLike<number | bigint>, (v) => Number(v));
  if (typeof x === 'number') return [x];
  if (typeof x === 'boolean') return [x ? 1 : 0];
  if (Array.isArray(x)) return (x as NestedArray[]).flatMap((v) => flat(v));
  return Array.from(x as ArrayLike<number | bigint>, (v) => Number(v));
}

export interface CloseOptions {
  rtol?: number;
  atol?: number;
  msg?: string;
}

/**
 * Asserts elementwise |a - e| <= atol + rtol * |e| (NaN matches NaN, infinities must be equal).
 * `actual` may be a tensor; `expected` a flat or nested array or a number.
 */
export function assertClose(
  actual: Tensor | NestedArray | ArrayLike<number>,
  expected: NestedArray | ArrayLike<number>,
  { rtol = 1e-5, atol = 1e-6, msg = '' }: CloseOptions = {},
): void {
  const a = flat(actual);
  const e = flat(expected as NestedArray);
  assert.equal(a.length, e.length, `${msg} length ${a.length} != expected ${e.length}`);
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = e[i]!;
    if (Number.isNaN(y)) {
      assert.ok(Number.isNaN(x), `${msg} [${i}]: got ${x}, expected NaN`);
      continue;
    }
    if (!Number.isFinite(y)) {
      assert.equal(x, y, `${msg} [${i}]: got ${x}, expected ${y}`);
      continue;
    }
    const tol = atol + rtol * Math.abs(y);
    if (!(Math.abs(x - y) <= tol)) {
      assert.fail(`${msg} [${i}]: got ${x}, expected ${y} (|diff| ${Math.abs(x - y)} > tol ${tol})`);
    }
  }
}

/** Asserts a tensor's shape and dtype. */
export function assertMeta(t: Tensor, shape: readonly number[], dtype?: torch.DType): void {
  assert.deepEqual(t.shape, [...shape]);
  if (dtype !== undefined) assert.equal(t.dtype, dtype);
}

/** A small deterministic PRNG (mulberry32) for test data made in JavaScript. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` values uniform in [lo, hi) from a seeded PRNG. */
export function randArray(n: number, seed: number, lo = -1, hi = 1): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => lo + (hi - lo) * r());
}

export const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** A float64 tensor of the given shape from flat data. */
export function t64(data: readonly number[], shape: readonly number[], requiresGrad = false): Tensor {
  assert.equal(data.length, prod(shape), 't64: data length does not match the shape');
  return torch.fromBuffer(Float64Array.from(data), 'float64', shape).clone().requiresGrad_(requiresGrad);
}

/** A float32 tensor of the given shape from flat data. */
export function t32(data: readonly number[], shape: readonly number[]): Tensor {
  assert.equal(data.length, prod(shape), 't32: data length does not match the shape');
  return torch.fromBuffer(Float32Array.from(data), 'float32', shape).clone();
}

/** Row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Calls fn with every multi-index of `shape` in row-major order. */
export function forEachIndex(shape: readonly number[], fn: (idx: number[]) => void): void {
  const n = prod(shape);
  const idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    fn(idx.slice());
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++idx[d]! < shape[d]!) break;
      idx[d] = 0;
    }
  }
}

export const tuple = (v: number | readonly number[], n: number): number[] =>
  typeof v === 'number' ? new Array<number>(n).fill(v) : [...v];

export interface ConvRefOptions {
  stride?: number | number[];
  padding?: number | number[];
  dilation?: number | number[];
  groups?: number;
}

/** N-d convolution (cross-correlation) in float64: input [N, C, ...], weight [O, C/g, ...k]. */
export function convRef(
  x: readonly number[],
  xShape: readonly number[],
  w: readonly number[],
  wShape: readonly number[],
  bias: readonly number[] | undefined,
  o: ConvRefOptions = {},
): { data: number[]; shape: number[] } {
  const nd = xShape.length - 2;
  const [N, C] = xShape as [number, number];
  const O = wShape[0]!;
  const g = o.groups ?? 1;
  const cg = C / g;
  const og = O / g;
  const stride = tuple(o.stride ?? 1, nd);
  const pad = tuple(o.padding ?? 0, nd);
  const dil = tuple(o.dilation ?? 1, nd);
  const inSp = xShape.slice(2);
  const kSp = wShape.slice(2);
  const outSp = inSp.map((n, d) => Math.floor((n + 2 * pad[d]! - dil[d]! * (kSp[d]! - 1) - 1) / stride[d]!) + 1);
  const outShape = [N, O, ...outSp];
  const xs = stridesOf(xShape);
  const ws = stridesOf(wShape);
  const out: number[] = [];
  forEachIndex(outShape, ([n, oc, ...p]) => {
    const grp = Math.floor(oc! / og);
    let acc = bias ? bias[oc!]! : 0;
    for (let ci = 0; ci < cg; ci++) {
      const c = grp * cg + ci;
      forEachIndex(kSp, (k) => {
        let xo = n! * xs[0]! + c * xs[1]!;
        for (let d = 0; d < nd; d++) {
          const pos = p[d]! * stride[d]! - pad[d]! + k[d]! * dil[d]!;
          if (pos < 0 || pos >= inSp[d]!) return;
          xo += pos * xs[d + 2]!;
        }
        let wo = oc! * ws[0]! + ci * ws[1]!;
        for (let d = 0; d < nd; d++) wo += k[d]! * ws[d + 2]!;
        acc += x[xo]! * w[wo]!;
      });
    }
    out.push(acc);
  });
  return { data: out, shape: outShape };
}

/** N-d transposed convolution in float64: input [N, C, ...], weight [C, O/g, ...k]. */
export function convTransposeRef(
  x: readonly number[],
  xShape: readonly number[],
  w: readonly number[],
  wShape: readonly number[],
  bias: readonly number[] | undefined,
  o: ConvRefOptions & { outputPadding?: number | number[] } = {},
): { data: number[]; shape: number[] } {
  const nd = xShape.length - 2;
  const [N, C] = xShape as [number, number];
  const g = o.groups ?? 1;
  const og = wShape[1]!;
  const O = og * g;
  const cg = C / g;
  const stride = tuple(o.stride ?? 1, nd);
  const pad = tuple(o.padding ?? 0, nd);
  const dil = tuple(o.dilation ?? 1, nd);
  const opad = tuple(o.outputPadding ?? 0, nd);
  const inSp = xShape.slice(2);
  const kSp = wShape.slice(2);
  const outSp = inSp.map((n, d) => (n - 1) * stride[d]! - 2 * pad[d]! + dil[d]! * (kSp[d]! - 1) + opad[d]! + 1);
  const outShape = [N, O, ...outSp];
  const os = stridesOf(outShape);
  const out = new Array<number>(prod(outShape)).fill(0);
  if (bias) forEachIndex(outShape, (i) => (out[i.reduce((a, v, d) => a + v * os[d]!, 0)] = bias[i[1]!]!));
  const xs = stridesOf(xShape);
  const ws = stridesOf(wShape);
  forEachIndex(xShape, ([n, c, ...p]) => {
    const grp = Math.floor(c! / cg);
    const xv = x[n! * xs[0]! + c! * xs[1]! + p.reduce((a, v, d) => a + v * xs[d + 2]!, 0)]!;
    for (let oi = 0; oi < og; oi++) {
      const oc = grp * og + oi;
      forEachIndex(kSp, (k) => {
        let oo = n! * os[0]! + oc * os[1]!;
        for (let d = 0; d < nd; d++) {
          const pos = p[d]! * stride[d]! - pad[d]! + k[d]! * dil[d]!;
          if (pos < 0 || pos >= outSp[d]!) return;
          oo += pos * os[d + 2]!;
        }
        let wo = c! * ws[0]! + oi * ws[1]!;
        for (let d = 0; d < nd; d++) wo += k[d]! * ws[d + 2]!;
        out[oo]! += xv * w[wo]!;
      });
    }
  });
  return { data: out, shape: outShape };
}

/** erf in float64 (series for |x| < 3, continued fraction for the tail); error below 1e-14. */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200; n++) {
      term *= (-x * x) / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...)))) (Lentz-free backward form)
  let f = 0;
  for (let n = 60; n >= 1; n--) f = n / 2 / (ax + f);
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / (ax + f);
  return Math.sign(x) * (1 - erfc);
}

export interface GradcheckOptions {
  eps?: number;
  rtol?: number;
  atol?: number;
  seed?: number;
}

/**
 * Central finite-difference gradient check in float64. `inputs` are float64 tensors; every one
 * that requires grad is checked. `fn` may return any shape (or a complex tensor: pass a function
 * that takes abs or viewAsReal); the output is reduced to a scalar by a fixed random weighting,
 * so every output element contributes. Returns the largest relative error seen.
 */
export function gradcheck(fn: (...xs: Tensor[]) => Tensor, inputs: Tensor[], o: GradcheckOptions = {}): number {
  const eps = o.eps ?? 1e-6;
  const rtol = o.rtol ?? 1e-6;
  const atol = o.atol ?? 1e-7;
  for (const x of inputs) assert.equal(x.dtype, 'float64', 'gradcheck: inputs must be float64');
  return torch.tidy(() => {
    const checked = inputs.filter((x) => x.requiresGrad);
    assert.ok(checked.length > 0, 'gradcheck: no input requires grad');
    const probe = torch.noGrad(() => fn(...inputs));
    assert.equal(probe.dtype, 'float64', `gradcheck: fn must return float64, got ${probe.dtype}`);
    const weights = t64(randArray(probe.numel, o.seed ?? 12345, 0.5, 1.5), probe.shape);
    const objective = (): number => torch.tidy(() => torch.noGrad(() => fn(...inputs).mul(weights).sum().item() as number));
    // Analytical gradients.
    const out = fn(...inputs);
    const loss = out.mul(weights).sum();
    const grads = torch.autograd.grad(loss, checked, { allowUnused: true });
    let worst = 0;
    checked.forEach((x, k) => {
      const analytic = grads[k] ? flat(grads[k]!) : new Array<number>(x.numel).fill(0);
      const n = x.numel;
      const numeric = new Array<number>(n);
      // Perturb in place through a flat view of the leaf's data (no autograd recording).
      const data = x.detach().view(-1);
      const base = flat(data);
      for (let i = 0; i < n; i++) {
        const orig = base[i]!;
        data.indexPut_([i], orig + eps);
        const fp = objective();
        data.indexPut_([i], orig - eps);
        const fm = objective();
        data.indexPut_([i], orig);
        numeric[i] = (fp - fm) / (2 * eps);
      }
      for (let i = 0; i < n; i++) {
        const a = analytic[i]!;
        const e = numeric[i]!;
        const err = Math.abs(a - e);
        worst = Math.max(worst, err / Math.max(Math.abs(e), 1e-12));
        if (!(err <= atol + rtol * Math.abs(e))) {
          assert.fail(`gradcheck: input ${inputs.indexOf(x)} element ${i}: analytical ${a} vs numerical ${e} (|diff| ${err})`);
        }
      }
    });
    return worst;
  });
}

/** Checks that `fn` leaves the number of live native tensors unchanged. */
export function assertNoLeak<T>(fn: () => T, msg = ''): T {
  const before = torch.memory.liveTensors();
  const r = fn();
  const after = torch.memory.liveTensors();
  assert.equal(after - before, 0, `${msg} leaked ${after - before} tensor handle(s)`);
  return r;
}

/** Expects `fn` to throw an error of class `cls` whose message matches `re`. */
export function assertThrowsMsg(fn: () => unknown, cls: new (...a: never[]) => Error, re: RegExp | string): Error {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught !== undefined, 'expected an error, none was thrown');
  assert.ok(caught instanceof cls, `expected ${cls.name}, got ${(caught as Error)?.constructor?.name}: ${(caught as Error)?.message}`);
  const m = (caught as Error).message;
  if (typeof re === 'string') assert.ok(m.includes(re), `message ${JSON.stringify(m)} does not include ${JSON.stringify(re)}`);
  else assert.match(m, re);
  return caught as Error;
}
