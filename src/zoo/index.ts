// The model zoo: published GDT checkpoints, downloaded once into a checked cache and loaded
// into the architectures of src/models.
export * from './registry.js';
export * from './errors.js';
export { sha256File, readSidecar, writeSidecar, sidecarPath } from './checksum.js';
export { formatBytes, type ProgressStream } from './progress.js';
export { downloadFile, ensureDownloaded, checkCached, deleteAdvice, type DownloadOptions, type DownloadResult, type CacheCheck } from './download.js';
export * from './resolve.js';
export * from './pretrained.js';
