// CUDA runtime: compiled into the addon only when the libtorch has CUDA; safe to call on CPU
// builds (isAvailable() is false there and the rest throw a clear error).
import { native, type CudaMemoryStats } from './native.js';

export function isAvailable(): boolean {
  return native.buildInfo().cudaAvailable && native.cudaDeviceCount() > 0;
}
export function deviceCount(): number {
  return native.cudaDeviceCount();
}
/** Waits for all work queued on a device (the current one when omitted). */
export function synchronize(device?: number): void {
  native.cudaSynchronize(device);
}
export function memoryStats(device = 0): CudaMemoryStats {
  return native.cudaMemoryStats(device);
}
/** Returns cached, unused blocks of the caching allocator to the driver. */
export function emptyCache(): void {
  native.cudaEmptyCache();
}
/** cuDNN autotuning (torch.backends.cudnn.benchmark). */
export function setCudnnBenchmark(on: boolean): void {
  native.setCudnnBenchmark(on);
}
/** Seeds every CUDA device's default generator (and the CPU one, as torch.manual_seed does). */
export function manualSeedAll(seed: number | bigint): void {
  native.manualSeed(seed);
}
