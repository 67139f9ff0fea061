// The two video augmentation pipelines of the reference (SPEC 5.7, 5.8), composed from the single
// transforms. Input: decoded frames (T, H, W, C) uint8 (or 0..255 float); output: one augmented
// view (C, T, H, W) float32, the model layout. `compat: 'reference'` also reproduces the pipeline
// bugs of SPEC 13.25 (GDT jitter on the wrong axis) and 13.27 (normalising before colour jitter).
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { isReference, type Compat } from './compat.js';
import type { RandomStreams } from './rng.js';
import { randomGaussianBlur } from './video-blur.js';
import { colorJitter, grayscale, normalize, REFERENCE_MEAN, REFERENCE_STD } from './video-color.js';
import { horizontalFlip, randomResizedCrop, spatialSampling } from './video-geometry.js';
import { tchwToCthw, thwcToTchw, toUnitFloat } from './video-layout.js';

/** Short-side jitter range of the reference for a crop size: (128, 160) for 112/128, else (256, 320). */
export function jitterScalesFor(cropSize: number): [number, number] {
  return cropSize === 112 || cropSize === 128 ? [128, 160] : [256, 320];
}

export interface GdtAugmentOptions {
  /** Crop size (default 112). */
  cropSize?: number;
  /** Short-side jitter range (default `jitterScalesFor(cropSize)`). */
  scales?: readonly [number, number];
  mean?: readonly number[];
  std?: readonly number[];
  /**
   * `'reference'`: colour jitter on the (C, T, H, W) tensor as if it were (T, C, H, W) (13.25),
   * BGR grayscale weights (13.26), random crop never at the last offset (13.30).
   */
  compat?: Compat;
}

/**
 * GDT pretraining view (SPEC 5.7, `GDTPretrainDataset.augmentation`): `/255`, short-side jitter,
 * random crop, flip p = 0.5, colour jitter (0.4, 0.4, 0.4) always applied, normalisation.
 * Draws (NumPy stream): scale, crop y, crop x, flip, jitter permutation, one factor per part.
 */
export function gdtAugment(frames: Tensor, rng: RandomStreams, o: GdtAugmentOptions = {}): Tensor {
  const ref = isReference(o.compat);
  const cropSize = o.cropSize ?? 112;
  const [minScale, maxScale] = o.scales ?? jitterScalesFor(cropSize);
  return torch.tidy(() => {
    const clip = thwcToTchw(toUnitFloat(frames));
    const sampled = spatialSampling(clip, rng, { spatialIdx: -1, minScale, maxScale, cropSize, compat: o.compat });
    // The reference jitters its (C, T, H, W) tensor: the "channels" it mixes are frames 0..2.
    const jittered = ref
      ? tchwToCthw(colorJitter(tchwToCthw(sampled).contiguous(), rng, { compat: 'reference' }))
      : colorJitter(sampled, rng);
    const normalised = normalize(jittered, o.mean ?? REFERENCE_MEAN, o.std ?? REFERENCE_STD);
    return tchwToCthw(normalised).contiguous();
  });
}

export interface ClipAugmentOptions {
  /** -1 random crop + flip; 0/1/2 uniform crop; 3/4/5 uniform crop + flip (default -1). */
  spatialIdx?: -1 | 0 | 1 | 2 | 3 | 4 | 5;
  /** Crop size (default 112). */
  cropSize?: number;
  /** Short-side jitter range (default `jitterScalesFor(cropSize)`). */
  scales?: readonly [number, number];
  /** Use the random resized crop (area fraction `areaScale`) + flip instead of jitter + crop. */
  randomResizedCrop?: boolean;
  /** Area range of the random resized crop (default (0.14, 1.0), STiCA). */
  areaScale?: readonly [number, number];
  /** Colour jitter (0.4, 0.4, 0.4) with probability 0.8 (`U(0,1) >= 0.2`). */
  colorJitter?: boolean;
  /** Grayscale with probability 0.2 (`U(0,1) >= 0.8`). */
  grayscale?: boolean;
  /** Gaussian blur with probability 0.5 (`U(0,1) >= 0.5`). */
  gaussianBlur?: boolean;
  mean?: readonly number[];
  std?: readonly number[];
  /**
   * `'reference'`: normalise before the spatial and colour transforms (13.27), BGR grayscale weights
   * (13.26), fixed anisotropic blur (13.28), random crop never at the last offset (13.30).
   */
  compat?: Compat;
}

/**
 * `AVideoDataset` view (SPEC 5.8, `clip_augmentation`): `/255`, spatial transform, then the
 * optional colour jitter, grayscale and blur, each behind its own NumPy coin, in that order;
 * normalisation last (correct) or first (reference).
 */
export function clipAugment(frames: Tensor, rng: RandomStreams, o: ClipAugmentOptions = {}): Tensor {
  const ref = isReference(o.compat);
  const cropSize = o.cropSize ?? 112;
  const [minScale, maxScale] = o.scales ?? jitterScalesFor(cropSize);
  const mean = o.mean ?? REFERENCE_MEAN;
  const std = o.std ?? REFERENCE_STD;
  return torch.tidy(() => {
    let clip = thwcToTchw(toUnitFloat(frames));
    if (ref) clip = normalize(clip, mean, std);
    if (o.randomResizedCrop) {
      const c = randomResizedCrop(clip, rng, cropSize, { scale: o.areaScale ?? [0.14, 1.0] });
      clip = horizontalFlip(c, rng, 0.5);
    } else {
      clip = spatialSampling(clip, rng, { spatialIdx: o.spatialIdx ?? -1, minScale, maxScale, cropSize, compat: o.compat });
    }
    if (o.colorJitter && rng.numpy.random() >= 0.2) clip = colorJitter(clip, rng, { compat: o.compat });
    if (o.grayscale && rng.numpy.random() >= 0.8) clip = grayscale(clip, { compat: o.compat });
    if (o.gaussianBlur && rng.numpy.random() >= 0.5) clip = randomGaussianBlur(clip, rng, { compat: o.compat });
    if (!ref) clip = normalize(clip, mean, std);
    return tchwToCthw(clip).contiguous();
  });
}
