// SequentialLR: runs schedulers one after another, switching at milestones (PyTorch's
// SequentialLR). All must drive the same optimiser and be constructed before this one; the
// constructor resets the LRs to initial_lr and restarts the first scheduler, and at each milestone
// the next scheduler is jumped to its step 0 (closed form), exactly as PyTorch does.
import { LRScheduler, bisectRight, type LRTarget, type SchedulerStateDict } from './base.js';

export class SequentialLR extends LRScheduler {
  readonly schedulers: readonly LRScheduler[];
  readonly milestones: readonly number[];

  constructor(optimizer: LRTarget, schedulers: readonly LRScheduler[], milestones: readonly number[], lastEpoch = -1) {
    super(optimizer, lastEpoch);
    if (!schedulers.length) throw new RangeError('SequentialLR needs at least one scheduler');
    schedulers.forEach((s, i) => {
      if (s.optimizer !== optimizer) {
        throw new Error(`Sequential Schedulers expects all schedulers to belong to the same optimizer, but got schedulers at index ${i} to be different than the optimizer passed in.`);
      }
    });
    if (milestones.length !== schedulers.length - 1) {
      throw new RangeError(
        `Sequential Schedulers expects number of schedulers provided to be one more than the number of milestone points, but got number of schedulers ${schedulers.length} and the number of milestones to be equal to ${milestones.length}`,
      );
    }
    this.schedulers = [...schedulers];
    this.milestones = [...milestones];
    this.lastEpoch = lastEpoch + 1;
    for (const g of optimizer.paramGroups) g.lr = g.initialLr!;
    for (const s of this.schedulers) s.lastEpoch -= 1;
    this.schedulers[0]!.initialStep();
    this.lastLr = this.schedulers[0]!.getLastLr();
  }

  getLr(): number[] {
    return this.groupLrs();
  }

  override step(epoch?: number): void {
    if (epoch !== undefined) throw new TypeError('SequentialLR.step() takes no epoch');
    this.lastEpoch += 1;
    const idx = bisectRight(this.milestones, this.lastEpoch);
    const s = this.schedulers[idx]!;
    if (idx > 0 && this.milestones[idx - 1] === this.lastEpoch) s.step(0);
    else s.step();
    this.lastLr = s.getLastLr();
  }

  override stateDict(): SchedulerStateDict {
    return { ...super.stateDict(), _schedulers: this.schedulers.map((s) => s.stateDict()), _milestones: [...this.milestones] };
  }

  protected override loadOwnState(sd: SchedulerStateDict): void {
    const subs = sd._schedulers;
    if (!Array.isArray(subs) || subs.length !== this.schedulers.length) {
      throw new TypeError('scheduler state: _schedulers does not match');
    }
    subs.forEach((s, i) => this.schedulers[i]!.loadStateDict(s as SchedulerStateDict));
  }
}
