// Random number generators (seedable, with savable state) and the global seed.
import { native, type GeneratorHandle } from './native.js';
import { Tensor } from './tensor.js';

export class Generator {
  /** @internal */
  readonly handle: GeneratorHandle;
  constructor(options: { device?: string; seed?: number | bigint } = {}) {
    this.handle = native.newGenerator(options.device ?? 'cpu', options.seed);
  }
  /** @internal Wraps libtorch's default generator of a device. */
  static default(device = 'cpu'): Generator {
    const g = Object.create(Generator.prototype) as { handle: GeneratorHandle };
    g.handle = native.defaultGenerator(device);
    return g as Generator;
  }
  manualSeed(seed: number | bigint): this {
    native.generatorSeed(this.handle, seed);
    return this;
  }
  initialSeed(): bigint {
    return native.generatorInitialSeed(this.handle);
  }
  /** The full state as a uint8 tensor (save it to resume a run exactly). */
  getState(): Tensor {
    return new Tensor(native.generatorGetState(this.handle));
  }
  setState(state: Tensor): this {
    native.generatorSetState(this.handle, state.handle);
    return this;
  }
}

/** Seeds the default CPU generator and every CUDA generator (torch.manual_seed). */
export function manualSeed(seed: number | bigint): void {
  native.manualSeed(seed);
}

/** State of the default generator of a device ('cpu' or 'cuda:N'). */
export function getRngState(device = 'cpu'): Tensor {
  return Generator.default(device).getState();
}

export function setRngState(state: Tensor, device = 'cpu'): void {
  Generator.default(device).setState(state);
}
