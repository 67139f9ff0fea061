// Multinomial logistic regression trained with libtorch: softmax cross-entropy plus an L2 penalty
// on the weights (not the bias), Adam, full batch or minibatches. Features are standardised with
// the training mean and standard deviation unless told otherwise.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { Adam } from '../optim/index.js';
import { mulberry32 } from '../media/rng.js';

export interface LogisticRegressionOptions {
  numClasses: number;
  /** λ in mean CE + λ/2 ‖W‖² (the bias is not penalised). */
  l2: number;
  /** Passes over the data; with full batch one step each. */
  epochs: number;
  /** Adam learning rate. */
  lr: number;
  /** Minibatch size; 0 or undefined = full batch. */
  batchSize?: number;
  /** Shuffling seed for minibatches. */
  seed?: number;
  /** Standardise features with the training statistics (default true). */
  standardize?: boolean;
}

export class LogisticRegression {
  constructor(
    readonly weight: Tensor,
    readonly bias: Tensor,
    readonly mean: Tensor | undefined,
    readonly std: Tensor | undefined,
    /** Training objective after each epoch. */
    readonly losses: number[],
  ) {}

  /** Logits (N, C) for features (N, D). */
  logits(x: Tensor): Tensor {
    return torch.tidy(() => {
      let h = x.float();
      if (this.mean && this.std) h = h.sub(this.mean).div(this.std);
      return torch.F.linear(h, this.weight, this.bias);
    });
  }

  dispose(): void {
    torch.disposeAll([this.weight, this.bias, this.mean, this.std]);
  }
}

export function fitLogisticRegression(x: Tensor, labels: readonly number[], o: LogisticRegressionOptions): LogisticRegression {
  const n = x.shape[0]!;
  const d = x.shape[1]!;
  if (labels.length !== n) throw new RangeError(`${n} feature rows but ${labels.length} labels`);
  if (!(o.l2 >= 0)) throw new RangeError(`l2 must be >= 0, got ${o.l2}`);
  const standardize = o.standardize ?? true;
  const stats = standardize
    ? torch.tidy(() => {
        const f = x.float();
        return torch.keep({ mean: f.mean(0), std: f.std(0, false, 0).clampMin(1e-6) });
      })
    : undefined;
  const weight = torch.zeros([o.numClasses, d]).requiresGrad_();
  const bias = torch.zeros([o.numClasses]).requiresGrad_();
  const opt = new Adam([weight, bias], { lr: o.lr });
  const losses: number[] = [];
  const bs = o.batchSize && o.batchSize < n ? o.batchSize : n;
  const rnd = mulberry32(o.seed ?? 0);
  try {
    torch.tidy(() => {
      const feats = stats ? x.float().sub(stats.mean).div(stats.std) : x.float();
      const y = torch.tensor(labels, { dtype: 'int64' });
      for (let epoch = 0; epoch < o.epochs; epoch++) {
        let order: number[] | undefined;
        if (bs < n) {
          order = Array.from({ length: n }, (_, i) => i);
          for (let i = n - 1; i > 0; i--) {
            const j = Math.floor(rnd() * (i + 1));
            [order[i], order[j]] = [order[j]!, order[i]!];
          }
        }
        let total = 0;
        for (let s = 0; s < n; s += bs) {
          total += torch.tidy(() => {
            let xb = feats;
            let yb = y;
            if (order) {
              const idx = torch.tensor(order.slice(s, s + bs), { dtype: 'int64' });
              xb = feats.indexSelect(0, idx);
              yb = y.indexSelect(0, idx);
            }
            const ce = torch.F.crossEntropy(torch.F.linear(xb, weight, bias), yb);
            const loss = o.l2 > 0 ? ce.add(weight.mul(weight).sum().mul(o.l2 / 2)) : ce;
            opt.zeroGrad();
            loss.backward();
            opt.step();
            return (loss.item() as number) * xb.shape[0]!;
          });
        }
        losses.push(total / n);
      }
    });
  } finally {
    opt.dispose();
  }
  weight.requiresGrad_(false);
  bias.requiresGrad_(false);
  return new LogisticRegression(weight, bias, stats?.mean, stats?.std, losses);
}
