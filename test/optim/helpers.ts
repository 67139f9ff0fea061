// Shared helpers for the optim tests: fixtures, tensors from flat values, comparisons.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as torch from '../../src/torch/index.js';
import * as optim from '../../src/optim/index.js';

export type Tensor = torch.Tensor;

export function fixture<T>(name: string): T {
  const path = fileURLToPath(new URL(`../fixtures/optim/${name}`, import.meta.url));
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}

/** A float32 tensor (kept: tests dispose it) from flat values and a shape. */
export function f32(values: readonly number[], shape: readonly number[]): Tensor {
  return torch.keep(torch.tidy(() => torch.tensor(Float32Array.from(values)).reshape(shape).contiguous()));
}

export function flat(t: Tensor): number[] {
  return Array.from(t.toTypedArray() as Float32Array);
}

/** Largest |a - b| / max(1e-3, |b|) over the elements (relative, floored for values near 0). */
export function maxRelErr(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!) / Math.max(1e-3, Math.abs(b[i]!)));
  return m;
}

export type Snake = Record<string, number | boolean | number[]>;

/** torch's snake_case option names -> gdt's camelCase ones. */
export function camelOptions(o: Snake): Record<string, number | boolean | number[]> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), v]));
}

export type OptimizerKind = 'SGD' | 'Adam' | 'AdamW' | 'LARS';
export type AnyOptimizer = optim.SGD | optim.Adam | optim.AdamW | optim.LARS;

export function makeOptimizer(kind: OptimizerKind, groups: { params: Tensor[]; options: Snake }[]): AnyOptimizer {
  const init = groups.map((g) => ({ params: g.params, ...camelOptions(g.options) }));
  const lr = Number(groups[0]!.options.lr);
  switch (kind) {
    case 'SGD':
      return new optim.SGD(init as optim.ParamGroupInit<optim.SGDOptions>[], { lr });
    case 'Adam':
      return new optim.Adam(init as optim.ParamGroupInit<optim.AdamOptions>[]);
    case 'AdamW':
      return new optim.AdamW(init as optim.ParamGroupInit<optim.AdamWOptions>[]);
    case 'LARS':
      return new optim.LARS(init as optim.ParamGroupInit<optim.LARSOptions>[], { lr });
  }
}

export interface TensorJson {
  shape: number[];
  dtype: string;
  values: number[];
}

export interface TrajectoryCase {
  name: string;
  optimizer: OptimizerKind;
  groups: { params: number[]; options: Snake }[];
  shapes: number[][];
  initial: number[][];
  grads: (number[] | null)[][];
  trajectory: number[][][];
  state_dict: {
    state: Record<string, Record<string, TensorJson | null>>;
    param_groups: Record<string, unknown>[];
  };
}
