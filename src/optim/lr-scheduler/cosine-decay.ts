// CosineDecayLR: the closed-form cosine table STiCA (and SwAV-style recipes) precompute per
// iteration: lr_t = final + 0.5 (base - final)(1 + cos(pi t / T)) for t = 0..T-1, evaluated in the
// same order as the reference's Python so that values match exactly. Past the table's end the
// limit, finalLr, is held (the reference would index out of range there).
import { LRScheduler, stateNumber, type LRTarget, type SchedulerStateDict } from './base.js';

export interface CosineDecayLROptions {
  /** T: the number of steps the decay spans. */
  totalSteps: number;
  finalLr?: number;
}

export class CosineDecayLR extends LRScheduler {
  totalSteps: number;
  finalLr: number;

  constructor(optimizer: LRTarget, options: CosineDecayLROptions, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    if (!(options.totalSteps > 0)) throw new RangeError(`CosineDecayLR: totalSteps must be positive, got ${options.totalSteps}`);
    this.totalSteps = options.totalSteps;
    this.finalLr = options.finalLr ?? 0;
    this.initialStep();
  }

  getLr(): number[] {
    const T = this.totalSteps;
    const t = Math.min(Math.max(this.lastEpoch, 0), T);
    const f = this.finalLr;
    return this.baseLrs.map((base) => f + 0.5 * (base - f) * (1 + Math.cos((Math.PI * t) / T)));
  }

  override closedFormLr(): number[] {
    return this.getLr();
  }

  protected override ownState(): SchedulerStateDict {
    return { total_steps: this.totalSteps, final_lr: this.finalLr };
  }

  protected override loadOwnState(sd: SchedulerStateDict): void {
    this.totalSteps = stateNumber(sd, 'total_steps');
    this.finalLr = stateNumber(sd, 'final_lr');
  }
}
