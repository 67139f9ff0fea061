// STiCA's self-supervised objective: feature-crop geometry, the crop and cross-modal losses,
// and the published crop configurations.
export * from './crops.js';
export * from './contrastive.js';
export * from './losses.js';
export * from './presets.js';
