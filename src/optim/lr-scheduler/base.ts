// The LR scheduler base: PyTorch's _LRScheduler contract. A scheduler owns a counter (lastEpoch)
// and writes each group's `lr` when stepped; whether one step is an epoch or an iteration is the
// caller's choice. Construction performs the first step (lastEpoch -1 -> 0), as PyTorch does, so
// the optimiser already holds the LR for epoch/iteration 0.
//
// Schedulers act on anything with `paramGroups: { lr, initialLr? }[]`: an Optimizer, or a detached
// target (detachedTarget) to compute LR tables without parameters.

export interface LRGroup {
  lr: number;
  /** The LR the group had when its first scheduler attached (PyTorch's `initial_lr`). */
  initialLr?: number;
}

export interface LRTarget {
  readonly paramGroups: readonly LRGroup[];
}

export type SchedulerStateValue =
  | number
  | boolean
  | string
  | null
  | readonly SchedulerStateValue[]
  | { readonly [key: string]: SchedulerStateValue };

/** A scheduler's state in PyTorch's keys (its `__dict__` minus the optimiser). */
export type SchedulerStateDict = { [key: string]: SchedulerStateValue };

/** Parameter groups that only hold LRs: for tables and tests without an optimiser. */
export function detachedTarget(baseLrs: readonly number[]): LRTarget {
  if (!baseLrs.length) throw new RangeError('detachedTarget: at least one base LR');
  return { paramGroups: baseLrs.map((lr) => ({ lr })) };
}

/** Python's bisect.bisect_right on a sorted list. */
export function bisectRight(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x < sorted[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function numberList(v: SchedulerStateValue | undefined, key: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number')) throw new TypeError(`scheduler state: ${key} must be a list of numbers`);
  return [...(v as number[])];
}

export function stateNumber(sd: SchedulerStateDict, key: string): number {
  const v = sd[key];
  if (typeof v !== 'number') throw new TypeError(`scheduler state: ${key} must be a number`);
  return v;
}

export abstract class LRScheduler {
  readonly optimizer: LRTarget;
  /** Per-group reference LRs (initial_lr, or what an enclosing scheduler set). */
  baseLrs: number[];
  /** Steps taken since construction, minus one (0 after construction). */
  lastEpoch: number;
  /** @internal PyTorch's _step_count (the chainable cosine form reads it). */
  stepCount = 0;
  protected lastLr: number[] = [];

  constructor(optimizer: LRTarget, lastEpoch = -1) {
    this.optimizer = optimizer;
    if (lastEpoch === -1) {
      for (const g of optimizer.paramGroups) g.initialLr ??= g.lr;
    } else {
      optimizer.paramGroups.forEach((g, i) => {
        if (g.initialLr === undefined) {
          throw new Error(`param 'initial_lr' is not specified in param_groups[${i}] when resuming an optimizer`);
        }
      });
    }
    this.baseLrs = optimizer.paramGroups.map((g) => g.initialLr!);
    this.lastEpoch = lastEpoch;
  }

  /**
   * The LRs for the current lastEpoch in PyTorch's chainable form (may read the groups' current
   * LRs); step() calls it after advancing the counter.
   */
  abstract getLr(): number[];

  /** The LRs from base LRs alone, when the schedule has a closed form (used by step(epoch)). */
  closedFormLr(): number[] | undefined {
    return undefined;
  }

  /** @internal PyTorch's _initial_step: concrete constructors call it once their fields are set. */
  initialStep(): void {
    this.stepCount = 0;
    this.step();
  }

  /** Advances one epoch/iteration (or jumps to `epoch`, using the closed form when there is one). */
  step(epoch?: number): void {
    this.stepCount += 1;
    let values: number[];
    if (epoch === undefined) {
      this.lastEpoch += 1;
      values = this.getLr();
    } else {
      this.lastEpoch = epoch;
      values = this.closedFormLr() ?? this.getLr();
    }
    this.optimizer.paramGroups.forEach((g, i) => {
      g.lr = values[i]!;
    });
    this.lastLr = this.groupLrs();
  }

  /** The LRs the last step set (one per group). */
  getLastLr(): number[] {
    return [...this.lastLr];
  }

  stateDict(): SchedulerStateDict {
    return {
      ...this.ownState(),
      base_lrs: [...this.baseLrs],
      last_epoch: this.lastEpoch,
      verbose: false,
      _step_count: this.stepCount,
      _get_lr_called_within_step: false,
      _last_lr: [...this.lastLr],
    };
  }

  /** Restores counters and settings; the optimiser's LRs come from the optimiser's own state dict. */
  loadStateDict(sd: SchedulerStateDict): void {
    this.baseLrs = numberList(sd.base_lrs, 'base_lrs');
    this.lastEpoch = stateNumber(sd, 'last_epoch');
    this.stepCount = stateNumber(sd, '_step_count');
    this.lastLr = numberList(sd._last_lr, '_last_lr');
    this.loadOwnState(sd);
  }

  /** Subclass settings for the state dict, in PyTorch's key names. */
  protected ownState(): SchedulerStateDict {
    return {};
  }
  protected loadOwnState(_sd: SchedulerStateDict): void {}

  protected groupLrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }
}

/**
 * The LR of every group for steps 0..n-1: entry t is what the optimiser uses during epoch (or
 * iteration) t when step() runs after each one. Steps the scheduler n-1 times.
 */
export function lrTable(scheduler: LRScheduler, n: number): number[][] {
  const out: number[][] = [];
  for (let t = 0; t < n; t++) {
    if (t > 0) scheduler.step();
    out.push(scheduler.optimizer.paramGroups.map((g) => g.lr));
  }
  return out;
}
