// The GDT/STiCA `Collective` (src/ssl/collective.ts) over a real c10d process group: all-gather,
// concatenated along dim 0 in rank order, detached (no gradient flows to other ranks' features,
// as the reference's dist_collect).
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import type { Collective } from '../ssl/collective.js';
import type { ProcessGroup } from './process-group.js';
import { getDefaultGroup } from './init.js';

export function c10dCollective(group: ProcessGroup = getDefaultGroup()): Collective {
  return {
    rank: group.rank,
    worldSize: group.worldSize,
    allGather(t: Tensor): Tensor {
      if (group.worldSize === 1) return t.detach();
      return torch.tidy(() => torch.cat(group.allGather(t.detach()), 0));
    },
  };
}
