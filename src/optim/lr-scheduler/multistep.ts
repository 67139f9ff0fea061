// MultiStepLR: multiply the LR by gamma at each milestone (PyTorch's MultiStepLR; milestones are
// a multiset, a repeated one decays by gamma^count).
import { LRScheduler, bisectRight, stateNumber, type LRTarget, type SchedulerStateDict } from './base.js';

export interface MultiStepLROptions {
  milestones: readonly number[];
  gamma?: number;
}

export class MultiStepLR extends LRScheduler {
  /** milestone -> count (Python's Counter). */
  milestones: Map<number, number>;
  gamma: number;

  constructor(optimizer: LRTarget, options: MultiStepLROptions, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    this.milestones = counter(options.milestones);
    this.gamma = options.gamma ?? 0.1;
    this.initialStep();
  }

  getLr(): number[] {
    const count = this.milestones.get(this.lastEpoch);
    const lrs = this.groupLrs();
    return count === undefined ? lrs : lrs.map((lr) => lr * this.gamma ** count);
  }

  override closedFormLr(): number[] {
    const sorted = [...this.milestones].flatMap(([m, c]) => Array<number>(c).fill(m)).sort((a, b) => a - b);
    const k = bisectRight(sorted, this.lastEpoch);
    return this.baseLrs.map((b) => b * this.gamma ** k);
  }

  protected override ownState(): SchedulerStateDict {
    return { milestones: Object.fromEntries([...this.milestones].map(([m, c]) => [String(m), c])), gamma: this.gamma };
  }

  protected override loadOwnState(sd: SchedulerStateDict): void {
    const m = sd.milestones;
    if (typeof m !== 'object' || m === null || Array.isArray(m)) throw new TypeError('scheduler state: milestones must be a mapping');
    this.milestones = new Map(Object.entries(m as Record<string, number>).map(([k, c]) => [Number(k), c]));
    this.gamma = stateNumber(sd, 'gamma');
  }
}

function counter(xs: readonly number[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const x of xs) m.set(x, (m.get(x) ?? 0) + 1);
  return m;
}
