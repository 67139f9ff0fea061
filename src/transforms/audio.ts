// Audio transforms: the reference's log-filterbank spectrogram, volume jitter, SpecAugment and
// spectrogram time reversal (SPEC 5.4-5.6).
export * from './filterbank.js';
export * from './spectrogram.js';
export * from './spec-augment.js';
