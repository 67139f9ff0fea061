// LinearWarmup: STiCA's per-iteration warm-up, numpy.linspace(start, base, steps) with both
// endpoints included, then the base LR. Values follow numpy's arithmetic exactly:
// start + t * ((base - start) / (steps - 1)), and exactly `base` at t = steps - 1.
import { LRScheduler, stateNumber, type LRTarget, type SchedulerStateDict } from './base.js';

export interface LinearWarmupOptions {
  /** Number of warm-up steps (the linspace length). */
  steps: number;
  /** Absolute start LR, the same for every group or one per group. */
  startLr?: number | readonly number[];
  /** Start LR as a fraction of each group's base LR (when startLr is not given; default 0). */
  startFactor?: number;
}

export class LinearWarmup extends LRScheduler {
  steps: number;
  startLrs: number[];

  constructor(optimizer: LRTarget, options: LinearWarmupOptions, lastEpoch = -1) {
    super(optimizer, lastEpoch);
    if (!(Number.isInteger(options.steps) && options.steps >= 1)) {
      throw new RangeError(`LinearWarmup: steps must be a positive integer, got ${options.steps}`);
    }
    this.steps = options.steps;
    const s = options.startLr;
    if (s === undefined) this.startLrs = this.baseLrs.map((b) => b * (options.startFactor ?? 0));
    else if (typeof s === 'number') this.startLrs = this.baseLrs.map(() => s);
    else if (s.length === this.baseLrs.length) this.startLrs = [...s];
    else throw new RangeError(`LinearWarmup: expected ${this.baseLrs.length} start LRs, got ${s.length}`);
    this.initialStep();
  }

  getLr(): number[] {
    const t = Math.max(this.lastEpoch, 0);
    const n = this.steps;
    return this.baseLrs.map((base, i) => {
      const start = this.startLrs[i]!;
      if (t >= n) return base;
      if (n === 1) return start; // linspace(start, base, 1) is [start]
      if (t === n - 1) return base;
      return t * ((base - start) / (n - 1)) + start;
    });
  }

  override closedFormLr(): number[] {
    return this.getLr();
  }

  protected override ownState(): SchedulerStateDict {
    return { steps: this.steps, start_lrs: [...this.startLrs] };
  }

  protected override loadOwnState(sd: SchedulerStateDict): void {
    this.steps = stateNumber(sd, 'steps');
    const s = sd.start_lrs;
    if (!Array.isArray(s)) throw new TypeError('scheduler state: start_lrs must be a list');
    this.startLrs = [...(s as number[])];
  }
}
