// Emitters of the generic nn modules (src/nn): each writes its module's eval-mode forward as ONNX
// opset-17 nodes and computes the output shape (symbolic dimensions pass through where they can).
import { nn } from '../index.js';
import type { Dim } from './onnx-proto.js';
import { attr, type Value } from './graph-builder.js';
import { UnsupportedModuleError, subPath, type EmitContext, type EmitterRegistry } from './emit-context.js';
import { float32Data } from './tensor-data.js';

type Tuple = number | readonly number[];

export function expandTuple(v: Tuple | undefined, n: number, fallback: number | readonly number[]): number[] {
  const x = v === undefined || (Array.isArray(v) && v.length === 0) ? fallback : v;
  const out = typeof x === 'number' ? Array<number>(n).fill(x) : [...(x as readonly number[])];
  if (out.length === 1 && n > 1) return Array<number>(n).fill(out[0]!);
  if (out.length !== n) throw new RangeError(`expected ${n} values, got [${out.join(', ')}]`);
  return out;
}

/** Output size of a convolution or pooling window along one axis (floor mode); null if unknown. */
export function windowDim(d: Dim, k: number, s: number, p: number, dil = 1): Dim {
  if (typeof d !== 'number') return null;
  return Math.floor((d + 2 * p - dil * (k - 1) - 1) / s) + 1;
}

/** The axis as a non-negative index. */
export function axisOf(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new RangeError(`axis ${axis} out of range for rank ${rank}`);
  return a;
}

const typeName = (m: object): string => m.constructor.name;

function emitConv(ctx: EmitContext, m: nn.Conv1d | nn.Conv2d | nn.Conv3d, x: Value, path: string): Value {
  const n = m.kernelSize.length;
  if (x.shape.length !== n + 2) throw new UnsupportedModuleError(path, typeName(m), `expected a ${n + 2}-D input, got [${x.shape.join(', ')}]`);
  const g = ctx.g;
  const w = g.constant(subPath(path, 'weight'), float32Data(m.weight), m.weight.shape);
  const inputs = [x.name, w];
  if (m.bias) inputs.push(g.constant(subPath(path, 'bias'), float32Data(m.bias), m.bias.shape));
  const spatial = x.shape.slice(2).map((d, i) => windowDim(d, m.kernelSize[i]!, m.stride[i]!, m.padding[i]!, m.dilation[i]!));
  return g.op('Conv', inputs, [x.shape[0]!, m.outChannels, ...spatial], path, [
    attr.ints('kernel_shape', m.kernelSize),
    attr.ints('strides', m.stride),
    attr.ints('pads', [...m.padding, ...m.padding]),
    attr.ints('dilations', m.dilation),
    attr.int('group', m.groups),
  ]);
}

function emitBatchNorm(ctx: EmitContext, m: nn.BatchNorm, x: Value, path: string): Value {
  if (!m.runningMean || !m.runningVar) throw new UnsupportedModuleError(path, typeName(m), 'without running statistics it normalises by batch statistics even in eval mode');
  if (x.shape.length < 2) throw new UnsupportedModuleError(path, typeName(m), `expected a 2-D or larger input, got [${x.shape.join(', ')}]`);
  const g = ctx.g;
  const c = m.numFeatures;
  const scale = m.weight ? float32Data(m.weight) : new Float32Array(c).fill(1);
  const bias = m.bias ? float32Data(m.bias) : new Float32Array(c);
  const inputs = [
    x.name,
    g.constant(subPath(path, 'weight'), scale, [c]),
    g.constant(subPath(path, 'bias'), bias, [c]),
    g.constant(subPath(path, 'running_mean'), float32Data(m.runningMean), [c]),
    g.constant(subPath(path, 'running_var'), float32Data(m.runningVar), [c]),
  ];
  return g.op('BatchNormalization', inputs, x.shape, path, [attr.float('epsilon', m.eps)]);
}

