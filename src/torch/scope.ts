// Deterministic native memory: scopes free every tensor created inside them except what they
// return or what is explicitly kept. See docs/memory.md for the rules library code follows.
import { AsyncLocalStorage } from 'node:async_hooks';

/** Anything that owns native memory and can free it now. */
export interface Disposable {
  dispose(): void;
  readonly isDisposed: boolean;
}

/** Tensors that escape every scope (parameters, buffers, caches). */
const keptForever = new WeakSet<Disposable>();

export class Scope {
  private owned: Disposable[] = [];
  private closed = false;
  constructor(readonly parent: Scope | undefined) {}

  /** @internal */
  add(t: Disposable): void {
    this.owned.push(t);
  }

  /** Frees everything created in this scope, except `keep` (moved to the parent scope). */
  close(keep: ReadonlySet<Disposable> = new Set()): void {
    if (this.closed) return;
    this.closed = true;
    const owned = this.owned;
    this.owned = [];
    for (const t of owned) {
      if (keptForever.has(t) || t.isDisposed) continue;
      if (keep.has(t)) this.parent?.add(t);
      else t.dispose();
    }
  }

  get size(): number {
    return this.owned.length;
  }

  [Symbol.dispose](): void {
    if (scopeStack[scopeStack.length - 1] === this) scopeStack.pop();
    this.close();
  }
}

const scopeStack: Scope[] = [];
const asyncScopes = new AsyncLocalStorage<Scope>();
let asyncScopeCount = 0;

function currentScope(): Scope | undefined {
  if (scopeStack.length) return scopeStack[scopeStack.length - 1];
  return asyncScopeCount > 0 ? asyncScopes.getStore() : undefined;
}

/** @internal Registers a freshly created tensor with the innermost active scope. */
export function track(t: Disposable): void {
  const s = scopeStack.length ? scopeStack[scopeStack.length - 1] : asyncScopeCount > 0 ? asyncScopes.getStore() : undefined;
  s?.add(t);
}

/** Marks a tensor (or every tensor in a value) as owned by the caller: no scope will free it. */
export function keep<T>(value: T): T {
  for (const t of collectDisposables(value)) keptForever.add(t);
  return value;
}

/** Frees every tensor in a value (tensors, arrays, plain objects, Maps). */
export function disposeAll(value: unknown): void {
  for (const t of collectDisposables(value)) t.dispose();
}

function isDisposable(v: unknown): v is Disposable {
  return typeof v === 'object' && v !== null && typeof (v as Disposable).dispose === 'function' && 'isDisposed' in v;
}

/** Tensors reachable from a returned value: the value itself, arrays, Maps and plain objects. */
export function collectDisposables(value: unknown, out: Set<Disposable> = new Set(), depth = 0): Set<Disposable> {
  if (depth > 8 || value === null || typeof value !== 'object') return out;
  if (isDisposable(value)) {
    out.add(value);
    return out;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectDisposables(v, out, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collectDisposables(v, out, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value as Record<string, unknown>)) collectDisposables(v, out, depth + 1);
  }
  return out;
}

/**
 * Runs `fn` in a new scope: every tensor created inside is freed when it returns, except the
 * tensors in its return value (handed to the enclosing scope) and kept ones.
 */
export function tidy<T>(fn: () => T): T {
  const s = new Scope(currentScope());
  scopeStack.push(s);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopeStack.pop();
    s.close();
    throw e;
  }
  if (result instanceof Promise) {
    scopeStack.pop();
    s.close();
    throw new TypeError('tidy(fn): fn returned a Promise; use tidyAsync for async functions');
  }
  scopeStack.pop();
  s.close(collectDisposables(result));
  return result;
}

/** The async form of `tidy`: the scope follows `fn` across awaits (and only `fn`). */
export async function tidyAsync<T>(fn: () => Promise<T>): Promise<T> {
  const s = new Scope(currentScope());
  asyncScopeCount++;
  try {
    const result = await asyncScopes.run(s, () => {
      // A sync scope open around this call must not capture tensors made inside fn.
      const saved = scopeStack.splice(0);
      try {
        return fn();
      } finally {
        scopeStack.push(...saved);
      }
    });
    s.close(collectDisposables(result));
    return result;
  } catch (e) {
    s.close();
    throw e;
  } finally {
    asyncScopeCount--;
  }
}

/**
 * A scope for `using`: `{ using _ = scope(); ... }` frees what the block created when it ends.
 * Tensors that must outlive the block are returned through `keep` or created outside.
 */
export function scope(): Scope {
  const s = new Scope(currentScope());
  scopeStack.push(s);
  return s;
}
