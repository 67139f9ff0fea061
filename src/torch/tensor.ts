// The Tensor: a handle to a libtorch tensor with PyTorch's methods (camelCase). Every operation
// runs in libtorch through the generated aten wrappers.
import * as aten from './aten.generated.js';
import { native, type TensorHandle } from './native.js';
import { type DType, dtypeCode, dtypeName, typedArrayFromBuffer, type AnyTypedArray } from './dtype.js';
import { track, tidy, type Disposable } from './scope.js';
import { parseIndex, type IndexItem } from './indexing.js';

export type Device = 'cpu' | 'cuda' | `cuda:${number}`;
/** A tensor, or a number/boolean taken as a scalar (PyTorch's "wrapped number"). */
export type TensorOrScalar = Tensor | number | boolean;
export type Shape = readonly number[];
/** A dimension list, or one dimension. */
export type Dims = number | readonly number[];

/** Memory formats, as c10::MemoryFormat codes. */
export const memoryFormat = { contiguous: 0, preserve: 1, channelsLast: 2, channelsLast3d: 3 } as const;
export type MemoryFormat = keyof typeof memoryFormat;

export interface ToOptions {
  dtype?: DType;
  device?: Device;
  nonBlocking?: boolean;
  copy?: boolean;
  memoryFormat?: MemoryFormat;
}

const REDUCTION = { none: 0, mean: 1, sum: 2 } as const;
export type Reduction = keyof typeof REDUCTION;
export function reductionCode(r: Reduction): number {
  const c = REDUCTION[r];
  if (c === undefined) throw new TypeError(`reduction must be 'none', 'mean' or 'sum', got '${String(r)}'`);
  return c;
}

export class Tensor implements Disposable {
  private h: TensorHandle | undefined;
  private shapeCache: number[] | undefined;

  /** @internal Use the creation functions (torch.tensor, torch.zeros, ...) instead. */
  constructor(handle: TensorHandle) {
    this.h = handle;
    track(this);
  }

  /** @internal The native handle; throws if the tensor was disposed. */
  get handle(): TensorHandle {
    const h = this.h;
    if (h === undefined) throw new Error('this tensor was disposed (by dispose() or by the scope that created it)');
    return h;
  }

  /** Frees the native memory now (idempotent). Views of it keep their storage alive. */
  dispose(): void {
    if (this.h !== undefined) {
      native.dispose(this.h);
      this.h = undefined;
    }
  }
  [Symbol.dispose](): void {
    this.dispose();
  }
  get isDisposed(): boolean {
    return this.h === undefined;
  }

