// Dynamic loss scaling for float16 training (torch.cuda.amp.GradScaler, PyTorch 1.13 semantics):
// scale the loss before backward, unscale the gradients before the step, skip steps whose
// gradients hold inf/nan, and adapt the scale (back off on overflow, grow after a run of good steps).
//
// On CUDA the fused libtorch ops do the work (_amp_foreach_non_finite_check_and_unscale_,
// _amp_update_scale_). libtorch 1.13 has no CPU kernels for them, so on CPU the same semantics are
// written with ordinary ops; the CPU path is what the tests exercise.
import * as torch from '../torch/index.js';

type Tensor = torch.Tensor;

export interface GradScalerOptions {
  initScale?: number;
  growthFactor?: number;
  backoffFactor?: number;
  growthInterval?: number;
  /** When false every method is a pass-through (scale returns its input, step just steps). */
  enabled?: boolean;
}

/** What the scaler needs of an optimiser. */
export interface ScalableOptimizer<R = unknown> {
  readonly paramGroups: readonly { readonly params: readonly Tensor[] }[];
  step(): R;
}

export interface GradScalerStateDict {
  scale: number;
  growth_factor: number;
  backoff_factor: number;
  growth_interval: number;
  _growth_tracker: number;
}

type Stage = 'ready' | 'unscaled' | 'stepped';

interface PerOptimizer {
  stage: Stage;
  /** 1-element float32: 1 when an inf/nan was seen; undefined when no gradient was checked. */
  foundInf?: Tensor;
}

export class GradScaler {
  private scaleT: Tensor | undefined;
  private growthTracker: Tensor | undefined;
  private initScale: number;
  private initGrowthTracker = 0;
  private growthFactor: number;
  private backoffFactor: number;
  private growthInterval: number;
  private readonly enabled: boolean;
  private perOptimizer = new Map<ScalableOptimizer, PerOptimizer>();

  constructor(options: GradScalerOptions = {}) {
    this.initScale = options.initScale ?? 2 ** 16;
    this.growthFactor = options.growthFactor ?? 2.0;
    this.backoffFactor = options.backoffFactor ?? 0.5;
    this.growthInterval = options.growthInterval ?? 2000;
    this.enabled = options.enabled ?? true;
    if (!(this.growthFactor > 1)) throw new RangeError('The growth factor must be > 1.0.');
    if (!(this.backoffFactor < 1)) throw new RangeError('The backoff factor must be < 1.0.');
    if (!(Number.isInteger(this.growthInterval) && this.growthInterval > 0)) {
      throw new RangeError('growthInterval must be a positive integer');
    }
  }

  isEnabled(): boolean {
    return this.enabled;
  }

  /** outputs * scale (a new tensor; the caller owns it). */
  scale(outputs: Tensor): Tensor;
  scale(outputs: readonly Tensor[]): Tensor[];
  scale(outputs: Tensor | readonly Tensor[]): Tensor | Tensor[] {
    if (!this.enabled) return outputs instanceof torch.Tensor ? outputs : [...outputs];
    const one = (t: Tensor): Tensor => torch.tidy(() => t.mul(this.scaleOn(t.device)));
    return outputs instanceof torch.Tensor ? one(outputs) : outputs.map(one);
  }

  /**
   * Divides the optimiser's gradients by the scale, in place, and records whether any was inf/nan.
   * Call it before clipping gradients; at most once per optimiser between update()s.
   */
  unscale_(optimizer: ScalableOptimizer): void {
    if (!this.enabled) return;
    const scale = this.checkInitialized('unscale_');
    const st = this.stateOf(optimizer);
    if (st.stage === 'unscaled') throw new Error('unscale_() has already been called on this optimizer since the last update().');
    if (st.stage === 'stepped') throw new Error('unscale_() is being called after step().');
    torch.noGrad(() =>
      torch.tidy(() => {
        const grads: Tensor[] = [];
        for (const g of optimizer.paramGroups) {
          for (const p of g.params) {
            const gr = p.grad;
            if (gr === undefined) continue;
            if (gr.dtype === 'float16') throw new Error('Attempting to unscale FP16 gradients.');
            grads.push(gr);
          }
        }
        if (grads.length) st.foundInf = torch.keep(unscaleGrads(grads, scale));
      }),
    );
    st.stage = 'unscaled';
  }

