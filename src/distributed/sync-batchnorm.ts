// SyncBatchNorm (torch.nn.SyncBatchNorm): in training, batch statistics over the samples of every
// rank, with gradients equal to those of one process holding the whole batch.
//
// How (libtorch's autograd cannot host a JavaScript backward, so this is built from differentiable
// ops plus one native gradient hook):
//   1. Per channel, this rank's mean m_r and biased variance v_r (differentiable, aten mean/var)
//      and its element count n_r.
//   2. A differentiable all-gather of [m_r, v_r, n_r] (ProcessGroup.allGatherWithGrad): forward is
//      an all_gather; in backward the gradient of the gathered [W, 3, C] tensor is summed over the
//      ranks (a libtorch hook doing an all-reduce) and this rank's row flows into m_r and v_r.
//      That sum is what PyTorch's SyncBatchNorm backward all-reduces (sum_dy, sum_dy_xmu), so every
//      rank's input gradient includes the other ranks' losses' dependence on the shared statistics.
//   3. Global statistics combined as torch's batch_norm_gather_stats_with_counts (parallel
//      variance, no cancellation): N = sum n_r, mean = sum n_r m_r / N,
//      var = sum n_r (v_r + (m_r - mean)^2) / N.
//   4. y = x * (w / sqrt(var + eps)) + (b - mean * w / sqrt(var + eps)); the running statistics get
//      mean and the unbiased var * N / (N - 1) with the module's momentum.
// Weight and bias gradients stay local (as in PyTorch); DistributedDataParallel averages them with
// the other parameters. Communication per layer: one all-gather forward, one all-reduce backward,
// like PyTorch. Every rank must run the same forward passes and backward in the same order.
// In eval mode, with world size 1, or without grad-requiring training it falls back to BatchNorm.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { BatchNorm, type BatchNormOptions } from '../nn/batchnorm.js';
import type { Module } from '../nn/module.js';
import type { ProcessGroup } from './process-group.js';
import { getDefaultGroup, isInitialized } from './init.js';

export class SyncBatchNorm extends BatchNorm {
  /** The group whose ranks share statistics; default the default process group at forward time. */
  group: ProcessGroup | undefined;

  constructor(numFeatures: number, o: BatchNormOptions & { group?: ProcessGroup } = {}) {
    super(numFeatures, [2, 3, 4, 5], o);
    this.group = o.group;
  }

  private currentGroup(): ProcessGroup | undefined {
    return this.group ?? (isInitialized() ? getDefaultGroup() : undefined);
  }

  override forward(x: Tensor): Tensor {
    const group = this.currentGroup();
    if (!this.training || !group || group.worldSize === 1) return super.forward(x);
    if (x.ndim < 2) throw new RangeError(`SyncBatchNorm: expected at least 2D input (got ${x.ndim}D input)`);
    const C = this.numFeatures;
    if (x.shape[1] !== C) throw new RangeError(`SyncBatchNorm: expected ${C} channels, got input of shape [${x.shape}]`);

    let factor = this.momentum ?? 0;
    if (this.numBatchesTracked) {
      torch.noGrad(() => this.numBatchesTracked!.add_(1));
      if (this.momentum === null) factor = 1 / Number(this.numBatchesTracked.item());
    }
    const dims = [0, ...Array.from({ length: x.ndim - 2 }, (_, i) => i + 2)];
    const n = x.numel / C;
    const bshape = [1, C, ...Array.from({ length: x.ndim - 2 }, () => 1)];

    return torch.tidy(() => {
      // 1. Local statistics (zeros with count 0 for an empty local batch).
      const localMean = n > 0 ? x.mean(dims) : torch.zeros([C], { dtype: x.dtype, device: x.device });
      const localVar = n > 0 ? x.var(dims, false, 0) : torch.zeros([C], { dtype: x.dtype, device: x.device });
      const count = torch.full([C], n, { dtype: x.dtype, device: x.device });
      // 2. [W, 3, C], differentiable w.r.t. this rank's row.
      const all = group.allGatherWithGrad(torch.stack([localMean, localVar, count], 0));
      const means = all.select(1, 0);
      const vars = all.select(1, 1);
      const counts = all.select(1, 2).detach();
      // 3. Parallel combination.
      const total = counts.sum(0);
      const mean = means.mul(counts).sum(0).div(total);
      const dev = means.sub(mean.unsqueeze(0));
      const variance = vars.add(dev.mul(dev)).mul(counts).sum(0).div(total);
      const N = Number(total.select(0, 0).item());
      // 4. Normalise and update the running statistics.
      const invstd = variance.add(this.eps).rsqrt();
      let scale = invstd;
      if (this.weight) scale = scale.mul(this.weight);
      let shift = mean.mul(scale).neg();
      if (this.bias) shift = shift.add(this.bias);
      if (this.runningMean && this.runningVar) {
        torch.noGrad(() => {
          this.runningMean!.mul_(1 - factor).add_(mean.detach(), factor);
          const unbiased = variance.detach().mul(N > 1 ? N / (N - 1) : 1);
          this.runningVar!.mul_(1 - factor).add_(unbiased, factor);
        });
      }
      return x.mul(scale.view(bshape)).add(shift.view(bshape));
    });
  }
}

/**
 * Turns every BatchNorm of `model` into a SyncBatchNorm in place (torch.nn.SyncBatchNorm
 * .convert_sync_batchnorm). In place because gdt's modules keep direct references to their
 * children (e.g. `this.bn1`): the objects stay the same, with SyncBatchNorm's forward, so
 * parameters, buffers, state_dict keys and optimiser references are unchanged. Returns how many
 * were converted.
 */
export function convertSyncBatchNorm(model: Module<never[], unknown>, group?: ProcessGroup): number {
  let converted = 0;
  for (const m of model.modules()) {
    if (m instanceof BatchNorm && !(m instanceof SyncBatchNorm)) {
      Object.setPrototypeOf(m, SyncBatchNorm.prototype);
      (m as unknown as SyncBatchNorm).group = group;
      converted++;
    } else if (m instanceof SyncBatchNorm && group) {
      m.group = group;
    }
  }
  return converted;
}