  // ---- metadata ----
  get shape(): number[] {
    return (this.shapeCache ??= native.shape(this.handle)).slice();
  }
  size(dim?: number): number[] | number {
    const s = (this.shapeCache ??= native.shape(this.handle));
    if (dim === undefined) return s.slice();
    if (s.length === 0) throw new RangeError(`Dimension specified as ${dim} but tensor has no dimensions`);
    return s[normDim(dim, s.length)]!;
  }
  get ndim(): number {
    return (this.shapeCache ??= native.shape(this.handle)).length;
  }
  get numel(): number {
    return (this.shapeCache ??= native.shape(this.handle)).reduce((a, b) => a * b, 1);
  }
  get strides(): number[] {
    return native.strides(this.handle);
  }
  get dtype(): DType {
    return dtypeName(native.dtype(this.handle));
  }
  get device(): Device {
    return native.device(this.handle) as Device;
  }
  get isCuda(): boolean {
    return this.device.startsWith('cuda');
  }
  get requiresGrad(): boolean {
    return native.requiresGrad(this.handle);
  }
  set requiresGrad(flag: boolean) {
    native.setRequiresGrad(this.handle, flag);
  }
  requiresGrad_(flag = true): this {
    native.setRequiresGrad(this.handle, flag);
    return this;
  }
  get isLeaf(): boolean {
    return native.isLeaf(this.handle);
  }
  /** Name of the autograd node that produced this tensor, e.g. 'AddBackward0'. */
  get gradFn(): string | undefined {
    return native.gradFn(this.handle);
  }
  /** The accumulated gradient (a new handle each read; undefined when none). */
  get grad(): Tensor | undefined {
    const g = native.grad(this.handle);
    return g === undefined ? undefined : new Tensor(g);
  }
  set grad(g: Tensor | undefined) {
    native.setGrad(this.handle, g?.handle);
  }
  /** Replaces this tensor's data by `src`'s, keeping its identity (PyTorch's `t.data = src`). */
  setData(src: Tensor): this {
    native.setData(this.handle, src.handle);
    this.shapeCache = undefined;
    return this;
  }
  isContiguous(): boolean {
    const shape = this.shape;
    const strides = this.strides;
    let expected = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      if (shape[i] !== 1 && strides[i] !== expected) return false;
      expected *= shape[i]!;
    }
    return true;
  }
  /** Address of the first element (for zero-copy checks). */
  dataPtr(): bigint {
    return native.dataPtr(this.handle);
  }
  toString(): string {
    if (this.h === undefined) return 'Tensor(disposed)';
    return `Tensor(shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device})`;
  }

  // ---- conversion ----
  /** The elements as a typed array (a copy, row-major); float16/bfloat16 come back as Float32Array. */
  toTypedArray(): AnyTypedArray {
    const d = this.dtype;
    if (d === 'float16' || d === 'bfloat16') {
      using f = this.to({ dtype: 'float32' });
      return typedArrayFromBuffer('float32', native.toBuffer(f.handle));
    }
    return typedArrayFromBuffer(d, native.toBuffer(this.handle));
  }
  /** The elements as nested JavaScript arrays (int64 as numbers, bool as booleans). */
  toArray(): NestedArray {
    const flat = this.toTypedArray();
    if (this.dtype === 'complex64' || this.dtype === 'complex128') {
      // Complex elements come back as [real, imaginary] pairs (JavaScript has no complex number).
      const pairs: NestedArray[] = [];
      for (let i = 0; i < flat.length; i += 2) pairs.push([Number(flat[i]), Number(flat[i + 1])]);
      const shape = this.shape;
      if (shape.length === 0) return pairs[0]!;
      return nestValues(pairs, shape, 0, 0);
    }
    const isBool = this.dtype === 'bool';
    const values: (number | boolean)[] = Array.from(flat as ArrayLike<number | bigint>, (v) =>
      isBool ? v !== 0 : Number(v),
    );
    const shape = this.shape;
    if (shape.length === 0) return values[0]!;
    return nest(values, shape, 0, 0);
  }
  /** The value of a one-element tensor. */
  item(): number | boolean {
    return aten.item(this.handle);
  }

  to(target: DType | Device | ToOptions): Tensor {
    const o: ToOptions =
      typeof target === 'string' ? (isDeviceString(target) ? { device: target as Device } : { dtype: target as DType }) : target;
    return new Tensor(
      aten.to_dtype_layout(
        this.handle,
        o.dtype === undefined ? undefined : dtypeCode(o.dtype),
        undefined,
        o.device,
        undefined,
        o.nonBlocking ?? false,
        o.copy ?? false,
        o.memoryFormat === undefined ? undefined : memoryFormat[o.memoryFormat],
      ),
    );
  }
  float(): Tensor {
    return this.to({ dtype: 'float32' });
  }
  double(): Tensor {
    return this.to({ dtype: 'float64' });
  }
  long(): Tensor {
    return this.to({ dtype: 'int64' });
  }
  int(): Tensor {
    return this.to({ dtype: 'int32' });
  }
  bool(): Tensor {
    return this.to({ dtype: 'bool' });
  }
  half(): Tensor {
    return this.to({ dtype: 'float16' });
  }
  bfloat16(): Tensor {
    return this.to({ dtype: 'bfloat16' });
  }
  cpu(): Tensor {
    return this.to({ device: 'cpu' });
  }
  cuda(device: number = 0, nonBlocking = false): Tensor {
    return this.to({ device: `cuda:${device}`, nonBlocking });
  }
  contiguous(format: MemoryFormat = 'contiguous'): Tensor {
    return new Tensor(aten.contiguous(this.handle, memoryFormat[format]));
  }
  clone(format: MemoryFormat = 'preserve'): Tensor {
    return new Tensor(aten.clone(this.handle, memoryFormat[format]));
  }
  detach(): Tensor {
    return new Tensor(aten.detach(this.handle));
  }
  /** A copy in page-locked memory, for asynchronous host-to-device copies. */
  pinMemory(): Tensor {
    return new Tensor(aten.pin_memory(this.handle));
  }
  isPinned(): boolean {
    return aten.is_pinned(this.handle);
  }
  copy_(src: Tensor, nonBlocking = false): this {
    aten.copy_(this.handle, src.handle, nonBlocking);
    return this;
  }

  // ---- views and joins ----
  view(...shape: number[] | [Shape]): Tensor {
    return new Tensor(aten.view(this.handle, shapeArg(shape)));
  }
  reshape(...shape: number[] | [Shape]): Tensor {
    return new Tensor(aten.reshape(this.handle, shapeArg(shape)));
  }
  viewAs(other: Tensor): Tensor {
    return this.view(other.shape);
  }
  permute(...dims: number[] | [Shape]): Tensor {
    return new Tensor(aten.permute(this.handle, shapeArg(dims)));
  }
  transpose(dim0: number, dim1: number): Tensor {
    return new Tensor(aten.transpose_int(this.handle, dim0, dim1));
  }
  /** Transpose of a tensor of at most 2 dimensions. */
  t(): Tensor {
    return new Tensor(aten.t(this.handle));
  }
  /** Swaps the last two dimensions. */
  get mT(): Tensor {
    return this.transpose(-2, -1);
  }
  squeeze(dim?: number): Tensor {
    return new Tensor(dim === undefined ? aten.squeeze(this.handle) : aten.squeeze_dim(this.handle, dim));
  }
  unsqueeze(dim: number): Tensor {
    return new Tensor(aten.unsqueeze(this.handle, dim));
  }
  expand(...shape: number[] | [Shape]): Tensor {
    return new Tensor(aten.expand(this.handle, shapeArg(shape)));
  }
  expandAs(other: Tensor): Tensor {
    return new Tensor(aten.expand_as(this.handle, tensorArg(other, 'expandAs', 'other')));
  }
  flatten(startDim = 0, endDim = -1): Tensor {
    return new Tensor(aten.flatten_using_ints(this.handle, startDim, endDim));
  }
  unflatten(dim: number, sizes: Shape): Tensor {
    const s = this.shape;
    const d = normDim(dim, s.length);
    return this.reshape([...s.slice(0, d), ...sizes, ...s.slice(d + 1)]);
  }
  narrow(dim: number, start: number, length: number): Tensor {
    return new Tensor(aten.narrow(this.handle, dim, start, length));
  }
  select(dim: number, index: number): Tensor {
    return new Tensor(aten.select_int(this.handle, dim, index));
  }
  /** PyTorch's `t[...]`: `t.index(':, 1:3, ::2, None, ...')` or `t.index(0, [1, 3], null, idx)`. */
  index(...items: IndexItem[] | [string]): Tensor {
    const spec = items.length === 1 && typeof items[0] === 'string' ? parseIndex(items[0]) : (items as IndexItem[]);
    return applyIndex(this, spec);
  }
  /** PyTorch's `t[...] = value` (in place). */
  indexPut_(spec: string | IndexItem[], value: TensorOrScalar): this {
    const items = typeof spec === 'string' ? parseIndex(spec) : spec;
    assignIndex(this, items, value);
    return this;
  }
  flip(dims: Dims): Tensor {
    return new Tensor(aten.flip(this.handle, dimsArg(dims)));
  }
  roll(shifts: Dims, dims: Dims = []): Tensor {
    return new Tensor(aten.roll(this.handle, dimsArg(shifts), dimsArg(dims)));
  }
  split(sizeOrSections: number | readonly number[], dim = 0): Tensor[] {
    const hs =
      typeof sizeOrSections === 'number'
        ? aten.split_Tensor(this.handle, sizeOrSections, dim)
        : aten.split_with_sizes(this.handle, sizeOrSections, dim);
    return hs.map((h) => new Tensor(h));
  }
  chunk(chunks: number, dim = 0): Tensor[] {
    return aten.chunk(this.handle, chunks, dim).map((h) => new Tensor(h));
  }
  unbind(dim = 0): Tensor[] {
    return aten.unbind_int(this.handle, dim).map((h) => new Tensor(h));
  }
  indexSelect(dim: number, index: Tensor): Tensor {
    return new Tensor(aten.index_select(this.handle, dim, tensorArg(index, 'indexSelect', 'index')));
  }
  gather(dim: number, index: Tensor): Tensor {
    return new Tensor(aten.gather(this.handle, dim, tensorArg(index, 'gather', 'index')));
  }
  scatter(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(aten.scatter_src(this.handle, dim, tensorArg(index, 'scatter', 'index'), tensorArg(src, 'scatter', 'src')));
  }
  scatterAdd(dim: number, index: Tensor, src: Tensor): Tensor {
    return new Tensor(aten.scatter_add(this.handle, dim, tensorArg(index, 'scatterAdd', 'index'), tensorArg(src, 'scatterAdd', 'src')));
  }
  maskedSelect(mask: Tensor): Tensor {
    return new Tensor(aten.masked_select(this.handle, tensorArg(mask, 'maskedSelect', 'mask')));
  }
  nonzero(): Tensor {
    return new Tensor(aten.nonzero(this.handle));
  }
  repeat(...sizes: number[] | [Shape]): Tensor {
    return new Tensor(aten.repeat(this.handle, shapeArg(sizes)));
  }
  tile(dims: Shape): Tensor {
    return new Tensor(aten.tile(this.handle, dims));
  }
  movedim(source: Dims, destination: Dims): Tensor {
    return new Tensor(aten.movedim_intlist(this.handle, dimsArg(source), dimsArg(destination)));
  }
  unfold(dim: number, size: number, step: number): Tensor {
    return new Tensor(aten.unfold(this.handle, dim, size, step));
  }
  diagonal(offset = 0, dim1 = 0, dim2 = 1): Tensor {
    return new Tensor(aten.diagonal(this.handle, offset, dim1, dim2));
  }
  triu(diagonal = 0): Tensor {
    return new Tensor(aten.triu(this.handle, diagonal));
  }
  tril(diagonal = 0): Tensor {
    return new Tensor(aten.tril(this.handle, diagonal));
  }

  // ---- arithmetic (broadcasting, PyTorch type promotion) ----
  add(other: TensorOrScalar, alpha: number = 1): Tensor {
    return new Tensor(
      other instanceof Tensor
        ? aten.add_Tensor(this.handle, other.handle, alpha)
        : aten.add_Scalar(this.handle, other, alpha),
    );
  }
  sub(other: TensorOrScalar, alpha: number = 1): Tensor {
    return new Tensor(
      other instanceof Tensor
        ? aten.sub_Tensor(this.handle, other.handle, alpha)
        : aten.sub_Scalar(this.handle, other, alpha),
    );
  }
  /** `other - this` */
  rsub(other: number): Tensor {
    return new Tensor(aten.rsub_Scalar(this.handle, other));
  }
  mul(other: TensorOrScalar): Tensor {
    return new Tensor(
      other instanceof Tensor ? aten.mul_Tensor(this.handle, other.handle) : aten.mul_Scalar(this.handle, other),
    );
  }
  /** True division; `roundingMode` 'trunc' or 'floor' as in PyTorch. */
  div(other: TensorOrScalar, roundingMode?: 'trunc' | 'floor'): Tensor {
    if (roundingMode !== undefined) {
      return new Tensor(
        other instanceof Tensor
          ? aten.div_Tensor_mode(this.handle, other.handle, roundingMode)
          : aten.div_Scalar_mode(this.handle, other, roundingMode),
      );
    }
    return new Tensor(
      other instanceof Tensor ? aten.div_Tensor(this.handle, other.handle) : aten.div_Scalar(this.handle, other),
    );
  }
  neg(): Tensor {
    return new Tensor(aten.neg(this.handle));
  }
  pow(exponent: TensorOrScalar): Tensor {
    return new Tensor(
      exponent instanceof Tensor
        ? aten.pow_Tensor_Tensor(this.handle, exponent.handle)
        : aten.pow_Tensor_Scalar(this.handle, exponent),
    );
  }
  exp(): Tensor {
    return new Tensor(aten.exp(this.handle));
  }
  expm1(): Tensor {
    return new Tensor(aten.expm1(this.handle));
  }
  log(): Tensor {
    return new Tensor(aten.log(this.handle));
  }
  log1p(): Tensor {
    return new Tensor(aten.log1p(this.handle));
  }
  log2(): Tensor {
    return new Tensor(aten.log2(this.handle));
  }
  sqrt(): Tensor {
    return new Tensor(aten.sqrt(this.handle));
  }
  rsqrt(): Tensor {
    return new Tensor(aten.rsqrt(this.handle));
  }
  reciprocal(): Tensor {
    return new Tensor(aten.reciprocal(this.handle));
  }
  abs(): Tensor {
    return new Tensor(aten.abs(this.handle));
  }
  sign(): Tensor {
    return new Tensor(aten.sign(this.handle));
  }
  sin(): Tensor {
    return new Tensor(aten.sin(this.handle));
  }
  cos(): Tensor {
    return new Tensor(aten.cos(this.handle));
  }
  tan(): Tensor {
    return new Tensor(aten.tan(this.handle));
  }
  asin(): Tensor {
    return new Tensor(aten.asin(this.handle));
  }
  acos(): Tensor {
    return new Tensor(aten.acos(this.handle));
  }
  atan(): Tensor {
    return new Tensor(aten.atan(this.handle));
  }
  atan2(other: Tensor): Tensor {
    return new Tensor(aten.atan2(this.handle, tensorArg(other, 'atan2', 'other')));
  }
  sinh(): Tensor {
    return new Tensor(aten.sinh(this.handle));
  }
  cosh(): Tensor {
    return new Tensor(aten.cosh(this.handle));
  }
  tanh(): Tensor {
    return new Tensor(aten.tanh(this.handle));
  }
  sigmoid(): Tensor {
    return new Tensor(aten.sigmoid(this.handle));
  }
  erf(): Tensor {
    return new Tensor(aten.erf(this.handle));
  }
  floor(): Tensor {
    return new Tensor(aten.floor(this.handle));
  }
  ceil(): Tensor {
    return new Tensor(aten.ceil(this.handle));
  }
  round(): Tensor {
    return new Tensor(aten.round(this.handle));
  }
  trunc(): Tensor {
    return new Tensor(aten.trunc(this.handle));
  }
  frac(): Tensor {
    return new Tensor(aten.frac(this.handle));
  }
  fmod(other: number): Tensor {
    return new Tensor(aten.fmod_Scalar(this.handle, other));
  }
  remainder(other: number): Tensor {
    return new Tensor(aten.remainder_Scalar(this.handle, other));
  }
  clamp(min?: number | Tensor, max?: number | Tensor): Tensor {
    if (min instanceof Tensor || max instanceof Tensor) {
      // One bound a tensor, the other a number: the number becomes a 0-d tensor of this dtype.
      const lo = typeof min === 'number' ? toTensorLike(min, this) : min;
      const hi = typeof max === 'number' ? toTensorLike(max, this) : max;
      try {
        return new Tensor(aten.clamp_Tensor(this.handle, lo?.handle, hi?.handle));
      } finally {
        if (lo !== min) lo?.dispose();
        if (hi !== max) hi?.dispose();
      }
    }
    return new Tensor(aten.clamp(this.handle, min, max));
  }
  clampMin(min: number): Tensor {
    return new Tensor(aten.clamp_min(this.handle, min));
  }
  clampMax(max: number): Tensor {
    return new Tensor(aten.clamp_max(this.handle, max));
  }
  minimum(other: Tensor): Tensor {
    return new Tensor(aten.minimum(this.handle, tensorArg(other, 'minimum', 'other')));
  }
  maximum(other: Tensor): Tensor {
    return new Tensor(aten.maximum(this.handle, tensorArg(other, 'maximum', 'other')));
  }
  lerp(end: Tensor, weight: number): Tensor {
    return new Tensor(aten.lerp_Scalar(this.handle, tensorArg(end, 'lerp', 'end'), weight));
  }
  relu(): Tensor {
    return new Tensor(aten.relu(this.handle));
  }
  nanToNum(nan = 0, posinf?: number, neginf?: number): Tensor {
    return new Tensor(aten.nan_to_num(this.handle, nan, posinf, neginf));
  }

  // ---- comparison and logic ----
  eq(other: TensorOrScalar): Tensor {
    return new Tensor(other instanceof Tensor ? aten.eq_Tensor(this.handle, other.handle) : aten.eq_Scalar(this.handle, other));
  }
  ne(other: TensorOrScalar): Tensor {
    return new Tensor(other instanceof Tensor ? aten.ne_Tensor(this.handle, other.handle) : aten.ne_Scalar(this.handle, other));
  }
  lt(other: TensorOrScalar): Tensor {
    return new Tensor(other instanceof Tensor ? aten.lt_Tensor(this.handle, other.handle) : aten.lt_Scalar(this.handle, other));
  }
  le(other: TensorOrScalar): Tensor {
    return new Tensor(other instanceof Tensor ? aten.le_Tensor(this.handle, other.handle) : aten.le_Scalar(this.handle, other));
  }
  gt(other: TensorOrScalar): Tensor {
    return new Tensor(other instanceof Tensor ? aten.gt_Tensor(this.handle, other.handle) : aten.gt_Scalar(this.handle, other));
  }
  ge(other: TensorOrScalar): Tensor {
    return new Tensor(other instanceof Tensor ? aten.ge_Tensor(this.handle, other.handle) : aten.ge_Scalar(this.handle, other));
  }
  logicalAnd(other: Tensor): Tensor {
    return new Tensor(aten.logical_and(this.handle, tensorArg(other, 'logicalAnd', 'other')));
  }
  logicalOr(other: Tensor): Tensor {
    return new Tensor(aten.logical_or(this.handle, tensorArg(other, 'logicalOr', 'other')));
  }
  logicalNot(): Tensor {
    return new Tensor(aten.logical_not(this.handle));
  }
  bitwiseNot(): Tensor {
    return new Tensor(aten.bitwise_not(this.handle));
  }
  isnan(): Tensor {
    return new Tensor(aten.isnan(this.handle));
  }
  isfinite(): Tensor {
    return new Tensor(aten.isfinite(this.handle));
  }
  maskedFill(mask: Tensor, value: TensorOrScalar): Tensor {
    return new Tensor(
      value instanceof Tensor
        ? aten.masked_fill_Tensor(this.handle, mask.handle, value.handle)
        : aten.masked_fill_Scalar(this.handle, mask.handle, value),
    );
  }
  /** `where(cond, this, other)`. */
  where(condition: Tensor, other: TensorOrScalar): Tensor {
    return new Tensor(
      other instanceof Tensor
        ? aten.where_self(condition.handle, this.handle, other.handle)
        : aten.where_ScalarOther(condition.handle, this.handle, other),
    );
  }
  /** True when every element is close to `other` (as torch.allclose). */
  allclose(other: Tensor, rtol = 1e-5, atol = 1e-8): boolean {
    return tidy(() => this.sub(other).abs().le(other.abs().mul(rtol).add(atol)).all().item() === true);
  }

  // ---- in place ----
  add_(other: TensorOrScalar, alpha: number = 1): this {
    if (other instanceof Tensor) aten.add__Tensor(this.handle, other.handle, alpha);
    else aten.add__Scalar(this.handle, other, alpha);
    return this;
  }
  sub_(other: TensorOrScalar, alpha: number = 1): this {
    if (other instanceof Tensor) aten.sub__Tensor(this.handle, other.handle, alpha);
    else aten.add__Scalar(this.handle, typeof other === 'boolean' ? Number(other) * -1 : -other, alpha);
    return this;
  }
  mul_(other: TensorOrScalar): this {
    if (other instanceof Tensor) aten.mul__Tensor(this.handle, other.handle);
    else aten.mul__Scalar(this.handle, other);
    return this;
  }
  div_(other: TensorOrScalar): this {
    if (other instanceof Tensor) aten.div__Tensor(this.handle, other.handle);
    else aten.div__Scalar(this.handle, other);
    return this;
  }
  pow_(exponent: number): this {
    aten.pow__Scalar(this.handle, exponent);
    return this;
  }
  sqrt_(): this {
    aten.sqrt_(this.handle);
    return this;
  }
  exp_(): this {
    aten.exp_(this.handle);
    return this;
  }
  neg_(): this {
    aten.neg_(this.handle);
    return this;
  }
  relu_(): this {
    aten.relu_(this.handle);
    return this;
  }
  clamp_(min?: number, max?: number): this {
    aten.clamp_(this.handle, min, max);
    return this;
  }
  zero_(): this {
    aten.zero_(this.handle);
    return this;
  }
  fill_(value: number | boolean): this {
    aten.fill__Scalar(this.handle, value);
    return this;
  }
  uniform_(from = 0, to = 1, generator?: { handle: import('./native.js').GeneratorHandle }): this {
    aten.uniform_(this.handle, from, to, generator?.handle);
    return this;
  }
  normal_(mean = 0, std = 1, generator?: { handle: import('./native.js').GeneratorHandle }): this {
    aten.normal_(this.handle, mean, std, generator?.handle);
    return this;
  }
  bernoulli_(p = 0.5, generator?: { handle: import('./native.js').GeneratorHandle }): this {
    aten.bernoulli__float(this.handle, p, generator?.handle);
    return this;
  }
  maskedFill_(mask: Tensor, value: number | boolean): this {
    aten.masked_fill__Scalar(this.handle, mask.handle, value);
    return this;
  }
  addcmul_(t1: Tensor, t2: Tensor, value = 1): this {
    aten.addcmul_(this.handle, t1.handle, t2.handle, value);
    return this;
  }
  addcdiv_(t1: Tensor, t2: Tensor, value = 1): this {
    aten.addcdiv_(this.handle, t1.handle, t2.handle, value);
    return this;
  }
  lerp_(end: Tensor, weight: number): this {
    aten.lerp__Scalar(this.handle, end.handle, weight);
    return this;
  }
  indexFill_(dim: number, index: Tensor, value: number): this {
    aten.index_fill__int_Scalar(this.handle, dim, index.handle, value);
    return this;
  }

  // ---- reductions ----
  sum(dim?: Dims, keepdim = false, dtype?: DType): Tensor {
    const dt = dtype === undefined ? undefined : dtypeCode(dtype);
    return new Tensor(
      dim === undefined ? aten.sum(this.handle, dt) : aten.sum_dim_IntList(this.handle, dimsArg(dim), keepdim, dt),
    );
  }
  mean(dim?: Dims, keepdim = false, dtype?: DType): Tensor {
    const dt = dtype === undefined ? undefined : dtypeCode(dtype);
    return new Tensor(
      dim === undefined ? aten.mean(this.handle, dt) : aten.mean_dim(this.handle, dimsArg(dim), keepdim, dt),
    );
  }
  prod(): Tensor {
    return new Tensor(aten.prod(this.handle));
  }
  /** Maximum of all elements. */
  max(): Tensor;
  /** Maximum along a dimension: [values, indices]. */
  max(dim: number, keepdim?: boolean): [Tensor, Tensor];
  max(dim?: number, keepdim = false): Tensor | [Tensor, Tensor] {
    if (dim === undefined) return new Tensor(aten.max(this.handle));
    const [v, i] = aten.max_dim(this.handle, dim, keepdim);
    return [new Tensor(v), new Tensor(i)];
  }
  min(): Tensor;
  min(dim: number, keepdim?: boolean): [Tensor, Tensor];
  min(dim?: number, keepdim = false): Tensor | [Tensor, Tensor] {
    if (dim === undefined) return new Tensor(aten.min(this.handle));
    const [v, i] = aten.min_dim(this.handle, dim, keepdim);
    return [new Tensor(v), new Tensor(i)];
  }
  amax(dim: Dims = [], keepdim = false): Tensor {
    return new Tensor(aten.amax(this.handle, dimsArg(dim), keepdim));
  }
  amin(dim: Dims = [], keepdim = false): Tensor {
    return new Tensor(aten.amin(this.handle, dimsArg(dim), keepdim));
  }
  argmax(dim?: number, keepdim = false): Tensor {
    return new Tensor(aten.argmax(this.handle, dim, keepdim));
  }
  argmin(dim?: number, keepdim = false): Tensor {
    return new Tensor(aten.argmin(this.handle, dim, keepdim));
  }
  topk(k: number, dim = -1, largest = true, sorted = true): [Tensor, Tensor] {
    const [v, i] = aten.topk(this.handle, k, dim, largest, sorted);
    return [new Tensor(v), new Tensor(i)];
  }
  sort(dim = -1, descending = false): [Tensor, Tensor] {
    const [v, i] = aten.sort(this.handle, dim, descending);
    return [new Tensor(v), new Tensor(i)];
  }
  argsort(dim = -1, descending = false): Tensor {
    return new Tensor(aten.argsort(this.handle, dim, descending));
  }
  cumsum(dim: number): Tensor {
    return new Tensor(aten.cumsum(this.handle, dim));
  }
  logsumexp(dim: Dims, keepdim = false): Tensor {
    return new Tensor(aten.logsumexp(this.handle, dimsArg(dim), keepdim));
  }
  /** Standard deviation; `correction` 1 is Bessel's (PyTorch's default `unbiased=True`). */
  std(dim?: Dims, keepdim = false, correction = 1): Tensor {
    return new Tensor(aten.std_correction(this.handle, dim === undefined ? undefined : dimsArg(dim), correction, keepdim));
  }
  var(dim?: Dims, keepdim = false, correction = 1): Tensor {
    return new Tensor(aten.var_correction(this.handle, dim === undefined ? undefined : dimsArg(dim), correction, keepdim));
  }
  /** Vector p-norm over `dim` (all elements when omitted). */
  norm(p: number = 2, dim?: Dims, keepdim = false): Tensor {
    return new Tensor(aten.linalg_vector_norm(this.handle, p, dim === undefined ? undefined : dimsArg(dim), keepdim));
  }
  all(dim?: number, keepdim = false): Tensor {
    return new Tensor(dim === undefined ? aten.all(this.handle) : aten.all_dim(this.handle, dim, keepdim));
  }
  any(dim?: number, keepdim = false): Tensor {
    return new Tensor(dim === undefined ? aten.any(this.handle) : aten.any_dim(this.handle, dim, keepdim));
  }

  // ---- linear algebra ----
  matmul(other: Tensor): Tensor {
    return new Tensor(aten.matmul(this.handle, tensorArg(other, 'matmul', 'other')));
  }
  mm(other: Tensor): Tensor {
    return new Tensor(aten.mm(this.handle, tensorArg(other, 'mm', 'other')));
  }
  bmm(other: Tensor): Tensor {
    return new Tensor(aten.bmm(this.handle, tensorArg(other, 'bmm', 'other')));
  }
  dot(other: Tensor): Tensor {
    return new Tensor(aten.dot(this.handle, tensorArg(other, 'dot', 'other')));
  }
  outer(other: Tensor): Tensor {
    return new Tensor(aten.outer(this.handle, tensorArg(other, 'outer', 'other')));
  }

  // ---- nn helpers that PyTorch also has as methods ----
  softmax(dim: number): Tensor {
    return new Tensor(aten.softmax_int(this.handle, dim));
  }
  logSoftmax(dim: number): Tensor {
    return new Tensor(aten.log_softmax_int(this.handle, dim));
  }

  // ---- autograd ----
  /** Computes gradients of this tensor w.r.t. graph leaves (PyTorch's `backward`). */
  backward(gradient?: Tensor, options: { retainGraph?: boolean; createGraph?: boolean; inputs?: Tensor[] } = {}): void {
    native.backward(
      [this.handle],
      [gradient?.handle],
      options.retainGraph,
      options.createGraph ?? false,
      options.inputs?.map((t) => t.handle),
    );
  }
}

