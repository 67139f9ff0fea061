// Classification metrics on plain score rows: top-k accuracy (percent, as eval_video.py logs it),
// confusion matrices and per-class accuracy.

/** One score (logit) row per sample. */
export type ScoreRows = readonly ArrayLike<number>[];

/**
 * Rank of `label` in a score row: how many classes score higher, ties counted before the label
 * when their index is lower (a stable descending sort). 0 = top-1.
 */
export function labelRank(scores: ArrayLike<number>, label: number): number {
  const s = scores[label];
  if (s === undefined) throw new RangeError(`label ${label} outside a score row of ${scores.length} classes`);
  let rank = 0;
  for (let c = 0; c < scores.length; c++) {
    const v = scores[c]!;
    if (v > s || (v === s && c < label)) rank++;
  }
  return rank;
}

/** The class with the highest score (the lowest index among ties). */
export function argmax(scores: ArrayLike<number>): number {
  let best = 0;
  for (let c = 1; c < scores.length; c++) if (scores[c]! > scores[best]!) best = c;
  return best;
}

/** The `k` best classes, best first (ties: lower index first). */
export function topClasses(scores: ArrayLike<number>, k: number): number[] {
  const idx = Array.from({ length: scores.length }, (_, i) => i);
  idx.sort((a, b) => scores[b]! - scores[a]! || a - b);
  return idx.slice(0, k);
}

/** Top-k accuracy in percent for each k (a sample counts when its label ranks below k). */
export function topkAccuracy(rows: ScoreRows, labels: readonly number[], ks: readonly number[] = [1, 5]): Record<number, number> {
  if (rows.length !== labels.length) throw new RangeError(`${rows.length} score rows but ${labels.length} labels`);
  const out: Record<number, number> = {};
  const ranks = rows.map((r, i) => labelRank(r, labels[i]!));
  for (const k of ks) out[k] = rows.length ? (100 * ranks.filter((r) => r < k).length) / rows.length : 0;
  return out;
}

/** rows = true class, columns = predicted class. */
export function confusionMatrix(predicted: readonly number[], labels: readonly number[], numClasses: number): number[][] {
  if (predicted.length !== labels.length) throw new RangeError(`${predicted.length} predictions but ${labels.length} labels`);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  predicted.forEach((p, i) => {
    const row = m[labels[i]!];
    if (!row || p < 0 || p >= numClasses) throw new RangeError(`class out of range: label ${labels[i]}, prediction ${p} (${numClasses} classes)`);
    row[p]!++;
  });
  return m;
}

export interface ClassAccuracy {
  class: number;
  correct: number;
  total: number;
  /** Percent; null when the class has no samples. */
  accuracy: number | null;
}

export function perClassAccuracy(confusion: readonly (readonly number[])[]): ClassAccuracy[] {
  return confusion.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    const correct = row[c] ?? 0;
    return { class: c, correct, total, accuracy: total ? (100 * correct) / total : null };
  });
}

/** Mean of the defined values (per-class accuracies without samples are left out). */
export function meanOf(values: readonly (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null && Number.isFinite(x));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

/** Element-wise sum of confusion matrices (e.g. over folds). */
export function sumConfusion(ms: readonly (readonly (readonly number[])[])[]): number[][] {
  const first = ms[0];
  if (!first) return [];
  return first.map((row, i) => row.map((_, j) => ms.reduce((s, m) => s + (m[i]?.[j] ?? 0), 0)));
}
