// The STiCA objective (SPEC 7.3-7.4): feature-crop losses between the two views (large-large,
// small-vs-large, and their temporal counterparts) at temperature 0.5, mixed with the
// cross-modal video-audio loss at temperature 0.1 by `alpha`. The crop terms are data
// (`cropTermPlan`), evaluated by one contrastive function (contrastive.ts).
import { torch } from '../../index.js';
import type { Tensor } from '../../torch/index.js';
import type { CropEmbeddings, SticaOutput } from '../../models/stica.js';
import { type Collective, localCollective, gatherOthers } from '../collective.js';
import { type CropCounts, type SticaMode, checkCropCounts, cropEmbeddingCounts, cropsDrawn } from './crops.js';
import { gdtPairLoss } from './contrastive.js';

export const CROP_TERM_TYPES = ['L-L', 'S-L', 'TL-TL', 'TS-TL'] as const;
/** Large-large spatial, small-vs-large spatial, and the temporal pairs (the reference's log names). */
export type CropTermType = (typeof CROP_TERM_TYPES)[number];

/** One crop embedding: list `list` of view `view`'s `Stica.forward` output, entry `index`. */
export interface CropRef {
  readonly view: 0 | 1;
  readonly list: keyof CropEmbeddings;
  readonly index: number;
}

/**
 * One crop term `gdt_loss(fv, fa, symmetric)` at the crop temperature: `fa` queries against `fv`
 * keys (detached), and `fv` against `fa` when symmetric.
 */
export interface CropTerm {
  readonly type: CropTermType;
  readonly fv: CropRef;
  readonly fa: CropRef;
  readonly symmetric: boolean;
}

/**
 * The crop terms of one step, in evaluation order (SPEC 7.3).
 *
 * `reference` (`nce_crop_losses_dual`): only when crops were drawn (a small crop or two large
 * ones); the large-large term exists only for large crop 1 (view 0's against view 1's,
 * symmetric); for every large crop `i` of view 0 (keys) and `j < S`, view 1's small embedding
 * `j` is a query: the first S entries of its list, reused for every `i` (SPEC 13.22).
 *
 * `paper`: a symmetric large-large term for every large crop `i` (view 0's `i` against view 1's
 * `i`); and view 1's small crops drawn for large crop `i` (the embeddings computed alongside it,
 * index `i * L * S + i * S + j`) query view 0's large crop `i`. All `L * S` drawn small crops are
 * used once; the model's other `(L - 1) * L * S` recomputations are not.
 *
 * Counts: reference `[L == 2 ? 1 : 0, L * S, ...]` when drawn; paper `[L, L * S, ...]`.
 */
export function cropTermPlan(counts: CropCounts, mode: SticaMode = 'paper'): CropTerm[] {
  checkCropCounts(counts, mode);
  const drawn = cropsDrawn(counts, mode);
  const terms: CropTerm[] = [];
  const add = (spatial: boolean): void => {
    const [nl, ns] = spatial ? [counts.spaceLarge, counts.spaceSmall] : [counts.timeLarge, counts.timeSmall];
    const large = spatial ? 'spaceLarge' : 'timeLarge';
    const small = spatial ? 'spaceSmall' : 'timeSmall';
    const [ll, sl]: CropTermType[] = spatial ? ['L-L', 'S-L'] : ['TL-TL', 'TS-TL'];
    for (let i = 0; i < nl; i++) {
      if (mode === 'paper' || i === 1) {
        terms.push({ type: ll!, fv: { view: 1, list: large, index: i }, fa: { view: 0, list: large, index: i }, symmetric: true });
      }
      for (let j = 0; j < ns; j++) {
        const index = mode === 'paper' ? i * nl * ns + i * ns + j : j;
        terms.push({ type: sl!, fv: { view: 0, list: large, index: i }, fa: { view: 1, list: small, index }, symmetric: false });
      }
    }
  };
  if (drawn.space) add(true);
  if (drawn.time) add(false);
  return terms;
}

/** The label a crop embedding is gathered under (`view1.spaceLarge.0`); see `sticaGatherLabels`. */
export function cropLabel(r: CropRef): string {
  return `${viewLabel(r.view)}.${r.list}.${r.index}`;
}

/**
 * Every label `sticaLoss` gathers through the collective, in gathering order: the crop
 * embeddings the terms read as keys (`view<k>.<list>.<i>`), then, when `alpha > 0`,
 * `view0.video`, `view0.audio`, `view1.video`, `view1.audio`. A `simulatedCollective` needs
 * fabricated blocks for each.
 */
