// Adam and AdamW: PyTorch 1.13's updates (torch.optim.Adam / AdamW, single-tensor path):
//   step += 1;  g = grad (negated when maximize)
//   Adam: g = g + wd * p                 AdamW: p = p * (1 - lr * wd)   (decoupled decay)
//   m = beta1 * m + (1 - beta1) * g;     v = beta2 * v + (1 - beta2) * g * g
//   vmax = max(vmax, v) (amsgrad)        denom = sqrt(v or vmax) / sqrt(1 - beta2^step) + eps
//   p = p - lr / (1 - beta1^step) * m / denom
// The moments update with multi-tensor calls; bias corrections depend on each parameter's own
// step count, so parameters are batched by step (they differ only if some missed gradients).
import * as torch from '../torch/index.js';
import * as foreach from './foreach.js';
import { Optimizer, stateTensorFor, type GroupOptions, type ParamGroup, type ParamsInit, type StateValue } from './optimizer.js';

type Tensor = torch.Tensor;

interface AdamCommonOptions extends GroupOptions {
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

export interface AdamOptions extends AdamCommonOptions {
  /** libtorch's fused CUDA kernel (`_fused_adam_`); every parameter must be a CUDA float tensor. */
  fused: boolean;
}

export type AdamWOptions = AdamCommonOptions;

export interface AdamState {
  /** Number of updates this parameter has had (a float32 0-d tensor in the state dict). */
  step: number;
  expAvg: Tensor;
  expAvgSq: Tensor;
  /** Only with amsgrad. */
  maxExpAvgSq?: Tensor;
}

abstract class AdamBase<O extends AdamCommonOptions> extends Optimizer<O, AdamState> {
  /** AdamW's decoupled weight decay instead of Adam's L2 term. */
  protected abstract get decoupled(): boolean;

  protected override validateGroup(g: ParamGroup<O>): void {
    super.validateGroup(g);
    if (!(g.eps >= 0)) throw new RangeError(`Invalid epsilon value: ${g.eps}`);
    g.betas.forEach((b, i) => {
      if (!(b >= 0 && b < 1)) throw new RangeError(`Invalid beta parameter at index ${i}: ${b}`);
    });
    if (!(g.weightDecay >= 0)) throw new RangeError(`Invalid weight_decay value: ${g.weightDecay}`);
  }

  protected override updateGroup(g: ParamGroup<O>): void {
    const { params, grads } = this.withGrads(g);
    if (!params.length) return;
    const states = params.map((p) => this.stateFor(p, g.amsgrad));
    for (const s of states) s.step += 1;
    if ((g as Partial<AdamOptions>).fused) return fusedStep(g, params, grads, states);
    const [beta1, beta2] = g.betas;
    let d = g.maximize ? grads.map((x) => x.neg()) : grads;
    if (g.weightDecay !== 0) {
      if (this.decoupled) foreach.mulScalar_(params, 1 - g.lr * g.weightDecay);
      else d = d.map((x, i) => x.add(params[i]!, g.weightDecay));
    }
    const m = states.map((s) => s.expAvg);
    const v = states.map((s) => s.expAvgSq);
    foreach.mulScalar_(m, beta1);
    foreach.addList_(m, d, 1 - beta1);
    foreach.mulScalar_(v, beta2);
    foreach.addcmul_(v, d, d, 1 - beta2);
    const byStep = new Map<number, number[]>();
    states.forEach((s, i) => byStep.set(s.step, [...(byStep.get(s.step) ?? []), i]));
    for (const [step, idx] of byStep) {
      const biasCorrection1 = 1 - beta1 ** step;
      const biasCorrection2 = 1 - beta2 ** step;
      const stepSize = g.lr / biasCorrection1;
      let second = idx.map((i) => v[i]!);
      if (g.amsgrad) {
        second = idx.map((i) => {
          const s = states[i]!;
          const vmax = (s.maxExpAvgSq ??= torch.keep(torch.zerosLike(params[i]!)));
          return vmax.copy_(vmax.maximum(v[i]!));
        });
      }
      const denom = foreach.sqrt(second);
      foreach.divScalar_(denom, Math.sqrt(biasCorrection2));
      foreach.addScalar_(denom, g.eps);
      foreach.addcdiv_(idx.map((i) => params[i]!), idx.map((i) => m[i]!), denom, -stepSize);
    }
  }

