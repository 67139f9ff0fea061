// Learning-rate schedules: PyTorch-compatible schedulers and the reference's recipes.
export {
  LRScheduler,
  lrTable,
  detachedTarget,
  type LRGroup,
  type LRTarget,
  type SchedulerStateDict,
  type SchedulerStateValue,
} from './base.js';
export { MultiStepLR, type MultiStepLROptions } from './multistep.js';
export { CosineAnnealingLR, type CosineAnnealingLROptions } from './cosine-annealing.js';
export { CosineDecayLR, type CosineDecayLROptions } from './cosine-decay.js';
export { ConstantLR, type ConstantLROptions } from './constant.js';
export { LambdaLR, type LrLambda } from './lambda.js';
export { LinearWarmup, type LinearWarmupOptions } from './linear-warmup.js';
export { GradualWarmupScheduler, type GradualWarmupOptions } from './gradual-warmup.js';
export { SequentialLR } from './sequential.js';
export {
  gdtPretrainSchedule,
  sticaPretrainSchedule,
  finetuneSchedule,
  type GdtPretrainScheduleOptions,
  type SticaPretrainScheduleOptions,
  type FinetuneScheduleOptions,
} from './recipes.js';
