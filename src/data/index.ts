/** Dataset file lists, annotation formats, the probe manifest cache and `data check`. */
export * from './splits.js';
export * from './manifest.js';
export * from './check.js';
export * from './sample.js';
export { BatchSampler, type SamplerOptions } from './sampler.js';
export { DataLoader, type LoaderOptions, type LoaderStats, type Batch } from './loader.js';
export * from './video-list.js';
export { createGdtPretrainDataset, type GdtSampleOptions, type AudioVisualOptions } from './gdt-dataset.js';
export { createAVideoDataset, type AVideoOptions } from './av-dataset.js';
export { createHowToDataset, type HowToOptions } from './howto-dataset.js';
