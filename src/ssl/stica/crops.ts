// STiCA feature-crop geometry (SPEC 7.2, the reference's `fmcrop_params` / `get_fm_crop`): where
// the large/small spatial and temporal crops of the backbone's feature map (T', H', W') lie, in
// the `CropParams` form that `Stica.forward` takes. One call draws the crops of one view.
import type { CropParams, SpaceCrop, TimeCrop } from '../../models/stica.js';
import type { Rng } from '../../transforms/rng.js';
import type { LossMode } from '../hypotheses.js';

/**
 * `paper` (default): positions drawn over the whole feature map, every configured crop produced
 * and used. `reference`: SPEC 7.2-7.4 exactly (fixed 7 x 7 geometry, top-left large crops, the
 * reference's term selection, NaN for an empty crop loss).
 */
export type SticaMode = LossMode;

/** How many crops of each kind a view gets (the reference's `--num_*_crops` options). */
export interface CropCounts {
  /** Large spatial crops (`--num_large_crops`; the reference allows at most 2). */
  readonly spaceLarge: number;
  /** Small spatial crops drawn per large crop (`--num_small_crops`). */
  readonly spaceSmall: number;
  /** Large temporal crops (`--num_large_tcrops`; at most 2 in the reference). */
  readonly timeLarge: number;
  /** Small temporal crops drawn per large temporal crop (`--num_small_tcrops`). */
  readonly timeSmall: number;
}

/** Size of the video feature map `(T', H', W')` the crops cut. */
export interface FeatureMapSize {
  readonly time: number;
  readonly height: number;
  readonly width: number;
}

/** Crop window sizes: spatial `[height, width]`, temporal length. */
export interface CropWindows {
  readonly spaceLarge: readonly [number, number];
  readonly spaceSmall: readonly [number, number];
  readonly timeLarge: number;
  readonly timeSmall: number;
}

/** The side of the square map `get_fm_crop` assumes (a 112 x 112 input), whatever the real map. */
export const REFERENCE_MAP_SIDE = 7;

/** `get_fm_crop`'s windows: 6 x 6 / 4 x 4 spatial; temporal 3 / 2 for duration 4, else 6 / 4. */
export function referenceCropWindows(duration: number): CropWindows {
  return { spaceLarge: [6, 6], spaceSmall: [4, 4], timeLarge: duration === 4 ? 3 : 6, timeSmall: duration === 4 ? 2 : 4 };
}

/**
 * Paper-mode windows for any map: the reference's proportions (6/7 and 4/7 of each spatial side,
 * 3/4 and 1/2 of the time steps), rounded, at least 1 and at most the side. They equal the
 * reference's windows on the 4 x 7 x 7 and 8 x 7 x 7 maps of 30 and 60 frames at 112 x 112.
 */
export function paperCropWindows(map: FeatureMapSize): CropWindows {
  const frac = (side: number, f: number): number => Math.min(side, Math.max(1, Math.round(side * f)));
  return {
    spaceLarge: [frac(map.height, 6 / 7), frac(map.width, 6 / 7)],
    spaceSmall: [frac(map.height, 4 / 7), frac(map.width, 4 / 7)],
    timeLarge: frac(map.time, 3 / 4),
    timeSmall: frac(map.time, 1 / 2),
  };
}

/**
 * Whether spatial / temporal crops are drawn at all. The reference draws them only when there is
 * a small crop or more than one large crop (`fmcrop_params`), so one large crop alone is nothing;
 * paper mode draws whatever is configured.
 */
export function cropsDrawn(counts: CropCounts, mode: SticaMode = 'paper'): { space: boolean; time: boolean } {
  if (mode === 'paper') return { space: counts.spaceLarge > 0, time: counts.timeLarge > 0 };
  return { space: counts.spaceSmall > 0 || counts.spaceLarge > 1, time: counts.timeSmall > 0 || counts.timeLarge > 1 };
}

/**
 * Lengths of the crop lists `Stica.forward` returns for crops drawn with these counts: the model
 * recomputes every small crop for each large crop (SPEC 3.7), so `spaceSmall` holds
 * `L * (L * S)` embeddings (the one for large crop `i` and drawn small crop `k` at `i * L * S + k`).
 */
