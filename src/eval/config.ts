// Evaluation configurations: schemas (a bad value names the field, the value and what is
// allowed), the reference's settings (SPEC 9.1) and a CPU-sized `tiny` preset per command, config
// files and `key=value` overrides (the same mechanics as `gdt pretrain`).
import { z } from 'zod';
import { merge, readConfigFile, validateConfig, type ConfigInput } from '../train/config.js';

export const PROTOCOLS = ['clean', 'reference'] as const;
export type EvalProtocol = (typeof PROTOCOLS)[number];
export const MODEL_KINDS = ['gdt', 'textvid', 'stica'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];
export const EVAL_COMMANDS = ['finetune', 'linear', 'knn', 'retrieval', 'audio'] as const;
export type EvalCommand = (typeof EVAL_COMMANDS)[number];
export const EVAL_PRESETS = ['reference', 'tiny'] as const;

const pair = z.tuple([z.number().int().positive(), z.number().int().positive()]);
const device = z.enum(['cpu', 'cuda']).default('cpu');

const VideoDataSchema = z
  .object({
    dataset: z.enum(['ucf101', 'hmdb51']),
    root: z.string().min(1),
    /** Annotation folder (default `<root>/splits`). */
    splits: z.string().min(1).optional(),
    folds: z.array(z.number().int().min(1).max(3)).min(1).default([1]),
    numFrames: z.number().int().positive().default(32),
    targetFps: z.number().positive().default(30),
    samplingRate: z.number().int().positive().default(1),
    cropSize: z.number().int().positive().default(128),
    /** Short-side jitter range of random crops and reference test views (default: see jitterScales). */
    scales: pair.optional(),
    /** Match split entries without their extension (transcoded .mp4 files for .avi lists). */
    ignoreExtension: z.boolean().default(false),
    /** Probe cache (default `probe-manifest.json` in the feature cache, or in the output folder for finetune). */
    manifest: z.string().min(1).optional(),
    /** Videos not longer than this are left out (0: every readable video counts). */
    minDuration: z.number().min(0).default(0),
    /** Per loader worker: MB of whole decoded videos kept to cut clips from (0: one ffmpeg run per clip). */
    frameCacheMB: z.number().min(0).default(256),
    /** Folder keeping whole decoded videos on disk, shared by every loader worker, model and later run (small collections). */
    decodeCache: z.string().min(1).optional(),
    compat: z.enum(['correct', 'reference']).default('correct'),
  })
  .strict();

const ModelSchema = z
  .object({
    kind: z.enum(MODEL_KINDS).default('gdt'),
    /** Channel multiplier; default: read from the checkpoint's tensors. */
    width: z.number().positive().max(4).optional(),
    /** Channel multiplier when neither model.width nor the weights give one (--weights none). */
    defaultWidth: z.number().positive().max(4).default(1),
    /** R(2+1)D depth; default: from the checkpoint, else 18. */
    videoDepth: z.union([z.literal(18), z.literal(34)]).optional(),
    /** STiCA pooling: eval_video.py always passes --num_layer 2 and uses transformer_time_dim 8. */
    numLayers: z.number().int().positive().default(2),
    transformerTimeDim: z.number().int().positive().default(8),
  })
  .strict();

const FinetuneOptimSchema = z
  .object({
    classifierLr: z.number().positive().default(0.0025),
    backboneLr: z.number().min(0).default(0.00025),
    transformerLr: z.number().min(0).default(0.00025),
    classifierWd: z.number().min(0).default(0.005),
    backboneWd: z.number().min(0).default(0.005),
    transformerWd: z.number().min(0).default(0.005),
    momentum: z.number().min(0).max(1).default(0.9),
    warmupEpochs: z.number().int().min(0).default(2),
    multiplier: z.number().positive().default(8),
    /** Absolute epochs as --lr-milestones; the warm-up is subtracted (SPEC 9.1). */
    milestones: z.array(z.number().int().positive()).default([6, 10]),
    gamma: z.number().positive().default(0.05),
  })
  .strict();

