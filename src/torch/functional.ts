// torch.nn.functional: neural-network operations on tensors (PyTorch names, camelCase).
import * as aten from './aten.generated.js';
import { dtypeCode, type DType } from './dtype.js';
import { native, type TensorHandle } from './native.js';
import { Tensor, type Dims, type Reduction, reductionCode, dimsArg } from './tensor.js';
import { scalarTensor } from './creation.js';

type IntOrTuple = number | readonly number[];
const opt = (t: Tensor | undefined): TensorHandle | undefined => t?.handle;

export interface ConvOptions {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  dilation?: IntOrTuple;
  groups?: number;
}

export function conv1d(input: Tensor, weight: Tensor, bias?: Tensor, o: ConvOptions = {}): Tensor {
  return new Tensor(aten.conv1d(input.handle, weight.handle, opt(bias), o.stride ?? 1, o.padding ?? 0, o.dilation ?? 1, o.groups ?? 1));
}
export function conv2d(input: Tensor, weight: Tensor, bias?: Tensor, o: ConvOptions = {}): Tensor {
  return new Tensor(aten.conv2d(input.handle, weight.handle, opt(bias), o.stride ?? 1, o.padding ?? 0, o.dilation ?? 1, o.groups ?? 1));
}
export function conv3d(input: Tensor, weight: Tensor, bias?: Tensor, o: ConvOptions = {}): Tensor {
  return new Tensor(aten.conv3d(input.handle, weight.handle, opt(bias), o.stride ?? 1, o.padding ?? 0, o.dilation ?? 1, o.groups ?? 1));
}

export interface ConvTransposeOptions extends ConvOptions {
  outputPadding?: IntOrTuple;
}
export function convTranspose1d(input: Tensor, weight: Tensor, bias?: Tensor, o: ConvTransposeOptions = {}): Tensor {
  return new Tensor(
    aten.conv_transpose1d(input.handle, weight.handle, opt(bias), o.stride ?? 1, o.padding ?? 0, o.outputPadding ?? 0, o.groups ?? 1, o.dilation ?? 1),
  );
}
export function convTranspose2d(input: Tensor, weight: Tensor, bias?: Tensor, o: ConvTransposeOptions = {}): Tensor {
  return new Tensor(
    aten.conv_transpose2d_input(input.handle, weight.handle, opt(bias), o.stride ?? 1, o.padding ?? 0, o.outputPadding ?? 0, o.groups ?? 1, o.dilation ?? 1),
  );
}
export function convTranspose3d(input: Tensor, weight: Tensor, bias?: Tensor, o: ConvTransposeOptions = {}): Tensor {
  return new Tensor(
    aten.conv_transpose3d_input(input.handle, weight.handle, opt(bias), o.stride ?? 1, o.padding ?? 0, o.outputPadding ?? 0, o.groups ?? 1, o.dilation ?? 1),
  );
}

export function linear(input: Tensor, weight: Tensor, bias?: Tensor): Tensor {
  return new Tensor(aten.linear(input.handle, weight.handle, opt(bias)));
}

export interface BatchNormOptions {
  weight?: Tensor;
  bias?: Tensor;
  training?: boolean;
  momentum?: number;
  eps?: number;
}
/** Batch normalisation; in training the running statistics (if given) are updated in place. */
export function batchNorm(input: Tensor, runningMean: Tensor | undefined, runningVar: Tensor | undefined, o: BatchNormOptions = {}): Tensor {
  return new Tensor(
    aten.batch_norm(input.handle, opt(o.weight), opt(o.bias), opt(runningMean), opt(runningVar), o.training ?? false, o.momentum ?? 0.1, o.eps ?? 1e-5, true),
  );
}
export function layerNorm(input: Tensor, normalizedShape: readonly number[], weight?: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
  return new Tensor(aten.layer_norm(input.handle, normalizedShape, opt(weight), opt(bias), eps, true));
}
export function groupNorm(input: Tensor, numGroups: number, weight?: Tensor, bias?: Tensor, eps = 1e-5): Tensor {
  return new Tensor(aten.group_norm(input.handle, numGroups, opt(weight), opt(bias), eps, true));
}

