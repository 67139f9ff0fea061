// The Optimizer base: parameter groups, per-parameter state, zeroGrad and state dicts in
// PyTorch's layout, so that checkpoints move between gdt and PyTorch unchanged.
//
// Memory: optimiser state is long-lived, so every state tensor is created with torch.keep and
// freed only by dispose() (or when a loaded state dict replaces it). A step runs in noGrad + tidy:
// whatever it allocates besides state is freed before step() returns.
import * as torch from '../torch/index.js';

type Tensor = torch.Tensor;

/** A value in an optimiser state dict: tensors, numbers, flags, `null` (PyTorch's None), lists. */
export type StateValue = Tensor | number | boolean | string | null | readonly StateValue[];

/** The options every parameter group has. */
export interface GroupOptions {
  lr: number;
}

/** A parameter group as passed to a constructor: its tensors plus per-group option overrides. */
export type ParamGroupInit<O extends GroupOptions> = Partial<O> & { params: Tensor | readonly Tensor[] };

/** Constructor parameters: a plain tensor list (one group) or a list of groups. */
export type ParamsInit<O extends GroupOptions> = readonly Tensor[] | readonly ParamGroupInit<O>[];

/** A live parameter group: the options in effect (camelCase) and its parameters. */
export type ParamGroup<O extends GroupOptions> = O & {
  params: Tensor[];
  /** Set by LR schedulers when they attach (PyTorch's `initial_lr`). */
  initialLr?: number;
  /** Keys of a loaded state dict this optimiser does not use, kept so that they round-trip. */
  extras: Record<string, StateValue>;
};

/**
 * PyTorch's optimiser state dict: `state` is keyed by the parameter's position across all groups
 * (in group order); `param_groups` carry the options in snake_case and those positions.
 * Tensors in a dict returned by stateDict() are new handles on the live state (no copy): the
 * caller owns the handles (a scope frees them) and the values change as the optimiser steps.
 */
export interface OptimizerStateDict {
  state: Record<number, Record<string, StateValue>>;
  param_groups: (Record<string, StateValue> & { params: number[] })[];
}

export interface ZeroGradOptions {
  /** Drop the gradients instead of zeroing them (default true: cheaper, and grads start fresh). */
  setToNone?: boolean;
}

export const toSnake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
export const toCamel = (k: string): string => k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function copyValue(v: StateValue): StateValue {
  return Array.isArray(v) ? [...(v as readonly StateValue[])] : v;
}

export abstract class Optimizer<O extends GroupOptions, S extends object> {
  readonly defaults: Readonly<O>;
  readonly paramGroups: ParamGroup<O>[] = [];
  /** Per-parameter state, keyed by the parameter's Tensor object. */
  protected readonly state = new Map<Tensor, S>();

  constructor(params: ParamsInit<O>, defaults: O) {
    this.defaults = { ...defaults };
    const list = [...params];
    if (list.length === 0) throw new Error('optimizer got an empty parameter list');
    if (list.every((x) => x instanceof torch.Tensor)) {
      this.addParamGroup({ params: list as Tensor[] } as unknown as ParamGroupInit<O>);
    } else if (list.some((x) => x instanceof torch.Tensor)) {
      throw new TypeError('optimizer params must be all Tensors or all parameter groups');
    } else {
      for (const g of list as ParamGroupInit<O>[]) this.addParamGroup(g);
    }
  }

  /** Adds a group; options it leaves out take the optimiser's defaults. */
  addParamGroup(init: ParamGroupInit<O>): void {
    const params = init.params instanceof torch.Tensor ? [init.params] : [...init.params];
    for (const p of params) {
      if (!(p instanceof torch.Tensor)) throw new TypeError('optimizer can only optimize Tensors');
      if (!p.isLeaf) throw new Error("can't optimize a non-leaf Tensor");
    }
    if (new Set(params).size !== params.length) throw new Error('a parameter group contains a parameter twice');
    const taken = new Set(this.paramGroups.flatMap((g) => g.params));
    if (params.some((p) => taken.has(p))) throw new Error('some parameters appear in more than one parameter group');
    const group: Record<string, unknown> = { ...this.defaults };
    for (const [k, v] of Object.entries(init)) {
      if (k !== 'params' && v !== undefined) group[k] = Array.isArray(v) ? [...(v as unknown[])] : v;
    }
    group.params = params;
    group.extras = {};
    const g = group as unknown as ParamGroup<O>;
    this.validateGroup(g);
    this.paramGroups.push(g);
  }

