// The regularisation search of the linear evaluations: fit one logistic regression per L2 penalty
// on the training part of the training set, score each on the held-out validation part and keep
// the best: highest video-level top-1 of averaged logits, then lowest validation cross-entropy,
// then the larger penalty (the simpler model).
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { fitLogisticRegression, type LogisticRegressionOptions } from './logistic.js';
import { VideoLogitAverager } from './aggregate.js';
import { topkAccuracy } from './metrics.js';

export interface LabelledFeatures {
  features: Tensor;
  labels: readonly number[];
  /** Video (or file) of each row: logits are averaged per video before scoring. */
  videos: readonly number[];
}

export interface RegSearchPoint {
  l2: number;
  valTop1: number;
  valLoss: number;
  trainLoss: number;
}

export interface RegSearchResult {
  best: number;
  points: RegSearchPoint[];
}

export const DEFAULT_L2_GRID = [1e-5, 1e-4, 1e-3, 1e-2, 1e-1] as const;

/** Video-level scores (top-1 percent, mean cross-entropy of the averaged logits) of logits per row. */
export function videoLevelScore(logits: Tensor, labels: readonly number[], videos: readonly number[], numClasses: number): { top1: number; top5: number; loss: number } {
  const avg = new VideoLogitAverager(numClasses);
  avg.addBatch(videos, labels, logits.toTypedArray() as Float32Array);
  const rows = avg.result();
  const acc = topkAccuracy(rows.map((r) => r.scores), rows.map((r) => r.label), [1, 5]);
  let loss = 0;
  for (const r of rows) {
    const m = Math.max(...r.scores);
    const lse = m + Math.log(r.scores.reduce((s, v) => s + Math.exp(v - m), 0));
    loss += lse - r.scores[r.label]!;
  }
  return { top1: acc[1]!, top5: acc[5]!, loss: rows.length ? loss / rows.length : 0 };
}

export function searchL2(train: LabelledFeatures, val: LabelledFeatures, grid: readonly number[], o: Omit<LogisticRegressionOptions, 'l2'>): RegSearchResult {
  if (!grid.length) throw new RangeError('the L2 grid is empty');
  const points: RegSearchPoint[] = [];
  for (const l2 of grid) {
    const m = fitLogisticRegression(train.features, train.labels, { ...o, l2 });
    try {
      const s = torch.tidy(() => videoLevelScore(m.logits(val.features), val.labels, val.videos, o.numClasses));
      points.push({ l2, valTop1: s.top1, valLoss: s.loss, trainLoss: m.losses[m.losses.length - 1] ?? NaN });
    } finally {
      m.dispose();
    }
  }
  const best = [...points].sort((a, b) => b.valTop1 - a.valTop1 || a.valLoss - b.valLoss || b.l2 - a.l2)[0]!;
  return { best: best.l2, points };
}