export function sticaGatherLabels(counts: CropCounts, mode: SticaMode = 'paper', alpha = 0.5): string[] {
  const labels: string[] = [];
  const add = (l: string): void => {
    if (!labels.includes(l)) labels.push(l);
  };
  for (const t of cropTermPlan(counts, mode)) {
    add(cropLabel(t.fv));
    if (t.symmetric) add(cropLabel(t.fa));
  }
  if (alpha > 0) for (const v of [0, 1] as const) for (const m of ['video', 'audio']) add(`${viewLabel(v)}.${m}`);
  return labels;
}

/** The embeddings of one view: `Stica.forward`'s output (video `(B', C)`, audio `(B, C)`, crops). */
export type SticaViewEmbeddings = Pick<SticaOutput, 'video' | 'audio' | 'crops'>;

export interface SticaLossOptions {
  /** `paper` (default) or `reference` (SPEC 7.3-7.4 exactly, NaN for an empty crop mean). */
  mode?: SticaMode;
  /** The two views' model outputs, each from crops drawn with `counts` in the same mode. */
  views: readonly [SticaViewEmbeddings, SticaViewEmbeddings];
  counts: CropCounts;
  /** Crop-term temperature (`--temp`); default 0.5. */
  cropTemperature?: number;
  /** Cross-modal temperature (hard-wired 0.1 in the reference); default 0.1. */
  crossModalTemperature?: number;
  /** Weight of the cross-modal loss (`--cross_modal_alpha`); default 0.5. */
  alpha?: number;
  /** Where the other ranks' keys come from; default localCollective (one process). */
  collective?: Collective;
  /** L2-normalise inside every term: default true in paper mode, false in reference mode. */
  normalize?: boolean;
}

export interface SticaLossResult {
  /** Scalar loss (owned by the caller's scope). */
  loss: Tensor;
  /** `0.5 (gdt(v0, a0) + gdt(v1, a1))`; 0 when alpha <= 0 (not computed, as the reference). */
  avLoss: number;
  /**
   * Mean of the crop terms. With no crop term: NaN in reference mode (0 / 0, SPEC 13.23), 0 in
   * paper mode (no crop part in the loss).
   */
  cropLoss: number;
  /** Mean of each type's terms (the reference's per-type log values); 0 for a type without terms. */
  perType: Record<CropTermType, number>;
  /** Terms of each type (the reference's `counters`). */
  counts: Record<CropTermType, number>;
}

/**
 * The STiCA loss of one rank (SPEC 7.4):
 * `loss = (1 - alpha) * cropLoss + alpha * avLoss`, `cropLoss` the mean of the crop terms
 * (temperature 0.5), `avLoss = 0.5 (gdt(v0, a0) + gdt(v1, a1))` (symmetric, temperature 0.1).
 *
 * Reference mode reproduces the reference including its edge cases: no crop term gives
 * `cropLoss = 0 / 0 = NaN` and a NaN loss, whose gradient is nevertheless finite
 * (`alpha * d avLoss`, the NaN part is a constant); `alpha <= 0` skips the cross-modal loss.
 * Paper mode leaves out an empty crop part instead (`loss = alpha * avLoss`: the same gradient
 * as the reference, without the NaN), and rejects `alpha <= 0` without crop terms.
 *
 * Gradients reach only queries: the keys of every term, local and gathered, are detached, so a
 * large crop of view 0 that is only a key of small crops (reference mode, large crop 0) gets none.
 */