  /**
   * Unscales (unless unscale_ was already called) and runs optimizer.step() unless an inf/nan
   * gradient was found. Returns what step() returned, or undefined for a skipped step.
   */
  step<R>(optimizer: ScalableOptimizer<R>): R | undefined {
    if (!this.enabled) return optimizer.step();
    this.checkInitialized('step');
    const st = this.stateOf(optimizer);
    if (st.stage === 'stepped') throw new Error('step() has already been called since the last update().');
    if (st.stage === 'ready') this.unscale_(optimizer);
    if (!st.foundInf) throw new Error('No inf checks were recorded for this optimizer.');
    const skip = Number(st.foundInf.item()) !== 0;
    st.stage = 'stepped';
    return skip ? undefined : optimizer.step();
  }

  /**
   * Adapts the scale after an iteration: times backoffFactor if any optimiser saw inf/nan (and the
   * growth count restarts), times growthFactor after growthInterval clean steps in a row (unless
   * that would overflow float32). `newScale` sets the scale directly instead.
   */
  update(newScale?: number): void {
    if (!this.enabled) return;
    const scale = this.checkInitialized('update');
    const tracker = this.growthTracker!;
    if (newScale !== undefined) {
      scale.fill_(newScale);
    } else {
      const found = [...this.perOptimizer.values()].flatMap((s) => (s.foundInf ? [s.foundInf] : []));
      if (!found.length) throw new Error('No inf checks were recorded prior to update.');
      torch.noGrad(() =>
        torch.tidy(() => {
          const combined = found.length === 1 ? found[0]! : torch.stack(found).sum(0);
          updateScale(scale, tracker, combined, this.growthFactor, this.backoffFactor, this.growthInterval);
        }),
      );
    }
    this.resetPerOptimizer();
  }

  /** The current scale (initScale until the first scale()). */
  getScale(): number {
    if (!this.enabled) return 1.0;
    return this.scaleT ? Number(this.scaleT.item()) : this.initScale;
  }
  getGrowthFactor(): number {
    return this.growthFactor;
  }
  setGrowthFactor(v: number): void {
    this.growthFactor = v;
  }
  getBackoffFactor(): number {
    return this.backoffFactor;
  }
  setBackoffFactor(v: number): void {
    this.backoffFactor = v;
  }
  getGrowthInterval(): number {
    return this.growthInterval;
  }
  setGrowthInterval(v: number): void {
    this.growthInterval = v;
  }
  /** Clean steps since the last growth or backoff. */
  getGrowthTracker(): number {
    return this.growthTracker ? Number(this.growthTracker.item()) : this.initGrowthTracker;
  }

  /** PyTorch's layout; empty when disabled. */
  stateDict(): GradScalerStateDict | Record<string, never> {
    if (!this.enabled) return {};
    return {
      scale: this.getScale(),
      growth_factor: this.growthFactor,
      backoff_factor: this.backoffFactor,
      growth_interval: this.growthInterval,
      _growth_tracker: this.getGrowthTracker(),
    };
  }

  loadStateDict(sd: GradScalerStateDict | Record<string, never>): void {
    if (!this.enabled) return;
    if (!('scale' in sd)) throw new Error('The source state dict is empty, possibly because it was saved from a disabled instance of GradScaler.');
    this.initScale = sd.scale;
    this.growthFactor = sd.growth_factor;
    this.backoffFactor = sd.backoff_factor;
    this.growthInterval = sd.growth_interval;
    this.initGrowthTracker = sd._growth_tracker;
    this.scaleT?.fill_(sd.scale);
    this.growthTracker?.fill_(sd._growth_tracker);
  }

