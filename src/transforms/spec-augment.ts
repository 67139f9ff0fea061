// SpecAugment as the reference applies it to GDT spectrograms (SPEC 5.6): frequency and time masks
// set to 0, after z-normalisation. The time warp exists in the reference but is commented out; it
// is implemented here (a clean piecewise-linear warp) and off unless asked for.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import type { RandomStreams } from './rng.js';

/** `[number of frequency masks, number of time masks, F, T]` presets of `--audio_augtype`. */
export const SPEC_AUGMENT_POLICIES = {
  mild: [1, 1, 2, 5],
  medium: [1, 1, 3, 6],
  heavy: [2, 2, 3, 6],
} as const satisfies Record<string, readonly [number, number, number, number]>;

export type SpecAugmentPolicyName = keyof typeof SPEC_AUGMENT_POLICIES;

export interface SpecAugmentPolicy {
  /** m_F: number of frequency masks. */
  freqMasks: number;
  /** m_T: number of time masks. */
  timeMasks: number;
  /** F: a frequency mask is `int(U(0, F))` rows wide, i.e. 0..ceil(F)-1. */
  freqParam: number;
  /** T: a time mask is `int(U(0, T))` frames wide. */
  timeParam: number;
}

/** A named preset or the reference's `[mF, mT, F, T]` list. */
export function specAugmentPolicy(p: SpecAugmentPolicyName | readonly number[] | SpecAugmentPolicy): SpecAugmentPolicy {
  if (typeof p === 'string') {
    const v = SPEC_AUGMENT_POLICIES[p];
    if (v === undefined) throw new RangeError(`unknown SpecAugment policy '${String(p)}' (mild, medium, heavy)`);
    return { freqMasks: v[0], timeMasks: v[1], freqParam: v[2], timeParam: v[3] };
  }
  if (Array.isArray(p)) {
    if (p.length !== 4) throw new RangeError(`a SpecAugment list is [mF, mT, F, T], got ${p.length} values`);
    return { freqMasks: p[0]!, timeMasks: p[1]!, freqParam: p[2]!, timeParam: p[3]! };
  }
  return p as SpecAugmentPolicy;
}

/** One mask: rows (`freq`) or columns (`time`) `[start, start + width)` set to 0. */
export interface SpecMask {
  axis: 'freq' | 'time';
  start: number;
  width: number;
}

/**
 * The masks' draws, in the reference's order: every frequency mask, then every time mask; each
 * draws its width `int(U(0, param))` from the NumPy stream, then its start `U{0..size - width}`
 * (both ends included) from the Python stream.
 */
export function drawSpecMasks(rng: RandomStreams, numFreq: number, numFrames: number, policy: SpecAugmentPolicy): SpecMask[] {
  const masks: SpecMask[] = [];
  for (let i = 0; i < policy.freqMasks; i++) {
    const width = Math.trunc(rng.numpy.uniform(0, policy.freqParam));
    masks.push({ axis: 'freq', start: rng.python.randint(0, numFreq - width), width });
  }
  for (let i = 0; i < policy.timeMasks; i++) {
    const width = Math.trunc(rng.numpy.uniform(0, policy.timeParam));
    masks.push({ axis: 'time', start: rng.python.randint(0, numFrames - width), width });
  }
  return masks;
}

/** A copy of `spec` (..., F, S) with the masks set to 0. */
export function applySpecMasks(spec: Tensor, masks: readonly SpecMask[]): Tensor {
  const out = spec.clone();
  for (const m of masks) {
    if (m.width <= 0) continue;
    const range = `${m.start}:${m.start + m.width}`;
    out.indexPut_(m.axis === 'freq' ? `..., ${range}, :` : `..., ${range}`, 0);
  }
  return out;
}

/** A time warp: column `center` moves to `center + shift`. */
export interface TimeWarpParams {
  center: number;
  shift: number;
}

/**
 * The time-warp draws of the reference's (disabled) `time_warp`: `center = randrange(W, S - W)`,
 * `shift = randrange(-W, W)` (Python stream, upper ends excluded).
 */
export function drawTimeWarp(rng: RandomStreams, numFrames: number, w: number): TimeWarpParams {
  if (numFrames - w <= w) throw new RangeError(`timeWarp: W = ${w} needs more than ${2 * w} frames, got ${numFrames}`);
  const center = rng.python.randrange(w, numFrames - w);
  const shift = rng.python.randrange(-w, w);
  return { center, shift };
}

/**
 * Piecewise-linear warp of the time axis (last dim): output column `center + shift` samples input
 * column `center`; the first and last columns stay; linear interpolation in between.
 */
export function warpTime(spec: Tensor, p: TimeWarpParams): Tensor {
  const s = spec.shape[spec.ndim - 1]!;
  const dest = p.center + p.shift;
  if (p.center <= 0 || p.center >= s - 1 || dest < 0 || dest > s - 1) throw new RangeError(`warpTime: cannot move column ${p.center} to ${dest} of ${s}`);
  const i0 = new Array<number>(s);
  const i1 = new Array<number>(s);
  const wt = new Float64Array(s);
  for (let x = 0; x < s; x++) {
    const src = x <= dest ? (dest === 0 ? 0 : (x * p.center) / dest) : p.center + ((x - dest) * (s - 1 - p.center)) / (s - 1 - dest);
    const f = Math.min(Math.floor(src), s - 1);
    i0[x] = f;
    i1[x] = Math.min(f + 1, s - 1);
    wt[x] = src - f;
  }
  return torch.tidy(() => {
    const w = torch.tensor(wt).to(spec.dtype);
    const a = spec.indexSelect(-1, torch.tensor(i0, { dtype: 'int64' }));
    const b = spec.indexSelect(-1, torch.tensor(i1, { dtype: 'int64' }));
    return a.mul(w.rsub(1)).add(b.mul(w));
  });
}

/** Time warp with parameter W (draws from the Python stream). */
export function timeWarp(spec: Tensor, rng: RandomStreams, w: number): Tensor {
  return warpTime(spec, drawTimeWarp(rng, spec.shape[spec.ndim - 1]!, w));
}

export interface SpecAugmentOptions {
  /** Time-warp parameter W; 0 (default) disables it, as in the reference. */
  timeWarp?: number;
}

/**
 * SpecAugment on a (C, F, S) (or (F, S)) spectrogram: optional time warp, then the policy's
 * frequency and time masks (set to 0). Returns a new tensor.
 */
export function specAugment(
  spec: Tensor,
  rng: RandomStreams,
  policy: SpecAugmentPolicyName | readonly number[] | SpecAugmentPolicy,
  o: SpecAugmentOptions = {},
): Tensor {
  if (spec.ndim < 2) throw new RangeError(`specAugment: expects (..., F, S), got shape [${spec.shape.join(', ')}]`);
  const pol = specAugmentPolicy(policy);
  return torch.tidy(() => {
    const warped = o.timeWarp ? timeWarp(spec, rng, o.timeWarp) : spec;
    const [f, s] = warped.shape.slice(-2) as [number, number];
    return applySpecMasks(warped, drawSpecMasks(rng, f, s, pol));
  });
}
