// Gaussian blur (SPEC 5.3): kornia's GaussianBlur2d with an 11 x 11 kernel and reflect borders.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { isReference, type Compat } from './compat.js';
import type { RandomStreams } from './rng.js';
import { expectFloatClip } from './video-layout.js';

/** Kernel size of the reference's blur. */
export const BLUR_KERNEL_SIZE = 11;
/** The reference's fixed sigmas: 0.1 along the height axis, 2.0 along the width axis (SPEC 13.28). */
export const REFERENCE_BLUR_SIGMA = [0.1, 2.0] as const;
/** Range of the isotropic sigma drawn by the corrected blur (SimCLR's rule, which 13.28 misses). */
export const BLUR_SIGMA_RANGE = [0.1, 2.0] as const;

/** `g(t) = exp(-(t - size//2)^2 / (2 sigma^2))` for t = 0..size-1, normalised to sum 1 (kornia). */
export function gaussianKernel1d(size: number, sigma: number): number[] {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`gaussianKernel1d: size must be a positive integer, got ${size}`);
  if (!(sigma > 0)) throw new RangeError(`gaussianKernel1d: sigma must be > 0, got ${sigma}`);
  const c = Math.floor(size / 2);
  const g = Array.from({ length: size }, (_, t) => Math.exp(-((t - c) ** 2) / (2 * sigma * sigma)));
  const s = g.reduce((a, b) => a + b, 0);
  return g.map((v) => v / s);
}

/** The separable 2-D kernel `k[r][c] = g_{sigmaH}(r) * g_{sigmaW}(c)` as a (size, size) tensor. */
export function gaussianKernel2d(size: number, sigmaH: number, sigmaW: number, dtype: 'float32' | 'float64' = 'float32'): Tensor {
  return torch.tidy(() => {
    const ky = torch.tensor(gaussianKernel1d(size, sigmaH), { dtype: 'float64' });
    const kx = torch.tensor(gaussianKernel1d(size, sigmaW), { dtype: 'float64' });
    return ky.outer(kx).to(dtype);
  });
}

/**
 * Blur every channel of every frame with the (sigmaH, sigmaW) Gaussian: reflect padding of
 * size//2 on each side, then a correlation with the 2-D kernel (output has the input's size).
 */
export function gaussianBlur(clip: Tensor, sigma: readonly [number, number], kernelSize = BLUR_KERNEL_SIZE): Tensor {
  expectFloatClip(clip, 'gaussianBlur');
  const [t, c, h, w] = clip.shape as [number, number, number, number];
  const p = Math.floor(kernelSize / 2);
  if (h <= p || w <= p) throw new RangeError(`gaussianBlur: reflect padding ${p} needs frames larger than ${p}, got ${h}x${w}`);
  return torch.tidy(() => {
    const k = gaussianKernel2d(kernelSize, sigma[0], sigma[1], clip.dtype === 'float64' ? 'float64' : 'float32').to(clip.dtype);
    const planes = clip.reshape([t * c, 1, h, w]);
    const padded = torch.F.pad(planes, [p, p, p, p], 'reflect');
    const out = torch.F.conv2d(padded, k.reshape([1, 1, kernelSize, kernelSize]));
    return out.reshape([t, c, h, w]);
  });
}

export interface RandomGaussianBlurOptions {
  /**
   * `'correct'` (default): an isotropic sigma `U(0.1, 2.0)` (NumPy stream, one draw per clip).
   * `'reference'`: the fixed anisotropic sigmas (0.1 on H, 2.0 on W), no draw (SPEC 13.28).
   */
  compat?: Compat;
  kernelSize?: number;
}

/** The sigmas [sigmaH, sigmaW] the blur uses (draws from the NumPy stream in correct mode). */
export function drawBlurSigma(rng: RandomStreams, o: RandomGaussianBlurOptions = {}): [number, number] {
  if (isReference(o.compat)) return [REFERENCE_BLUR_SIGMA[0], REFERENCE_BLUR_SIGMA[1]];
  const s = rng.numpy.uniform(BLUR_SIGMA_RANGE[0], BLUR_SIGMA_RANGE[1]);
  return [s, s];
}

/** The reference's blur step (the probability coin is the caller's, see clip-augment). */
export function randomGaussianBlur(clip: Tensor, rng: RandomStreams, o: RandomGaussianBlurOptions = {}): Tensor {
  return gaussianBlur(clip, drawBlurSigma(rng, o), o.kernelSize ?? BLUR_KERNEL_SIZE);
}
