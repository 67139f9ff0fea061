// nn.Module: parameters, buffers and submodules registered under PyTorch state_dict key names.
import * as torch from '../torch/index.js';
import type { Tensor, Device, DType } from '../torch/index.js';

type T = Tensor;

/** Parameters of PyTorch modules: leaf tensors that require grad, owned by their module. */
export function parameter(t: T, requiresGrad = true): T {
  const p = torch.noGrad(() => t.detach());
  p.requiresGrad_(requiresGrad);
  return torch.keep(p);
}

/**
 * A parameter made from a fresh tensor that nothing else holds (`torch.empty(...)` in a layer's
 * constructor): its handle is freed here, so building a layer outside any scope leaves nothing
 * behind. The parameter shares the storage, which stays alive.
 */
export function ownParameter(t: T, requiresGrad = true): T {
  try {
    return parameter(t, requiresGrad);
  } finally {
    t.dispose();
  }
}

export interface LoadReport {
  missingKeys: string[];
  unexpectedKeys: string[];
  shapeMismatches: { key: string; expected: number[]; got: number[] }[];
  loaded: string[];
}

/** Formats a load report for people: what was loaded, what was missing, unexpected or mis-shaped. */
export function formatLoadReport(r: LoadReport): string {
  const lines = [`loaded ${r.loaded.length} tensors`];
  const list = (label: string, xs: string[]): void => {
    if (xs.length) lines.push(`${label} (${xs.length}): ${xs.slice(0, 20).join(', ')}${xs.length > 20 ? ', ...' : ''}`);
  };
  list('missing keys', r.missingKeys);
  list('unexpected keys', r.unexpectedKeys);
  for (const m of r.shapeMismatches) {
    lines.push(`shape mismatch for ${m.key}: the model has [${m.expected.join(', ')}], the file has [${m.got.join(', ')}]`);
  }
  return lines.join('\n');
}

export type StateDict = Map<string, T>;

export abstract class Module<In extends unknown[] = [T], Out = T> {
  training = true;
  private readonly params = new Map<string, T | undefined>();
  private readonly buffers = new Map<string, { tensor: T | undefined; persistent: boolean }>();
  private readonly children_ = new Map<string, Module<never[], unknown>>();

  abstract forward(...input: In): Out;

  /** Registers (or replaces) a parameter under its state_dict name; returns it. */
  protected registerParameter<P extends T | undefined>(name: string, value: P): P {
    checkName(name, this.params, this.buffers, this.children_);
    this.params.set(name, value === undefined ? undefined : torch.keep(value));
    return value;
  }

  protected registerBuffer<B extends T | undefined>(name: string, value: B, persistent = true): B {
    checkName(name, this.params, this.buffers, this.children_);
    this.buffers.set(name, { tensor: value === undefined ? undefined : torch.keep(value), persistent });
    return value;
  }

  protected registerModule<M extends Module<never[], unknown>>(name: string, module: M): M {
    checkName(name, this.params, this.buffers, this.children_);
    this.children_.set(name, module);
    return module;
  }

  /** Replaces a registered buffer's tensor (for buffers whose identity changes, e.g. caches). */
  protected setBuffer(name: string, value: T): void {
    const b = this.buffers.get(name);
    if (!b) throw new Error(`${this.constructor.name} has no buffer '${name}'`);
    if (b.tensor && b.tensor !== value) b.tensor.dispose();
    b.tensor = torch.keep(value);
  }