function emitLinear(ctx: EmitContext, m: nn.Linear, x: Value, path: string): Value {
  const g = ctx.g;
  const shape = [...x.shape.slice(0, -1), m.outFeatures];
  const b = m.bias ? g.constant(subPath(path, 'bias'), float32Data(m.bias), [m.outFeatures]) : undefined;
  if (x.shape.length === 2) {
    const w = g.constant(subPath(path, 'weight'), float32Data(m.weight), m.weight.shape);
    return g.op('Gemm', b ? [x.name, w, b] : [x.name, w], shape, path, [attr.int('transB', 1)]);
  }
  // Any other rank: x @ Wᵀ (+ b), Wᵀ stored transposed.
  const wt = transpose2d(float32Data(m.weight), m.outFeatures, m.inFeatures);
  const w = g.constant(subPath(path, 'weight_t'), wt, [m.inFeatures, m.outFeatures]);
  const y = g.op('MatMul', [x.name, w], shape, subPath(path, 'matmul'));
  return b ? g.op('Add', [y.name, b], shape, subPath(path, 'bias_add')) : y;
}

function transpose2d(a: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = a[r * cols + c]!;
  return out;
}

function emitLayerNorm(ctx: EmitContext, m: nn.LayerNorm, x: Value, path: string): Value {
  const g = ctx.g;
  const shape = m.normalizedShape;
  const numel = shape.reduce((a, b) => a * b, 1);
  const scale = g.constant(subPath(path, 'weight'), m.weight ? float32Data(m.weight) : new Float32Array(numel).fill(1), shape);
  const bias = g.constant(subPath(path, 'bias'), m.bias ? float32Data(m.bias) : new Float32Array(numel), shape);
  return g.op('LayerNormalization', [x.name, scale, bias], x.shape, path, [attr.int('axis', -shape.length), attr.float('epsilon', m.eps)]);
}

/** Exact (erf) GELU: 0.5·x·(1 + erf(x/√2)); opset 17 has no Gelu operator. */
export function emitGelu(ctx: EmitContext, x: Value, path: string): Value {
  const g = ctx.g;
  const c = (hint: string, v: number): string => g.constant(subPath(path, hint), Float32Array.of(v), []);
  const d = g.op('Div', [x.name, c('sqrt2', Math.SQRT2)], x.shape, subPath(path, 'div'));
  const e = g.op('Erf', [d.name], x.shape, subPath(path, 'erf'));
  const a = g.op('Add', [e.name, c('one', 1)], x.shape, subPath(path, 'add'));
  const m = g.op('Mul', [x.name, a.name], x.shape, subPath(path, 'mul'));
  return g.op('Mul', [m.name, c('half', 0.5)], x.shape, subPath(path, 'half'));
}

function emitFlatten(ctx: EmitContext, m: nn.Flatten, x: Value, path: string): Value {
  return flatten(ctx, x, m.startDim, m.endDim, path);
}

/** torch.flatten(x, start, end) as ONNX Flatten (start 1 to the end) or a Reshape. */
export function flatten(ctx: EmitContext, x: Value, startDim: number, endDim: number, path: string): Value {
  const rank = x.shape.length;
  if (rank === 0) return ctx.g.op('Reshape', [x.name, ctx.g.ints(subPath(path, 'shape'), [1])], [1], path);
  const s = axisOf(startDim, rank);
  const e = axisOf(endDim, rank);
  if (s >= e) return x;
  const merged = x.shape.slice(s, e + 1).reduce<Dim>((a, b) => (typeof a === 'number' && typeof b === 'number' ? a * b : null), 1);
  const shape = [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)];
  if (s === 1 && e === rank - 1) return ctx.g.op('Flatten', [x.name], shape, path, [attr.int('axis', 1)]);
  // Reshape: 0 copies a leading dimension (the batch may be symbolic), -1 takes the merged one.
  const trailing = x.shape.slice(e + 1);
  if (trailing.some((d) => typeof d !== 'number')) throw new UnsupportedModuleError(path, 'flatten', `flatten(${startDim}, ${endDim}) needs static trailing dimensions, got [${x.shape.join(', ')}]`);
  const target = [...Array<number>(s).fill(0), -1, ...(trailing as number[])];
  return ctx.g.op('Reshape', [x.name, ctx.g.ints(subPath(path, 'shape'), target)], shape, path);
}

