// Spatial and temporal video transforms (SPEC 5.3) on (T, C, H, W) clips. Random parameters are
// drawn once per clip and applied to every frame. Which stream each draw uses follows SPEC 12.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { isReference, type Compat } from './compat.js';
import type { RandomStreams } from './rng.js';
import { roundHalfEven } from './rounding.js';
import { expectFloatClip, expectRank } from './video-layout.js';

/** Bilinear resize of every frame to (height, width), `align_corners=False` (SPEC 5.3). */
export function resize(clip: Tensor, height: number, width: number): Tensor {
  expectFloatClip(clip, 'resize');
  return torch.F.interpolate(clip, { size: [height, width], mode: 'bilinear', alignCorners: false });
}

/**
 * Output size of the short-side scale to `size`: the short side becomes `size`, the long side
 * `floor(long / short * size)`; `undefined` when the short side already equals `size` (unchanged).
 */
export function shortSideScaleSize(height: number, width: number, size: number): [number, number] | undefined {
  if ((width <= height && width === size) || (height <= width && height === size)) return undefined;
  if (width < height) return [Math.floor((height / width) * size), size];
  return [size, Math.floor((width / height) * size)];
}

/** Deterministic short-side scale to `size` (bilinear). Returns a new tensor (a copy if unchanged). */
export function shortSideScale(clip: Tensor, size: number): Tensor {
  expectFloatClip(clip, 'shortSideScale');
  const [, , h, w] = clip.shape as [number, number, number, number];
  const out = shortSideScaleSize(h, w, size);
  return out === undefined ? clip.clone() : resize(clip, out[0], out[1]);
}

/** Target short side of the scale jitter: `round(U(min, max))` (NumPy `uniform`, Python rounding). */
export function drawScaleJitterSize(rng: RandomStreams, minSize: number, maxSize: number): number {
  return roundHalfEven(rng.numpy.uniform(minSize, maxSize));
}

/** Short-side scale jitter (SPEC 5.3): short side -> `round(U(min, max))`, one draw per clip (NumPy). */
export function randomShortSideScaleJitter(clip: Tensor, rng: RandomStreams, minSize: number, maxSize: number): Tensor {
  return shortSideScale(clip, drawScaleJitterSize(rng, minSize, maxSize));
}

/** Crop a `height` x `width` window (default square) at (y, x) from every frame (a view). */
export function crop(clip: Tensor, y: number, x: number, height: number, width: number = height): Tensor {
  expectRank(clip, 4, 'crop');
  const [, , h, w] = clip.shape as [number, number, number, number];
  if (y < 0 || x < 0 || y + height > h || x + width > w) {
    throw new RangeError(`crop: window ${height}x${width} at (${y}, ${x}) exceeds the ${h}x${w} frame`);
  }
  return clip.index('..., ' + `${y}:${y + height}, ${x}:${x + width}`);
}

export interface RandomCropOptions {
  /**
   * `'correct'` (default): every offset in [0, side - size] can be drawn (NumPy
   * `randint(0, side - size + 1)`). `'reference'`: NumPy `randint(0, side - size)`, so the last
   * offset is never chosen (SPEC 13.30).
   */
  compat?: Compat;
}

/** Random crop offsets [y, x] (NumPy stream; y first, each drawn only when that side exceeds `size`). */
export function drawCropOffsets(rng: RandomStreams, height: number, width: number, size: number, o: RandomCropOptions = {}): [number, number] {
  if (height < size || width < size) throw new RangeError(`randomCrop: crop ${size} larger than the ${height}x${width} frame`);
  if (height === size && width === size) return [0, 0];
  const ref = isReference(o.compat);
  const draw = (side: number): number => (side > size ? (ref ? rng.numpy.randrange(0, side - size) : rng.numpy.randint(0, side - size)) : 0);
  const y = draw(height);
  const x = draw(width);
  return [y, x];
}

/** Random `size` x `size` crop, the same window for every frame (SPEC 5.3). */
export function randomCrop(clip: Tensor, rng: RandomStreams, size: number, o: RandomCropOptions = {}): Tensor {
  expectRank(clip, 4, 'randomCrop');
  const [, , h, w] = clip.shape as [number, number, number, number];
  const [y, x] = drawCropOffsets(rng, h, w, size, o);
  return crop(clip, y, x, size);
}

/**
 * Offsets of the uniform (test-time) crop: centre `ceil((side - size) / 2)`; index 0/2 move to the
 * start/end of the long axis (top/bottom when H > W, else left/right).
 */
export function uniformCropOffsets(height: number, width: number, size: number, spatialIdx: 0 | 1 | 2): [number, number] {
  if (spatialIdx !== 0 && spatialIdx !== 1 && spatialIdx !== 2) throw new RangeError(`uniformCrop: spatialIdx must be 0, 1 or 2, got ${String(spatialIdx)}`);
  let y = Math.ceil((height - size) / 2);
  let x = Math.ceil((width - size) / 2);
  if (height > width) {
    if (spatialIdx === 0) y = 0;
    else if (spatialIdx === 2) y = height - size;
  } else if (spatialIdx === 0) x = 0;
  else if (spatialIdx === 2) x = width - size;
  return [y, x];
}

/** Uniform crop: 0/1/2 = left/centre/right (W >= H) or top/centre/bottom (H > W) (SPEC 5.3). */
export function uniformCrop(clip: Tensor, size: number, spatialIdx: 0 | 1 | 2): Tensor {
  expectRank(clip, 4, 'uniformCrop');
  const [, , h, w] = clip.shape as [number, number, number, number];
  const [y, x] = uniformCropOffsets(h, w, size, spatialIdx);
  return crop(clip, y, x, size);
}

