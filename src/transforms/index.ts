// gdt data transforms: seeded video and audio augmentations matching the reference (SPEC 5.3-5.8).
export type { Rng, RandomStreams } from './rng.js';
export { sharedStream } from './rng.js';
export { seededStreams } from './streams.js';
export { MT19937, type MT19937State } from './mt19937.js';
export { PythonRandom } from './python-random.js';
export { NumpyRandomState } from './numpy-random.js';
export { TorchRandom } from './torch-random.js';
export type { Compat } from './compat.js';
export { roundHalfEven, roundHalfUp } from './rounding.js';
export * from './video.js';
export * from './audio.js';
