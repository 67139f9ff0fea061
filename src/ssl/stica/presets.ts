// STiCA pretraining configurations (SPEC 7.4, 8.2, 11.2): the crop counts, clip length and
// transformer depth of main_stica.py's defaults, scripts/pretrain_stica.sh and the README example,
// plus a tiny CPU configuration; and the model options each implies per mode.
import { sticaDuration, type SticaOptions } from '../../models/stica.js';
import { type CropCounts, type FeatureMapSize, type SticaMode, checkCropCounts, sticaFeatureMapSize } from './crops.js';

export interface SticaPreset {
  readonly name: string;
  readonly description: string;
  /** Frames per clip at 30 fps (`--num_frames`, script argument 1). */
  readonly numFrames: number;
  /** Clip and audio seconds (`--num_sec` = `--num_sec_aud`, script argument 2): the model's duration table. */
  readonly numSec: number;
  /** Square training crop (`--train_crop_size`). */
  readonly cropSize: number;
  readonly crops: CropCounts;
  /** Transformer pooling layers (`--num_layer`, script argument 7); 0 = average pooling. */
  readonly numLayers: number;
  /** Per-process batch (`--batch_size`). */
  readonly batchSize: number;
  /** Channel multiplier of the encoders (1 = the reference). */
  readonly width: number;
}

export type SticaPresetName = 'argparse' | 'script' | 'script-2s' | 'readme' | 'readme-2s' | 'tiny';

const counts = (spaceLarge: number, spaceSmall: number, timeLarge: number, timeSmall: number): CropCounts =>
  Object.freeze({ spaceLarge, spaceSmall, timeLarge, timeSmall });

export const STICA_PRESETS: Readonly<Record<SticaPresetName, SticaPreset>> = Object.freeze({
  argparse: {
    name: 'argparse',
    description: 'main_stica.py defaults: 30 frames, 1 s, 2 large crops, 2 layers, batch 16 (reference: one L-L term)',
    numFrames: 30,
    numSec: 1,
    cropSize: 112,
    crops: counts(2, 0, 0, 0),
    numLayers: 2,
    batchSize: 16,
    width: 1,
  },
  script: {
    name: 'script',
    description: 'pretrain_stica.sh defaults `30 1 1 0 0 0 2`: 1 large crop, 2 layers, batch 8 (reference: no crop term, NaN loss)',
    numFrames: 30,
    numSec: 1,
    cropSize: 112,
    crops: counts(1, 0, 0, 0),
    numLayers: 2,
    batchSize: 8,
    width: 1,
  },
  'script-2s': {
    name: 'script-2s',
    description: 'pretrain_stica.sh with 60 frames / 2 s: `60 2 1 0 0 0 2`',
    numFrames: 60,
    numSec: 2,
    cropSize: 112,
    crops: counts(1, 0, 0, 0),
    numLayers: 2,
    batchSize: 8,
    width: 1,
  },
  readme: {
    name: 'readme',
    description: 'README example `pretrain_stica.sh 30 1 2 4 1 2 0`: 2 large, 4 small, 2 large and 1 small temporal crops, average pooling',
    numFrames: 30,
    numSec: 1,
    cropSize: 112,
    crops: counts(2, 4, 2, 1),
    numLayers: 0,
    batchSize: 8,
    width: 1,
  },
  'readme-2s': {
    name: 'readme-2s',
    description: 'the README crops with 60 frames / 2 s: `60 2 2 4 1 2 0`',
    numFrames: 60,
    numSec: 2,
    cropSize: 112,
    crops: counts(2, 4, 2, 1),
    numLayers: 0,
    batchSize: 8,
    width: 1,
  },
  tiny: {
    name: 'tiny',
    description: 'CPU smoke test: 16 frames of 64 x 64 (a 2 x 4 x 4 map), width 1/8, every crop kind, 1 layer, batch 4',
    numFrames: 16,
    numSec: 1,
    cropSize: 64,
    crops: counts(2, 2, 2, 1),
    numLayers: 1,
    batchSize: 4,
    width: 0.125,
  },
});

export function sticaPreset(name: string): SticaPreset {
  const p = STICA_PRESETS[name as SticaPresetName];
  if (!p) throw new RangeError(`unknown STiCA preset '${name}' (have: ${Object.keys(STICA_PRESETS).join(', ')})`);
  return p;
}

/**
 * A preset from `pretrain_stica.sh`'s positional arguments, in the script's order: frames, audio
 * seconds, large crops, small crops, **small temporal** crops, **large temporal** crops,
 * transformer layers (SPEC 8.2, 13.6); missing trailing arguments take the script defaults
 * `30 1 1 0 0 0 2`.
 */
export function presetFromScriptArgs(args: readonly (number | string)[]): SticaPreset {
  const defaults = [30, 1, 1, 0, 0, 0, 2];
  if (args.length > defaults.length) throw new RangeError(`pretrain_stica.sh takes at most 7 arguments, got ${args.length}`);
  const v = defaults.map((d, i) => {
    const a = args[i];
    const n = a === undefined ? d : Number(a);
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`pretrain_stica.sh argument ${i + 1} must be a non-negative integer, got '${String(a)}'`);
    return n;
  });
  const [frames, sec, large, small, smallT, largeT, layers] = v as [number, number, number, number, number, number, number];
  sticaDuration(sec);
  return {
    name: `script ${v.join(' ')}`,
    description: `pretrain_stica.sh ${v.join(' ')}`,
    numFrames: frames,
    numSec: sec,
    cropSize: 112,
    crops: counts(large, small, largeT, smallT),
    numLayers: layers,
    batchSize: 8,
    width: 1,
  };
}

/** The feature map `(T', H', W')` a preset's clips give. */
export function presetFeatureMap(p: SticaPreset): FeatureMapSize {
  return sticaFeatureMapSize(p.numFrames, p.cropSize);
}

/**
 * `Stica` options for a preset. Paper mode matches the transformer's time dimension to the clip
 * (`transformerTimeDim = duration`); reference mode keeps main_stica.py's default 4, which for
 * 2-second clips with transformer layers silently merges pairs of samples (SPEC 13.14).
 */
export function sticaModelOptions(p: SticaPreset, mode: SticaMode = 'paper'): SticaOptions {
  checkCropCounts(p.crops, mode);
  const duration = sticaDuration(p.numSec);
  return { numSec: p.numSec, numLayers: p.numLayers, transformerTimeDim: mode === 'paper' ? duration : 4, width: p.width };
}