export function sticaLoss(o: SticaLossOptions): SticaLossResult {
  const mode = o.mode ?? 'paper';
  const alpha = o.alpha ?? 0.5;
  const cropT = o.cropTemperature ?? 0.5;
  const avT = o.crossModalTemperature ?? 0.1;
  const normalize = o.normalize ?? mode === 'paper';
  const collective = o.collective ?? localCollective;
  if (!Number.isFinite(alpha)) throw new RangeError(`alpha must be finite, got ${alpha}`);
  if (mode === 'paper' && (alpha < 0 || alpha > 1)) throw new RangeError(`alpha must lie in [0, 1], got ${alpha}`);
  const plan = cropTermPlan(o.counts, mode);
  checkViews(o.views, o.counts, mode);
  if (mode === 'paper' && plan.length === 0 && alpha <= 0) {
    throw new RangeError('nothing to train: no crop terms for these counts and alpha = 0 switches the cross-modal loss off');
  }
  const typeCounts = Object.fromEntries(CROP_TERM_TYPES.map((t) => [t, plan.filter((p) => p.type === t).length])) as Record<CropTermType, number>;
  const crop = (r: CropRef): Tensor => o.views[r.view].crops[r.list][r.index]!;

  const out = torch.tidy(() => {
    // Each tensor is gathered once (the reference re-gathers per call; the values are the same),
    // in plan order so that every rank issues the same collectives.
    const gathered = new Map<string, Tensor>();
    const others = (t: Tensor, label: string): Tensor => {
      let g = gathered.get(label);
      if (!g) gathered.set(label, (g = gatherOthers(collective, t, label)));
      return g;
    };
    const sums = new Map<CropTermType, Tensor>();
    for (const t of plan) {
      const fv = crop(t.fv);
      const fa = crop(t.fa);
      const v = gdtPairLoss(fv, fa, {
        temperature: cropT,
        symmetric: t.symmetric,
        normalize,
        othersV: others(fv, cropLabel(t.fv)),
        othersA: t.symmetric ? others(fa, cropLabel(t.fa)) : undefined,
      });
      const s = sums.get(t.type);
      sums.set(t.type, s ? s.add(v) : v);
    }
    const ref = o.views[0].video;
    const scalar = (v: number): Tensor => torch.scalarTensor(v, { dtype: ref.dtype, device: ref.device });
    // sum(crop_losses) / sum(counters), summed in the reference's type order.
    const present = CROP_TERM_TYPES.map((t) => sums.get(t)).filter((s): s is Tensor => s !== undefined);
    const cropLoss =
      present.length > 0
        ? present.reduce((a, b) => a.add(b)).div(plan.length)
        : mode === 'reference'
          ? scalar(0).div(0) // a constant NaN, as tensor(0.) / 0 in the reference
          : undefined;
    let avLoss: Tensor | undefined;
    if (alpha > 0) {
      const pair = (k: 0 | 1): Tensor => {
        const { video: v, audio: a } = o.views[k];
        const vl = `${viewLabel(k)}.video`;
        const al = `${viewLabel(k)}.audio`;
        return gdtPairLoss(v, a, { temperature: avT, normalize, othersV: others(v, vl), othersA: others(a, al) });
      };
      avLoss = pair(0).add(pair(1)).mul(0.5);
    }
    let loss: Tensor;
    if (cropLoss && avLoss) loss = cropLoss.mul(1 - alpha).add(avLoss.mul(alpha));
    else if (cropLoss) loss = cropLoss.mul(1 - alpha);
    else loss = avLoss!.mul(alpha);
    // One host transfer for every logged number.
    const logged = [cropLoss ?? scalar(0), avLoss ?? scalar(0), ...CROP_TERM_TYPES.map((t) => sums.get(t) ?? scalar(0))];
    return { loss, values: torch.stack(logged.map((t) => t.detach().to({ dtype: 'float64' }))) };
  });
  const vals = Array.from(out.values.toTypedArray() as Float64Array);
  out.values.dispose();
  const perType = Object.fromEntries(
    CROP_TERM_TYPES.map((t, i) => [t, typeCounts[t] > 0 ? vals[2 + i]! / typeCounts[t] : 0]),
  ) as Record<CropTermType, number>;
  return { loss: out.loss, cropLoss: vals[0]!, avLoss: vals[1]!, perType, counts: typeCounts };
}

function viewLabel(v: 0 | 1): string {
  return `view${v}`;
}

/** Crop lists as the counts and mode imply; (N, C) embeddings; in paper mode video rows = audio rows. */
function checkViews(views: SticaLossOptions['views'], counts: CropCounts, mode: SticaMode): void {
  if (views.length !== 2) throw new RangeError(`STiCA needs exactly two views, got ${views.length}`);
  const want = cropEmbeddingCounts(counts, mode);
  views.forEach((view, k) => {
    for (const list of ['spaceLarge', 'spaceSmall', 'timeLarge', 'timeSmall'] as const) {
      const got = view.crops[list].length;
      if (got !== want[list]) {
        throw new RangeError(
          `view ${k}: ${got} ${list} embeddings, but crops drawn with these counts in ${mode} mode give ${want[list]} (draw them with sampleCropParams and the same counts and mode)`,
        );
      }
    }
    const c = view.video.shape[1];
    for (const t of [view.video, view.audio, ...Object.values(view.crops).flat()]) {
      if (t.ndim !== 2 || t.shape[1] !== c) throw new RangeError(`view ${k}: every embedding must be (N, ${c}), got [${t.shape}]`);
    }
    if (mode === 'paper' && view.video.shape[0] !== view.audio.shape[0]) {
      throw new RangeError(
        `view ${k}: ${view.video.shape[0]} video but ${view.audio.shape[0]} audio embeddings; the model's transformerTimeDim must equal its duration (SPEC 13.14: sticaModelOptions sets it in paper mode)`,
      );
    }
  });
}
