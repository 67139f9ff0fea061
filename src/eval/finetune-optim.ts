// eval_video.py's optimiser and schedule (SPEC 9.1): SGD with momentum, one parameter group per
// tensor with its role's LR and weight decay, GradualWarmupScheduler(multiplier, warm-up epochs)
// then MultiStepLR(milestones - warm-up, gamma), stepped once per epoch.
import type { nn } from '../index.js';
import { SGD, finetuneSchedule, type LRScheduler } from '../optim/index.js';
import { perTensorGroups, type PerTensorGroups } from './param-groups.js';
import type { FinetuneConfig } from './config.js';

export interface FinetuneOptimizer {
  sgd: SGD;
  scheduler: LRScheduler;
  groups: PerTensorGroups;
}

export function finetuneOptimizer(model: nn.Module<never[], unknown>, o: FinetuneConfig['optim']): FinetuneOptimizer {
  const groups = perTensorGroups(model, {
    classifier: { lr: o.classifierLr, weightDecay: o.classifierWd },
    backbone: { lr: o.backboneLr, weightDecay: o.backboneWd },
    transformer: { lr: o.transformerLr, weightDecay: o.transformerWd },
  });
  const sgd = new SGD(groups.groups, { lr: o.classifierLr, momentum: o.momentum });
  const scheduler = finetuneSchedule({ optimizer: sgd, warmupEpochs: o.warmupEpochs, multiplier: o.multiplier, milestones: o.milestones, gamma: o.gamma });
  return { sgd, scheduler, groups };
}