const FinetuneTrainSchema = z
  .object({
    epochs: z.number().int().positive().default(12),
    batchSize: z.number().int().positive().default(32),
    /** Random clips per video per epoch (each video listed this often). */
    clipsPerVideo: z.number().int().positive().default(10),
    randomResizedCrop: z.boolean().default(true),
    areaScale: z.tuple([z.number().positive(), z.number().positive()]).default([0.14, 1]),
    /** Colour jitter p 0.8; the reference protocol also applies it to test views (SPEC 9.1). */
    colorJitter: z.boolean().default(true),
    /** Reference protocol: test after every epoch >= this (7: "epoch > 6") and report the best. */
    evalFromEpoch: z.number().int().min(0).default(7),
    workers: z.number().int().min(0).optional(),
    prefetch: z.number().int().positive().default(2),
    seed: z.number().int().min(0).default(0),
    device,
  })
  .strict();

const TestViewsSchema = z
  .object({
    /** Temporal positions per video (uniformly spaced starts). */
    clips: z.number().int().positive().default(10),
    /** Spatial crops per position: 3 = left/centre/right (or top/centre/bottom), 1 = centre. */
    crops: z.union([z.literal(1), z.literal(3)]).default(3),
    /** Temporal positions per batch (each carries all its crops). */
    batchSize: z.number().int().positive().default(8),
  })
  .strict();

export const FinetuneConfigSchema = z
  .object({
    command: z.literal('finetune'),
    protocol: z.enum(PROTOCOLS).default('clean'),
    out: z.string().min(1),
    /** gdt checkpoint, reference .pth, zoo name, or 'none' (random initialisation). */
    weights: z.string().min(1),
    data: VideoDataSchema,
    model: ModelSchema.prefault({}),
    optim: FinetuneOptimSchema.prefault({}),
    train: FinetuneTrainSchema.prefault({}),
    test: TestViewsSchema.prefault({}),
  })
  .strict();

const FeatureSchema = z
  .object({
    /** 'avg': the encoder's global average pool (512·width); 'max2': SeLaVi's MaxPool3d(2) of the last map, flattened. */
    pool: z.enum(['avg', 'max2']).default('avg'),
    /** Clips per training video (clean: uniform positions, centre crop; reference: random train clips). */
    trainClips: z.number().int().positive().default(10),
    testClips: z.number().int().positive().default(10),
    testCrops: z.union([z.literal(1), z.literal(3)]).default(3),
    /** Reference protocol: colour jitter on training clips (SeLaVi's retrieval has none). */
    colorJitter: z.boolean().default(false),
    batchSize: z.number().int().positive().default(16),
    workers: z.number().int().min(0).optional(),
    prefetch: z.number().int().positive().default(2),
    seed: z.number().int().min(0).default(0),
    /** Samples per cache shard: an interrupted extraction resumes at the last finished shard. */
    shardSamples: z.number().int().positive().default(512),
    device,
  })
  .strict();

const LinearSchema = z
  .object({
    /** L2 penalties tried on the validation split (λ in mean CE + λ/2 ‖W‖²). */
    l2Grid: z.array(z.number().min(0)).min(1).default([1e-5, 1e-4, 1e-3, 1e-2, 1e-1]),
    /** Fraction of the training videos held out for the search (whole groups per class). */
    valFraction: z.number().gt(0).lt(1).default(0.2),
    epochs: z.number().int().positive().default(200),
    /** 0 = full batch. */
    batchSize: z.number().int().min(0).default(0),
    lr: z.number().positive().default(0.01),
    standardize: z.boolean().default(true),
  })
  .strict();

const KnnSchema = z
  .object({
    k: z.number().int().positive().default(20),
    temperature: z.number().positive().default(0.07),
  })
  .strict();

const RetrievalSchema = z
  .object({
    ks: z.array(z.number().int().positive()).min(1).default([1, 5, 10, 20]),
  })
  .strict();

