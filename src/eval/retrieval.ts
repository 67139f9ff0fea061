// Video retrieval as in SeLaVi's video_retrieval.py (following Xu et al. 2019): every test video
// queries the training videos by Euclidean distance between video features; recall@k is the
// percentage of queries with at least one of their k nearest training videos in the query's class.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';

export const RETRIEVAL_KS = [1, 5, 10, 20] as const;

export interface RetrievalResult {
  /** Percent per k. */
  recall: Record<number, number>;
  /** Per query: nearest training indices, closest first (max k of them). */
  neighbours: number[][];
  distances: number[][];
}

/** Euclidean nearest neighbours of each query among `gallery` rows, blockwise. */
export function nearestNeighbours(gallery: Tensor, queries: Tensor, k: number, blockSize = 1024): { indices: number[][]; distances: number[][] } {
  const n = gallery.shape[0]!;
  const kk = Math.min(k, n);
  const indices: number[][] = [];
  const distances: number[][] = [];
  torch.tidy(() => {
    const g = gallery.double();
    const q = queries.double();
    const gn = g.mul(g).sum(1);
    for (let s = 0; s < q.shape[0]!; s += blockSize) {
      torch.tidy(() => {
        const qb = q.narrow(0, s, Math.min(blockSize, q.shape[0]! - s));
        // |q - g|^2 = |q|^2 + |g|^2 - 2 q.g, clamped at 0 against rounding.
        const d2 = qb.mul(qb).sum(1, true).add(gn.unsqueeze(0)).sub(qb.matmul(g.t()).mul(2)).clampMin(0);
        const [vals, idx] = d2.topk(kk, 1, false, true);
        const v = vals.toTypedArray() as Float64Array;
        const ix = idx.toTypedArray() as BigInt64Array;
        for (let r = 0; r < vals.shape[0]!; r++) {
          indices.push(Array.from({ length: kk }, (_, j) => Number(ix[r * kk + j])));
          distances.push(Array.from({ length: kk }, (_, j) => Math.sqrt(v[r * kk + j]!)));
        }
      });
    }
  });
  return { indices, distances };
}

/** Recall@k (percent) for each k: a hit when any of the k nearest gallery items has the query's label. */
export function retrievalRecall(
  gallery: Tensor,
  galleryLabels: readonly number[],
  queries: Tensor,
  queryLabels: readonly number[],
  ks: readonly number[] = RETRIEVAL_KS,
): RetrievalResult {
  if (galleryLabels.length !== gallery.shape[0]) throw new RangeError(`${gallery.shape[0]} gallery rows but ${galleryLabels.length} labels`);
  if (queryLabels.length !== queries.shape[0]) throw new RangeError(`${queries.shape[0]} queries but ${queryLabels.length} labels`);
  const maxK = Math.max(...ks);
  const { indices, distances } = nearestNeighbours(gallery, queries, maxK);
  const recall: Record<number, number> = {};
  for (const k of ks) {
    const hits = indices.filter((nb, q) => nb.slice(0, k).some((i) => galleryLabels[i] === queryLabels[q])).length;
    recall[k] = queryLabels.length ? (100 * hits) / queryLabels.length : 0;
  }
  return { recall, neighbours: indices, distances };
}

/**
 * Per-video features from per-clip features: SeLaVi L2-normalises each clip feature and averages
 * them per video (no renormalisation). Returns rows in `videoOrder`.
 */
export function averageByVideo(features: Tensor, videoOf: readonly number[], o: { normalizeClips?: boolean; normalizeVideos?: boolean } = {}): { features: Tensor; videos: number[] } {
  const n = features.shape[0]!;
  if (videoOf.length !== n) throw new RangeError(`${n} feature rows but ${videoOf.length} video ids`);
  const videos = [...new Set(videoOf)].sort((a, b) => a - b);
  const pos = new Map(videos.map((v, i) => [v, i]));
  return torch.tidy(() => {
    let f = features.float();
    if (o.normalizeClips ?? true) f = torch.F.normalize(f, 2, 1);
    const index = torch.tensor(videoOf.map((v) => pos.get(v)!), { dtype: 'int64' });
    const d = f.shape[1]!;
    const sums = torch.zeros([videos.length, d]).scatterAdd(0, index.unsqueeze(1).expand(n, d), f);
    const counts = torch.zeros([videos.length]).scatterAdd(0, index, torch.ones([n]));
    let mean = sums.div(counts.unsqueeze(1));
    if (o.normalizeVideos) mean = torch.F.normalize(mean, 2, 1);
    return { features: mean, videos };
  });
}