  *namedChildren(): Generator<[string, Module<never[], unknown>]> {
    yield* this.children_.entries();
  }
  *children(): Generator<Module<never[], unknown>> {
    yield* this.children_.values();
  }
  *namedModules(prefix = ''): Generator<[string, Module<never[], unknown>]> {
    yield [prefix, this as unknown as Module<never[], unknown>];
    for (const [n, m] of this.children_) yield* m.namedModules(prefix ? `${prefix}.${n}` : n);
  }
  *modules(): Generator<Module<never[], unknown>> {
    for (const [, m] of this.namedModules()) yield m;
  }
  *namedParameters(prefix = ''): Generator<[string, T]> {
    const seen = new Set<T>();
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [n, p] of (m as Module).params) {
        if (!p || seen.has(p)) continue;
        seen.add(p);
        yield [mp ? `${mp}.${n}` : n, p];
      }
    }
  }
  parameters(): T[] {
    return [...this.namedParameters()].map(([, p]) => p);
  }
  *namedBuffers(prefix = ''): Generator<[string, T]> {
    for (const [mp, m] of this.namedModules(prefix)) {
      for (const [n, b] of (m as Module).buffers) if (b.tensor) yield [mp ? `${mp}.${n}` : n, b.tensor];
    }
  }
  buffers_(): T[] {
    return [...this.namedBuffers()].map(([, b]) => b);
  }
  numParameters(onlyTrainable = false): number {
    return this.parameters()
      .filter((p) => !onlyTrainable || p.requiresGrad)
      .reduce((n, p) => n + p.numel, 0);
  }

  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad_(flag);
    return this;
  }
  /** Clears the gradients of all parameters. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = undefined;
  }
  apply(fn: (m: Module<never[], unknown>) => void): this {
    for (const m of this.children_.values()) m.apply(fn);
    fn(this as unknown as Module<never[], unknown>);
    return this;
  }

  /** Moves parameters and buffers to a device, and/or casts floating ones to a dtype (in place). */
  to(target: Device | DType | { device?: Device; dtype?: DType }): this {
    const o = typeof target === 'string' ? (isDevice(target) ? { device: target as Device } : { dtype: target as DType }) : target;
    torch.noGrad(() => {
      for (const t of [...this.parameters(), ...this.buffers_()]) {
        const dtype = o.dtype && torch.isFloating(t.dtype) ? o.dtype : undefined;
        if (!dtype && !o.device) continue;
        using moved = t.to({ dtype, device: o.device });
        t.setData(moved);
      }
    });
    return this;
  }

  /** The persistent state under PyTorch key names (new handles sharing the module's memory). */
  stateDict(prefix = ''): StateDict {
    const out: StateDict = new Map();
    for (const [mp, m] of this.namedModules(prefix)) {
      const mod = m as Module;
      const key = (n: string): string => (mp ? `${mp}.${n}` : n);
      for (const [n, p] of mod.params) if (p) out.set(key(n), p.detach());
      for (const [n, b] of mod.buffers) if (b.tensor && b.persistent) out.set(key(n), b.tensor.detach());
    }
    return out;
  }

  /**
   * Copies tensors into parameters and buffers by key (values are cast to each target's dtype).
   * With strict (default) any missing, unexpected or mis-shaped key throws with a full report;
   * otherwise the report is returned and matching keys are loaded.
   */
  loadStateDict(sd: Map<string, T> | Record<string, T>, options: { strict?: boolean } = {}): LoadReport {
    const strict = options.strict ?? true;
    const entries = sd instanceof Map ? sd : new Map(Object.entries(sd));
    const targets = new Map<string, T>();
    for (const [mp, m] of this.namedModules()) {
      const mod = m as Module;
      const key = (n: string): string => (mp ? `${mp}.${n}` : n);
      for (const [n, p] of mod.params) if (p) targets.set(key(n), p);
      for (const [n, b] of mod.buffers) if (b.tensor && b.persistent) targets.set(key(n), b.tensor);
    }
    const report: LoadReport = { missingKeys: [], unexpectedKeys: [], shapeMismatches: [], loaded: [] };
    for (const k of targets.keys()) if (!entries.has(k)) report.missingKeys.push(k);
    for (const k of entries.keys()) if (!targets.has(k)) report.unexpectedKeys.push(k);
    const plan: [T, T, string][] = [];
    for (const [k, src] of entries) {
      const dst = targets.get(k);
      if (!dst) continue;
      const a = dst.shape;
      const b = src.shape;
      if (a.length !== b.length || a.some((d, i) => d !== b[i])) report.shapeMismatches.push({ key: k, expected: a, got: b });
      else plan.push([dst, src, k]);
    }
    if (strict && (report.missingKeys.length || report.unexpectedKeys.length || report.shapeMismatches.length)) {
      throw new Error(`Error(s) in loading state_dict for ${this.constructor.name}:\n${formatLoadReport(report)}`);
    }
    torch.noGrad(() => {
      for (const [dst, src, k] of plan) {
        dst.copy_(src);
        report.loaded.push(k);
      }
    });
    return report;
  }

  /** Frees every parameter and buffer of this module and its submodules. */
  dispose(): void {
    for (const m of this.modules()) {
      const mod = m as Module;
      for (const p of mod.params.values()) p?.dispose();
      for (const b of mod.buffers.values()) b.tensor?.dispose();
    }
  }
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** A one-line-per-module summary, like printing a PyTorch module. */
  toString(): string {
    const lines: string[] = [];
    const walk = (m: Module<never[], unknown>, name: string, depth: number): void => {
      const extra = m.extraRepr();
      const kids = [...m.namedChildren()];
      const head = `${'  '.repeat(depth)}${name ? `(${name}): ` : ''}${m.constructor.name}(${extra}`;
      if (!kids.length) {
        lines.push(`${head})`);
        return;
      }
      lines.push(head);
      for (const [n, c] of kids) walk(c, n, depth + 1);
      lines.push(`${'  '.repeat(depth)})`);
    };
    walk(this as unknown as Module<never[], unknown>, '', 0);
    return lines.join('\n');
  }
  extraRepr(): string {
    return '';
  }
}

function isDevice(s: string): boolean {
  return s === 'cpu' || s === 'cuda' || s.startsWith('cuda:');
}

function checkName(name: string, ...maps: Map<string, unknown>[]): void {
  if (!name || name.includes('.')) throw new TypeError(`module attribute name '${name}' must be non-empty and contain no '.'`);
  for (const m of maps) {
    if (m.has(name)) throw new TypeError(`attribute '${name}' is already registered on this module`);
  }
}