export type NestedArray = number | boolean | NestedArray[];

/**
 * The handle of a Tensor argument; any other value goes to the native layer as it is, which then
 * raises a TypeError naming the aten operator, the argument and the JavaScript type received.
 */
function tensorArg(v: Tensor, _method: string, _name: string): TensorHandle {
  return v instanceof Tensor ? v.handle : (v as unknown as TensorHandle);
}
function nestValues(values: NestedArray[], shape: readonly number[], dim: number, offset: number): NestedArray[] {
  const n = shape[dim]!;
  const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  const out: NestedArray[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = dim === shape.length - 1 ? values[offset + i]! : nestValues(values, shape, dim + 1, offset + i * stride);
  return out;
}

function nest(values: (number | boolean)[], shape: readonly number[], dim: number, offset: number): NestedArray[] {
  const n = shape[dim]!;
  const out: NestedArray[] = new Array(n);
  if (dim === shape.length - 1) {
    for (let i = 0; i < n; i++) out[i] = values[offset + i]!;
    return out;
  }
  const stride = shape.slice(dim + 1).reduce((a, b) => a * b, 1);
  for (let i = 0; i < n; i++) out[i] = nest(values, shape, dim + 1, offset + i * stride);
  return out;
}

function isDeviceString(s: string): boolean {
  return s === 'cpu' || s === 'cuda' || s.startsWith('cuda:') || s === 'meta';
}

/** @internal `(2, 3)` or `([2, 3])` style shape arguments. */
export function shapeArg(args: readonly (number | Shape)[]): number[] {
  if (args.length === 1 && Array.isArray(args[0])) return args[0] as number[];
  return args as number[];
}

/** @internal */
export function dimsArg(d: Dims): readonly number[] {
  return typeof d === 'number' ? [d] : d;
}

/** @internal Normalises a possibly negative dimension. */
export function normDim(dim: number, ndim: number): number {
  const d = dim < 0 ? dim + ndim : dim;
  if (d < 0 || d >= Math.max(ndim, 1)) {
    throw new RangeError(
      `Dimension out of range (expected to be in range of [${-Math.max(ndim, 1)}, ${Math.max(ndim, 1) - 1}], but got ${dim})`,
    );
  }
  return d;
}

/** @internal A 0-d tensor holding a number, with `like`'s dtype and device (for tensor-only ops). */
export function toTensorLike(v: TensorOrScalar, like: Tensor): Tensor {
  if (v instanceof Tensor) return new Tensor(aten.alias(v.handle));
  return new Tensor(aten.scalar_tensor(v, native.dtype(like.handle), undefined, like.device));
}

function applyIndex(t: Tensor, items: IndexItem[]): Tensor {
  let h = t.handle;
  const temps: TensorHandle[] = [];
  const advanced: (TensorHandle | undefined)[] = [];
  let hasAdvanced = false;
  const ndim = t.ndim;
  const consuming = items.filter((it) => it !== null && it !== '...').length;
  if (consuming > ndim) throw new RangeError(`too many indices for tensor of dimension ${ndim}`);
  let dim = 0;
  const step = (next: TensorHandle): void => {
    if (h !== t.handle) temps.push(h);
    h = next;
  };
  try {
    for (const it of items) {
      if (it === '...') {
        const skip = ndim - consuming;
        for (let k = 0; k < skip; k++) advanced.push(undefined);
        dim += skip;
      } else if (it === null) {
        step(aten.unsqueeze(h, dim));
        advanced.push(undefined);
        dim++;
      } else if (typeof it === 'number') {
        step(aten.select_int(h, dim, it));
      } else if (it instanceof Tensor) {
        advanced.push(it.handle);
        hasAdvanced = true;
        dim++;
      } else if (Array.isArray(it)) {
        const list = fromIndexList(it as readonly number[]);
        temps.push(list);
        advanced.push(list);
        hasAdvanced = true;
        dim++;
      } else {
        const s = it as { start?: number; stop?: number; step?: number };
        step(aten.slice_Tensor(h, dim, s.start, s.stop, s.step ?? 1));
        advanced.push(undefined);
        dim++;
      }
    }
    if (hasAdvanced) {
      while (advanced.length && advanced[advanced.length - 1] === undefined) advanced.pop();
      step(aten.index_Tensor(h, advanced));
    }
    if (h === t.handle) return new Tensor(aten.alias(h));
    const out = h;
    h = t.handle;
    return new Tensor(out);
  } finally {
    // On an error the current intermediate is not returned: free it too.
    if (h !== t.handle) native.dispose(h);
    for (const x of temps) native.dispose(x);
  }
}

function fromIndexList(xs: readonly number[]): TensorHandle {
  return native.fromBuffer(BigInt64Array.from(xs, (x) => BigInt(x)), 4, [xs.length], false);
}

function assignIndex(t: Tensor, items: IndexItem[], value: TensorOrScalar): void {
  const hasAdvanced = items.some((it) => it instanceof Tensor || Array.isArray(it));
  if (!hasAdvanced) {
    using view = applyIndex(t, items);
    if (value instanceof Tensor) aten.copy_(view.handle, value.handle, false);
    else aten.fill__Scalar(view.handle, value);
    return;
  }
  // Advanced indices: slice the basic part first, then index_put_ into that view.
  const basic: IndexItem[] = [];
  const adv: (TensorHandle | undefined)[] = [];
  const temps: TensorHandle[] = [];
  const consuming = items.filter((it) => it !== null && it !== '...').length;
  for (const it of items) {
    if (it instanceof Tensor) {
      basic.push({});
      adv.push(it.handle);
    } else if (Array.isArray(it)) {
      basic.push({});
      const l = fromIndexList(it as readonly number[]);
      temps.push(l);
      adv.push(l);
    } else if (it === '...') {
      basic.push(it);
      for (let k = 0; k < t.ndim - consuming; k++) adv.push(undefined);
    } else if (typeof it === 'number') {
      basic.push(it);
    } else {
      basic.push(it);
      adv.push(undefined);
    }
  }
  try {
    using view = applyIndex(t, basic);
    using v = toTensorLike(value, t);
    aten.index_put_(view.handle, adv, v.handle, false);
  } finally {
    for (const x of temps) native.dispose(x);
  }
}
