// Video transforms on (T, C, H, W) float clips (SPEC 5.3) and the reference's pipelines (5.7, 5.8).
export * from './video-layout.js';
export * from './video-geometry.js';
export * from './video-color.js';
export * from './video-blur.js';
export * from './clip-augment.js';
