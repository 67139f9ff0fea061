// ConstantLR: PyTorch's ConstantLR, lr = base * factor until totalIters steps, then base.
// With factor 1 it is a flat schedule.
import { LRScheduler, stateNumber, type LRTarget, type SchedulerStateDict } from './base.js';

export interface ConstantLROptions {
  factor?: number;
  totalIters?: number;
}

export class ConstantLR extends LRScheduler {
  factor: number;
  totalIters: number;

  constructor(optimizer: LRTarget, options: ConstantLROptions = {}, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    const factor = options.factor ?? 1 / 3;
    if (factor > 1 || factor < 0) throw new RangeError('Constant multiplicative factor expected to be between 0 and 1.');
    this.factor = factor;
    this.totalIters = options.totalIters ?? 5;
    this.initialStep();
  }

  getLr(): number[] {
    const lrs = this.groupLrs();
    if (this.lastEpoch === 0) return lrs.map((lr) => lr * this.factor);
    if (this.lastEpoch !== this.totalIters) return lrs;
    return lrs.map((lr) => lr * (1.0 / this.factor));
  }

  override closedFormLr(): number[] {
    const reached = this.lastEpoch >= this.totalIters ? 1 : 0;
    return this.baseLrs.map((b) => b * (this.factor + reached * (1 - this.factor)));
  }

  protected override ownState(): SchedulerStateDict {
    return { factor: this.factor, total_iters: this.totalIters };
  }

  protected override loadOwnState(sd: SchedulerStateDict): void {
    this.factor = stateNumber(sd, 'factor');
    this.totalIters = stateNumber(sd, 'total_iters');
  }
}
