// The collective the GDT loss gathers negatives through. A single process uses `localCollective`;
// tests fabricate other ranks with `simulatedCollective`; a c10d process group implements the same
// interface for real multi-process training.
import { torch } from '../index.js';
import type { Tensor } from '../torch/index.js';

export interface Collective {
  /** This process's rank, 0 <= rank < worldSize. */
  readonly rank: number;
  readonly worldSize: number;
  /**
   * Every rank's `t`, concatenated along dim 0 in rank order (torch.distributed.all_gather then
   * cat). All ranks call it in the same order with same-shaped tensors. The result carries no
   * gradient and belongs to the caller. `label` names what is gathered: real collectives ignore
   * it; the simulated one looks up its fabricated blocks by it.
   */
  allGather(t: Tensor, label?: string): Tensor;
}

/** World size 1: gathering returns the local tensor (detached, as a real all_gather would). */
export const localCollective: Collective = Object.freeze({
  rank: 0,
  worldSize: 1,
  allGather: (t: Tensor): Tensor => t.detach(),
});

/**
 * A collective that pretends other ranks exist: `blocksFromOtherRanks[label]` holds the blocks of
 * the other `worldSize - 1` ranks in rank order (rank `rank` itself skipped), and `allGather`
 * inserts the local tensor at position `rank`. Every label must list the same number of blocks;
 * the blocks stay owned by the caller.
 */
export function simulatedCollective(rank: number, blocksFromOtherRanks: Readonly<Record<string, readonly Tensor[]>>): Collective {
  const counts = new Set(Object.values(blocksFromOtherRanks).map((b) => b.length));
  if (counts.size > 1) throw new RangeError(`simulatedCollective: every label needs the same number of blocks, got ${[...counts].join(', ')}`);
  const worldSize = 1 + (counts.size ? [...counts][0]! : 0);
  if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) {
    throw new RangeError(`simulatedCollective: rank ${rank} is outside [0, ${worldSize}) (world size from the blocks given)`);
  }
  return {
    rank,
    worldSize,
    allGather(t: Tensor, label?: string): Tensor {
      if (worldSize === 1) return t.detach();
      const blocks = label === undefined ? undefined : blocksFromOtherRanks[label];
      if (!blocks) {
        const known = Object.keys(blocksFromOtherRanks).join(', ');
        throw new Error(`simulatedCollective: no fabricated blocks for '${String(label)}' (have: ${known})`);
      }
      for (const b of blocks) {
        if (b.shape.join() !== t.shape.join()) {
          throw new RangeError(`simulatedCollective: block for '${label}' has shape [${b.shape}], local tensor [${t.shape}]`);
        }
      }
      return torch.tidy(() => torch.cat([...blocks.slice(0, rank), t, ...blocks.slice(rank)].map((b) => b.detach()), 0));
    },
  };
}

/**
 * The other ranks' rows of `x` (the reference's `dist_collect_other`): all-gather, then drop the
 * local block, leaving `(worldSize - 1) * N` rows in rank order; zero rows when alone.
 */
export function gatherOthers(collective: Collective, x: Tensor, label?: string): Tensor {
  return torch.tidy(() => {
    const n = x.shape[0]!;
    const { rank, worldSize } = collective;
    const all = collective.allGather(x.detach(), label);
    if (all.shape[0] !== worldSize * n) {
      throw new RangeError(`allGather of '${String(label)}' returned ${all.shape[0]} rows, expected worldSize * N = ${worldSize} * ${n}`);
    }
    const before = all.narrow(0, 0, rank * n);
    const after = all.narrow(0, (rank + 1) * n, (worldSize - rank - 1) * n);
    return torch.cat([before, after], 0);
  });
}