export const FeatureEvalConfigSchema = z
  .object({
    command: z.enum(['linear', 'knn', 'retrieval']),
    protocol: z.enum(PROTOCOLS).default('clean'),
    out: z.string().min(1),
    weights: z.string().min(1),
    /** Feature cache folder (default `<out>/features`); share it between runs to extract once. */
    cache: z.string().min(1).optional(),
    data: VideoDataSchema,
    model: ModelSchema.prefault({}),
    features: FeatureSchema.prefault({}),
    linear: LinearSchema.prefault({}),
    knn: KnnSchema.prefault({}),
    retrieval: RetrievalSchema.prefault({}),
  })
  .strict();

const AudioDataSchema = z
  .object({
    /** ESC-50-style folder: meta/esc50.csv and audio/. */
    root: z.string().min(1),
    folds: z.array(z.number().int().min(1).max(5)).min(1).default([1, 2, 3, 4, 5]),
    esc10: z.boolean().default(false),
    sampleRate: z.number().int().positive().default(24000),
  })
  .strict();

const AudioFeatureSchema = z
  .object({
    /** Seconds per window; default the pretraining's audio length (checkpoint), else 1. */
    seconds: z.number().positive().optional(),
    specType: z.union([z.literal(1), z.literal(2)]).optional(),
    zNormalize: z.boolean().optional(),
    /** Uniformly spaced windows per file; their logits are averaged. */
    windows: z.number().int().positive().default(10),
    batchSize: z.number().int().positive().default(32),
    workers: z.number().int().min(0).optional(),
    prefetch: z.number().int().positive().default(2),
    seed: z.number().int().min(0).default(0),
    shardSamples: z.number().int().positive().default(1024),
    device,
  })
  .strict();

export const AudioEvalConfigSchema = z
  .object({
    command: z.literal('audio'),
    protocol: z.literal('clean').default('clean'),
    out: z.string().min(1),
    weights: z.string().min(1),
    cache: z.string().min(1).optional(),
    data: AudioDataSchema,
    model: z
      .object({
        /** Channel multiplier; default: read from the checkpoint's tensors. */
        width: z.number().positive().max(4).optional(),
        /** When neither model.width nor the weights give one. */
        defaultWidth: z.number().positive().max(4).default(1),
        audioDepth: z.union([z.literal(9), z.literal(18)]).optional(),
      })
      .strict()
      .prefault({}),
    features: AudioFeatureSchema.prefault({}),
    linear: LinearSchema.prefault({}),
  })
  .strict();

export type FinetuneConfig = z.infer<typeof FinetuneConfigSchema>;
export type FeatureEvalConfig = z.infer<typeof FeatureEvalConfigSchema>;
export type AudioEvalConfig = z.infer<typeof AudioEvalConfigSchema>;
export type VideoDataConfig = FinetuneConfig['data'];
export type EvalModelConfig = FinetuneConfig['model'];
export type LinearConfig = FeatureEvalConfig['linear'];

/**
 * The short-side range of random crops and of the reference protocol's test views: the configured
 * one, else the reference's (128, 160) for crops of 112 and 128, else (crop, 1.25 crop) — the
 * same ratio, where the reference's (256, 320) would zoom far into small crops.
 */
export function jitterScales(data: { cropSize: number; scales?: readonly [number, number] }): [number, number] {
  if (data.scales) return [data.scales[0], data.scales[1]];
  const c = data.cropSize;
  return c === 112 || c === 128 ? [128, 160] : [c, Math.round(1.25 * c)];
}

