// LARS (layer-wise adaptive rate scaling) in the form self-supervised recipes use (Barlow Twins,
// VICReg): each tensor's update is rescaled by a trust ratio eta * |p| / |d|. Biases and norm-layer
// parameters are usually excluded from both the weight decay and the adaptation: set
// `larsExclude: true` on their group (larsParamGroups builds the two groups).
//   d = g;  unless larsExclude: d = d + wd * p;  q = eta |p| / |d| (1 if |p| or |d| is 0);  d = q d
//   buf = momentum * buf + d   (buf starts at zero)
//   p = p - lr * buf
import * as torch from '../torch/index.js';
import * as foreach from './foreach.js';
import { Optimizer, stateTensorFor, type GroupOptions, type ParamGroup, type ParamsInit, type StateValue } from './optimizer.js';

type Tensor = torch.Tensor;

export interface LARSOptions extends GroupOptions {
  momentum: number;
  weightDecay: number;
  /** Trust coefficient. */
  eta: number;
  /** Skip weight decay and the trust-ratio adaptation for this group (biases, BatchNorm). */
  larsExclude: boolean;
}

export interface LARSState {
  momentumBuffer: Tensor;
}

export class LARS extends Optimizer<LARSOptions, LARSState> {
  constructor(params: ParamsInit<LARSOptions>, options: Partial<LARSOptions> & { lr: number }) {
    super(params, {
      lr: options.lr,
      momentum: options.momentum ?? 0.9,
      weightDecay: options.weightDecay ?? 0,
      eta: options.eta ?? 0.001,
      larsExclude: options.larsExclude ?? false,
    });
  }

  protected override validateGroup(g: ParamGroup<LARSOptions>): void {
    super.validateGroup(g);
    if (!(g.momentum >= 0)) throw new RangeError(`Invalid momentum value: ${g.momentum}`);
    if (!(g.weightDecay >= 0)) throw new RangeError(`Invalid weight_decay value: ${g.weightDecay}`);
    if (!(g.eta > 0)) throw new RangeError(`Invalid trust coefficient eta: ${g.eta}`);
  }

  protected override updateGroup(g: ParamGroup<LARSOptions>): void {
    const { params, grads } = this.withGrads(g);
    if (!params.length) return;
    let d = grads;
    if (!g.larsExclude) {
      d = d.map((x, i) => x.add(params[i]!, g.weightDecay));
      // Trust ratios stay on the device (no host sync): q = where(|p|>0, where(|d|>0, eta|p|/|d|, 1), 1).
      const pn = foreach.norm(params, 2);
      const dn = foreach.norm(d, 2);
      d = d.map((x, i) => {
        const ratio = pn[i]!.mul(g.eta).div(dn[i]!);
        const q = torch.where(pn[i]!.gt(0), torch.where(dn[i]!.gt(0), ratio, 1), 1);
        return x.mul(q);
      });
    }
    const bufs = params.map((p) => {
      let s = this.state.get(p);
      if (!s) this.state.set(p, (s = { momentumBuffer: torch.keep(torch.zerosLike(p)) }));
      return s.momentumBuffer;
    });
    foreach.mulScalar_(bufs, g.momentum);
    foreach.addList_(bufs, d, 1);
    foreach.addList_(params, bufs, -g.lr);
  }

  protected override unpackState(raw: Record<string, StateValue>, param: Tensor): LARSState {
    const b = raw.momentum_buffer;
    if (!(b instanceof torch.Tensor)) throw new TypeError('LARS state needs a momentum_buffer tensor');
    return { momentumBuffer: stateTensorFor(b, param, 'momentum_buffer') };
  }
}

export interface LarsGroupsOptions {
  weightDecay?: number;
  lr?: number;
}

/**
 * Two LARS groups from named parameters: tensors with more than one dimension (conv and linear
 * weights) get weight decay and adaptation; 1-d ones (biases, BatchNorm/LayerNorm weights) get
 * `larsExclude: true`, the usual SSL convention.
 */
export function larsParamGroups(
  named: Iterable<readonly [string, Tensor]> | Iterable<Tensor>,
  options: LarsGroupsOptions = {},
): { params: Tensor[]; larsExclude: boolean; weightDecay?: number; lr?: number }[] {
  const regular: Tensor[] = [];
  const excluded: Tensor[] = [];
  for (const item of named) {
    const t = item instanceof torch.Tensor ? item : item[1];
    (t.ndim <= 1 ? excluded : regular).push(t);
  }
  const extra = {
    ...(options.weightDecay !== undefined ? { weightDecay: options.weightDecay } : {}),
    ...(options.lr !== undefined ? { lr: options.lr } : {}),
  };
  return [
    { params: regular, larsExclude: false, ...extra },
    { params: excluded, larsExclude: true, ...extra },
  ].filter((g) => g.params.length > 0);
}
