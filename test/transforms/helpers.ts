// Shared helpers for the transforms tests: the Python fixture, synthetic inputs, comparisons.
import { readFileSync } from 'node:fs';
import { torch } from '../../src/index.js';
import type { Tensor } from '../../src/torch/index.js';

export interface F32 {
  shape: number[];
  f32: string;
}

/** Decodes a little-endian float32 array written by the fixture script. */
export function decodeF32(a: F32): Float32Array {
  const buf = Buffer.from(a.f32, 'base64');
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}

export function fixtureTensor(a: F32): Tensor {
  return torch.tensor(decodeF32(a)).reshape(a.shape);
}

let cached: unknown;
export function loadReference<T>(): T {
  cached ??= JSON.parse(readFileSync(new URL('../fixtures/transforms/reference.json', import.meta.url), 'utf8'));
  return cached as T;
}

/** max |a - b| over all elements (shapes must match). */
export function maxAbsDiff(a: Tensor, b: Tensor): number {
  if (a.shape.join() !== b.shape.join()) throw new Error(`shape [${a.shape}] vs [${b.shape}]`);
  return torch.tidy(() => a.double().sub(b.double()).abs().max().item() as number);
}

/** The fixture's uint8 (T, H, W, 3) frames: (t*37 + y*11 + x*7 + c*53 + ((x*y) % 13)*5) % 256. */
export function synthFrames(t: number, h: number, w: number): Tensor {
  const v = new Uint8Array(t * h * w * 3);
  let k = 0;
  for (let a = 0; a < t; a++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) v[k++] = (a * 37 + y * 11 + x * 7 + c * 53 + ((x * y) % 13) * 5) % 256;
  return torch.tensor(v).reshape([t, h, w, 3]);
}

/** The fixture's int16 signal: 31-bit LCG noise in [-2000, 2000] + a sawtooth, silent on [3000, 3600). */
export function synthWavArray(n: number): Int16Array {
  const out = new Int16Array(n);
  let state = 12345;
  for (let i = 0; i < n; i++) {
    state = (Math.imul(state, 1103515245) + 12345) & 0x7fffffff;
    const noise = ((state >>> 16) % 4001) - 2000;
    const saw = ((i * 293) % 16001) - 8000;
    out[i] = i >= 3000 && i < 3600 ? 0 : noise + saw;
  }
  return out;
}

export function synthWav(n: number): Tensor {
  return torch.tensor(synthWavArray(n));
}

/** A float (T, C, H, W) clip of distinct values in [0, 1). */
export function rampClip(t: number, c: number, h: number, w: number): Tensor {
  const n = t * c * h * w;
  return torch.tidy(() => torch.arange(n, undefined, 1, { dtype: 'float32' }).mul(1 / n).reshape([t, c, h, w]));
}

export function arr(t: Tensor): number[] {
  return Array.from(t.toTypedArray() as ArrayLike<number>, Number);
}
