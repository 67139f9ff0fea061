// Projection heads (SPEC 3.1): the MLP head `block_forward.0..8`, the linear head, and the L2
// normalisation used on every embedding.
import { torch, nn } from '../index.js';
import type { Tensor } from '../torch/index.js';
import type { MacTraceable, MacTracer, Shape } from './flops.js';
import { AddTrailingDim, FlattenBatch } from './squeeze.js';

/** `x / max(||x||_2, 1e-12)` along dim 1 (the feature dimension). */
export function l2Normalize(x: Tensor, dim = 1): Tensor {
  return torch.F.normalize(x, 2, dim, 1e-12);
}

export interface MlpHeadOptions {
  /** Hidden width; 512 in every use. */
  hidden?: number;
  /** Dropout before each Linear; 0.3 in the reference. */
  dropout?: number;
}

/**
 * MLP(n_input, n_classes): flatten, dropout, Linear (no bias), (B, 512, 1), BatchNorm1d,
 * flatten, ReLU, dropout, Linear (bias). Parameters sit at indices 2, 4 and 8 as in the reference.
 */
export class MlpHead extends nn.Module implements MacTraceable {
  readonly blockForward: nn.Sequential;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures = 256,
    o: MlpHeadOptions = {},
  ) {
    super();
    const hidden = o.hidden ?? 512;
    const p = o.dropout ?? 0.3;
    this.blockForward = this.registerModule(
      'block_forward',
      new nn.Sequential(
        new FlattenBatch(),
        new nn.Dropout(p),
        new nn.Linear(inFeatures, hidden, { bias: false }),
        // BatchNorm1d over (B, 512, 1): statistics over batch x length 1, as the reference.
        new AddTrailingDim(),
        new nn.BatchNorm1d(hidden),
        new FlattenBatch(),
        new nn.ReLU(),
        new nn.Dropout(p),
        new nn.Linear(hidden, outFeatures),
      ),
    );
  }
  forward(x: Tensor): Tensor {
    return this.blockForward.forward(x);
  }
  traceMacs(t: MacTracer, [x]: readonly Shape[]): Shape[] {
    return [t.child('block_forward', this.blockForward, x!)];
  }
}

/** The linear projection head: Linear(in, 256) with bias (keys `weight`, `bias`). */
export function linearHead(inFeatures: number, outFeatures = 256): nn.Linear {
  return new nn.Linear(inFeatures, outFeatures);
}

/** A projection head of either kind. */
export type ProjectionHead = MlpHead | nn.Linear;

export function projectionHead(useMlp: boolean, inFeatures: number, outFeatures = 256): ProjectionHead {
  return useMlp ? new MlpHead(inFeatures, outFeatures) : linearHead(inFeatures, outFeatures);
}
