// Containers: children registered by index (Sequential, ModuleList) or by key (ModuleDict).
import type { Tensor } from '../torch/index.js';
import * as torch from '../torch/index.js';
import { Module } from './module.js';

type AnyModule = Module<never[], unknown>;

/** Runs its children in order; each child's output feeds the next (intermediates are freed). */
export class Sequential extends Module<[Tensor], Tensor> {
  private readonly items: Module<[Tensor], Tensor>[] = [];
  constructor(...modules: Module<[Tensor], Tensor>[]) {
    super();
    modules.forEach((m) => this.append(m));
  }
  append(m: Module<[Tensor], Tensor>): this {
    this.registerModule(String(this.items.length), m as unknown as AnyModule);
    this.items.push(m);
    return this;
  }
  at(i: number): Module<[Tensor], Tensor> {
    const m = this.items[i < 0 ? i + this.items.length : i];
    if (!m) throw new RangeError(`index ${i} is out of range`);
    return m;
  }
  get length(): number {
    return this.items.length;
  }
  [Symbol.iterator](): Iterator<Module<[Tensor], Tensor>> {
    return this.items[Symbol.iterator]();
  }
  forward(x: Tensor): Tensor {
    let h = x;
    for (const m of this.items) {
      const next = m.forward(h);
      if (h !== x && next !== h) h.dispose();
      h = next;
    }
    return h === x ? new torch.Tensor(torch.aten.alias(x.handle)) : h;
  }
}

export class ModuleList<M extends AnyModule = AnyModule> extends Module<never[], never> {
  private readonly items: M[] = [];
  constructor(modules: M[] = []) {
    super();
    modules.forEach((m) => this.append(m));
  }
  append(m: M): this {
    this.registerModule(String(this.items.length), m);
    this.items.push(m);
    return this;
  }
  at(i: number): M {
    const m = this.items[i < 0 ? i + this.items.length : i];
    if (!m) throw new RangeError(`index ${i} is out of range`);
    return m;
  }
  get length(): number {
    return this.items.length;
  }
  [Symbol.iterator](): Iterator<M> {
    return this.items[Symbol.iterator]();
  }
  forward(): never {
    throw new Error('ModuleList has no forward; iterate over its modules');
  }
}

export class ModuleDict<M extends AnyModule = AnyModule> extends Module<never[], never> {
  private readonly items = new Map<string, M>();
  constructor(modules: Record<string, M> = {}) {
    super();
    for (const [k, m] of Object.entries(modules)) this.set(k, m);
  }
  set(key: string, m: M): this {
    this.registerModule(key, m);
    this.items.set(key, m);
    return this;
  }
  get(key: string): M {
    const m = this.items.get(key);
    if (!m) throw new RangeError(`ModuleDict has no key '${key}'`);
    return m;
  }
  keys(): IterableIterator<string> {
    return this.items.keys();
  }
  forward(): never {
    throw new Error('ModuleDict has no forward; get its modules by key');
  }
}
