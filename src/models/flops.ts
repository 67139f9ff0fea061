// A multiply-accumulate (MAC) counter: walks a model's modules with shapes only (no tensors, no
// compute), so any input size is counted instantly.
//
// What is counted, per kind:
// * conv:   output elements x (input channels / groups) x kernel volume (bias adds not counted);
// * linear: input rows x in_features x out_features;
// * matmul: the attention products q·kᵀ and weights·v of the transformer pooling;
// * norm:   one MAC per element for BatchNorm / LayerNorm (scale and shift folded);
// * pool:   one per input element for adaptive average pooling, kernel volume per output
//           element for max pooling.
// `macs` is conv + linear + matmul, the figure papers and torchvision quote (R(2+1)D-18 at
// 16x112x112: 40.52 GMAC); `otherOps` is norm + pool. Activations, dropout, residual additions,
// softmax and reshapes count zero.
import { nn } from '../index.js';

export type Shape = number[];
export type MacKind = 'conv' | 'linear' | 'matmul' | 'norm' | 'pool';
type AnyModule = nn.Module<never[], unknown>;

export interface MacTracer {
  /** Traces a child module on one input shape and returns its output shape. */
  child(name: string, m: AnyModule, input: Shape): Shape;
  /** Adds an operation that is not a module (e.g. attention matmuls). */
  add(kind: MacKind, macs: number, what: string): void;
}

/** Composite modules describe their forward in shapes (inputs -> outputs) for the counter. */
export interface MacTraceable {
  traceMacs(t: MacTracer, inputs: readonly Shape[]): Shape[];
}

export interface MacEntry {
  path: string;
  type: string;
  kind: MacKind;
  input: Shape;
  output: Shape;
  macs: number;
}

export interface MacReport {
  /** conv + linear + matmul MACs. */
  macs: number;
  /** norm + pool element operations (not in `macs`). */
  otherOps: number;
  byKind: Record<MacKind, number>;
  parameters: number;
  outputs: Shape[];
  entries: MacEntry[];
}

export function isMacTraceable(m: unknown): m is MacTraceable {
  return typeof (m as Partial<MacTraceable>).traceMacs === 'function';
}

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function convOut(input: Shape, m: nn.Conv1d | nn.Conv2d | nn.Conv3d): Shape {
  const n = m.kernelSize.length;
  if (input.length !== n + 2) throw new RangeError(`${m.constructor.name} expects a ${n + 2}-D input, got [${input.join(', ')}]`);
  if (input[1] !== m.inChannels) throw new RangeError(`${m.constructor.name}: ${input[1]} input channels, expected ${m.inChannels}`);
  const spatial = input.slice(2).map((l, i) => {
    const k = m.kernelSize[i]!;
    return Math.floor((l + 2 * m.padding[i]! - m.dilation[i]! * (k - 1) - 1) / m.stride[i]!) + 1;
  });
  return [input[0]!, m.outChannels, ...spatial];
}

function poolOut(input: Shape, kernel: number | readonly number[], o: nn.MaxPool2d['o'], dims: number): Shape {
  const arr = (v: number | readonly number[] | undefined, d: number[]): number[] =>
    v === undefined || (Array.isArray(v) && v.length === 0) ? d : typeof v === 'number' ? Array<number>(dims).fill(v) : [...(v as number[])];
  const k = arr(kernel, []);
  const s = arr(o.stride, k);
  const p = arr(o.padding, Array<number>(dims).fill(0));
  const dl = arr(o.dilation, Array<number>(dims).fill(1));
  const sp = input.slice(-dims).map((l, i) => {
    const num = l + 2 * p[i]! - dl[i]! * (k[i]! - 1) - 1;
    const out = (o.ceilMode ? Math.ceil(num / s[i]!) : Math.floor(num / s[i]!)) + 1;
    return o.ceilMode && (out - 1) * s[i]! >= l + p[i]! ? out - 1 : out;
  });
  return [...input.slice(0, -dims), ...sp];
}

function adaptiveOut(input: Shape, size: number | readonly number[], dims: number): Shape {
  const sz = typeof size === 'number' ? Array<number>(dims).fill(size) : [...size];
  const lead = input.slice(0, -dims);
  return [...lead, ...sz.map((v, i) => (v === null || v === undefined ? input[input.length - dims + i]! : v))];
}

