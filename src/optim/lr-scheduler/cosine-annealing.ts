// CosineAnnealingLR: PyTorch's schedule, eta_min + (base - eta_min)(1 + cos(pi t / T_max)) / 2.
// step() uses PyTorch's chainable (recursive) form so that it matches torch bit for bit, also
// after a warm-up has rewritten the base LRs; step(epoch) and closedFormLr() use the closed form.
import { LRScheduler, stateNumber, type LRTarget, type SchedulerStateDict } from './base.js';

export interface CosineAnnealingLROptions {
  tMax: number;
  etaMin?: number;
}

/** Python's modulo (the result takes the divisor's sign). */
const pyMod = (a: number, n: number): number => ((a % n) + n) % n;

export class CosineAnnealingLR extends LRScheduler {
  tMax: number;
  etaMin: number;

  constructor(optimizer: LRTarget, options: CosineAnnealingLROptions, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    if (!(options.tMax > 0)) throw new RangeError(`CosineAnnealingLR: tMax must be positive, got ${options.tMax}`);
    this.tMax = options.tMax;
    this.etaMin = options.etaMin ?? 0;
    this.initialStep();
  }

  getLr(): number[] {
    const { lastEpoch: e, tMax: T, etaMin } = this;
    const lrs = this.groupLrs();
    if (e === 0) return lrs;
    if (this.stepCount === 1 && e > 0) {
      return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((e * Math.PI) / T))) / 2);
    }
    if (pyMod(e - 1 - T, 2 * T) === 0) {
      return lrs.map((lr, i) => lr + ((this.baseLrs[i]! - etaMin) * (1 - Math.cos(Math.PI / T))) / 2);
    }
    return lrs.map(
      (lr) => ((1 + Math.cos((Math.PI * e) / T)) / (1 + Math.cos((Math.PI * (e - 1)) / T))) * (lr - etaMin) + etaMin,
    );
  }

  override closedFormLr(): number[] {
    const { lastEpoch: e, tMax: T, etaMin } = this;
    return this.baseLrs.map((b) => etaMin + ((b - etaMin) * (1 + Math.cos((Math.PI * e) / T))) / 2);
  }

  protected override ownState(): SchedulerStateDict {
    return { T_max: this.tMax, eta_min: this.etaMin };
  }

  protected override loadOwnState(sd: SchedulerStateDict): void {
    this.tMax = stateNumber(sd, 'T_max');
    this.etaMin = stateNumber(sd, 'eta_min');
  }
}
