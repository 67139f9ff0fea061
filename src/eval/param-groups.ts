// eval_video.py's optimiser layout (SPEC 9.1): one SGD parameter group per tensor, with the LR and
// weight decay of its role: the classifier, STiCA's pooling transformer, or the backbone.
import type { Tensor } from '../torch/index.js';
import type { nn } from '../index.js';
import type { ParamGroupInit, SGDOptions } from '../optim/index.js';

export type ParamRole = 'classifier' | 'transformer' | 'backbone';

export interface RoleSettings {
  lr: number;
  weightDecay: number;
}

/**
 * The role of a finetuning-model parameter by name, as the reference tests it: names containing
 * `classifier` (or the BN head's `final_bn` / `linear_layer`) are the classifier, names containing
 * `transformer` the pooling transformer, everything else the backbone.
 */
export function paramRole(name: string): ParamRole {
  if (name.includes('classifier') || name.startsWith('final_bn.') || name.startsWith('linear_layer.')) return 'classifier';
  if (name.includes('transformer')) return 'transformer';
  return 'backbone';
}

export interface PerTensorGroups {
  groups: ParamGroupInit<SGDOptions>[];
  /** Parameter name of each group, in group order. */
  names: string[];
  roles: ParamRole[];
}

/** One group per trainable tensor, in `namedParameters` order. */
export function perTensorGroups(model: nn.Module<never[], unknown>, settings: Record<ParamRole, RoleSettings>): PerTensorGroups {
  const out: PerTensorGroups = { groups: [], names: [], roles: [] };
  for (const [name, p] of model.namedParameters() as Generator<[string, Tensor]>) {
    if (!p.requiresGrad) continue;
    const role = paramRole(name);
    const s = settings[role];
    out.groups.push({ params: [p], lr: s.lr, weightDecay: s.weightDecay });
    out.names.push(name);
    out.roles.push(role);
  }
  if (!out.groups.length) throw new Error('the model has no trainable parameters');
  return out;
}
