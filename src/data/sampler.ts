// Which indices each rank reads, per epoch: shuffling, sharding (as torch's DistributedSampler),
// batching and dropLast; deterministic from (seed, epoch) so a run can resume at any batch.
import { hashSeed, mulberry32 } from '../media/rng.js';

export interface SamplerOptions {
  length: number;
  batchSize: number;
  shuffle?: boolean;
  seed?: number;
  rank?: number;
  worldSize?: number;
  /** Drop the last incomplete batch (and the tail that does not divide across ranks). */
  dropLast?: boolean;
}

export class BatchSampler {
  readonly rank: number;
  readonly worldSize: number;
  constructor(readonly o: SamplerOptions) {
    this.rank = o.rank ?? 0;
    this.worldSize = o.worldSize ?? 1;
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new RangeError(`batchSize must be a positive integer, got ${o.batchSize}`);
    if (this.rank < 0 || this.rank >= this.worldSize) throw new RangeError(`rank ${this.rank} is outside world size ${this.worldSize}`);
    if (o.length < 1) throw new RangeError('the dataset is empty');
  }

  /** Indices of this rank for an epoch, before batching. */
  indices(epoch: number): number[] {
    const n = this.o.length;
    let order = Array.from({ length: n }, (_, i) => i);
    if (this.o.shuffle) {
      const rnd = mulberry32(hashSeed(this.o.seed ?? 0, epoch, 'shuffle'));
      for (let i = n - 1; i > 0; i--) {
        const j = Math.floor(rnd() * (i + 1));
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    const w = this.worldSize;
    if (w > 1) {
      if (this.o.dropLast) order = order.slice(0, n - (n % w));
      else {
        const total = Math.ceil(n / w) * w;
        for (let i = 0; order.length < total; i++) order.push(order[i % n]!);
      }
      order = order.filter((_, i) => i % w === this.rank);
    }
    return order;
  }

  batches(epoch: number): number[][] {
    const idx = this.indices(epoch);
    const out: number[][] = [];
    for (let i = 0; i < idx.length; i += this.o.batchSize) {
      const b = idx.slice(i, i + this.o.batchSize);
      if (b.length < this.o.batchSize && this.o.dropLast) break;
      out.push(b);
    }
    return out;
  }

  batchesPerEpoch(): number {
    const perRank = this.worldSize > 1 ? (this.o.dropLast ? Math.floor(this.o.length / this.worldSize) : Math.ceil(this.o.length / this.worldSize)) : this.o.length;
    return this.o.dropLast ? Math.floor(perRank / this.o.batchSize) : Math.ceil(perRank / this.o.batchSize);
  }
}
