// LambdaLR: lr = base * f(step), one function for all groups or one per group (PyTorch's LambdaLR).
import { LRScheduler, type LRTarget, type SchedulerStateDict } from './base.js';

export type LrLambda = (step: number) => number;

export class LambdaLR extends LRScheduler {
  private readonly lambdas: LrLambda[];

  constructor(optimizer: LRTarget, lrLambda: LrLambda | readonly LrLambda[], lastEpoch = -1) {
    super(optimizer, lastEpoch);
    const n = optimizer.paramGroups.length;
    if (typeof lrLambda === 'function') this.lambdas = Array<LrLambda>(n).fill(lrLambda);
    else if (lrLambda.length === n) this.lambdas = [...lrLambda];
    else throw new RangeError(`Expected ${n} lr_lambdas, but got ${lrLambda.length}`);
    this.initialStep();
  }

  getLr(): number[] {
    return this.baseLrs.map((b, i) => b * this.lambdas[i]!(this.lastEpoch));
  }

  override closedFormLr(): number[] {
    return this.getLr();
  }

  protected override ownState(): SchedulerStateDict {
    // Functions are not state; PyTorch saves them only when they are callable objects.
    return { lr_lambdas: this.lambdas.map(() => null) };
  }
}