  dispose(): void {
    this.resetPerOptimizer();
    this.scaleT?.dispose();
    this.growthTracker?.dispose();
    this.scaleT = this.growthTracker = undefined;
  }

  // ---- internals ----

  /** The scale tensor, created on first use on `device`; a copy when asked for another device. */
  private scaleOn(device: torch.Device): Tensor {
    if (!this.scaleT) {
      this.scaleT = torch.keep(torch.full([1], this.initScale, { dtype: 'float32', device }));
      this.growthTracker = torch.keep(torch.full([1], this.initGrowthTracker, { dtype: 'int32', device }));
    }
    return this.scaleT.device === device ? this.scaleT : this.scaleT.to({ device });
  }

  private checkInitialized(fn: string): Tensor {
    if (!this.scaleT) throw new Error(`Attempted ${fn} but _scale is None.  This may indicate your script did not use scaler.scale(loss or outputs) earlier in the iteration.`);
    return this.scaleT;
  }

  private stateOf(opt: ScalableOptimizer): PerOptimizer {
    let s = this.perOptimizer.get(opt);
    if (!s) this.perOptimizer.set(opt, (s = { stage: 'ready' }));
    return s;
  }

  private resetPerOptimizer(): void {
    for (const s of this.perOptimizer.values()) s.foundInf?.dispose();
    this.perOptimizer = new Map();
  }
}

/**
 * grads *= 1/scale in place; returns a 1-element float32 flag, 1 when any gradient has inf/nan.
 * The reciprocal is taken in float64, as PyTorch does.
 */
function unscaleGrads(grads: readonly Tensor[], scale: Tensor): Tensor {
  return torch.tidy(() => {
    const invScale = scale.double().reciprocal().float();
    const foundInf = torch.zeros([1], { dtype: 'float32', device: scale.device });
    // Group by device and dtype, as the fused op takes one of each per call.
    const groups = new Map<string, Tensor[]>();
    for (const g of grads) {
      const key = `${g.device}/${g.dtype}`;
      groups.set(key, [...(groups.get(key) ?? []), g]);
    }
    for (const list of groups.values()) {
      const dev = list[0]!.device;
      const inv = dev === scale.device ? invScale : invScale.to({ device: dev });
      const found = dev === scale.device ? foundInf : torch.zeros([1], { dtype: 'float32', device: dev });
      if (list[0]!.isCuda) {
        torch.aten._amp_foreach_non_finite_check_and_unscale_(list.map((t) => t.handle), found.handle, inv.handle);
      } else {
        // CPU: the same semantics with ordinary ops (every gradient is scaled, finite or not).
        const anyBad = torch.stack(list.map((g) => g.isfinite().all())).all().logicalNot();
        found.copy_(found.maximum(anyBad.to({ dtype: 'float32' }).reshape([1])));
        for (const g of list) g.mul_(inv);
      }
      if (found !== foundInf) foundInf.copy_(foundInf.maximum(found.to({ device: scale.device })));
    }
    return foundInf;
  });
}

/** `_amp_update_scale_`: libtorch's kernel on CUDA, the same arithmetic in float32 on the CPU. */
function updateScale(scale: Tensor, tracker: Tensor, foundInf: Tensor, growth: number, backoff: number, interval: number): void {
  if (scale.isCuda) {
    torch.aten._amp_update_scale_(scale.handle, tracker.handle, foundInf.handle, growth, backoff, interval);
    return;
  }
  const s = Number(scale.item());
  if (Number(foundInf.item()) !== 0) {
    scale.fill_(Math.fround(s * backoff));
    tracker.fill_(0);
    return;
  }
  const successful = Number(tracker.item()) + 1;
  if (successful === interval) {
    const grown = Math.fround(s * growth);
    // Do not grow past float32's range to inf.
    if (Number.isFinite(grown)) scale.fill_(grown);
    tracker.fill_(0);
  } else {
    tracker.fill_(successful);
  }
}
