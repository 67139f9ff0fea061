// The reference's audio features (`get_spec`, SPEC 5.5): cut `numSec` seconds of int16 samples
// at the clip start, jitter the volume, log filterbank, (1, F, S) float32, z-normalise, SpecAugment.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { isReference, type Compat } from './compat.js';
import { logFilterbank } from './filterbank.js';
import type { RandomStreams } from './rng.js';
import { pySliceBounds, roundHalfEven } from './rounding.js';
import { specAugment, type SpecAugmentPolicy, type SpecAugmentPolicyName } from './spec-augment.js';

/** Spectrogram types: 1 = 40 filters, 2 = 257 filters (both on a 1024-point FFT). */
export type SpecType = 1 | 2;
export const SPEC_TYPE_FILTERS: Record<SpecType, number> = { 1: 40, 2: 257 };

/** The reference's z-normalisation constants: `(spec - 1.93) / 17.89`. */
export const Z_NORM_MEAN = 1.93;
export const Z_NORM_STD = 17.89;

/** Sample rate of the reference's audio (ffmpeg `-ar 24000`). */
export const AUDIO_SAMPLE_RATE = 24000;

export interface SegmentOptions {
  numSec?: number;
  sampleRate?: number;
  /**
   * `'correct'` (default): the start is clamped into the track and a track shorter than `numSec`
   * is zero-padded at the end. `'reference'`: Python slicing of `w[a:b]` with
   * `a = len - sr*numSec` when the window runs past the end, so a short track gives a negative
   * start and only its last `-a` samples (SPEC 13.32).
   */
  compat?: Compat;
}

/**
 * The samples of `numSec` seconds starting at `startSec` (SPEC 5.5 step 2):
 * `a = round(t0 sr)` (ties to even), `b = a + sr numSec`; when `b` passes the end of the track the
 * window is moved to end there. Returns float64 samples at their original (int16) scale.
 */
export function audioSegment(wav: Tensor, startSec: number, o: SegmentOptions = {}): Tensor {
  if (wav.ndim !== 1) throw new RangeError(`audioSegment: expects 1-D samples, got shape [${wav.shape.join(', ')}]`);
  const sr = o.sampleRate ?? AUDIO_SAMPLE_RATE;
  const n = sr * (o.numSec ?? 1);
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`audioSegment: sampleRate * numSec must be a positive integer, got ${n}`);
  const len = wav.shape[0]!;
  let a = roundHalfEven(startSec * sr);
  let b = a + n;
  return torch.tidy(() => {
    const x = wav.double();
    if (isReference(o.compat)) {
      if (b > len) {
        a = len - n;
        b = len;
      }
      const [s, e] = pySliceBounds(len, a, b);
      return x.index(`${s}:${e}`).clone();
    }
    if (b > len) {
      b = len;
      a = len - n;
    }
    a = Math.max(0, a);
    const seg = x.index(`${a}:${Math.max(a, b)}`);
    return seg.shape[0]! < n ? torch.F.pad(seg, [0, n - seg.shape[0]!]) : seg.clone();
  });
}

/** Volume jitter: multiply by `U(0.9, 1.1)` (NumPy stream). Returns float64. */
export function volumeJitter(samples: Tensor, rng: RandomStreams, range: readonly [number, number] = [0.9, 1.1]): Tensor {
  const g = rng.numpy.uniform(range[0], range[1]);
  using x = samples.double();
  return x.mul(g);
}

/** Time reversal of a spectrogram: its last (time) axis flipped (SPEC 5.7). */
export function reverseSpectrogram(spec: Tensor): Tensor {
  return spec.flip(-1);
}

export interface SpecOptions {
  /** Seconds of audio (default 1). */
  numSec?: number;
  /** Default 24000. */
  sampleRate?: number;
  /** 1: 40 filters (default); 2: 257 filters. */
  specType?: SpecType;
  /** Multiply the samples by U(0.9, 1.1) (NumPy) — on in every reference script. */
  volumeJitter?: boolean;
  /** Shift the start by U(-0.5, 0.5) s (NumPy) — off in every reference script. */
  temporalJitter?: boolean;
  /** `(spec - 1.93) / 17.89` — GDT on, STiCA off. */
  zNormalize?: boolean;
  /** SpecAugment policy (GDT: 'medium'); none by default. */
  specAugment?: SpecAugmentPolicyName | readonly number[] | SpecAugmentPolicy;
  /** SpecAugment time-warp parameter W (default 0: off, as the reference). */
  timeWarp?: number;
  /**
   * `'reference'`: the reference's segment cut for short tracks (13.32) and, for `numSec > 1`, the
   * copy into a zero (1, 257, 100 numSec - 1) array (13.31: fails for type 1, as the reference).
   */
  compat?: Compat;
}

/**
 * `get_spec` (SPEC 5.5): returns a float32 (1, F, S) log-filterbank spectrogram, F = 40 or 257,
 * S = 99 for 1 s and 199 for 2 s. Draw order: temporal jitter, volume (NumPy), SpecAugment.
 */
export function getSpec(wav: Tensor, startSec: number, rng: RandomStreams, o: SpecOptions = {}): Tensor {
  const sr = o.sampleRate ?? AUDIO_SAMPLE_RATE;
  const numSec = o.numSec ?? 1;
  const specType = o.specType ?? 1;
  const nfilt = SPEC_TYPE_FILTERS[specType];
  if (nfilt === undefined) throw new RangeError(`specType must be 1 or 2, got ${String(specType)}`);
  const ref = isReference(o.compat);
  return torch.tidy(() => {
    const t0 = o.temporalJitter ? startSec + rng.numpy.uniform(-0.5, 0.5) : startSec;
    let seg = audioSegment(wav, t0, { numSec, sampleRate: sr, compat: o.compat });
    if (o.volumeJitter) seg = volumeJitter(seg, rng);
    const fb = logFilterbank(seg, { sampleRate: sr, winLen: 0.02, winStep: 0.01, nfilt, nfft: 1024 });
    let spec = fb.float().t().unsqueeze(0); // (1, F, S)
    if (ref && numSec > 1) {
      const frames = 100 * numSec - 1;
      if (nfilt !== 257 || spec.shape[2]! > frames) {
        throw new RangeError(`could not broadcast input array from shape (1,${nfilt},${spec.shape[2]}) into shape (1,257,${Math.min(frames, spec.shape[2]!)}) (reference get_spec with numSec > 1)`);
      }
      spec = torch.F.pad(spec, [0, frames - spec.shape[2]!]);
    }
    if (o.zNormalize) spec = spec.sub(Z_NORM_MEAN).div(Z_NORM_STD);
    if (o.specAugment !== undefined) spec = specAugment(spec, rng, o.specAugment, { timeWarp: o.timeWarp });
    return spec.contiguous();
  });
}
