// What a training loop needs to run data-parallel, in one object: the process group (joined from
// torchrun's / SLURM's variables when WORLD_SIZE > 1), SyncBatchNorm conversion, DDP gradient
// averaging, the collective for GDT/STiCA negatives, the sampler's rank and world size, and
// agreement between ranks on when to stop (a signal reaching one rank must stop every rank at the
// same step, or the others would wait in the next collective until the timeout). With one process
// every method is a cheap no-op, so a loop can call them unconditionally.
import type { Module } from '../nn/module.js';
import * as torch from '../torch/index.js';
import { localCollective, type Collective } from '../ssl/collective.js';
import { resolveDistEnv, type Env } from './env.js';
import { initProcessGroup, isInitialized, getDefaultGroup, destroyProcessGroup } from './init.js';
import type { ProcessGroup, Backend } from './process-group.js';
import { DistributedDataParallel, type GradientSyncReport } from './ddp.js';
import { convertSyncBatchNorm } from './sync-batchnorm.js';
import { c10dCollective } from './collective.js';

export interface DistributedTrainingOptions {
  /** Convert BatchNorm layers to SyncBatchNorm (default true: both reference recipes do, SPEC 8). */
  syncBatchNorm?: boolean;
  /** DDP's find_unused_parameters (STiCA: true). */
  findUnusedParameters?: boolean;
  /** DDP's broadcast_buffers (GDT's reference: false). */
  broadcastBuffers?: boolean;
  bucketCapMb?: number;
  backend?: Backend;
  timeoutMs?: number;
  rendezvousTimeoutMs?: number;
  env?: Env;
}

export interface DistributedTraining {
  /** Undefined with one process. */
  readonly group: ProcessGroup | undefined;
  readonly rank: number;
  readonly worldSize: number;
  /** Rank 0: writes checkpoints, logs, TensorBoard. */
  readonly isMain: boolean;
  /** For gdtLoss / STiCA losses: gathers negatives from every rank. */
  readonly collective: Collective;
  readonly ddp: DistributedDataParallel | undefined;
  /** Between loss.backward() and optimizer.step(): averages the gradients over the ranks. */
  afterBackward(): GradientSyncReport | undefined;
  /** True on every rank when any rank passes true (one small all-reduce). */
  anyRank(flag: boolean): boolean;
  /** The mean of a number over the ranks (for logging a global loss). */
  mean(value: number): number;
  /** Waits for every rank (e.g. before rank 0 publishes a checkpoint others will read). */
  barrier(): void;
  /** Leaves the process group (when this object created it). */
  close(): void;
}

/**
 * Joins the job (if WORLD_SIZE > 1 or SLURM says so) and prepares `model` for data-parallel
 * training: rank 0's weights everywhere, SyncBatchNorm, gradient averaging.
 */
export async function setupDistributedTraining(model: Module<never[], unknown>, o: DistributedTrainingOptions = {}): Promise<DistributedTraining> {
  const env = o.env ?? process.env;
  let owned = false;
  if (!isInitialized()) {
    const d = resolveDistEnv(env);
    if (d.worldSize > 1) {
      await initProcessGroup({ backend: o.backend, timeoutMs: o.timeoutMs, rendezvousTimeoutMs: o.rendezvousTimeoutMs, env });
      owned = true;
    }
  }
  const group = isInitialized() ? getDefaultGroup() : undefined;
  if (!group || group.worldSize === 1) {
    return {
      group,
      rank: 0,
      worldSize: 1,
      isMain: true,
      collective: localCollective,
      ddp: undefined,
      afterBackward: () => undefined,
      anyRank: (flag) => flag,
      mean: (v) => v,
      barrier: () => undefined,
      close: () => {
        if (owned) destroyProcessGroup();
      },
    };
  }
  if (o.syncBatchNorm ?? true) convertSyncBatchNorm(model, group);
  const ddp = new DistributedDataParallel(model, {
    group,
    findUnusedParameters: o.findUnusedParameters,
    broadcastBuffers: o.broadcastBuffers,
    bucketCapMb: o.bucketCapMb,
  });
  return {
    group,
    rank: group.rank,
    worldSize: group.worldSize,
    isMain: group.rank === 0,
    collective: c10dCollective(group),
    ddp,
    afterBackward: () => ddp.syncGradients(),
    anyRank: (flag) =>
      torch.tidy(() => Number(group.allReduce(torch.tensor([flag ? 1 : 0], { dtype: 'int32' }), 'max').item()) > 0),
    mean: (v) => torch.tidy(() => Number(group.allReduce(torch.tensor([v], { dtype: 'float64' }), 'avg').item())),
    barrier: () => group.barrier(),
    close: () => {
      if (owned) destroyProcessGroup();
    },
  };
}
