// Colour transforms (SPEC 5.3) on (T, C, H, W) float clips with RGB channels: grayscale,
// brightness / contrast / saturation jitter in random order, mean/std normalisation.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { isReference, type Compat } from './compat.js';
import type { RandomStreams } from './rng.js';
import { expectFloatClip } from './video-layout.js';

/** ITU-R 601 luma weights for R, G, B. */
export const LUMA_WEIGHTS = [0.299, 0.587, 0.114] as const;

/** Mean and std of the reference's normalisation, per RGB channel (SPEC 5.3). */
export const REFERENCE_MEAN = [0.45, 0.45, 0.45] as const;
export const REFERENCE_STD = [0.225, 0.225, 0.225] as const;

export interface GrayscaleOptions {
  /**
   * `'correct'` (default): `0.299 R + 0.587 G + 0.114 B` with channel 0 = R. `'reference'`: the
   * weights written for BGR data, `0.299 ch2 + 0.587 ch1 + 0.114 ch0`, applied to RGB frames
   * (0.299 on blue; SPEC 13.26).
   */
  compat?: Compat;
}

/**
 * Grayscale: the luma written into channels 0, 1, 2 of a zero tensor shaped like `clip` (channels
 * beyond the third stay 0, as in the reference; they only exist when the clip is mislaid, 13.25).
 */
export function grayscale(clip: Tensor, o: GrayscaleOptions = {}): Tensor {
  expectFloatClip(clip, 'grayscale', 3);
  const ref = isReference(o.compat);
  return torch.tidy(() => {
    const [wR, wG, wB] = LUMA_WEIGHTS;
    const c0 = clip.select(1, 0);
    const c1 = clip.select(1, 1);
    const c2 = clip.select(1, 2);
    // Same evaluation order as the reference: ((w * first) + (w * second)) + (w * third).
    const gray = ref ? c2.mul(wR).add(c1.mul(wG)).add(c0.mul(wB)) : c0.mul(wR).add(c1.mul(wG)).add(c2.mul(wB));
    const out = torch.zerosLike(clip);
    const g = gray.unsqueeze(1);
    out.index(':, 0:3').copy_(g.expand([g.shape[0]!, 3, g.shape[2]!, g.shape[3]!]));
    return out;
  });
}

/** `a * alpha + b * (1 - alpha)` (the reference's `blend`). */
export function blend(a: Tensor, b: Tensor, alpha: number): Tensor {
  using x = a.mul(alpha);
  using y = b.mul(1 - alpha);
  return x.add(y);
}

/** Brightness: `x * alpha` (a blend with black). */
export function adjustBrightness(clip: Tensor, alpha: number): Tensor {
  return torch.tidy(() => blend(clip, torch.zerosLike(clip), alpha));
}

/** Contrast: blend towards the mean of the grayscale image over (C, H, W) of each frame. */
export function adjustContrast(clip: Tensor, alpha: number, o: GrayscaleOptions = {}): Tensor {
  return torch.tidy(() => {
    const gray = grayscale(clip, o);
    // mean over dims (1, 2, 3); flattened because the tensor API rejects multi-dim reductions
    // (the native int[1] argument check, see the transforms README).
    const m = gray.flatten(1).mean(1, true).reshape([clip.shape[0]!, 1, 1, 1]);
    return blend(clip, m.expandAs(clip), alpha);
  });
}

/** Saturation: blend towards the grayscale image. */
export function adjustSaturation(clip: Tensor, alpha: number, o: GrayscaleOptions = {}): Tensor {
  return torch.tidy(() => blend(clip, grayscale(clip, o), alpha));
}

export interface ColorJitterOptions {
  /** Jitter ratios: each factor is `1 + U(-v, v)`; 0 disables that part. Defaults 0.4 each. */
  brightness?: number;
  contrast?: number;
  saturation?: number;
  /** Grayscale weights used by contrast and saturation (SPEC 13.26). */
  compat?: Compat;
}

export type JitterKind = 'brightness' | 'contrast' | 'saturation';

/** The jitter parts in the order they are applied and their factors, as the draws decide. */
export interface ColorJitterParams {
  order: JitterKind[];
  alphas: number[];
}

/**
 * Colour jitter (SPEC 5.3; NumPy stream): the enabled parts `[brightness, contrast, saturation]`
 * are applied in the order of one `permutation`, each drawing `alpha = 1 + U(-v, v)` when applied.
 * There is no hue jitter in the reference. Returns the jittered clip.
 */
export function colorJitter(clip: Tensor, rng: RandomStreams, o: ColorJitterOptions = {}): Tensor {
  return colorJitterWithParams(clip, rng, o)[0];
}

/** `colorJitter` that also returns the order and factors it drew. */
export function colorJitterWithParams(clip: Tensor, rng: RandomStreams, o: ColorJitterOptions = {}): [Tensor, ColorJitterParams] {
  expectFloatClip(clip, 'colorJitter', 3);
  const vars: Record<JitterKind, number> = { brightness: o.brightness ?? 0.4, contrast: o.contrast ?? 0.4, saturation: o.saturation ?? 0.4 };
  const kinds = (['brightness', 'contrast', 'saturation'] as const).filter((k) => vars[k] !== 0);
  const params: ColorJitterParams = { order: [], alphas: [] };
  if (kinds.length === 0) return [clip.clone(), params];
  const perm = rng.numpy.permutation(kinds.length);
  const out = torch.tidy(() => {
    let x = clip;
    for (const p of perm) {
      const kind = kinds[p]!;
      const v = vars[kind];
      const alpha = 1 + rng.numpy.uniform(-v, v);
      params.order.push(kind);
      params.alphas.push(alpha);
      x = kind === 'brightness' ? adjustBrightness(x, alpha) : kind === 'contrast' ? adjustContrast(x, alpha, o) : adjustSaturation(x, alpha, o);
    }
    return x === clip ? clip.clone() : x;
  });
  return [out, params];
}

/** `(x - mean[c]) / std[c]` per channel (defaults: the reference's 0.45 / 0.225 on every channel). */
export function normalize(clip: Tensor, mean: readonly number[] = REFERENCE_MEAN, std: readonly number[] = REFERENCE_STD): Tensor {
  expectFloatClip(clip, 'normalize');
  const c = clip.shape[1]!;
  if (mean.length !== c || std.length !== c) throw new RangeError(`normalize: ${c} channels but ${mean.length} means and ${std.length} stds`);
  return torch.tidy(() => {
    // float32 constants, as torch.tensor(MEAN) in the reference.
    const m = torch.tensor([...mean], { dtype: clip.dtype }).reshape([1, c, 1, 1]);
    const s = torch.tensor([...std], { dtype: clip.dtype }).reshape([1, c, 1, 1]);
    return clip.sub(m).div(s);
  });
}