  private stateFor(p: Tensor, amsgrad: boolean): AdamState {
    let s = this.state.get(p);
    if (!s) {
      s = { step: 0, expAvg: torch.keep(torch.zerosLike(p)), expAvgSq: torch.keep(torch.zerosLike(p)) };
      if (amsgrad) s.maxExpAvgSq = torch.keep(torch.zerosLike(p));
      this.state.set(p, s);
    }
    return s;
  }

  protected override packState(s: AdamState): Record<string, StateValue> {
    const out: Record<string, StateValue> = {
      step: torch.tensor(s.step, { dtype: 'float32' }),
      exp_avg: s.expAvg.detach(),
      exp_avg_sq: s.expAvgSq.detach(),
    };
    if (s.maxExpAvgSq) out.max_exp_avg_sq = s.maxExpAvgSq.detach();
    return out;
  }

  protected override unpackState(raw: Record<string, StateValue>, param: Tensor): AdamState {
    const { step, exp_avg, exp_avg_sq, max_exp_avg_sq } = raw;
    if (!(exp_avg instanceof torch.Tensor) || !(exp_avg_sq instanceof torch.Tensor)) {
      throw new TypeError('Adam state needs exp_avg and exp_avg_sq tensors');
    }
    const n = step instanceof torch.Tensor ? Number(step.item()) : step;
    if (typeof n !== 'number') throw new TypeError('Adam state needs a step count');
    const s: AdamState = {
      step: n,
      expAvg: stateTensorFor(exp_avg, param, 'exp_avg'),
      expAvgSq: stateTensorFor(exp_avg_sq, param, 'exp_avg_sq'),
    };
    if (max_exp_avg_sq instanceof torch.Tensor) s.maxExpAvgSq = stateTensorFor(max_exp_avg_sq, param, 'max_exp_avg_sq');
    return s;
  }
}

/** libtorch's `_fused_adam_` (CUDA only in libtorch 1.13); step counts are already incremented. */
function fusedStep(g: ParamGroup<AdamCommonOptions>, params: Tensor[], grads: Tensor[], states: AdamState[]): void {
  const h = (ts: readonly Tensor[]): Tensor['handle'][] => ts.map((t) => t.handle);
  const steps = states.map((s, i) => torch.full([1], s.step, { dtype: 'float32', device: params[i]!.device }));
  const vmax = g.amsgrad ? states.map((s, i) => (s.maxExpAvgSq ??= torch.keep(torch.zerosLike(params[i]!)))) : [];
  torch.aten._fused_adam_(
    h(params),
    h(grads),
    h(states.map((s) => s.expAvg)),
    h(states.map((s) => s.expAvgSq)),
    h(vmax),
    h(steps),
    g.lr,
    g.betas[0],
    g.betas[1],
    g.weightDecay,
    g.eps,
    g.amsgrad,
    g.maximize,
  );
}

export class Adam extends AdamBase<AdamOptions> {
  constructor(params: ParamsInit<AdamOptions>, options: Partial<AdamOptions> = {}) {
    super(params, {
      lr: options.lr ?? 1e-3,
      betas: options.betas ? [options.betas[0], options.betas[1]] : [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 0,
      amsgrad: options.amsgrad ?? false,
      maximize: options.maximize ?? false,
      fused: options.fused ?? false,
    });
  }

  protected get decoupled(): boolean {
    return false;
  }

  protected override validateGroup(g: ParamGroup<AdamOptions>): void {
    super.validateGroup(g);
    if (g.fused && !g.params.every((p) => p.isCuda && torch.isFloating(p.dtype))) {
      throw new Error('FusedAdam requires all the params to be CUDA, floating point');
    }
  }

  protected override torchGroupKeys(): Record<string, StateValue> {
    return { foreach: null, capturable: false, differentiable: false };
  }
}

export class AdamW extends AdamBase<AdamWOptions> {
  constructor(params: ParamsInit<AdamWOptions>, options: Partial<AdamWOptions> = {}) {
    super(params, {
      lr: options.lr ?? 1e-3,
      betas: options.betas ? [options.betas[0], options.betas[1]] : [0.9, 0.999],
      eps: options.eps ?? 1e-8,
      weightDecay: options.weightDecay ?? 1e-2,
      amsgrad: options.amsgrad ?? false,
      maximize: options.maximize ?? false,
    });
  }

  protected get decoupled(): boolean {
    return true;
  }

  protected override torchGroupKeys(): Record<string, StateValue> {
    return { foreach: null, capturable: false };
  }
}