export function cropEmbeddingCounts(counts: CropCounts, mode: SticaMode = 'paper'): CropCounts {
  const drawn = cropsDrawn(counts, mode);
  const l = drawn.space ? counts.spaceLarge : 0;
  const tl = drawn.time ? counts.timeLarge : 0;
  return { spaceLarge: l, spaceSmall: l * l * counts.spaceSmall, timeLarge: tl, timeSmall: tl * tl * counts.timeSmall };
}

/** Throws unless the counts are non-negative integers (and, in reference mode, at most 2 large). */
export function checkCropCounts(counts: CropCounts, mode: SticaMode = 'paper'): void {
  for (const k of ['spaceLarge', 'spaceSmall', 'timeLarge', 'timeSmall'] as const) {
    const v = counts[k];
    if (!Number.isInteger(v) || v < 0) throw new RangeError(`crop count ${k} must be a non-negative integer, got ${v}`);
  }
  // The reference asserts this in fmcrop_params and nce_crop_losses_dual.
  if (mode === 'reference' && (counts.spaceLarge > 2 || counts.timeLarge > 2)) {
    throw new RangeError(`the reference allows at most 2 large spatial and 2 large temporal crops, got ${counts.spaceLarge} and ${counts.timeLarge}`);
  }
}

export interface CropSamplingOptions {
  /** `paper` (default) or `reference`. */
  mode?: SticaMode;
  counts: CropCounts;
  /**
   * The feature map the model will crop: `sticaFeatureMapSize(frames, height, width)`. Paper mode
   * draws on it; reference mode ignores its size (7 x 7 and `duration` are hard-wired there) and
   * only checks that no crop falls entirely outside it.
   */
  map: FeatureMapSize;
  /** Reference mode: the model's `duration` (4 for 1 s, 8 for 2 s, ...); default `map.time`. */
  duration?: number;
  /** Paper mode: window sizes replacing `paperCropWindows(map)`. */
  windows?: Partial<CropWindows>;
}

/**
 * The crop parameters of one view (call once per view, as the reference does).
 *
 * Random source: an `Rng` (src/transforms/rng.ts). The reference draws from NumPy's global RNG
 * (SPEC 12), so `seededStreams(seed).numpy` reproduces its draws exactly in reference mode. Draw
 * order (both modes): for each large spatial crop, its x (height) then y (width) offset, then
 * those of its small crops; then each large temporal crop's start followed by its small crops'.
 * Reference mode draws NumPy-style `randint(0, 7 - window)` (the last offset is never chosen,
 * so large crops are always `[0:6, 0:6]`); paper mode draws every offset in
 * `[0, side - window]` (`rng.randint`, both ends included). A range of one value draws nothing.
 *
 * `spaceSmall` / `timeSmall` list the small crops of every large crop in turn
 * (`counts.spaceLarge * counts.spaceSmall` entries), as SPEC 7.2.
 */
export function sampleCropParams(rng: Rng, o: CropSamplingOptions): CropParams {
  const mode = o.mode ?? 'paper';
  checkCropCounts(o.counts, mode);
  checkMap(o.map);
  const drawn = cropsDrawn(o.counts, mode);
  const duration = o.duration ?? o.map.time;
  const w = mode === 'reference' ? referenceCropWindows(duration) : { ...paperCropWindows(o.map), ...o.windows };
  if (mode === 'paper') checkWindows(w, o.map);
  else if (o.windows) throw new TypeError('crop windows are fixed in reference mode (get_fm_crop); drop `windows` or use paper mode');

  // Paper: offsets 0 .. side - window; reference: NumPy's exclusive bound drops the last (13.21/13.30).
  const offset = (side: number, window: number): number =>
    mode === 'reference' ? rng.randrange(0, side - window) : rng.randint(0, side - window);
  const space = ([wx, wy]: readonly [number, number]): SpaceCrop => {
    const [h, wd] = mode === 'reference' ? [REFERENCE_MAP_SIDE, REFERENCE_MAP_SIDE] : [o.map.height, o.map.width];
    const x = offset(h, wx);
    const y = offset(wd, wy);
    return [x, x + wx, y, y + wy];
  };
  const time = (window: number): TimeCrop => {
    const t = offset(mode === 'reference' ? duration : o.map.time, window);
    return [t, t + window];
  };

  const p = { spaceLarge: [] as SpaceCrop[], spaceSmall: [] as SpaceCrop[], timeLarge: [] as TimeCrop[], timeSmall: [] as TimeCrop[] };
  if (drawn.space) {
    for (let i = 0; i < o.counts.spaceLarge; i++) {
      p.spaceLarge.push(space(w.spaceLarge));
      for (let j = 0; j < o.counts.spaceSmall; j++) p.spaceSmall.push(space(w.spaceSmall));
    }
  }
  if (drawn.time) {
    for (let i = 0; i < o.counts.timeLarge; i++) {
      p.timeLarge.push(time(w.timeLarge));
      for (let j = 0; j < o.counts.timeSmall; j++) p.timeSmall.push(time(w.timeSmall));
    }
  }
  if (mode === 'reference') checkInsideMap(p, o.map);
  return p;
}

