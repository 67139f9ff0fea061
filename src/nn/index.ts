// torch.nn for gdt: modules with PyTorch's parameter names and default initialisations.
export { Module, parameter, formatLoadReport, type LoadReport, type StateDict } from './module.js';
export { Linear } from './linear.js';
export { Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d, type ConvOptions } from './conv.js';
export { BatchNorm, BatchNorm1d, BatchNorm2d, BatchNorm3d, LayerNorm, type BatchNormOptions } from './batchnorm.js';
export * from './layers.js';
export { Embedding } from './embedding.js';
export { Sequential, ModuleList, ModuleDict } from './container.js';
export { MultiheadAttention, TransformerEncoderLayer, type MultiheadAttentionOptions, type TransformerEncoderLayerOptions, type AttentionCall } from './attention.js';
export * as init from './init.js';
