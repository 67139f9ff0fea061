// gdt's tensor library: `import { torch } from 'gdt'` gives PyTorch's torch namespace in camelCase.
import { native, type BuildInfo } from './native.js';

export { Tensor, memoryFormat } from './tensor.js';
export type { Device, Shape, Dims, TensorOrScalar, ToOptions, MemoryFormat, NestedArray, Reduction } from './tensor.js';
export { type DType, dtypes, isFloating, elementSize } from './dtype.js';
export * from './creation.js';
export { Generator, manualSeed, getRngState, setRngState } from './random.js';
export { tidy, tidyAsync, keep, scope, disposeAll, Scope } from './scope.js';
export { slice, type Slice, type IndexItem } from './indexing.js';
export * from './runtime.js';
export * as F from './functional.js';
export * as autograd from './autograd.js';
export * as cuda from './cuda.js';
export * as memory from './memory.js';
/** The raw generated operator wrappers over native handles (advanced use). */
export * as aten from './aten.generated.js';

/** Versions and capabilities of the libtorch in use. */
export function buildInfo(): BuildInfo {
  return native.buildInfo();
}
