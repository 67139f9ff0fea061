// Loads the native addon (built by `npm ci` into build/Release) and types its surface.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** An opaque handle to a native tensor; owned by exactly one `Tensor`. */
export type TensorHandle = { readonly __brand: 'TensorHandle' };
/** An opaque handle to a native random generator. */
export type GeneratorHandle = { readonly __brand: 'GeneratorHandle' };

/** Opaque handles to c10d objects (src/distributed): a key-value store, a process group, a collective's work. */
export type DistStoreHandle = { readonly __brand: 'DistStoreHandle' };
export type DistGroupHandle = { readonly __brand: 'DistGroupHandle' };
export type DistWorkHandle = { readonly __brand: 'DistWorkHandle' };

/** A value that boxed operator calls accept. */
export type OpArg =
  | TensorHandle
  | GeneratorHandle
  | number
  | bigint
  | boolean
  | string
  | undefined
  | null
  | readonly OpArg[];

export interface BuildInfo {
  torchVersion: string;
  cudaCompiled: boolean;
  cudaAvailable: boolean;
  cuda: string;
  parallel: string;
  config: string;
  mkldnn: boolean;
  cxx11Abi: boolean;
}

export interface CudaMemoryStats {
  allocatedBytes: number;
  peakAllocatedBytes: number;
  reservedBytes: number;
  peakReservedBytes: number;
}

export interface NativeAddon {
  resolveOp(name: string, overload: string): number;
  callOp(id: number, ...args: OpArg[]): unknown;
  opSchema(id: number): string;
  listSchemas(): string[];
  dispose(h: TensorHandle): void;
  isDisposed(h: TensorHandle): boolean;
  fromBuffer(data: ArrayBuffer | ArrayBufferView, dtype: number, shape: readonly number[], share: boolean): TensorHandle;
  toBuffer(h: TensorHandle): ArrayBuffer;
  shape(h: TensorHandle): number[];
  strides(h: TensorHandle): number[];
  dtype(h: TensorHandle): number;
  device(h: TensorHandle): string;
  dataPtr(h: TensorHandle): bigint;
  requiresGrad(h: TensorHandle): boolean;
  setRequiresGrad(h: TensorHandle, flag: boolean): void;
  isLeaf(h: TensorHandle): boolean;
  gradFn(h: TensorHandle): string | undefined;
  grad(h: TensorHandle): TensorHandle | undefined;
  setGrad(h: TensorHandle, g: TensorHandle | undefined): void;
  setData(h: TensorHandle, src: TensorHandle): void;
  backward(
    tensors: TensorHandle[],
    grads: (TensorHandle | undefined)[],
    retainGraph: boolean | undefined,
    createGraph: boolean,
    inputs?: TensorHandle[],
  ): void;
  autogradGrad(
    outputs: TensorHandle[],
    inputs: TensorHandle[],
    gradOutputs: (TensorHandle | undefined)[],
    retainGraph: boolean | undefined,
    createGraph: boolean,
    allowUnused: boolean,
  ): (TensorHandle | undefined)[];
  setGradEnabled(on: boolean): boolean;
  isGradEnabled(): boolean;
  enterInferenceMode(on: boolean): number;
  exitInferenceMode(): number;
  isInferenceMode(): boolean;
  manualSeed(seed: number | bigint): void;
  newGenerator(device: string, seed?: number | bigint): GeneratorHandle;
  defaultGenerator(device: string): GeneratorHandle;
  generatorSeed(g: GeneratorHandle, seed: number | bigint): void;
  generatorInitialSeed(g: GeneratorHandle): bigint;
  generatorGetState(g: GeneratorHandle): TensorHandle;
  generatorSetState(g: GeneratorHandle, state: TensorHandle): void;
  getNumThreads(): number;
  setNumThreads(n: number): void;
  getNumInteropThreads(): number;
  setNumInteropThreads(n: number): void;
  setDeterministic(on: boolean, warnOnly: boolean): void;
  isDeterministic(): boolean;
  setAutocast(device: string, enabled: boolean, dtype: number): [boolean, number];
  autocastState(device: string): [boolean, number];
  autocastEnter(): number;
  autocastExit(): number;
  liveTensors(): number;
  nativeBytes(): number;
  buildInfo(): BuildInfo;
  cudaDeviceCount(): number;
  cudaSynchronize(device?: number): void;
  cudaMemoryStats(device?: number): CudaMemoryStats;
  cudaEmptyCache(): void;
  setCudnnBenchmark(on: boolean): void;

  // ---- distributed (native/distributed.cc; used through src/distributed) ----
  distInfo(): { gloo: boolean; nccl: boolean };
  distTcpStore(host: string, port: number, worldSize: number, isServer: boolean, timeoutMs: number, waitWorkers: boolean): Promise<DistStoreHandle>;
  distPrefixStore(store: DistStoreHandle, prefix: string): DistStoreHandle;
  distStoreSet(store: DistStoreHandle, key: string, value: string | Uint8Array): void;
  distStoreGet(store: DistStoreHandle, key: string): Uint8Array;
  distStoreAdd(store: DistStoreHandle, key: string, amount: number): number;
  distNewGroup(
    backend: 'gloo' | 'nccl',
    store: DistStoreHandle,
    rank: number,
    size: number,
    timeoutMs: number,
    device: { iface?: string; hostname?: string },
  ): Promise<DistGroupHandle>;
  distGroupInfo(group: DistGroupHandle): { rank: number; size: number; backend: string };
  /** `op`: c10d ReduceOp code (SUM 0, PRODUCT 2, MIN 3, MAX 4, BAND 5, BOR 6, BXOR 7). */
  distAllReduce(group: DistGroupHandle, tensors: TensorHandle[], op: number): DistWorkHandle;
  distBroadcast(group: DistGroupHandle, tensors: TensorHandle[], root: number): DistWorkHandle;
  distAllGather(group: DistGroupHandle, outputs: TensorHandle[], input: TensorHandle): DistWorkHandle;
  distReduceScatter(group: DistGroupHandle, output: TensorHandle, inputs: TensorHandle[], op: number): DistWorkHandle;
  distBarrier(group: DistGroupHandle): DistWorkHandle;
  /** Blocks the calling thread until done; throws the work's error, or on timeout (ms > 0). */
  distWait(work: DistWorkHandle, timeoutMs: number): boolean;
  distWaitAsync(work: DistWorkHandle, timeoutMs: number): Promise<boolean>;
  distIsCompleted(work: DistWorkHandle): boolean;
  distAllReduceGradHook(t: TensorHandle, group: DistGroupHandle, op: number, timeoutMs: number): number;
  distRelease(h: DistStoreHandle | DistGroupHandle | DistWorkHandle): void;
}

function findAddon(): string {
  // src/torch/native.ts runs from the source tree (tsx) or from dist/src/torch (compiled).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = join(dir, 'build', 'Release', 'gdt_native.node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  throw new Error(
    'gdt: the native addon is not built (build/Release/gdt_native.node is missing). ' +
      'Run `npm ci` (or `npm run build:native`) in the gdt folder; it needs libtorch (apt-get install libtorch-dev).',
  );
}

const require = createRequire(import.meta.url);
export const native: NativeAddon = require(findAddon()) as NativeAddon;
