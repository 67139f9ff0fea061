// Process-wide libtorch settings: threads, determinism, grad mode, inference mode, autocast.
import { native } from './native.js';
import { type DType, dtypeCode } from './dtype.js';

export function getNumThreads(): number {
  return native.getNumThreads();
}
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`setNumThreads: expected a positive integer, got ${n}`);
  native.setNumThreads(n);
}
export function getNumInteropThreads(): number {
  return native.getNumInteropThreads();
}
/** Only before any inter-op parallel work has started (libtorch's rule). */
export function setNumInteropThreads(n: number): void {
  native.setNumInteropThreads(n);
}

/** torch.use_deterministic_algorithms: deterministic kernels (and cuDNN), error otherwise. */
export function useDeterministicAlgorithms(on: boolean, options: { warnOnly?: boolean } = {}): void {
  native.setDeterministic(on, options.warnOnly ?? false);
}
export function areDeterministicAlgorithmsEnabled(): boolean {
  return native.isDeterministic();
}

export function isGradEnabled(): boolean {
  return native.isGradEnabled();
}
export function setGradEnabled(on: boolean): void {
  native.setGradEnabled(on);
}

// libtorch keeps these modes per thread: across an await they would leak to other tasks.
function refuseAsync<T>(r: T, what: string): T {
  if (r instanceof Promise) {
    r.catch(() => undefined);
    throw new TypeError(`${what} scopes are synchronous (libtorch keeps the mode per thread); await outside them`);
  }
  return r;
}

function withGradMode<T>(on: boolean, fn: () => T): T {
  const prev = native.setGradEnabled(on);
  try {
    const r = fn();
    if (r instanceof Promise) {
      throw new TypeError('grad-mode scopes are synchronous (libtorch keeps grad mode per thread); await outside them');
    }
    return r;
  } finally {
    native.setGradEnabled(prev);
  }
}

/** Runs `fn` without recording operations for autograd (torch.no_grad). */
export function noGrad<T>(fn: () => T): T {
  return withGradMode(false, fn);
}
/** Runs `fn` with autograd recording on, even inside noGrad (torch.enable_grad). */
export function enableGrad<T>(fn: () => T): T {
  return withGradMode(true, fn);
}
/** Runs `fn` in inference mode (torch.inference_mode): faster than noGrad, tensors never need grad. */
export function inferenceMode<T>(fn: () => T, enabled = true): T {
  native.enterInferenceMode(enabled);
  try {
    return refuseAsync(fn(), 'inferenceMode');
  } finally {
    native.exitInferenceMode();
  }
}
export function isInferenceModeEnabled(): boolean {
  return native.isInferenceMode();
}

/**
 * Runs `fn` with automatic mixed precision (torch.autocast): eligible ops run in `dtype`
 * (bfloat16 on CPU; float16 or bfloat16 on CUDA).
 */
export function autocast<T>(device: 'cpu' | 'cuda', options: { dtype?: DType; enabled?: boolean }, fn: () => T): T {
  const dtype = options.dtype ?? (device === 'cpu' ? 'bfloat16' : 'float16');
  if (device === 'cpu' && dtype !== 'bfloat16') throw new TypeError("autocast('cpu') supports dtype 'bfloat16' only");
  const [wasEnabled, prevDtype] = native.setAutocast(device, options.enabled ?? true, dtypeCode(dtype));
  native.autocastEnter();
  try {
    return refuseAsync(fn(), 'autocast');
  } finally {
    native.autocastExit();
    native.setAutocast(device, wasEnabled, prevDtype);
  }
}
export function isAutocastEnabled(device: 'cpu' | 'cuda' = 'cpu'): boolean {
  return native.autocastState(device)[0];
}
