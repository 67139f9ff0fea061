// Creating tensors: from JavaScript data, filled, ranges and random draws.
import * as aten from './aten.generated.js';
import { native } from './native.js';
import { type DType, dtypeCode, dtypeOfTypedArray, type AnyTypedArray } from './dtype.js';
import { Tensor, type Device, type Shape, type TensorOrScalar, type NestedArray, shapeArg } from './tensor.js';
import type { Generator } from './random.js';

export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

export interface RandomOptions extends TensorOptions {
  generator?: Generator;
}

function finish(t: Tensor, o: TensorOptions): Tensor {
  if (o.requiresGrad) t.requiresGrad_(true);
  return t;
}

function moveTo(t: Tensor, o: TensorOptions): Tensor {
  if (o.device === undefined || o.device === 'cpu') return finish(t, o);
  const moved = t.to({ device: o.device });
  t.dispose();
  return finish(moved, o);
}

const dt = (d: DType | undefined): number | undefined => (d === undefined ? undefined : dtypeCode(d));

type Data = NestedArray | readonly NestedArray[] | AnyTypedArray;

/**
 * A tensor from nested arrays, a number/boolean, or a typed array (copied). Like torch.tensor:
 * integers give int64, other numbers float32, booleans bool, unless `dtype` says otherwise.
 */
export function tensor(data: Data, options: TensorOptions = {}): Tensor {
  if (ArrayBuffer.isView(data)) {
    const src = dtypeOfTypedArray(data);
    let t = new Tensor(native.fromBuffer(data, dtypeCode(src), [data.length], false));
    if (options.dtype && options.dtype !== src) {
      const c = t.to({ dtype: options.dtype });
      t.dispose();
      t = c;
    }
    return moveTo(t, options);
  }
  const shape: number[] = [];
  const flat: (number | boolean)[] = [];
  flatten(data as NestedArray, 0, shape, flat);
  let kind: DType = 'int64';
  if (flat.length && flat.every((v) => typeof v === 'boolean')) kind = 'bool';
  else if (flat.some((v) => typeof v === 'boolean')) throw new TypeError('tensor(): cannot mix booleans and numbers');
  else if (flat.some((v) => !Number.isInteger(v))) kind = 'float32';
  if (!flat.length) kind = 'float32';
  const target = options.dtype ?? kind;
  let buf: AnyTypedArray;
  let srcType: DType;
  if (kind === 'bool') {
    buf = Uint8Array.from(flat as boolean[], (b) => (b ? 1 : 0));
    srcType = 'bool';
  } else if (kind === 'int64' && (target === 'int64' || !options.dtype)) {
    buf = BigInt64Array.from(flat as number[], (v) => BigInt(v));
    srcType = 'int64';
  } else {
    buf = Float64Array.from(flat as number[]);
    srcType = 'float64';
  }
  let t = new Tensor(native.fromBuffer(buf, dtypeCode(srcType), shape, false));
  if (srcType !== target) {
    const c = t.to({ dtype: target });
    t.dispose();
    t = c;
  }
  return moveTo(t, options);
}

// The shape comes from the first element at each depth; every other element must agree, as
// torch.tensor requires ("expected sequence of length ...").
function flatten(v: NestedArray, depth: number, shape: number[], out: (number | boolean)[], leafDepth = { d: -1 }): void {
  if (Array.isArray(v)) {
    if (leafDepth.d >= 0 && depth >= leafDepth.d) throw new RangeError(`tensor(): nested arrays are ragged (a sequence at dim ${depth} where numbers were found)`);
    if (shape.length <= depth) shape.push(v.length);
    else if (shape[depth] !== v.length) {
      throw new RangeError(`tensor(): expected sequence of length ${shape[depth]} at dim ${depth} (got ${v.length})`);
    }
    for (const e of v) flatten(e, depth + 1, shape, out, leafDepth);
  } else {
    if (leafDepth.d < 0) leafDepth.d = depth;
    if (depth !== leafDepth.d || depth !== shape.length) throw new RangeError(`tensor(): nested arrays are ragged (a number at dim ${depth})`);
    if (typeof v !== 'number' && typeof v !== 'boolean') throw new TypeError(`tensor(): cannot make a tensor from ${typeof v}`);
    out.push(v);
  }
}

/**
 * A CPU tensor over a buffer's memory without copying: writes through either side are visible
 * to the other. The buffer must not be transferred (postMessage) or detached while the tensor lives.
 */
export function fromBuffer(buffer: ArrayBuffer | ArrayBufferView, dtype: DType, shape: Shape): Tensor {
  return new Tensor(native.fromBuffer(buffer, dtypeCode(dtype), shape, true));
}

