// Samples and batches as they cross threads: named typed arrays (transferable) plus plain values.
import type { DType } from '../torch/index.js';

export type SampleArrayData = Float32Array | Float64Array | Int32Array | Int16Array | Int8Array | Uint8Array | BigInt64Array;

/** One array of a sample, row-major. */
export interface SampleArray {
  data: SampleArrayData;
  shape: number[];
  dtype: DType;
}

export type SampleValue = SampleArray | number | string | boolean;
export type Sample = Record<string, SampleValue>;

export interface SampleContext {
  /** A 32-bit seed derived from (run seed, epoch, index, attempt): the sample's only randomness. */
  seed: number;
  epoch: number;
  index: number;
  attempt: number;
}

/** What a loader reads samples from; it runs inside the loader's worker threads. */
export interface Dataset {
  readonly length: number;
  get(index: number, ctx: SampleContext): Sample | Promise<Sample>;
  /** A human name for an index in error reports (e.g. the file path). */
  describe?(index: number): string;
  close?(): void | Promise<void>;
}

/**
 * How a worker builds the dataset: a module (absolute path or file URL) exporting a factory
 * `(options) => Dataset`. Options must be structured-cloneable.
 */
export interface DatasetSpec {
  module: string;
  exportName: string;
  options?: unknown;
}

/** A collated batch before it becomes tensors: arrays gain a leading batch dimension. */
export interface RawBatch {
  arrays: Record<string, SampleArray>;
  values: Record<string, (number | string | boolean)[]>;
  indices: number[];
  failures: SampleFailure[];
}

export interface SampleFailure {
  index: number;
  name: string;
  reason: string;
}

export function isSampleArray(v: SampleValue): v is SampleArray {
  return typeof v === 'object' && v !== null && ArrayBuffer.isView((v as SampleArray).data);
}

/** Stacks samples key by key; every sample must have the same keys and array shapes. */
export function collate(samples: Sample[], indices: number[], failures: SampleFailure[]): RawBatch {
  const first = samples[0];
  if (!first) throw new Error('collate: empty batch');
  const arrays: Record<string, SampleArray> = {};
  const values: Record<string, (number | string | boolean)[]> = {};
  for (const [key, v0] of Object.entries(first)) {
    if (isSampleArray(v0)) {
      const per = v0.data.length;
      const Ctor = v0.data.constructor as new (n: number) => SampleArrayData;
      const out = new Ctor(per * samples.length);
      samples.forEach((s, i) => {
        const v = s[key];
        if (!v || !isSampleArray(v) || v.data.length !== per || v.dtype !== v0.dtype || v.shape.join() !== v0.shape.join()) {
          throw new Error(
            `collate: sample ${indices[i]} has '${key}' of shape [${v && isSampleArray(v) ? v.shape.join(', ') : typeof v}], ` +
              `expected [${v0.shape.join(', ')}] (${v0.dtype}) like sample ${indices[0]}`,
          );
        }
        (out as unknown as { set(a: ArrayLike<unknown>, o: number): void }).set(v.data as ArrayLike<unknown>, i * per);
      });
      arrays[key] = { data: out, shape: [samples.length, ...v0.shape], dtype: v0.dtype };
    } else {
      values[key] = samples.map((s) => s[key] as number | string | boolean);
    }
  }
  return { arrays, values, indices, failures };
}
