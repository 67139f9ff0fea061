// Video-level aggregation (SPEC 9.2): the logits of a video's test views are averaged (logits,
// not softmax probabilities, although the reference names its containers "softmaxes").

export interface VideoScores {
  video: number;
  label: number;
  /** Mean of the view logits. */
  scores: number[];
  /** Views that contributed. */
  views: number;
}

export class VideoLogitAverager {
  private readonly sums = new Map<number, { label: number; sum: Float64Array; views: number }>();
  constructor(readonly numClasses: number) {}

  /** Adds one view's logits for `video` (whose label must not change between views). */
  add(video: number, label: number, logits: ArrayLike<number>): void {
    if (logits.length !== this.numClasses) throw new RangeError(`expected ${this.numClasses} logits, got ${logits.length}`);
    let e = this.sums.get(video);
    if (!e) {
      e = { label, sum: new Float64Array(this.numClasses), views: 0 };
      this.sums.set(video, e);
    } else if (e.label !== label) {
      throw new Error(`video ${video} was given labels ${e.label} and ${label}`);
    }
    for (let c = 0; c < this.numClasses; c++) e.sum[c]! += logits[c]!;
    e.views++;
  }

  /** Adds a batch: `logits` row-major (rows × numClasses). */
  addBatch(videos: readonly number[], labels: readonly number[], logits: ArrayLike<number>): void {
    const C = this.numClasses;
    if (logits.length !== videos.length * C) throw new RangeError(`expected ${videos.length} x ${C} logits, got ${logits.length}`);
    videos.forEach((v, i) => this.add(v, labels[i]!, Array.prototype.slice.call(logits, i * C, (i + 1) * C) as number[]));
  }

  get size(): number {
    return this.sums.size;
  }

  /** One entry per video, in video order. */
  result(): VideoScores[] {
    return [...this.sums.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([video, e]) => ({ video, label: e.label, views: e.views, scores: Array.from(e.sum, (s) => s / e.views) }));
  }
}
