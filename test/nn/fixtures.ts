// Loads the PyTorch fixtures written by scripts/fixtures/make_nn_fixtures.py.
import { readFileSync } from 'node:fs';
import { torch } from '../../src/index.js';
import type { Tensor, DType } from '../../src/torch/index.js';

export interface JsonTensor {
  shape: number[];
  dtype: string;
  values: number[];
}

export function fromJson(j: JsonTensor): Tensor {
  const dtype = (j.dtype === 'float32' ? 'float32' : j.dtype) as DType;
  if (dtype === 'bool') return torch.tensor(j.values.map((v) => v !== 0)).reshape(j.shape);
  if (dtype === 'int64') return torch.tensor(j.values, { dtype: 'int64' }).reshape(j.shape);
  return torch.tensor(Float64Array.from(j.values)).to(dtype).reshape(j.shape);
}

export function loadFixture<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../fixtures/nn/${name}`, import.meta.url), 'utf8')) as T;
}

/** Largest |a-b| / max(1, |b|) over the elements. */
export function maxRelError(a: Tensor, b: JsonTensor): number {
  const av = Array.from(a.toTypedArray() as Float32Array, Number);
  if (av.length !== b.values.length) throw new Error(`length ${av.length} vs ${b.values.length}`);
  let m = 0;
  for (let i = 0; i < av.length; i++) m = Math.max(m, Math.abs(av[i]! - b.values[i]!) / Math.max(1, Math.abs(b.values[i]!)));
  return m;
}