/** Presets per command: the reference's settings and CPU-sized ones matching `gdt pretrain --preset tiny`. */
export function evalPreset(command: EvalCommand, preset: string): ConfigInput {
  if (!(EVAL_PRESETS as readonly string[]).includes(preset)) throw new Error(`unknown preset '${preset}'; choose one of ${EVAL_PRESETS.join(', ')}`);
  // 8 frames at 6 fps (1.3 s) at 64 px, the width of `gdt pretrain --preset tiny`.
  const tinyData: ConfigInput = { numFrames: 8, targetFps: 6, cropSize: 64 };
  if (command === 'finetune') {
    if (preset === 'reference') return {};
    return {
      data: tinyData,
      // numLayers 1: the STiCA tiny pretraining's pooling (eval_video.py's 2 in the reference preset).
      model: { defaultWidth: 0.25, numLayers: 1 },
      // Five epochs: warm-up 1 then decay at epoch 4 (factors 1, 8, 8, 8, 0.4). The tiny backbones
      // are barely pretrained: equal classifier and backbone LRs, no colour jitter, and scale
      // jitter + crop instead of the random resized crop, which loses the small objects.
      optim: { classifierLr: 0.0006, backboneLr: 0.0006, transformerLr: 0.0006, warmupEpochs: 1, milestones: [3, 4] },
      train: { epochs: 5, batchSize: 8, clipsPerVideo: 8, randomResizedCrop: false, colorJitter: false, evalFromEpoch: 3 },
      test: { clips: 10, crops: 3, batchSize: 4 },
    };
  }
  if (command === 'audio') {
    if (preset === 'reference') return {};
    return { model: { defaultWidth: 0.25 }, features: { windows: 4, batchSize: 16 }, linear: { epochs: 100 } };
  }
  const retrieval = command === 'retrieval';
  if (preset === 'reference') {
    // SeLaVi's retrieval: 32 frames at 112, 10 clips per video, centre crops, MaxPool3d(2) features.
    return retrieval ? { data: { cropSize: 112 }, features: { pool: 'max2', testCrops: 1 } } : {};
  }
  return { data: tinyData, model: { defaultWidth: 0.25, numLayers: 1 }, features: { trainClips: 4, batchSize: 8, ...(retrieval ? { testCrops: 1 } : {}) }, linear: { epochs: 100 } };
}

/** Validates a merged configuration (the training configuration's validator, shared). */
export const validate = validateConfig;

export interface BuildEvalConfigOptions {
  preset?: string;
  file?: string;
  overrides?: ConfigInput[];
}

/** Preset, then file, then overrides (flags, --set), validated by the command's schema. */
export function buildEvalConfig(command: 'finetune', o: BuildEvalConfigOptions): FinetuneConfig;
export function buildEvalConfig(command: 'linear' | 'knn' | 'retrieval', o: BuildEvalConfigOptions): FeatureEvalConfig;
export function buildEvalConfig(command: 'audio', o: BuildEvalConfigOptions): AudioEvalConfig;
export function buildEvalConfig(command: EvalCommand, o: BuildEvalConfigOptions): FinetuneConfig | FeatureEvalConfig | AudioEvalConfig {
  let cfg: ConfigInput = merge({ command }, evalPreset(command, o.preset ?? 'reference'));
  if (o.file) cfg = merge(cfg, readConfigFile(o.file));
  for (const ov of o.overrides ?? []) cfg = merge(cfg, ov);
  cfg.command = command;
  if (command === 'finetune') return validate(FinetuneConfigSchema, cfg);
  if (command === 'audio') return validate(AudioEvalConfigSchema, cfg);
  return validate(FeatureEvalConfigSchema, cfg);
}

/** `--fold 1,2,3` -> [1, 2, 3] (each within 1..max, no repeats). */
export function parseFolds(s: string, max = 3): number[] {
  const parts = s.split(',').map((p) => p.trim()).filter((p) => p !== '');
  const folds = parts.map(Number);
  if (!parts.length || folds.some((f) => !Number.isInteger(f) || f < 1 || f > max)) throw new Error(`--fold must be a comma-separated list of folds in 1..${max}, got '${s}'`);
  if (new Set(folds).size !== folds.length) throw new Error(`--fold lists a fold twice: '${s}'`);
  return folds;
}
