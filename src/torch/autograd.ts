// The autograd engine's entry points beyond Tensor.backward.
import { native } from './native.js';
import { Tensor } from './tensor.js';

export interface GradOptions {
  gradOutputs?: (Tensor | undefined)[];
  retainGraph?: boolean;
  createGraph?: boolean;
  allowUnused?: boolean;
}

/** torch.autograd.grad: gradients of `outputs` w.r.t. `inputs` (undefined for unused inputs). */
export function grad(outputs: Tensor | Tensor[], inputs: Tensor | Tensor[], options: GradOptions = {}): (Tensor | undefined)[] {
  const outs = Array.isArray(outputs) ? outputs : [outputs];
  const ins = Array.isArray(inputs) ? inputs : [inputs];
  const gos = options.gradOutputs ?? outs.map(() => undefined);
  const hs = native.autogradGrad(
    outs.map((t) => t.handle),
    ins.map((t) => t.handle),
    gos.map((t) => t?.handle),
    options.retainGraph,
    options.createGraph ?? false,
    options.allowUnused ?? false,
  );
  return hs.map((h) => (h === undefined ? undefined : new Tensor(h)));
}

/** torch.autograd.backward over several roots at once. */
export function backward(tensors: Tensor[], gradTensors?: (Tensor | undefined)[], options: { retainGraph?: boolean; createGraph?: boolean } = {}): void {
  native.backward(
    tensors.map((t) => t.handle),
    (gradTensors ?? tensors.map(() => undefined)).map((t) => t?.handle),
    options.retainGraph,
    options.createGraph ?? false,
  );
}
