// The reference's LR schedules, built from the schedulers above (SPEC sections 8-9, Appendix B).
// Each helper drives `optimizer` when given, otherwise a detached target (LR tables without
// parameters); read the values with getLastLr() or lrTable().
import { detachedTarget, type LRScheduler, type LRTarget } from './base.js';
import { CosineAnnealingLR } from './cosine-annealing.js';
import { CosineDecayLR } from './cosine-decay.js';
import { GradualWarmupScheduler } from './gradual-warmup.js';
import { LambdaLR } from './lambda.js';
import { LinearWarmup } from './linear-warmup.js';
import { MultiStepLR } from './multistep.js';
import { SequentialLR } from './sequential.js';

export interface GdtPretrainScheduleOptions {
  optimizer?: LRTarget;
  /** Base LR when no optimizer is given (main_gdt.py's --lr, 0.01). */
  baseLr?: number;
  /** Number of processes W: the warm-up ends at base * W. */
  worldSize: number;
  /** Training epochs (the cosine variant's T_max). */
  epochs: number;
  warmupEpochs?: number;
  /** Absolute epochs as --lr_milestones (default [251], the scripts'); warmupEpochs is subtracted. */
  milestones?: readonly number[];
  gamma?: number;
  type?: 'multistep' | 'cosine';
}

/**
 * GDT pretraining (main_gdt.py), stepped once per epoch: GradualWarmupScheduler(multiplier = W,
 * total_epoch = warmupEpochs) followed by MultiStepLR(milestones - warmupEpochs, gamma) or
 * CosineAnnealingLR(T_max = epochs); with warmupEpochs 0 the latter alone (no scaling by W).
 * W = 16: 0.01, 0.025, ..., 0.145, then 0.16 from epoch 10 on (the decay at 251 is never reached).
 * W = 1 hits the warm-up's multiplier-1 branch: the LR then ramps from 0 (base * e / 10).
 */
export function gdtPretrainSchedule(o: GdtPretrainScheduleOptions): LRScheduler {
  const target = o.optimizer ?? detachedTarget([o.baseLr ?? 0.01]);
  const warmup = o.warmupEpochs ?? 10;
  const milestones = (o.milestones ?? [251]).map((m) => m - warmup);
  // The after-scheduler is built first, on the same optimiser, as in the reference.
  const after =
    (o.type ?? 'multistep') === 'multistep'
      ? new MultiStepLR(target, { milestones, gamma: o.gamma ?? 0.1 })
      : new CosineAnnealingLR(target, { tMax: o.epochs });
  if (warmup === 0) return after;
  return new GradualWarmupScheduler(target, { multiplier: o.worldSize, totalEpoch: warmup, afterScheduler: after });
}

export interface SticaPretrainScheduleOptions {
  optimizer?: LRTarget;
  itersPerEpoch: number;
  warmupEpochs?: number;
  /** First warm-up LR (--start_warmup). */
  startWarmup?: number;
  /** LR reached at the end of the warm-up (--base_lr); every group is set to it. */
  baseLr?: number;
  epochs?: number;
  /** --use_lr_scheduler: cosine decay after the warm-up instead of a constant LR. */
  cosine?: boolean;
  finalLr?: number;
}

/**
 * STiCA pretraining (main_stica.py), stepped once per iteration: linspace(startWarmup, baseLr,
 * warmupEpochs * I) with both endpoints, then baseLr (script) or
 * final + 0.5 (base - final)(1 + cos(pi t / T)), t = 0..T-1, T = I * (epochs - warmupEpochs).
 * Defaults are the script's: 10 warm-up epochs from 0.01 to 0.64, 151 epochs, constant.
 * The reference assigns the table's value to every group, so every group's LR becomes baseLr.
 */
export function sticaPretrainSchedule(o: SticaPretrainScheduleOptions): LRScheduler {
  const base = o.baseLr ?? 0.64;
  const target = o.optimizer ?? detachedTarget([base]);
  for (const g of target.paramGroups) g.lr = g.initialLr = base;
  const I = o.itersPerEpoch;
  const warmupEpochs = o.warmupEpochs ?? 10;
  const epochs = o.epochs ?? 151;
  if (!(Number.isInteger(I) && I > 0)) throw new RangeError(`itersPerEpoch must be a positive integer, got ${I}`);
  const warmSteps = I * warmupEpochs;
  const tail = (): LRScheduler =>
    o.cosine
      ? new CosineDecayLR(target, { totalSteps: I * (epochs - warmupEpochs), finalLr: o.finalLr ?? 0 })
      : new LambdaLR(target, () => 1);
  if (warmSteps === 0) return tail();
  const warm = new LinearWarmup(target, { steps: warmSteps, startLr: o.startWarmup ?? 0.01 });
  return new SequentialLR(target, [warm, tail()], [warmSteps]);
}

export interface FinetuneScheduleOptions {
  optimizer?: LRTarget;
  /** Per-group base LRs (classifier 0.0025, backbone 0.00025, ...); required without optimizer. */
  baseLrs?: readonly number[];
  warmupEpochs?: number;
  multiplier?: number;
  /** Absolute epochs as --lr-milestones (default [6, 10]); warmupEpochs is subtracted. */
  milestones?: readonly number[];
  gamma?: number;
}

/**
 * Finetuning (eval_video.py), stepped once per epoch: GradualWarmupScheduler(multiplier 8,
 * total_epoch 2) then MultiStepLR([6 - 2, 10 - 2], gamma 0.05). Per-epoch factors of each group's
 * base LR: 1, 4.5, 8, 8, 8, 8, 8, 0.4, 0.4, 0.4, 0.4, 0.02 (SPEC Appendix B).
 */
export function finetuneSchedule(o: FinetuneScheduleOptions): LRScheduler {
  let target = o.optimizer;
  if (!target) {
    if (!o.baseLrs) throw new TypeError('finetuneSchedule: give an optimizer or baseLrs');
    target = detachedTarget(o.baseLrs);
  } else if (o.baseLrs) {
    if (o.baseLrs.length !== target.paramGroups.length) throw new RangeError('finetuneSchedule: one base LR per group');
    target.paramGroups.forEach((g, i) => (g.lr = g.initialLr = o.baseLrs![i]!));
  }
  const warmup = o.warmupEpochs ?? 2;
  const milestones = (o.milestones ?? [6, 10]).map((m) => m - warmup);
  const after = new MultiStepLR(target, { milestones, gamma: o.gamma ?? 0.05 });
  if (warmup === 0) return after;
  return new GradualWarmupScheduler(target, { multiplier: o.multiplier ?? 8, totalEpoch: warmup, afterScheduler: after });
}
