// Parameter-free layers: activations, dropout, pooling, reshaping.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { Module } from './module.js';

type Tuple = number | readonly number[];

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return torch.F.relu(x);
  }
}
export class GELU extends Module {
  constructor(readonly approximate: 'none' | 'tanh' = 'none') {
    super();
  }
  forward(x: Tensor): Tensor {
    return torch.F.gelu(x, this.approximate);
  }
}
export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}
export class Tanh extends Module {
  forward(x: Tensor): Tensor {
    return x.tanh();
  }
}
export class Identity extends Module {
  /** Returns its input as a new handle (the caller owns what forward returns). */
  forward(x: Tensor): Tensor {
    return new torch.Tensor(torch.aten.alias(x.handle));
  }
}
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}

function checkP(p: number): number {
  if (p < 0 || p > 1) throw new RangeError(`dropout probability has to be between 0 and 1, but got ${p}`);
  return p;
}
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    checkP(p);
  }
  forward(x: Tensor): Tensor {
    return torch.F.dropout(x, this.p, this.training);
  }
  override extraRepr(): string {
    return `p=${this.p}`;
  }
}
/** Zeroes whole channels (Dropout2d / Dropout3d). */
export class Dropout3d extends Module {
  constructor(readonly p = 0.5) {
    super();
    checkP(p);
  }
  forward(x: Tensor): Tensor {
    return torch.F.featureDropout(x, this.p, this.training);
  }
}
export { Dropout3d as Dropout2d };

export class MaxPool2d extends Module {
  constructor(
    readonly kernelSize: Tuple,
    readonly o: torch.F.PoolOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return torch.F.maxPool2d(x, this.kernelSize, this.o);
  }
}
export class MaxPool3d extends Module {
  constructor(
    readonly kernelSize: Tuple,
    readonly o: torch.F.PoolOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return torch.F.maxPool3d(x, this.kernelSize, this.o);
  }
}
export class AvgPool2d extends Module {
  constructor(
    readonly kernelSize: Tuple,
    readonly o: torch.F.AvgPoolOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return torch.F.avgPool2d(x, this.kernelSize, this.o);
  }
}
export class AvgPool3d extends Module {
  constructor(
    readonly kernelSize: Tuple,
    readonly o: torch.F.AvgPoolOptions = {},
  ) {
    super();
  }
  forward(x: Tensor): Tensor {
    return torch.F.avgPool3d(x, this.kernelSize, this.o);
  }
}
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Tuple) {
    super();
  }
  forward(x: Tensor): Tensor {
    return torch.F.adaptiveAvgPool2d(x, this.outputSize);
  }
}
export class AdaptiveAvgPool3d extends Module {
  constructor(readonly outputSize: Tuple) {
    super();
  }
  forward(x: Tensor): Tensor {
    return torch.F.adaptiveAvgPool3d(x, this.outputSize);
  }
}
