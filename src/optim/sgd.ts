// SGD with momentum, dampening, Nesterov, weight decay and maximize: PyTorch 1.13's update, step for
// step (torch.optim.SGD, single-tensor path):
//   d = g (negated when maximize);  d = d + wd * p
//   buf = d on the first step, then buf = momentum * buf + (1 - dampening) * d
//   d = d + momentum * buf (Nesterov) or d = buf
//   p = p - lr * d
import * as torch from '../torch/index.js';
import * as foreach from './foreach.js';
import { Optimizer, stateTensorFor, type GroupOptions, type ParamGroup, type ParamsInit, type StateValue } from './optimizer.js';

type Tensor = torch.Tensor;

export interface SGDOptions extends GroupOptions {
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  maximize: boolean;
}

/** Per-parameter state: the momentum buffer (`null` while momentum is 0, as in PyTorch). */
export interface SGDState {
  momentumBuffer: Tensor | null;
}

export class SGD extends Optimizer<SGDOptions, SGDState> {
  constructor(params: ParamsInit<SGDOptions>, options: Partial<SGDOptions> & { lr: number }) {
    super(params, {
      lr: options.lr,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected override validateGroup(g: ParamGroup<SGDOptions>): void {
    super.validateGroup(g);
    if (!(g.momentum >= 0)) throw new RangeError(`Invalid momentum value: ${g.momentum}`);
    if (!(g.weightDecay >= 0)) throw new RangeError(`Invalid weight_decay value: ${g.weightDecay}`);
    if (g.nesterov && (g.momentum <= 0 || g.dampening !== 0)) {
      throw new RangeError('Nesterov momentum requires a momentum and zero dampening');
    }
  }

  protected override torchGroupKeys(): Record<string, StateValue> {
    return { foreach: null, differentiable: false };
  }

  protected override updateGroup(g: ParamGroup<SGDOptions>): void {
    const { params, grads } = this.withGrads(g);
    if (!params.length) return;
    let d = g.maximize ? grads.map((x) => x.neg()) : grads;
    if (g.weightDecay !== 0) d = d.map((x, i) => x.add(params[i]!, g.weightDecay));
    const states = params.map((p) => this.stateFor(p));
    if (g.momentum !== 0) {
      // Existing buffers decay in one multi-tensor call; new ones start as a copy of d.
      const old = states.flatMap((s, i) => (s.momentumBuffer ? [i] : []));
      const bufsOld = old.map((i) => states[i]!.momentumBuffer!);
      foreach.mulScalar_(bufsOld, g.momentum);
      foreach.addList_(bufsOld, old.map((i) => d[i]!), 1 - g.dampening);
      states.forEach((s, i) => {
        if (!s.momentumBuffer) s.momentumBuffer = torch.keep(d[i]!.clone());
      });
      const bufs = states.map((s) => s.momentumBuffer!);
      d = g.nesterov ? d.map((x, i) => x.add(bufs[i]!, g.momentum)) : bufs;
    }
    foreach.addList_(params, d, -g.lr);
  }

  private stateFor(p: Tensor): SGDState {
    let s = this.state.get(p);
    if (!s) this.state.set(p, (s = { momentumBuffer: null }));
    return s;
  }

  protected override unpackState(raw: Record<string, StateValue>, param: Tensor): SGDState {
    const b = raw.momentum_buffer;
    return { momentumBuffer: b instanceof torch.Tensor ? stateTensorFor(b, param, 'momentum_buffer') : null };
  }
}
