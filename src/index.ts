// gdt: multi-modal self-supervised video learning in TypeScript over libtorch.
export * as torch from './torch/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as io from './io/index.js';
export * as transforms from './transforms/index.js';
export * as media from './media/index.js';
export * as data from './data/index.js';
export * as models from './models/index.js';
export * as ssl from './ssl/index.js';
export * as zoo from './zoo/index.js';
export * as train from './train/index.js';
export * as evaluation from './eval/index.js';
export * as embed from './embed/index.js';
export * as onnx from './export/index.js';