/** Flip the width axis of every frame. */
export function hflip(clip: Tensor): Tensor {
  return clip.flip(-1);
}

/** Horizontal flip with probability `p`: flips when NumPy `U(0, 1) < p` (always one draw). */
export function horizontalFlip(clip: Tensor, rng: RandomStreams, p = 0.5): Tensor {
  return rng.numpy.random() < p ? hflip(clip) : clip.clone();
}

/** Time reversal of a (T, C, H, W) clip: frames in reverse order. */
export function timeReverse(clip: Tensor): Tensor {
  expectRank(clip, 4, 'timeReverse');
  return clip.flip(0);
}

/** A crop window: top row, left column, height, width. */
export interface CropBox {
  i: number;
  j: number;
  h: number;
  w: number;
}

export interface RandomResizedCropOptions {
  /** Range of the crop area as a fraction of the frame area (default (0.08, 1.0)). */
  scale?: readonly [number, number];
  /** Range of the aspect ratio w/h (default (3/4, 4/3)). */
  ratio?: readonly [number, number];
}

/**
 * Random-resized-crop geometry (SPEC 5.3, torch stream): up to 10 tries of
 * `area' = H*W*U(scale)`, `ratio' = exp(U(log r0, log r1))` (float32, as torch computes it),
 * `w = round(sqrt(area'*ratio'))`, `h = round(sqrt(area'/ratio'))`; accepted when it fits, then
 * `i = U{0..H-h}`, `j = U{0..W-w}` (both ends included). Otherwise a centre crop of the whole
 * frame clamped to the ratio range.
 */
export function drawResizedCropBox(rng: RandomStreams, height: number, width: number, o: RandomResizedCropOptions = {}): CropBox {
  const scale = o.scale ?? [0.08, 1.0];
  const ratio = o.ratio ?? [3 / 4, 4 / 3];
  const area = height * width;
  // torch.log(torch.tensor(ratio)) and torch.exp(...) run in float32 in the reference.
  const [logLo, logHi] = torch.tidy(() => torch.tensor([ratio[0], ratio[1]], { dtype: 'float32' }).log().toArray() as number[]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.torch.uniform(scale[0], scale[1]);
    const u = rng.torch.uniform(logLo!, logHi!);
    const aspect = torch.tidy(() => torch.tensor([u], { dtype: 'float32' }).exp().item() as number);
    const w = roundHalfEven(Math.sqrt(targetArea * aspect));
    const h = roundHalfEven(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      const i = rng.torch.randint(0, height - h);
      const j = rng.torch.randint(0, width - w);
      return { i, j, h, w };
    }
  }
  const inRatio = width / height;
  const rMin = Math.min(ratio[0], ratio[1]);
  const rMax = Math.max(ratio[0], ratio[1]);
  let w: number;
  let h: number;
  if (inRatio < rMin) {
    w = width;
    h = roundHalfEven(w / rMin);
  } else if (inRatio > rMax) {
    h = height;
    w = roundHalfEven(h * rMax);
  } else {
    w = width;
    h = height;
  }
  return { i: Math.floor((height - h) / 2), j: Math.floor((width - w) / 2), h, w };
}

/** Crop `box` from every frame and resize it to `size` x `size` (bilinear). */
export function resizedCrop(clip: Tensor, box: CropBox, size: number | readonly [number, number]): Tensor {
  const [oh, ow] = typeof size === 'number' ? [size, size] : size;
  using c = crop(clip, box.i, box.j, box.h, box.w);
  return resize(c, oh, ow);
}

/** Random resized crop to `size` x `size` (SPEC 5.3; geometry from the torch stream). */
export function randomResizedCrop(clip: Tensor, rng: RandomStreams, size: number, o: RandomResizedCropOptions = {}): Tensor {
  expectFloatClip(clip, 'randomResizedCrop');
  const [, , h, w] = clip.shape as [number, number, number, number];
  return resizedCrop(clip, drawResizedCropBox(rng, h, w, o), size);
}

export interface SpatialSamplingOptions {
  /** -1: random scale, crop and flip; 0/1/2: uniform crop; 3/4/5: uniform crop 0/1/2 then flip. */
  spatialIdx?: -1 | 0 | 1 | 2 | 3 | 4 | 5;
  minScale?: number;
  maxScale?: number;
  cropSize?: number;
  /** Passed to the random crop (SPEC 13.30). */
  compat?: Compat;
}

/**
 * The reference's `spatial_sampling`: short-side scale jitter to U(min, max), then either a random
 * crop and a flip with p = 0.5 (index -1) or a uniform crop (0..2), flipped for 3..5 (a flip with
 * p = 1 still consumes its NumPy draw).
 */
export function spatialSampling(clip: Tensor, rng: RandomStreams, o: SpatialSamplingOptions = {}): Tensor {
  const idx = o.spatialIdx ?? -1;
  const cropSize = o.cropSize ?? 224;
  return torch.tidy(() => {
    const scaled = randomShortSideScaleJitter(clip, rng, o.minScale ?? 256, o.maxScale ?? 320);
    if (idx === -1) {
      const c = randomCrop(scaled, rng, cropSize, { compat: o.compat });
      return horizontalFlip(c, rng, 0.5);
    }
    const c = uniformCrop(scaled, cropSize, (idx % 3) as 0 | 1 | 2);
    return idx >= 3 ? horizontalFlip(c, rng, 1) : c.clone();
  });
}