  /**
   * One update of every parameter that has a gradient. `closure` (optional) re-evaluates the
   * loss with grad mode on, as in PyTorch; its value is returned.
   */
  step(closure?: () => number): number | undefined {
    const loss = closure ? torch.enableGrad(closure) : undefined;
    torch.noGrad(() =>
      torch.tidy(() => {
        for (const g of this.paramGroups) this.updateGroup(g);
      }),
    );
    return loss;
  }

  /** Clears the gradients of all parameters (set to none by default, as PyTorch 2 does). */
  zeroGrad(options: ZeroGradOptions = {}): void {
    const setToNone = options.setToNone ?? true;
    const params = this.paramGroups.flatMap((g) => g.params);
    if (setToNone) {
      for (const p of params) p.grad = undefined;
      return;
    }
    torch.noGrad(() =>
      torch.tidy(() => {
        const plain: Tensor[] = [];
        for (const p of params) {
          const g = p.grad;
          if (!g) continue;
          // A gradient with history (create_graph) is replaced by a detached zero tensor.
          if (g.gradFn !== undefined) p.grad = torch.zerosLike(g);
          else plain.push(g.requiresGrad_(false));
        }
        if (plain.length) torch.aten._foreach_zero_(plain.map((t) => t.handle));
      }),
    );
  }

  stateDict(): OptimizerStateDict {
    const index = new Map<Tensor, number>();
    const param_groups = this.paramGroups.map((g) => {
      const packed: Record<string, StateValue> = {};
      const values = g as unknown as Record<string, StateValue>;
      for (const key of Object.keys(this.defaults)) packed[toSnake(key)] = copyValue(values[key]!);
      if (g.initialLr !== undefined) packed.initial_lr = g.initialLr;
      Object.assign(packed, this.torchGroupKeys(), g.extras);
      const params = g.params.map((p) => {
        let i = index.get(p);
        if (i === undefined) index.set(p, (i = index.size));
        return i;
      });
      return { ...packed, params };
    });
    const state: Record<number, Record<string, StateValue>> = {};
    for (const [p, s] of this.state) {
      const i = index.get(p);
      if (i !== undefined) state[i] = this.packState(s);
    }
    return { state, param_groups };
  }

  /**
   * Replaces state and group options by a state dict's (from stateDict() or PyTorch). Tensors are
   * copied, cast to their parameter's dtype (floating) and device, except `step`, as PyTorch does.
   */
  loadStateDict(sd: OptimizerStateDict): void {
    const saved = sd.param_groups;
    if (saved.length !== this.paramGroups.length) {
      throw new Error('loaded state dict has a different number of parameter groups');
    }
    if (saved.some((g, i) => g.params.length !== this.paramGroups[i]!.params.length)) {
      throw new Error("loaded state dict contains a parameter group that doesn't match the size of optimizer's group");
    }
    const byIndex = new Map<number, Tensor>();
    saved.forEach((g, gi) => g.params.forEach((id, k) => byIndex.set(id, this.paramGroups[gi]!.params[k]!)));
    // Build everything first so that a bad dict leaves the optimiser untouched.
    const next = new Map<Tensor, S>();
    try {
      for (const [k, raw] of Object.entries(sd.state)) {
        const p = byIndex.get(Number(k));
        if (p) next.set(p, this.unpackState(raw, p));
      }
      saved.forEach((g, gi) => this.checkGroupOptions(g, gi));
    } catch (e) {
      for (const s of next.values()) torch.disposeAll(s);
      throw e;
    }
    this.disposeState();
    for (const [p, s] of next) this.state.set(p, s);
    saved.forEach((g, gi) => this.applyGroupOptions(this.paramGroups[gi]!, g));
  }

