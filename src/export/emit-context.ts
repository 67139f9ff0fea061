// Walking our nn modules into ONNX: one emitter per module class reproduces that class's
// `forward` as graph nodes. Dispatch follows the prototype chain, but only while no subclass
// overrides `forward` (a subclass that computes something else must have its own emitter).
import type { nn } from '../index.js';
import { GraphBuilder, type Value } from './graph-builder.js';

type AnyModule = nn.Module<never[], unknown>;

/** Emits `module`'s forward on `x` (already in the graph) and returns the output value. */
export type ModuleEmitter<M> = (ctx: EmitContext, module: M, x: Value, path: string) => Value;

/** A module class, whatever its constructor's parameters (never[] accepts every signature). */
type ModuleClass<M> = abstract new (...args: never[]) => M;

/** The name of `name` under `path` (`layer1.0` + `conv1`); the root's path is ''. */
export const subPath = (path: string, name: string): string => (path ? `${path}.${name}` : name);

/** Thrown for a module the exporter cannot write: names its path in the model and its class. */
export class UnsupportedModuleError extends Error {
  constructor(
    readonly path: string,
    readonly moduleType: string,
    detail = 'no ONNX emitter for this module type',
  ) {
    super(`cannot export ${path || '<root>'} (${moduleType}) to ONNX: ${detail}`);
    this.name = 'UnsupportedModuleError';
  }
}

export class EmitterRegistry {
  private readonly emitters = new Map<unknown, ModuleEmitter<never>>();

  register<M>(cls: ModuleClass<M>, emit: ModuleEmitter<M>): this {
    this.emitters.set(cls, emit as ModuleEmitter<never>);
    return this;
  }

  /** The emitter of the nearest registered class whose forward the module still uses. */
  find(module: object): ModuleEmitter<AnyModule> | undefined {
    for (let p: object | null = Object.getPrototypeOf(module) as object | null; p && p !== Object.prototype; p = Object.getPrototypeOf(p) as object | null) {
      const e = this.emitters.get((p as { constructor: unknown }).constructor);
      if (e) return e as ModuleEmitter<AnyModule>;
      if (Object.prototype.hasOwnProperty.call(p, 'forward')) return undefined;
    }
    return undefined;
  }
}

export class EmitContext {
  constructor(
    readonly g: GraphBuilder,
    private readonly registry: EmitterRegistry,
  ) {}

  /** Emits a module found at `path` (a state-dict style name, for node names and errors). */
  emit(module: AnyModule, x: Value, path: string): Value {
    const type = module.constructor.name;
    // Eval mode only: BatchNorm's running statistics and no dropout are what the graph encodes.
    if (module.training) throw new UnsupportedModuleError(path, type, 'the module is in training mode; call .eval() before exporting');
    const e = this.registry.find(module);
    if (!e) throw new UnsupportedModuleError(path, type);
    return e(this, module, x, path);
  }

  /** Emits the child registered under `name` of the module at `path`. */
  child(path: string, name: string, module: AnyModule, x: Value): Value {
    return this.emit(module, x, subPath(path, name));
  }
}
