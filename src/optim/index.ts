// torch.optim for gdt: optimisers, LR schedules, gradient clipping and loss scaling.
export {
  Optimizer,
  type GroupOptions,
  type ParamGroup,
  type ParamGroupInit,
  type ParamsInit,
  type OptimizerStateDict,
  type StateValue,
  type ZeroGradOptions,
} from './optimizer.js';
export { SGD, type SGDOptions, type SGDState } from './sgd.js';
export { Adam, AdamW, type AdamOptions, type AdamWOptions, type AdamState } from './adam.js';
export { LARS, larsParamGroups, type LARSOptions, type LARSState, type LarsGroupsOptions } from './lars.js';
export { clipGradNorm_, clipGradValue_, type ClipGradNormOptions } from './clip-grad.js';
export { GradScaler, type GradScalerOptions, type GradScalerStateDict, type ScalableOptimizer } from './grad-scaler.js';
export * from './lr-scheduler/index.js';
