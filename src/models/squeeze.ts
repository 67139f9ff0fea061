// Shape helpers shared by the reference models: the "squeeze every singleton" convention and
// TransposeSqueeze (SPEC 3.1).
import { torch, nn } from '../index.js';
import type { Tensor } from '../torch/index.js';
import type { MacTraceable, MacTracer, Shape } from './flops.js';

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** Squeezes every singleton dimension (the reference's `.squeeze()`, batch included). */
export function squeezeAll(x: Tensor): Tensor {
  return x.squeeze();
}

/**
 * The reference's encoder-output squeeze: all singleton dimensions go, and the batch dimension
 * is put back when a batch of one collapsed to a vector (GDT / TextVid_GDT / STiCA audio).
 */
export function squeezeFeatures(x: Tensor): Tensor {
  const s = x.squeeze();
  if (s.ndim !== 1) return s;
  const u = s.unsqueeze(0);
  s.dispose();
  return u;
}

/** Appends a trailing dimension: (B, C) -> (B, C, 1) (index 3 of the MLP head). */
export class AddTrailingDim extends nn.Module implements MacTraceable {
  forward(x: Tensor): Tensor {
    return x.unsqueeze(-1);
  }
  traceMacs(_t: MacTracer, [x]: readonly Shape[]): Shape[] {
    return [[...x!, 1]];
  }
}

/** Flattens to (B, -1) (indices 0 and 5 of the MLP head: `x.view(x.size(0), -1)`). */
export class FlattenBatch extends nn.Module implements MacTraceable {
  forward(x: Tensor): Tensor {
    return x.reshape(x.shape[0]!, -1);
  }
  traceMacs(_t: MacTracer, [x]: readonly Shape[]): Shape[] {
    return [[x![0]!, numel(x!) / x![0]!]];
  }
}

/** Reshape to (-1, fdim, tdim) and swap the last two dimensions: (B', tdim, fdim). */
export class TransposeSqueeze extends nn.Module implements MacTraceable {
  constructor(
    readonly fdim: number,
    readonly tdim: number,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return torch.tidy(() => x.reshape(-1, this.fdim, this.tdim).transpose(1, 2));
  }
  traceMacs(_t: MacTracer, [x]: readonly Shape[]): Shape[] {
    return [[numel(x!) / (this.fdim * this.tdim), this.tdim, this.fdim]];
  }
  override extraRepr(): string {
    return `fdim=${this.fdim}, tdim=${this.tdim}`;
  }
}
