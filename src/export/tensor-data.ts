// A module's tensor as the float32 values an ONNX initializer stores (a copy on the CPU).
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';

export function float32Data(t: Tensor): Float32Array {
  return torch.tidy(() => {
    const a = t.detach().to({ dtype: 'float32', device: 'cpu' }).contiguous().toTypedArray();
    if (!(a instanceof Float32Array)) throw new TypeError(`expected float32 data, got ${a.constructor.name}`);
    return a;
  });
}