/**
 * The crop of `map` that PyTorch slicing `[lo:hi]` actually takes (the end is clipped to the
 * side); reference crops can reach past a map smaller than the 7 x 7 they assume.
 */
export function clippedCrop(p: CropParams, map: FeatureMapSize): CropParams {
  const s = ([x0, x1, y0, y1]: SpaceCrop): SpaceCrop => [x0, Math.min(x1, map.height), y0, Math.min(y1, map.width)];
  const t = ([t0, t1]: TimeCrop): TimeCrop => [t0, Math.min(t1, map.time)];
  return { spaceLarge: p.spaceLarge.map(s), spaceSmall: p.spaceSmall.map(s), timeLarge: p.timeLarge.map(t), timeSmall: p.timeSmall.map(t) };
}

function checkMap(m: FeatureMapSize): void {
  for (const [k, v] of Object.entries(m)) {
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`feature map ${k} must be a positive integer, got ${v}`);
  }
}

function checkWindows(w: CropWindows, m: FeatureMapSize): void {
  const ok = (v: number, side: number): boolean => Number.isInteger(v) && v >= 1 && v <= side;
  for (const k of ['spaceLarge', 'spaceSmall'] as const) {
    if (!ok(w[k][0], m.height) || !ok(w[k][1], m.width)) throw new RangeError(`${k} window [${w[k]}] does not fit the ${m.height} x ${m.width} feature map`);
  }
  for (const k of ['timeLarge', 'timeSmall'] as const) {
    if (!ok(w[k], m.time)) throw new RangeError(`${k} window ${w[k]} does not fit the ${m.time} time steps of the feature map`);
  }
}

// An empty slice would pool to NaN: reference geometry needs a map of (nearly) 7 x 7 x duration.
function checkInsideMap(p: CropParams, m: FeatureMapSize): void {
  const spaceOut = [...p.spaceLarge, ...p.spaceSmall].find(([x0, , y0]) => x0 >= m.height || y0 >= m.width);
  const bad = spaceOut ?? [...p.timeLarge, ...p.timeSmall].find(([t0]) => t0 >= m.time);
  if (bad) {
    throw new RangeError(
      `reference crop [${bad}] lies outside the ${m.time} x ${m.height} x ${m.width} feature map (get_fm_crop assumes 7 x 7 and T' = duration); use a larger input or paper mode`,
    );
  }
}

/**
 * `(T', H', W')` of the R(2+1)D feature map for a `frames x height x width` clip: time is halved
 * (rounding up) by the three strided stages, space by the stem and the three stages
 * (30 x 112 x 112 -> 4 x 7 x 7; 60 frames -> 8 x 7 x 7).
 */
export function sticaFeatureMapSize(frames: number, height: number, width: number = height): FeatureMapSize {
  const halve = (n: number, times: number): number => {
    let v = n;
    for (let i = 0; i < times; i++) v = Math.ceil(v / 2);
    return v;
  };
  return { time: halve(frames, 3), height: halve(height, 4), width: halve(width, 4) };
}