export function empty(shape: Shape, o: TensorOptions = {}): Tensor {
  return finish(new Tensor(aten.empty_memory_format(shape, dt(o.dtype), undefined, o.device)), o);
}
export function zeros(shape: Shape, o: TensorOptions = {}): Tensor {
  return finish(new Tensor(aten.zeros(shape, dt(o.dtype), undefined, o.device)), o);
}
export function ones(shape: Shape, o: TensorOptions = {}): Tensor {
  return finish(new Tensor(aten.ones(shape, dt(o.dtype), undefined, o.device)), o);
}
export function full(shape: Shape, value: number | boolean, o: TensorOptions = {}): Tensor {
  const d = o.dtype ?? (typeof value === 'boolean' ? 'bool' : Number.isInteger(value) ? 'int64' : 'float32');
  return finish(new Tensor(aten.full(shape, value, dtypeCode(d), undefined, o.device)), o);
}
/** Values from `start` to `end` (excluded) by `step`; `arange(n)` counts from 0. */
export function arange(startOrEnd: number, end?: number, step = 1, o: TensorOptions = {}): Tensor {
  const [s, e] = end === undefined ? [0, startOrEnd] : [startOrEnd, end];
  return finish(new Tensor(aten.arange_start_step(s, e, step, dt(o.dtype), undefined, o.device)), o);
}
export function linspace(start: number, end: number, steps: number, o: TensorOptions = {}): Tensor {
  return finish(new Tensor(aten.linspace(start, end, steps, dt(o.dtype), undefined, o.device)), o);
}
export function eye(n: number, m: number = n, o: TensorOptions = {}): Tensor {
  return finish(new Tensor(aten.eye_m(n, m, dt(o.dtype), undefined, o.device)), o);
}
/** Uniform draws in [0, 1). */
export function rand(shape: Shape, o: RandomOptions = {}): Tensor {
  return finish(new Tensor(aten.rand_generator(shape, o.generator?.handle, dt(o.dtype), undefined, o.device)), o);
}
/** Standard normal draws. */
export function randn(shape: Shape, o: RandomOptions = {}): Tensor {
  return finish(new Tensor(aten.randn_generator(shape, o.generator?.handle, dt(o.dtype), undefined, o.device)), o);
}
/** Integers uniform in [low, high). */
export function randint(low: number, high: number, shape: Shape, o: RandomOptions = {}): Tensor {
  return finish(new Tensor(aten.randint_low_generator(low, high, shape, o.generator?.handle, dt(o.dtype), undefined, o.device)), o);
}
/** A random permutation of 0..n-1. */
export function randperm(n: number, o: RandomOptions = {}): Tensor {
  return finish(new Tensor(aten.randperm_generator(n, o.generator?.handle, dt(o.dtype ?? 'int64'), undefined, o.device)), o);
}
export function normal(mean: number, std: number, shape: Shape, o: RandomOptions = {}): Tensor {
  return finish(new Tensor(aten.normal_float_float(mean, std, shape, o.generator?.handle, dt(o.dtype), undefined, o.device)), o);
}
export function multinomial(probs: Tensor, numSamples: number, replacement = false, generator?: Generator): Tensor {
  return new Tensor(aten.multinomial(probs.handle, numSamples, replacement, generator?.handle));
}
export function bernoulli(input: Tensor, p: number, generator?: Generator): Tensor {
  return new Tensor(aten.bernoulli_p(input.handle, p, generator?.handle));
}

export function emptyLike(t: Tensor, o: TensorOptions = {}): Tensor {
  return finish(new Tensor(aten.empty_like(t.handle, dt(o.dtype), undefined, o.device)), o);
}
export function zerosLike(t: Tensor, o: TensorOptions = {}): Tensor {
  return finish(new Tensor(aten.zeros_like(t.handle, dt(o.dtype), undefined, o.device)), o);
}
export function onesLike(t: Tensor, o: TensorOptions = {}): Tensor {
  return finish(new Tensor(aten.ones_like(t.handle, dt(o.dtype), undefined, o.device)), o);
}
export function fullLike(t: Tensor, value: number | boolean, o: TensorOptions = {}): Tensor {
  return finish(new Tensor(aten.full_like(t.handle, value, dt(o.dtype), undefined, o.device)), o);
}
export function randLike(t: Tensor, o: TensorOptions = {}): Tensor {
  return finish(new Tensor(aten.rand_like(t.handle, dt(o.dtype), undefined, o.device)), o);
}
export function randnLike(t: Tensor, o: TensorOptions = {}): Tensor {
  return finish(new Tensor(aten.randn_like(t.handle, dt(o.dtype), undefined, o.device)), o);
}
export function randintLike(t: Tensor, low: number, high: number, o: TensorOptions = {}): Tensor {
  return finish(new Tensor(aten.randint_like_low_dtype(t.handle, low, high, dt(o.dtype), undefined, o.device)), o);
}
/** A 0-d tensor. */
export function scalarTensor(v: number | boolean, o: TensorOptions = {}): Tensor {
  return finish(new Tensor(aten.scalar_tensor(v, dt(o.dtype), undefined, o.device)), o);
}

// ---- joins and multi-tensor functions ----
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(aten.cat(tensors.map((t) => t.handle), dim));
}
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  return new Tensor(aten.stack(tensors.map((t) => t.handle), dim));
}
/** Elementwise `condition ? x : y`. */
/** Elementwise `condition ? x : y`, with PyTorch's promotion of scalar branches. */
export function where(condition: Tensor, x: TensorOrScalar, y: TensorOrScalar): Tensor {
  if (x instanceof Tensor && y instanceof Tensor) return new Tensor(aten.where_self(condition.handle, x.handle, y.handle));
  if (x instanceof Tensor) return new Tensor(aten.where_ScalarOther(condition.handle, x.handle, y as number | boolean));
  if (y instanceof Tensor) return new Tensor(aten.where_ScalarSelf(condition.handle, x, y.handle));
  return new Tensor(aten.where_Scalar(condition.handle, x, y));
}
/** Einstein summation, e.g. einsum('bij,bjk->bik', a, b). */
export function einsum(equation: string, ...operands: Tensor[]): Tensor {
  return new Tensor(aten.einsum(equation, operands.map((t) => t.handle)));
}
export function matmul(a: Tensor, b: Tensor): Tensor {
  return a.matmul(b);
}

export { shapeArg };
