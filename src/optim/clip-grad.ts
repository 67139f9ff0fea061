// Gradient clipping, as torch.nn.utils.clip_grad_norm_ / clip_grad_value_ (PyTorch 1.13).
import * as torch from '../torch/index.js';
import * as foreach from './foreach.js';

type Tensor = torch.Tensor;

export interface ClipGradNormOptions {
  /** Throw when the total norm is nan or inf (PyTorch's error_if_nonfinite). */
  errorIfNonfinite?: boolean;
}

function gradsOf(params: Tensor | Iterable<Tensor>): Tensor[] {
  const list = params instanceof torch.Tensor ? [params] : [...params];
  return list.flatMap((p) => {
    const g = p.grad;
    return g === undefined ? [] : [g];
  });
}

/**
 * Scales the gradients in place so that their joint `normType`-norm is at most `maxNorm`:
 * total = norm of the per-tensor norms (max of |g| for Infinity), every gradient is multiplied by
 * min(1, maxNorm / (total + 1e-6)). Returns the total norm before clipping (a 0-d tensor the caller
 * owns; reading it with .item() waits for the device).
 */
export function clipGradNorm_(
  params: Tensor | Iterable<Tensor>,
  maxNorm: number,
  normType = 2,
  options: ClipGradNormOptions = {},
): Tensor {
  return torch.noGrad(() =>
    torch.tidy(() => {
      const grads = gradsOf(params);
      if (!grads.length) return torch.tensor(0, { dtype: 'float32' });
      let total: Tensor;
      if (normType === Infinity) {
        const norms = grads.map((g) => g.abs().max());
        total = norms.length === 1 ? norms[0]! : torch.stack(norms).max();
      } else {
        total = torch.stack(foreach.norm(grads, normType)).norm(normType);
      }
      if (options.errorIfNonfinite && !Number.isFinite(Number(total.item()))) {
        throw new Error(
          `The total norm of order ${normType} for gradients from \`parameters\` is non-finite, so it cannot be clipped. ` +
            'To disable this error and scale the gradients by the non-finite norm anyway, set errorIfNonfinite=false',
        );
      }
      // PyTorch computes `max_norm / (total + 1e-6)` as reciprocal() * max_norm.
      const coef = total.add(1e-6).reciprocal().mul(maxNorm).clamp(undefined, 1.0);
      for (const g of grads) g.mul_(coef);
      return total;
    }),
  );
}

/** Clamps every gradient into [-clipValue, clipValue] in place. */
export function clipGradValue_(params: Tensor | Iterable<Tensor>, clipValue: number): void {
  torch.noGrad(() =>
    torch.tidy(() => {
      for (const g of gradsOf(params)) g.clamp_(-clipValue, clipValue);
    }),
  );
}
