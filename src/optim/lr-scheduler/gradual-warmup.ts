// GradualWarmupScheduler: the warm-up of the GDT reference (ildoonet's pytorch-gradual-warmup-lr,
// vendored as src/scheduler.py), reproduced as a state machine, quirks included:
//
// * while lastEpoch <= totalEpoch: lr = base * ((multiplier - 1) * lastEpoch / totalEpoch + 1),
//   or base * lastEpoch / totalEpoch when multiplier == 1 (the warm-up then starts from 0);
// * the first step with lastEpoch > totalEpoch sets the after-scheduler's baseLrs to
//   base * multiplier, marks the warm-up finished and takes the after-scheduler's chainable LR at
//   *its* lastEpoch, which is still 0 (it was stepped once when constructed, before the warm-up);
// * from then on step() only steps the after-scheduler. Its counter therefore lags the warm-up's
//   by one: a milestone m (relative to the warm-up) takes effect at step totalEpoch + 1 + m. With
//   totalEpoch 2 and milestones [4, 8] the finetuning decays land on epochs 7 and 11, and with
//   multiplier 8 the per-epoch factors are 1, 4.5, 8, 8, 8, 8, 8, 0.4, 0.4, 0.4, 0.4, 0.02.
// * without an after-scheduler the LR stays at base * multiplier.
//
// The after-scheduler must be constructed on the same optimiser before this one (as the
// reference does). One difference: the reference's get_last_lr() goes stale once the warm-up has
// finished; getLastLr() here returns the LRs actually set.
import { LRScheduler, stateNumber, type LRTarget, type SchedulerStateDict } from './base.js';

export interface GradualWarmupOptions {
  /** Target LR = base * multiplier (>= 1). */
  multiplier: number;
  /** Warm-up length in steps. */
  totalEpoch: number;
  afterScheduler?: LRScheduler;
}

export class GradualWarmupScheduler extends LRScheduler {
  multiplier: number;
  totalEpoch: number;
  readonly afterScheduler: LRScheduler | undefined;
  finished = false;

  constructor(optimizer: LRTarget, options: GradualWarmupOptions) {
    super(optimizer);
    if (!(options.multiplier >= 1)) throw new RangeError('multiplier should be greater than or equal to 1.');
    if (!(options.totalEpoch > 0)) throw new RangeError(`totalEpoch must be positive, got ${options.totalEpoch}`);
    if (options.afterScheduler && options.afterScheduler.optimizer !== optimizer) {
      throw new Error('the after-scheduler must drive the same optimizer');
    }
    this.multiplier = options.multiplier;
    this.totalEpoch = options.totalEpoch;
    this.afterScheduler = options.afterScheduler;
    this.initialStep();
  }

  getLr(): number[] {
    const { lastEpoch: e, totalEpoch: T, multiplier: m } = this;
    if (e > T) {
      if (this.afterScheduler) {
        if (!this.finished) {
          this.afterScheduler.baseLrs = this.baseLrs.map((b) => b * m);
          this.finished = true;
        }
        return this.afterScheduler.getLr();
      }
      return this.baseLrs.map((b) => b * m);
    }
    if (m === 1.0) return this.baseLrs.map((b) => b * (e / T));
    return this.baseLrs.map((b) => b * (((m - 1) * e) / T + 1));
  }

  override step(epoch?: number): void {
    if (this.finished && this.afterScheduler) {
      if (epoch === undefined) this.afterScheduler.step();
      else this.afterScheduler.step(epoch - this.totalEpoch);
      this.lastLr = this.groupLrs();
      return;
    }
    super.step(epoch);
  }

  protected override ownState(): SchedulerStateDict {
    return {
      multiplier: this.multiplier,
      total_epoch: this.totalEpoch,
      finished: this.finished,
      after_scheduler: this.afterScheduler ? this.afterScheduler.stateDict() : null,
    };
  }

  protected override loadOwnState(sd: SchedulerStateDict): void {
    this.multiplier = stateNumber(sd, 'multiplier');
    this.totalEpoch = stateNumber(sd, 'total_epoch');
    this.finished = sd.finished === true;
    const after = sd.after_scheduler;
    if (this.afterScheduler && after && typeof after === 'object' && !Array.isArray(after)) {
      this.afterScheduler.loadStateDict(after as SchedulerStateDict);
    }
  }
}