/**
 * Counts the MACs of `model` for the given input shapes (batch included), e.g.
 * `countMacs(r2plus1d18(), [[1, 3, 16, 112, 112]])`. Composite modules must implement
 * `traceMacs`; the leaf layers of nn (conv, linear, norms, pools, activations) are known.
 */
export function countMacs(model: AnyModule, inputs: readonly Shape[]): MacReport {
  const byKind: Record<MacKind, number> = { conv: 0, linear: 0, matmul: 0, norm: 0, pool: 0 };
  const entries: MacEntry[] = [];
  const record = (path: string, type: string, kind: MacKind, input: Shape, output: Shape, macs: number): void => {
    byKind[kind] += macs;
    entries.push({ path, type, kind, input, output, macs });
  };

  const trace = (m: AnyModule, path: string, ins: readonly Shape[]): Shape[] => {
    const tracer: MacTracer = {
      child: (name, c, input) => trace(c, path ? `${path}.${name}` : name, [input])[0]!,
      add: (kind, macs, what) => record(path ? `${path}:${what}` : what, what, kind, [], [], macs),
    };
    if (isMacTraceable(m)) return m.traceMacs(tracer, ins);
    const x = ins[0]!;
    const type = m.constructor.name;
    if (m instanceof nn.Sequential) {
      let s = x;
      let i = 0;
      for (const c of m) s = tracer.child(String(i++), c as unknown as AnyModule, s);
      return [s];
    }
    if (m instanceof nn.Conv1d || m instanceof nn.Conv2d || m instanceof nn.Conv3d) {
      const out = convOut(x, m);
      record(path, type, 'conv', x, out, numel(out) * (m.inChannels / m.groups) * numel(m.kernelSize));
      return [out];
    }
    if (m instanceof nn.Linear) {
      if (x[x.length - 1] !== m.inFeatures) throw new RangeError(`${path}: Linear expects ${m.inFeatures} features, got [${x.join(', ')}]`);
      const out = [...x.slice(0, -1), m.outFeatures];
      record(path, type, 'linear', x, out, numel(x) * m.outFeatures);
      return [out];
    }
    if (m instanceof nn.BatchNorm || m instanceof nn.LayerNorm) {
      record(path, type, 'norm', x, x, numel(x));
      return [x];
    }
    if (m instanceof nn.MaxPool2d || m instanceof nn.MaxPool3d) {
      const dims = m instanceof nn.MaxPool2d ? 2 : 3;
      const out = poolOut(x, m.kernelSize, m.o, dims);
      const k = typeof m.kernelSize === 'number' ? m.kernelSize ** dims : numel(m.kernelSize as number[]);
      record(path, type, 'pool', x, out, numel(out) * k);
      return [out];
    }
    if (m instanceof nn.AdaptiveAvgPool2d || m instanceof nn.AdaptiveAvgPool3d) {
      const out = adaptiveOut(x, m.outputSize, m instanceof nn.AdaptiveAvgPool2d ? 2 : 3);
      record(path, type, 'pool', x, out, numel(x));
      return [out];
    }
    if (m instanceof nn.Flatten) {
      const nd = x.length;
      const a = m.startDim < 0 ? m.startDim + nd : m.startDim;
      const b = m.endDim < 0 ? m.endDim + nd : m.endDim;
      return [[...x.slice(0, a), numel(x.slice(a, b + 1)), ...x.slice(b + 1)]];
    }
    if (m instanceof nn.Embedding) return [[...x, m.embeddingDim]];
    if (m instanceof nn.ReLU || m instanceof nn.GELU || m instanceof nn.Dropout || m instanceof nn.Identity || m instanceof nn.Tanh || m instanceof nn.Sigmoid) {
      return [x];
    }
    throw new TypeError(`countMacs: no shape rule for ${type} at '${path || '<root>'}'`);
  };

  const outputs = trace(model, '', inputs);
  return {
    macs: byKind.conv + byKind.linear + byKind.matmul,
    otherOps: byKind.norm + byKind.pool,
    byKind,
    parameters: model.numParameters(),
    outputs,
    entries,
  };
}

/** "40.52 GMAC" style. */
export function formatMacs(macs: number): string {
  if (macs >= 1e9) return `${(macs / 1e9).toFixed(2)} GMAC`;
  if (macs >= 1e6) return `${(macs / 1e6).toFixed(2)} MMAC`;
  if (macs >= 1e3) return `${(macs / 1e3).toFixed(2)} KMAC`;
  return `${macs} MAC`;
}
