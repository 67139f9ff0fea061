// Runs an exported graph with onnxruntime-node when it is installed (a devDependency: gdt itself
// never requires it) and compares the result with libtorch's. The module is imported by a
// computed name and typed here with the few members used, so nothing depends on its presence.
import type { Tensor } from '../torch/index.js';

interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
/** The part of onnxruntime-node's API the check uses. */
export interface OnnxRuntime {
  readonly version: string;
  InferenceSession: { create(pathOrBytes: string | Uint8Array, options?: { intraOpNumThreads?: number }): Promise<OrtSession> };
  Tensor: new (type: 'float32', data: Float32Array, dims: readonly number[]) => OrtTensor;
}

/** onnxruntime-node, or why it could not be loaded. */
export async function loadOnnxRuntime(): Promise<{ ort: OnnxRuntime } | { missing: string }> {
  const name = 'onnxruntime-node';
  try {
    const m = (await import(name)) as { default?: unknown } & Record<string, unknown>;
    const ort = (m.InferenceSession ? m : m.default) as Omit<OnnxRuntime, 'version'> & { env?: { versions?: { node?: string } } };
    if (!ort?.InferenceSession) return { missing: `${name} has no InferenceSession` };
    return { ort: { version: ort.env?.versions?.node ?? 'unknown', InferenceSession: ort.InferenceSession, Tensor: ort.Tensor } };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { missing: code === 'ERR_MODULE_NOT_FOUND' ? `${name} is not installed` : `${name} failed to load: ${(e as Error).message}` };
  }
}

/** max|a − b| / max|b| (b the reference) and max|a − b|. */
export function relativeError(got: Float32Array, want: Float32Array): { maxAbs: number; maxRel: number } {
  if (got.length !== want.length) throw new RangeError(`${got.length} values vs ${want.length}`);
  let maxAbs = 0;
  let scale = 0;
  for (let i = 0; i < want.length; i++) {
    const d = Math.abs(got[i]! - want[i]!);
    if (Number.isNaN(d)) return { maxAbs: NaN, maxRel: NaN };
    if (d > maxAbs) maxAbs = d;
    scale = Math.max(scale, Math.abs(want[i]!));
  }
  return { maxAbs, maxRel: scale > 0 ? maxAbs / scale : maxAbs };
}

/** Runs the model (file path or bytes) on one float32 input; returns the named output. */
export async function runOnnx(ort: OnnxRuntime, model: string | Uint8Array, inputName: string, input: Tensor, outputName: string, threads = 1): Promise<{ data: Float32Array; dims: number[] }> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: threads });
  try {
    const data = input.toTypedArray();
    if (!(data instanceof Float32Array)) throw new TypeError(`the input must be float32, got ${input.dtype}`);
    const out = await session.run({ [inputName]: new ort.Tensor('float32', data, input.shape) });
    const y = out[outputName];
    if (!y) throw new Error(`the model has no output '${outputName}'`);
    if (!(y.data instanceof Float32Array)) throw new TypeError(`output '${outputName}' is not float32`);
    return { data: y.data, dims: [...y.dims] };
  } finally {
    await session.release();
  }
}
