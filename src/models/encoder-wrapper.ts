// The reference wraps each encoder in a module whose `.base` is the network, which is where the
// `video_network.base.` / `audio_network.base.` key prefixes come from.
import { nn } from '../index.js';
import type { Tensor } from '../torch/index.js';
import type { MacTraceable, MacTracer, Shape } from './flops.js';

export class EncoderWrapper<M extends nn.Module<[Tensor], Tensor>> extends nn.Module implements MacTraceable {
  readonly base: M;
  constructor(base: M) {
    super();
    this.base = this.registerModule('base', base as unknown as nn.Module<never[], unknown>) as unknown as M;
  }
  forward(x: Tensor): Tensor {
    return this.base.forward(x);
  }
  traceMacs(t: MacTracer, [x]: readonly Shape[]): Shape[] {
    return [t.child('base', this.base as unknown as nn.Module<never[], unknown>, x!)];
  }
}
