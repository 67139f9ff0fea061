/** Media I/O through the ffmpeg binaries: probing, clip decoding, encoding, synthetic data. */
export * from './ffmpeg.js';
export * from './probe.js';
export * from './decode.js';
export * from './frame-cache.js';
export * from './av-clip-cache.js';
export * from './encode.js';
export * from './rng.js';
export * from './synth.js';