export function relu(x: Tensor): Tensor {
  return new Tensor(aten.relu(x.handle));
}
export function gelu(x: Tensor, approximate: 'none' | 'tanh' = 'none'): Tensor {
  return new Tensor(aten.gelu(x.handle, approximate));
}
export function silu(x: Tensor): Tensor {
  return new Tensor(aten.silu(x.handle));
}
export function leakyRelu(x: Tensor, negativeSlope = 0.01): Tensor {
  return new Tensor(aten.leaky_relu(x.handle, negativeSlope));
}
export function elu(x: Tensor, alpha = 1): Tensor {
  return new Tensor(aten.elu(x.handle, alpha));
}
export function softplus(x: Tensor, beta = 1, threshold = 20): Tensor {
  return new Tensor(aten.softplus(x.handle, beta, threshold));
}
export function hardtanh(x: Tensor, min = -1, max = 1): Tensor {
  return new Tensor(aten.hardtanh(x.handle, min, max));
}
export function sigmoid(x: Tensor): Tensor {
  return x.sigmoid();
}
export function tanh(x: Tensor): Tensor {
  return x.tanh();
}

/** Zeroes elements with probability p and scales the rest by 1/(1-p) when training. */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  if (p < 0 || p > 1) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`);
  return new Tensor(aten.dropout(x.handle, p, training));
}
/** Drops whole channels (Dropout2d/3d). */
export function featureDropout(x: Tensor, p = 0.5, training = true): Tensor {
  return new Tensor(aten.feature_dropout(x.handle, p, training));
}

export interface PoolOptions {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  dilation?: IntOrTuple;
  ceilMode?: boolean;
}
export function maxPool1d(x: Tensor, kernelSize: IntOrTuple, o: PoolOptions = {}): Tensor {
  return new Tensor(aten.max_pool1d(x.handle, kernelSize, o.stride ?? [], o.padding ?? 0, o.dilation ?? 1, o.ceilMode ?? false));
}
export function maxPool2d(x: Tensor, kernelSize: IntOrTuple, o: PoolOptions = {}): Tensor {
  return new Tensor(aten.max_pool2d(x.handle, kernelSize, o.stride ?? [], o.padding ?? 0, o.dilation ?? 1, o.ceilMode ?? false));
}
export function maxPool3d(x: Tensor, kernelSize: IntOrTuple, o: PoolOptions = {}): Tensor {
  return new Tensor(aten.max_pool3d(x.handle, kernelSize, o.stride ?? [], o.padding ?? 0, o.dilation ?? 1, o.ceilMode ?? false));
}

export interface AvgPoolOptions {
  stride?: IntOrTuple;
  padding?: IntOrTuple;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  divisorOverride?: number;
}
export function avgPool1d(x: Tensor, kernelSize: IntOrTuple, o: AvgPoolOptions = {}): Tensor {
  return new Tensor(aten.avg_pool1d(x.handle, kernelSize, o.stride ?? [], o.padding ?? 0, o.ceilMode ?? false, o.countIncludePad ?? true));
}
export function avgPool2d(x: Tensor, kernelSize: IntOrTuple, o: AvgPoolOptions = {}): Tensor {
  return new Tensor(
    aten.avg_pool2d(x.handle, kernelSize, o.stride ?? [], o.padding ?? 0, o.ceilMode ?? false, o.countIncludePad ?? true, o.divisorOverride),
  );
}
export function avgPool3d(x: Tensor, kernelSize: IntOrTuple, o: AvgPoolOptions = {}): Tensor {
  return new Tensor(
    aten.avg_pool3d(x.handle, kernelSize, o.stride ?? [], o.padding ?? 0, o.ceilMode ?? false, o.countIncludePad ?? true, o.divisorOverride),
  );
}
export function adaptiveAvgPool1d(x: Tensor, outputSize: IntOrTuple): Tensor {
  return new Tensor(aten.adaptive_avg_pool1d(x.handle, outputSize));
}
export function adaptiveAvgPool2d(x: Tensor, outputSize: IntOrTuple): Tensor {
  return new Tensor(aten.adaptive_avg_pool2d(x.handle, outputSize));
}
export function adaptiveAvgPool3d(x: Tensor, outputSize: IntOrTuple): Tensor {
  return new Tensor(aten.adaptive_avg_pool3d(x.handle, outputSize));
}
export function adaptiveMaxPool2d(x: Tensor, outputSize: IntOrTuple): Tensor {
  const [v, i] = aten.adaptive_max_pool2d(x.handle, outputSize);
  return disposeSecond(v, i);
}
export function adaptiveMaxPool3d(x: Tensor, outputSize: IntOrTuple): Tensor {
  const [v, i] = aten.adaptive_max_pool3d(x.handle, outputSize);
  return disposeSecond(v, i);
}
// PyTorch's return_indices=False: the indices are freed at once.
function disposeSecond(keep: TensorHandle, drop: TensorHandle): Tensor {
  native.dispose(drop);
  return new Tensor(keep);
}

export function softmax(x: Tensor, dim: number, dtype?: DType): Tensor {
  return new Tensor(aten.softmax_int(x.handle, dim, dtype === undefined ? undefined : dtypeCode(dtype)));
}
export function logSoftmax(x: Tensor, dim: number, dtype?: DType): Tensor {
  return new Tensor(aten.log_softmax_int(x.handle, dim, dtype === undefined ? undefined : dtypeCode(dtype)));
}

export interface CrossEntropyOptions {
  weight?: Tensor;
  ignoreIndex?: number;
  reduction?: Reduction;
  labelSmoothing?: number;
}
/** Cross-entropy from logits; `target` holds class indices (int64) or class probabilities. */
export function crossEntropy(input: Tensor, target: Tensor, o: CrossEntropyOptions = {}): Tensor {
  return new Tensor(
    aten.cross_entropy_loss(input.handle, target.handle, opt(o.weight), reductionCode(o.reduction ?? 'mean'), o.ignoreIndex ?? -100, o.labelSmoothing ?? 0),
  );
}
export function nllLoss(input: Tensor, target: Tensor, o: Omit<CrossEntropyOptions, 'labelSmoothing'> = {}): Tensor {
  return new Tensor(aten.nll_loss_nd(input.handle, target.handle, opt(o.weight), reductionCode(o.reduction ?? 'mean'), o.ignoreIndex ?? -100));
}
export function mseLoss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return new Tensor(aten.mse_loss(input.handle, target.handle, reductionCode(reduction)));
}
export function l1Loss(input: Tensor, target: Tensor, reduction: Reduction = 'mean'): Tensor {
  return new Tensor(aten.l1_loss(input.handle, target.handle, reductionCode(reduction)));
}
export function smoothL1Loss(input: Tensor, target: Tensor, reduction: Reduction = 'mean', beta = 1): Tensor {
  return new Tensor(aten.smooth_l1_loss(input.handle, target.handle, reductionCode(reduction), beta));
}
export function binaryCrossEntropy(input: Tensor, target: Tensor, weight?: Tensor, reduction: Reduction = 'mean'): Tensor {
  return new Tensor(aten.binary_cross_entropy(input.handle, target.handle, opt(weight), reductionCode(reduction)));
}
export function binaryCrossEntropyWithLogits(input: Tensor, target: Tensor, o: { weight?: Tensor; posWeight?: Tensor; reduction?: Reduction } = {}): Tensor {
  return new Tensor(
    aten.binary_cross_entropy_with_logits(input.handle, target.handle, opt(o.weight), opt(o.posWeight), reductionCode(o.reduction ?? 'mean')),
  );
}
export function klDiv(input: Tensor, target: Tensor, reduction: Reduction = 'mean', logTarget = false): Tensor {
  return new Tensor(aten.kl_div(input.handle, target.handle, reductionCode(reduction), logTarget));
}

/** `x / max(||x||_p, eps)` along `dim` (torch.nn.functional.normalize). */
export function normalize(x: Tensor, p = 2, dim = 1, eps = 1e-12): Tensor {
  using n = x.norm(p, dim, true);
  using c = n.clampMin(eps);
  using e = c.expandAs(x);
  return x.div(e);
}
export function cosineSimilarity(a: Tensor, b: Tensor, dim = 1, eps = 1e-8): Tensor {
  return new Tensor(aten.cosine_similarity(a.handle, b.handle, dim, eps));
}
export function cdist(a: Tensor, b: Tensor, p = 2): Tensor {
  return new Tensor(aten.cdist(a.handle, b.handle, p));
}

export type InterpolateMode = 'nearest' | 'linear' | 'bilinear' | 'bicubic' | 'trilinear';
export interface InterpolateOptions {
  size?: IntOrTuple;
  scaleFactor?: number | readonly number[];
  mode?: InterpolateMode;
  alignCorners?: boolean;
}
/** Resizes the spatial dimensions (torch.nn.functional.interpolate). */
export function interpolate(x: Tensor, o: InterpolateOptions): Tensor {
  const mode = o.mode ?? 'nearest';
  const spatial = x.ndim - 2;
  const want: Record<InterpolateMode, number> = { nearest: spatial, linear: 1, bilinear: 2, bicubic: 2, trilinear: 3 };
  if (want[mode] !== spatial) {
    throw new RangeError(`interpolate: mode '${mode}' needs a ${want[mode] + 2}-D input, got ${x.ndim}-D`);
  }
  if ((o.size === undefined) === (o.scaleFactor === undefined)) {
    throw new TypeError('interpolate: give exactly one of size and scaleFactor');
  }
  const size = o.size === undefined ? undefined : typeof o.size === 'number' ? Array(spatial).fill(o.size) : o.size;
  const scales =
    o.scaleFactor === undefined ? undefined : typeof o.scaleFactor === 'number' ? Array(spatial).fill(o.scaleFactor) : o.scaleFactor;
  if (mode === 'nearest') {
    if (o.alignCorners !== undefined) throw new TypeError("interpolate: alignCorners only applies to linear modes");
    const fn = [aten.upsample_nearest1d_vec, aten.upsample_nearest2d_vec, aten.upsample_nearest3d_vec][spatial - 1];
    if (!fn) throw new RangeError(`interpolate: nearest needs a 3-D to 5-D input, got ${x.ndim}-D`);
    return new Tensor(fn(x.handle, size, scales));
  }
  const ac = o.alignCorners ?? false;
  const fns = {
    linear: aten.upsample_linear1d_vec,
    bilinear: aten.upsample_bilinear2d_vec,
    bicubic: aten.upsample_bicubic2d_vec,
    trilinear: aten.upsample_trilinear3d_vec,
  };
  return new Tensor(fns[mode](x.handle, size, ac, scales));
}

/** Pads the last dimensions: `pad` lists (left, right) pairs from the last dimension backwards. */
export function pad(x: Tensor, padding: readonly number[], mode: 'constant' | 'reflect' | 'replicate' | 'circular' = 'constant', value = 0): Tensor {
  return new Tensor(aten.pad(x.handle, padding, mode, mode === 'constant' ? value : undefined));
}

export function embedding(input: Tensor, weight: Tensor, paddingIdx = -1): Tensor {
  return new Tensor(aten.embedding(weight.handle, input.handle, paddingIdx));
}
export function oneHot(x: Tensor, numClasses = -1): Tensor {
  return new Tensor(aten.one_hot(x.handle, numClasses));
}

export interface AttentionOptions {
  /** Boolean (true = attend) or additive float mask, broadcastable to (..., L, S). */
  attnMask?: Tensor;
  dropoutP?: number;
  isCausal?: boolean;
  scale?: number;
  training?: boolean;
}
/**
 * softmax(q kᵀ · scale + mask) v, as torch.nn.functional.scaled_dot_product_attention, written
 * from libtorch ops so it behaves the same on every libtorch version. Returns [output, weights].
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, o: AttentionOptions = {}): [Tensor, Tensor] {
  const L = q.shape[q.ndim - 2]!;
  const S = k.shape[k.ndim - 2]!;
  const scale = o.scale ?? 1 / Math.sqrt(q.shape[q.ndim - 1]!);
  using kt = k.transpose(-2, -1);
  using raw = q.matmul(kt);
  let scores = raw.mul(scale);
  const swap = (next: Tensor): void => {
    scores.dispose();
    scores = next;
  };
  if (o.isCausal) {
    using one = scalarTensor(true);
    using ones = one.expand([L, S]);
    using causal = ones.tril();
    using blocked = causal.logicalNot();
    swap(scores.maskedFill(blocked, -Infinity));
  }
  if (o.attnMask) {
    if (o.attnMask.dtype === 'bool') {
      using blocked = o.attnMask.logicalNot();
      swap(scores.maskedFill(blocked, -Infinity));
    } else swap(scores.add(o.attnMask));
  }
  let weights = scores.softmax(-1);
  scores.dispose();
  const p = o.dropoutP ?? 0;
  if (p > 0 && (o.training ?? true)) {
    const d = dropout(weights, p, true);
    weights.dispose();
    weights = d;
  }
  return [weights.matmul(v), weights];
}

export function gridSample(input: Tensor, grid: Tensor, mode: 'bilinear' | 'nearest' | 'bicubic' = 'bilinear', paddingMode: 'zeros' | 'border' | 'reflection' = 'zeros', alignCorners = false): Tensor {
  const m = { bilinear: 0, nearest: 1, bicubic: 2 }[mode];
  const pm = { zeros: 0, border: 1, reflection: 2 }[paddingMode];
  return new Tensor(aten.grid_sampler(input.handle, grid.handle, m, pm, alignCorners));
}

// ---- signal processing ----
export interface StftOptions {
  hopLength?: number;
  winLength?: number;
  window?: Tensor;
  center?: boolean;
  padMode?: 'reflect' | 'constant' | 'replicate' | 'circular';
  normalized?: boolean;
  onesided?: boolean;
}
/** Short-time Fourier transform; returns a complex tensor (freq × frames), as torch.stft(return_complex=True). */
export function stft(x: Tensor, nFft: number, o: StftOptions = {}): Tensor {
  return new Tensor(
    aten.stft_center(x.handle, nFft, o.hopLength, o.winLength, opt(o.window), o.center ?? true, o.padMode ?? 'reflect', o.normalized ?? false, o.onesided, true),
  );
}
export function istft(x: Tensor, nFft: number, o: StftOptions & { length?: number } = {}): Tensor {
  return new Tensor(aten.istft(x.handle, nFft, o.hopLength, o.winLength, opt(o.window), o.center ?? true, o.normalized ?? false, o.onesided, o.length, false));
}
export function rfft(x: Tensor, n?: number, dim = -1, norm?: 'forward' | 'backward' | 'ortho'): Tensor {
  return new Tensor(aten.fft_rfft(x.handle, n, dim, norm));
}
export function irfft(x: Tensor, n?: number, dim = -1, norm?: 'forward' | 'backward' | 'ortho'): Tensor {
  return new Tensor(aten.fft_irfft(x.handle, n, dim, norm));
}
export function fft(x: Tensor, n?: number, dim = -1, norm?: 'forward' | 'backward' | 'ortho'): Tensor {
  return new Tensor(aten.fft_fft(x.handle, n, dim, norm));
}
/** A complex tensor as real (…, 2) pairs. */
export function viewAsReal(x: Tensor): Tensor {
  return new Tensor(aten.view_as_real(x.handle));
}
export function viewAsComplex(x: Tensor): Tensor {
  return new Tensor(aten.view_as_complex(x.handle));
}

export interface WindowOptions {
  periodic?: boolean;
  dtype?: DType;
}
const wdt = (o: WindowOptions): number | undefined => (o.dtype === undefined ? undefined : dtypeCode(o.dtype));
export function hannWindow(n: number, o: WindowOptions = {}): Tensor {
  return new Tensor(aten.hann_window_periodic(n, o.periodic ?? true, wdt(o)));
}
export function hammingWindow(n: number, o: WindowOptions = {}): Tensor {
  return new Tensor(aten.hamming_window_periodic(n, o.periodic ?? true, wdt(o)));
}
export function blackmanWindow(n: number, o: WindowOptions = {}): Tensor {
  return new Tensor(aten.blackman_window_periodic(n, o.periodic ?? true, wdt(o)));
}
export function bartlettWindow(n: number, o: WindowOptions = {}): Tensor {
  return new Tensor(aten.bartlett_window_periodic(n, o.periodic ?? true, wdt(o)));
}
export function kaiserWindow(n: number, o: WindowOptions & { beta?: number } = {}): Tensor {
  return new Tensor(aten.kaiser_window_beta(n, o.periodic ?? true, o.beta ?? 12, wdt(o)));
}

export { dimsArg, type Dims };
