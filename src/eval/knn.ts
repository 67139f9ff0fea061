// Weighted k-nearest-neighbour classification on L2-normalised features (Wu et al. 2018, as used
// for self-supervised video features): the k most cosine-similar bank entries vote for their
// class with weight exp(similarity / temperature).
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';

export interface KnnOptions {
  k: number;
  temperature: number;
  numClasses: number;
  /** Queries per similarity block (memory bound: block × bank floats). Default 1024. */
  blockSize?: number;
}

export interface KnnResult {
  /** Per query: summed vote weight per class (rank these for top-k accuracy). */
  scores: number[][];
  /** Per query: bank indices of its neighbours, most similar first. */
  neighbours: number[][];
  /** Per query: their cosine similarities. */
  similarities: number[][];
}

/**
 * `bank` (N, D) and `queries` (M, D) are L2-normalised here (rows of zero norm stay zero).
 * k is capped at N.
 */
export function knnClassify(bank: Tensor, bankLabels: readonly number[], queries: Tensor, o: KnnOptions): KnnResult {
  const n = bank.shape[0]!;
  if (bankLabels.length !== n) throw new RangeError(`${n} bank rows but ${bankLabels.length} labels`);
  if (!(o.temperature > 0)) throw new RangeError(`temperature must be positive, got ${o.temperature}`);
  if (!(Number.isInteger(o.k) && o.k >= 1)) throw new RangeError(`k must be a positive integer, got ${o.k}`);
  const k = Math.min(o.k, n);
  const out: KnnResult = { scores: [], neighbours: [], similarities: [] };
  const block = o.blockSize ?? 1024;
  torch.tidy(() => {
    const b = torch.F.normalize(bank.float(), 2, 1);
    const q = torch.F.normalize(queries.float(), 2, 1);
    for (let s = 0; s < q.shape[0]!; s += block) {
      torch.tidy(() => {
        const sim = q.narrow(0, s, Math.min(block, q.shape[0]! - s)).matmul(b.t());
        const [vals, idx] = sim.topk(k, 1, true, true);
        const v = vals.toTypedArray() as Float32Array;
        const ix = idx.toTypedArray() as BigInt64Array;
        const rows = vals.shape[0]!;
        for (let r = 0; r < rows; r++) {
          const scores = new Array<number>(o.numClasses).fill(0);
          const nb: number[] = [];
          const sims: number[] = [];
          for (let j = 0; j < k; j++) {
            const i = Number(ix[r * k + j]);
            const sv = v[r * k + j]!;
            nb.push(i);
            sims.push(sv);
            scores[bankLabels[i]!]! += Math.exp(sv / o.temperature);
          }
          out.scores.push(scores);
          out.neighbours.push(nb);
          out.similarities.push(sims);
        }
      });
    }
  });
  return out;
}
