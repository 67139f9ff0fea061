// gdt: multi-modal self-supervised video learning in TypeScript over libtorch.
export * as torch from './torch/index.js';
export * as nn from './nn/index.js';
