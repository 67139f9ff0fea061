// Training: configuration, the shared trainer, the pretraining methods, logging.
export * from './config.js';
export { train, NonFiniteLossError, type TrainMethod, type TrainResult, type StepOutput, type TrainOptions } from './trainer.js';
export { createGdtMethod } from './gdt-method.js';
export { SummaryWriter, readEventFile, type ParsedEvent } from './tensorboard.js';
