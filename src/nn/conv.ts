import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { Module, ownParameter } from './module.js';
import * as init from './init.js';

type Tuple = number | readonly number[];

export interface ConvOptions {
  stride?: Tuple;
  padding?: Tuple;
  dilation?: Tuple;
  groups?: number;
  bias?: boolean;
  /** Transposed convolutions only. */
  outputPadding?: Tuple;
}

function expand(v: Tuple, n: number, what: string): number[] {
  const out = typeof v === 'number' ? Array<number>(n).fill(v) : [...v];
  if (out.length !== n) throw new RangeError(`${what} must have ${n} values, got [${out.join(', ')}]`);
  return out;
}

/** Shared by Conv1d/2d/3d and their transposed forms (PyTorch's _ConvNd). */
abstract class ConvNd extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | undefined;
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];
  readonly dilation: number[];
  readonly outputPadding: number[];
  readonly groups: number;
  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Tuple,
    dims: number,
    readonly transposed: boolean,
    o: ConvOptions,
  ) {
    super();
    this.groups = o.groups ?? 1;
    if (inChannels % this.groups || outChannels % this.groups) {
      throw new RangeError(`in_channels (${inChannels}) and out_channels (${outChannels}) must be divisible by groups (${this.groups})`);
    }
    this.kernelSize = expand(kernelSize, dims, 'kernel_size');
    this.stride = expand(o.stride ?? 1, dims, 'stride');
    this.padding = expand(o.padding ?? 0, dims, 'padding');
    this.dilation = expand(o.dilation ?? 1, dims, 'dilation');
    this.outputPadding = expand(o.outputPadding ?? 0, dims, 'output_padding');
    const shape = transposed
      ? [inChannels, outChannels / this.groups, ...this.kernelSize]
      : [outChannels, inChannels / this.groups, ...this.kernelSize];
    this.weight = this.registerParameter('weight', ownParameter(torch.empty(shape)));
    this.bias = this.registerParameter('bias', o.bias === false ? undefined : ownParameter(torch.empty([outChannels])));
    this.resetParameters();
  }
  resetParameters(): void {
    init.kaimingUniform_(this.weight, { a: Math.sqrt(5) });
    if (this.bias) {
      const { fanIn } = init.calculateFanInAndFanOut(this.weight);
      if (fanIn !== 0) {
        const bound = 1 / Math.sqrt(fanIn);
        init.uniform_(this.bias, -bound, bound);
      }
    }
  }
  override extraRepr(): string {
    return `${this.inChannels}, ${this.outChannels}, kernel_size=(${this.kernelSize}), stride=(${this.stride})` +
      `${this.padding.some((p) => p) ? `, padding=(${this.padding})` : ''}${this.groups > 1 ? `, groups=${this.groups}` : ''}` +
      `${this.bias ? '' : ', bias=False'}`;
  }
  protected get opts(): torch.F.ConvTransposeOptions {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups, outputPadding: this.outputPadding };
  }
}

export class Conv1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Tuple, o: ConvOptions = {}) {
    super(inChannels, outChannels, kernelSize, 1, false, o);
  }
  forward(x: Tensor): Tensor {
    return torch.F.conv1d(x, this.weight, this.bias, this.opts);
  }
}
export class Conv2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Tuple, o: ConvOptions = {}) {
    super(inChannels, outChannels, kernelSize, 2, false, o);
  }
  forward(x: Tensor): Tensor {
    return torch.F.conv2d(x, this.weight, this.bias, this.opts);
  }
}
export class Conv3d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Tuple, o: ConvOptions = {}) {
    super(inChannels, outChannels, kernelSize, 3, false, o);
  }
  forward(x: Tensor): Tensor {
    return torch.F.conv3d(x, this.weight, this.bias, this.opts);
  }
}
export class ConvTranspose1d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Tuple, o: ConvOptions = {}) {
    super(inChannels, outChannels, kernelSize, 1, true, o);
  }
  forward(x: Tensor): Tensor {
    return torch.F.convTranspose1d(x, this.weight, this.bias, this.opts);
  }
}
export class ConvTranspose2d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Tuple, o: ConvOptions = {}) {
    super(inChannels, outChannels, kernelSize, 2, true, o);
  }
  forward(x: Tensor): Tensor {
    return torch.F.convTranspose2d(x, this.weight, this.bias, this.opts);
  }
}
export class ConvTranspose3d extends ConvNd {
  constructor(inChannels: number, outChannels: number, kernelSize: Tuple, o: ConvOptions = {}) {
    super(inChannels, outChannels, kernelSize, 3, true, o);
  }
  forward(x: Tensor): Tensor {
    return torch.F.convTranspose3d(x, this.weight, this.bias, this.opts);
  }
}