function poolAttrs(ctx: { path: string; type: string }, n: number, kernel: Tuple, o: { stride?: Tuple; padding?: Tuple; ceilMode?: boolean }) {
  // PyTorch's and ONNX's ceil modes differ when the last window starts in the padding: not emitted.
  if (o.ceilMode) throw new UnsupportedModuleError(ctx.path, ctx.type, 'ceil_mode is not supported');
  const k = expandTuple(kernel, n, 1);
  return { k, s: expandTuple(o.stride, n, k), p: expandTuple(o.padding, n, 0) };
}

function emitMaxPool(ctx: EmitContext, m: nn.MaxPool2d | nn.MaxPool3d, x: Value, path: string): Value {
  const n = m instanceof nn.MaxPool2d ? 2 : 3;
  const { k, s, p } = poolAttrs({ path, type: typeName(m) }, n, m.kernelSize, m.o);
  const dil = expandTuple(m.o.dilation, n, 1);
  const spatial = x.shape.slice(2).map((d, i) => windowDim(d, k[i]!, s[i]!, p[i]!, dil[i]!));
  return ctx.g.op('MaxPool', [x.name], [...x.shape.slice(0, 2), ...spatial], path, [
    attr.ints('kernel_shape', k),
    attr.ints('strides', s),
    attr.ints('pads', [...p, ...p]),
    attr.ints('dilations', dil),
  ]);
}

function emitAvgPool(ctx: EmitContext, m: nn.AvgPool2d | nn.AvgPool3d, x: Value, path: string): Value {
  const n = m instanceof nn.AvgPool2d ? 2 : 3;
  if (m.o.divisorOverride !== undefined) throw new UnsupportedModuleError(path, typeName(m), 'divisor_override is not supported');
  const { k, s, p } = poolAttrs({ path, type: typeName(m) }, n, m.kernelSize, m.o);
  const spatial = x.shape.slice(2).map((d, i) => windowDim(d, k[i]!, s[i]!, p[i]!));
  return ctx.g.op('AveragePool', [x.name], [...x.shape.slice(0, 2), ...spatial], path, [
    attr.ints('kernel_shape', k),
    attr.ints('strides', s),
    attr.ints('pads', [...p, ...p]),
    attr.int('count_include_pad', (m.o.countIncludePad ?? true) ? 1 : 0),
  ]);
}

/**
 * Adaptive average pooling: GlobalAveragePool when every output size is 1; otherwise a
 * ReduceMean over the axes pooled to 1 and, per remaining axis whose size changes, a MatMul with
 * the pooling matrix (PyTorch's bins [⌊i·in/out⌋, ⌈(i+1)·in/out⌉)), which needs static sizes.
 */
