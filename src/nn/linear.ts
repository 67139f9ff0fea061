import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { Module, ownParameter } from './module.js';
import * as init from './init.js';

/** y = x Wᵀ + b; default init as PyTorch: kaiming_uniform(a=√5) for W, U(±1/√fan_in) for b. */
export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | undefined;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean } = {},
  ) {
    super();
    this.weight = this.registerParameter('weight', ownParameter(torch.empty([outFeatures, inFeatures])));
    this.bias = this.registerParameter('bias', options.bias === false ? undefined : ownParameter(torch.empty([outFeatures])));
    this.resetParameters();
  }
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const { fanIn } = init.calculateFanInAndFanOut(this.weight);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      init.uniform_(this.bias, -bound, bound);
    }
  }
  forward(x: Tensor): Tensor {
    return torch.F.linear(x, this.weight, this.bias);
  }
  override extraRepr(): string {
    return `in_features=${this.inFeatures}, out_features=${this.outFeatures}, bias=${this.bias !== undefined}`;
  }
}