  /** Frees the optimiser state (the parameters belong to their module, not to the optimiser). */
  dispose(): void {
    this.disposeState();
  }

  // ---- hooks for subclasses ----

  /** Updates the parameters of one group; runs inside noGrad and a tidy scope. */
  protected abstract updateGroup(group: ParamGroup<O>): void;

  /** Checks a group's options (the constructor's validation, per group). */
  protected validateGroup(group: ParamGroup<O>): void {
    if (!(group.lr >= 0)) throw new RangeError(`Invalid learning rate: ${group.lr}`);
  }

  /** PyTorch-only group keys (foreach, differentiable, ...) written for checkpoint parity. */
  protected torchGroupKeys(): Record<string, StateValue> {
    return {};
  }

  /** State in PyTorch's keys; tensors as new handles on the live state. */
  protected packState(s: S): Record<string, StateValue> {
    const out: Record<string, StateValue> = {};
    for (const [k, v] of Object.entries(s) as [string, StateValue | undefined][]) {
      if (v === undefined) continue;
      out[toSnake(k)] = v instanceof torch.Tensor ? v.detach() : copyValue(v);
    }
    return out;
  }

  /** State from PyTorch's keys; tensors become kept copies on the parameter's device and dtype. */
  protected unpackState(raw: Record<string, StateValue>, param: Tensor): S {
    const out: Record<string, StateValue> = {};
    for (const [k, v] of Object.entries(raw)) {
      out[toCamel(k)] = v instanceof torch.Tensor ? stateTensorFor(v, param, k) : copyValue(v);
    }
    return out as S;
  }

  /** The group's parameters that have gradients, and those gradients (handles in the scope). */
  protected withGrads(group: ParamGroup<O>): { params: Tensor[]; grads: Tensor[] } {
    const params: Tensor[] = [];
    const grads: Tensor[] = [];
    for (const p of group.params) {
      const g = p.grad;
      if (g === undefined) continue;
      params.push(p);
      grads.push(g);
    }
    return { params, grads };
  }

  private disposeState(): void {
    for (const s of this.state.values()) torch.disposeAll(s);
    this.state.clear();
  }

  private checkGroupOptions(saved: Record<string, StateValue>, gi: number): void {
    for (const [k, v] of Object.entries(saved)) {
      const key = toCamel(k);
      if (k === 'params' || !(key in this.defaults)) continue;
      const want = (this.defaults as Record<string, unknown>)[key];
      const ok = Array.isArray(want) ? Array.isArray(v) && v.length === want.length : typeof v === typeof want;
      if (!ok) throw new TypeError(`param_groups[${gi}].${k}: expected ${Array.isArray(want) ? 'a list' : typeof want}`);
    }
    if ('initial_lr' in saved && typeof saved.initial_lr !== 'number') {
      throw new TypeError(`param_groups[${gi}].initial_lr: expected a number`);
    }
  }

  private applyGroupOptions(group: ParamGroup<O>, saved: Record<string, StateValue>): void {
    const target = group as unknown as Record<string, StateValue | undefined>;
    group.extras = {};
    for (const [k, v] of Object.entries(saved)) {
      if (k === 'params') continue;
      if (k === 'initial_lr') group.initialLr = v as number;
      else if (toCamel(k) in this.defaults) target[toCamel(k)] = copyValue(v);
      else group.extras[k] = copyValue(v);
    }
  }
}

/** A kept copy of a loaded state tensor, on `param`'s device (and dtype, if floating; not `step`). */
export function stateTensorFor(v: Tensor, param: Tensor, key: string): Tensor {
  const floating = torch.isFloating(param.dtype) && key !== 'step';
  const dtype = floating ? param.dtype : v.dtype;
  return torch.keep(torch.noGrad(() => v.to({ device: param.device, dtype, copy: true })));
}