export function adaptiveAvgPool(ctx: EmitContext, x: Value, outputSize: readonly number[], path: string, type: string): Value {
  const g = ctx.g;
  const n = outputSize.length;
  const lead = x.shape.slice(0, x.shape.length - n);
  if (x.shape.length === n + 2 && outputSize.every((o) => o === 1)) return g.op('GlobalAveragePool', [x.name], [...lead, ...outputSize], path);
  let h = x;
  const first = x.shape.length - n;
  const ones = outputSize.map((o, i) => (o === 1 && x.shape[first + i] !== 1 ? first + i : -1)).filter((a) => a >= 0);
  if (ones.length) {
    const shape = h.shape.map((d, a) => (ones.includes(a) ? 1 : d));
    h = g.op('ReduceMean', [h.name], shape, subPath(path, 'mean'), [attr.ints('axes', ones), attr.int('keepdims', 1)]);
  }
  for (let i = 0; i < n; i++) {
    const axis = first + i;
    const out = outputSize[i]!;
    const size = h.shape[axis];
    if (out === 1 || size === out) continue;
    if (typeof size !== 'number') throw new UnsupportedModuleError(path, type, `adaptive pooling to ${out} along a dynamic axis (${String(size)}) needs a static input shape`);
    const mat = new Float32Array(size * out);
    for (let o = 0; o < out; o++) {
      const start = Math.floor((o * size) / out);
      const end = Math.ceil(((o + 1) * size) / out);
      for (let t = start; t < end; t++) mat[t * out + o] = 1 / (end - start);
    }
    const pm = g.constant(subPath(path, `pool_matrix_${i}`), mat, [size, out]);
    const last = h.shape.length - 1;
    const perm = h.shape.map((_, a) => (a === axis ? last : a === last ? axis : a));
    const swap = (v: Value, hint: string): Value => (axis === last ? v : g.op('Transpose', [v.name], perm.map((a) => v.shape[a]!), subPath(path, hint), [attr.ints('perm', perm)]));
    const t = swap(h, `transpose_${i}`);
    const mm = g.op('MatMul', [t.name, pm], [...t.shape.slice(0, -1), out], subPath(path, `pool_${i}`));
    h = swap(mm, `transpose_back_${i}`);
  }
  return h;
}

function emitSequential(ctx: EmitContext, m: nn.Sequential, x: Value, path: string): Value {
  let h = x;
  let i = 0;
  for (const child of m) h = ctx.child(path, String(i++), child as unknown as nn.Module<never[], unknown>, h);
  return h;
}

const unary = (op: string) => (ctx: EmitContext, _m: unknown, x: Value, path: string): Value => ctx.g.op(op, [x.name], x.shape, path);
const passThrough = (_ctx: EmitContext, _m: unknown, x: Value): Value => x;

/** Registers the generic modules: containers, convolutions, normalisation, pooling, activations. */
export function registerNnEmitters(r: EmitterRegistry): EmitterRegistry {
  return r
    .register(nn.Sequential, emitSequential)
    .register(nn.Identity, passThrough)
    // Eval mode: dropout is the identity.
    .register(nn.Dropout, passThrough)
    .register(nn.Dropout3d, passThrough)
    .register(nn.Conv1d, emitConv)
    .register(nn.Conv2d, emitConv)
    .register(nn.Conv3d, emitConv)
    .register(nn.BatchNorm, emitBatchNorm)
    .register(nn.LayerNorm, emitLayerNorm)
    .register(nn.Linear, emitLinear)
    .register(nn.ReLU, unary('Relu'))
    .register(nn.Sigmoid, unary('Sigmoid'))
    .register(nn.Tanh, unary('Tanh'))
    .register(nn.GELU, (ctx, m, x, path) => {
      if (m.approximate !== 'none') throw new UnsupportedModuleError(path, typeName(m), `approximate='${m.approximate}' is not supported`);
      return emitGelu(ctx, x, path);
    })
    .register(nn.Flatten, emitFlatten)
    .register(nn.MaxPool2d, emitMaxPool)
    .register(nn.MaxPool3d, emitMaxPool)
    .register(nn.AvgPool2d, emitAvgPool)
    .register(nn.AvgPool3d, emitAvgPool)
    .register(nn.AdaptiveAvgPool2d, (ctx, m, x, path) => adaptiveAvgPool(ctx, x, expandTuple(m.outputSize, 2, 1), path, typeName(m)))
    .register(nn.AdaptiveAvgPool3d, (ctx, m, x, path) => adaptiveAvgPool(ctx, x, expandTuple(m.outputSize, 3, 1), path, typeName(m)));
}
