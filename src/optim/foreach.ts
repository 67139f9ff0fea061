// Multi-tensor (`_foreach_*`) helpers over Tensor lists. One native call updates a whole list, which
// keeps the per-parameter JavaScript overhead of an optimiser step low. Empty lists are no-ops
// (libtorch rejects them). Out-of-place results come back as Tensors tracked by the current scope.
import * as torch from '../torch/index.js';
import type { TensorHandle } from '../torch/native.js';

type Tensor = torch.Tensor;
const { aten } = torch;

const handles = (ts: readonly Tensor[]): TensorHandle[] => ts.map((t) => t.handle);

/** ts[i] *= s */
export function mulScalar_(ts: readonly Tensor[], s: number): void {
  if (ts.length) aten._foreach_mul__Scalar(handles(ts), s);
}

/** ts[i] += alpha * others[i] */
export function addList_(ts: readonly Tensor[], others: readonly Tensor[], alpha = 1): void {
  if (ts.length) aten._foreach_add__List(handles(ts), handles(others), alpha);
}

/** ts[i] += s */
export function addScalar_(ts: readonly Tensor[], s: number): void {
  if (ts.length) aten._foreach_add__Scalar(handles(ts), s);
}

/** ts[i] /= s */
export function divScalar_(ts: readonly Tensor[], s: number): void {
  if (ts.length) aten._foreach_div__Scalar(handles(ts), s);
}

/** ts[i] += value * a[i] * b[i] */
export function addcmul_(ts: readonly Tensor[], a: readonly Tensor[], b: readonly Tensor[], value: number): void {
  if (ts.length) aten._foreach_addcmul__Scalar(handles(ts), handles(a), handles(b), value);
}

/** ts[i] += value * a[i] / b[i] */
export function addcdiv_(ts: readonly Tensor[], a: readonly Tensor[], b: readonly Tensor[], value: number): void {
  if (ts.length) aten._foreach_addcdiv__Scalar(handles(ts), handles(a), handles(b), value);
}

/** sqrt(ts[i]) as new tensors. */
export function sqrt(ts: readonly Tensor[]): Tensor[] {
  return ts.length ? aten._foreach_sqrt(handles(ts)).map((h) => new torch.Tensor(h)) : [];
}

/** The `ord`-norm of each tensor (0-d tensors). */
export function norm(ts: readonly Tensor[], ord: number): Tensor[] {
  return ts.length ? aten._foreach_norm_Scalar(handles(ts), ord).map((h) => new torch.Tensor(h)) : [];
}

export function zero_(ts: readonly Tensor[]): void {
  if (ts.length) aten._foreach_zero_(handles(ts));
}
