import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { Module, ownParameter } from './module.js';

export interface BatchNormOptions {
  eps?: number;
  /** Running-statistics momentum; `null` means a cumulative moving average (PyTorch's None). */
  momentum?: number | null;
  affine?: boolean;
  trackRunningStats?: boolean;
}

/**
 * PyTorch's _BatchNorm: weight/bias (affine), running_mean/running_var and an int64
 * num_batches_tracked buffer; statistics from the batch in training (updating the running ones),
 * from the running ones in eval.
 */
export class BatchNorm extends Module {
  readonly weight: Tensor | undefined;
  readonly bias: Tensor | undefined;
  readonly runningMean: Tensor | undefined;
  readonly runningVar: Tensor | undefined;
  readonly numBatchesTracked: Tensor | undefined;
  readonly eps: number;
  readonly momentum: number | null;
  constructor(
    readonly numFeatures: number,
    private readonly expectedDims: readonly number[],
    o: BatchNormOptions = {},
  ) {
    super();
    this.eps = o.eps ?? 1e-5;
    this.momentum = o.momentum === undefined ? 0.1 : o.momentum;
    const affine = o.affine ?? true;
    this.weight = this.registerParameter('weight', affine ? ownParameter(torch.ones([numFeatures])) : undefined);
    this.bias = this.registerParameter('bias', affine ? ownParameter(torch.zeros([numFeatures])) : undefined);
    const track = o.trackRunningStats ?? true;
    this.runningMean = this.registerBuffer('running_mean', track ? torch.zeros([numFeatures]) : undefined);
    this.runningVar = this.registerBuffer('running_var', track ? torch.ones([numFeatures]) : undefined);
    this.numBatchesTracked = this.registerBuffer('num_batches_tracked', track ? torch.zeros([], { dtype: 'int64' }) : undefined);
  }
  resetRunningStats(): void {
    torch.noGrad(() => {
      this.runningMean?.zero_();
      this.runningVar?.fill_(1);
      this.numBatchesTracked?.zero_();
    });
  }
  forward(x: Tensor): Tensor {
    if (!this.expectedDims.includes(x.ndim)) {
      throw new RangeError(`${this.constructor.name}: expected ${this.expectedDims.join(' or ')}D input (got ${x.ndim}D input)`);
    }
    let factor = this.momentum ?? 0;
    if (this.training && this.numBatchesTracked) {
      torch.noGrad(() => this.numBatchesTracked!.add_(1));
      if (this.momentum === null) factor = 1 / Number(this.numBatchesTracked.item());
    }
    const useBatchStats = this.training || !this.runningMean;
    return torch.F.batchNorm(
      x,
      !this.training || this.numBatchesTracked ? this.runningMean : undefined,
      !this.training || this.numBatchesTracked ? this.runningVar : undefined,
      { weight: this.weight, bias: this.bias, training: useBatchStats, momentum: factor, eps: this.eps },
    );
  }
  override extraRepr(): string {
    return `${this.numFeatures}, eps=${this.eps}, momentum=${this.momentum}, affine=${this.weight !== undefined}, track_running_stats=${this.runningMean !== undefined}`;
  }
}

export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, o: BatchNormOptions = {}) {
    super(numFeatures, [2, 3], o);
  }
}
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, o: BatchNormOptions = {}) {
    super(numFeatures, [4], o);
  }
}
export class BatchNorm3d extends BatchNorm {
  constructor(numFeatures: number, o: BatchNormOptions = {}) {
    super(numFeatures, [5], o);
  }
}

export class LayerNorm extends Module {
  readonly weight: Tensor | undefined;
  readonly bias: Tensor | undefined;
  readonly normalizedShape: number[];
  constructor(
    normalizedShape: number | readonly number[],
    readonly eps = 1e-5,
    elementwiseAffine = true,
  ) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    this.weight = this.registerParameter('weight', elementwiseAffine ? ownParameter(torch.ones(this.normalizedShape)) : undefined);
    this.bias = this.registerParameter('bias', elementwiseAffine ? ownParameter(torch.zeros(this.normalizedShape)) : undefined);
  }
  forward(x: Tensor): Tensor {
    return torch.F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
  override extraRepr(): string {
    return `(${this.normalizedShape.join(', ')}), eps=${this.eps}, elementwise_affine=${this.weight !== undefined}`;
  }
}
