// Deterministic weights and inputs shared with scripts/fixtures/make_model_fixtures.py: every
// float tensor is filled from an integer hash of (state-dict key, element index), computed
// exactly alike in Python and here, so the fixtures store outputs only.
import { readFileSync } from 'node:fs';
import { torch, nn } from '../../src/index.js';
import type { Tensor } from '../../src/torch/index.js';

const SQRT3 = Math.sqrt(3);

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(s, 'utf8')) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** u in (0, 1) per element: lowbias32 of (i + base) mod 2^32. */
export function hashUniform(key: string, n: number, seed: number): Float64Array {
  const base = Math.imul((fnv1a(key) ^ seed) >>> 0, 0x9e3779b9) >>> 0;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = (i + base) >>> 0;
    x ^= x >>> 16;
    x = Math.imul(x, 0x7feb352d) >>> 0;
    x ^= x >>> 15;
    x = Math.imul(x, 0x846ca68b) >>> 0;
    x ^= x >>> 16;
    out[i] = ((x >>> 0) + 0.5) / 4294967296;
  }
  return out;
}

/** The values make_model_fixtures.py's hash_value gives state-dict entry `key`. */
export function hashValues(key: string, shape: readonly number[], seed: number): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const u = hashUniform(key, n, seed);
  const v = new Float32Array(n);
  if (key.endsWith('running_var')) for (let i = 0; i < n; i++) v[i] = 0.5 + u[i]!;
  else if (key.endsWith('running_mean')) for (let i = 0; i < n; i++) v[i] = (u[i]! - 0.5) * 0.2;
  else if (shape.length === 1 && key.endsWith('weight')) for (let i = 0; i < n; i++) v[i] = 0.75 + 0.5 * u[i]!;
  else if (shape.length <= 1) for (let i = 0; i < n; i++) v[i] = (u[i]! - 0.5) * 0.2;
  else {
    const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
    const a = SQRT3 * (1 / Math.sqrt(fanIn));
    for (let i = 0; i < n; i++) v[i] = (2 * u[i]! - 1) * a;
  }
  return v;
}

export function hashTensor(key: string, shape: readonly number[], seed: number): Tensor {
  return torch.tensor(hashValues(key, shape, seed)).reshape(shape);
}

export function hashInput(name: string, shape: readonly number[], seed = 7): Tensor {
  const u = hashUniform(`input:${name}`, shape.reduce((a, b) => a * b, 1), seed);
  return torch.tensor(Float32Array.from(u, (x) => (2 * x - 1) * SQRT3)).reshape(shape);
}

export function hashIds(name: string, shape: readonly number[], vocab: number, seed = 7): Tensor {
  const u = hashUniform(`ids:${name}`, shape.reduce((a, b) => a * b, 1), seed);
  return torch.tensor(Array.from(u, (x) => Math.floor(x * vocab)), { dtype: 'int64' }).reshape(shape);
}

/** Fills every float tensor of the model's state dict with its hash values. */
export function fillHashed(model: nn.Module<never[], unknown>, seed: number): void {
  torch.tidy(() => {
    torch.noGrad(() => {
      for (const [k, t] of model.stateDict()) {
        if (t.dtype !== 'float32') continue;
        t.copy_(hashTensor(k, t.shape, seed));
      }
    });
  });
}

export interface F32 {
  shape: number[];
  f32: string;
}
export interface Case {
  config: Record<string, unknown>;
  keys: [string, number[]][];
  outputs: Record<string, F32>;
  weight_sums?: Record<string, number>;
}
export interface Fixture {
  seed: number;
  cases: Record<string, Case>;
  init: Record<string, { seed: number; sums: Record<string, [number, number]> }>;
  tokens: { words: string[]; captions: string[]; ids: number[][]; splits: string[][] };
  /** Per-key sums of the tensors in the torch.save checkpoint fixtures. */
  checkpoints: { gdt: Record<string, number>; stica: Record<string, number> };
}

export const fixtureDir = new URL('../fixtures/models/', import.meta.url);
let cached: Fixture | undefined;
export function fixture(): Fixture {
  return (cached ??= JSON.parse(readFileSync(new URL('models.json', fixtureDir), 'utf8')) as Fixture);
}

export function decode(o: F32): Float32Array {
  const b = Buffer.from(o.f32, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

/** Norm-wise relative error: max |a - b| / max |b| (scale-free). */
export function relError(got: Tensor, want: F32): number {
  const a = got.toTypedArray() as Float32Array;
  const b = decode(want);
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i]! - b[i]!));
    den = Math.max(den, Math.abs(b[i]!));
  }
  return num / Math.max(den, 1e-30);
}

/** State-dict keys and shapes, in order. */
export function keysAndShapes(model: nn.Module<never[], unknown>): [string, number[]][] {
  return torch.tidy(() => [...model.stateDict()].map(([k, t]) => [k, t.shape] as [string, number[]]));
}
