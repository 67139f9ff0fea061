// Pretraining configuration: a schema (a bad value names the field, the value and what is
// allowed), the reference's recipes as presets, files (YAML/JSON) and `key=value` overrides.
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';

const DataSchema = z
  .object({
    root: z.string().min(1),
    format: z.enum(['ucf101', 'hmdb51', 'kinetics', 'folder']).default('ucf101'),
    fold: z.number().int().min(1).max(3).default(1),
    split: z.string().default('train'),
    numFrames: z.number().int().positive().default(30),
    targetFps: z.number().positive().default(30),
    samplingRate: z.number().int().positive().default(1),
    cropSize: z.number().int().positive().default(112),
    /** Short-side jitter range before the crop; default the reference's for the crop size. */
    scales: z.tuple([z.number().int().positive(), z.number().int().positive()]).optional(),
    audioSeconds: z.number().positive().optional(),
    specType: z.union([z.literal(1), z.literal(2)]).default(1),
    specAugment: z.enum(['none', 'mild', 'medium', 'heavy']).default('medium'),
    zNormalize: z.boolean().default(true),
    volumeJitter: z.boolean().default(true),
    noAudio: z.enum(['skip', 'silence']).default('skip'),
    manifest: z.string().optional(),
    /** Per loader worker: MB of whole decoded videos (frames and audio) to cut clips from, for small collections; 0: one ffmpeg run per clip. */
    cacheMB: z.number().min(0).default(0),
    /** Folder keeping whole decoded videos and audio tracks on disk, shared by every loader worker and later runs (with cacheMB; 256 MB if cacheMB is 0). */
    decodeCache: z.string().min(1).optional(),
    /** 'correct' (default) or 'reference': reproduce the reference's data bugs (SPEC 13). */
    compat: z.enum(['correct', 'reference']).default('correct'),
    /** 'audio-visual' (GDT on videos with sound) or 'video-text' (HowTo100M-style captions, SPEC 5.9). */
    kind: z.enum(['audio-visual', 'video-text']).default('audio-visual'),
    /** video-text: folder of `<video_id>.csv` caption files (default `<root>/captions`). */
    captions: z.string().optional(),
    /** video-text: the word list (`dict.npy`; default `<root>/dict.npy`). */
    dictionary: z.string().optional(),
    /** video-text: `howto.csv` listing the video ids (default: every .mp4 in the video folder). */
    index: z.string().optional(),
  })
  .strict();

const ModelSchema = z
  .object({
    videoDepth: z.union([z.literal(18), z.literal(34)]).default(18),
    audioDepth: z.union([z.literal(9), z.literal(18)]).default(9),
    width: z.number().positive().max(4).default(1),
    useMlp: z.boolean().default(true),
    /** video-text: the reference's word2vec matrix (word2vec.pth); default a random frozen table. */
    word2vec: z.string().optional(),
    /** video-text without word2vec: rows of the random table (at least the dictionary's size + 1). */
    vocabulary: z.number().int().positive().default(66250),
  })
  .strict();

const ObjectiveSchema = z
  .object({
    hypothesis: z.union([z.number().int().min(1).max(9), z.string().min(1)]).default(1),
    mode: z.enum(['paper', 'reference']).default('paper'),
    temperature: z.number().positive().default(0.07),
    numNegatives: z.number().int().positive().optional(),
  })
  .strict();

const OptimSchema = z
  .object({
    lr: z.number().positive().default(0.01),
    momentum: z.number().min(0).max(1).default(0.9),
    weightDecay: z.number().min(0).default(1e-5),
    nesterov: z.boolean().default(false),
    /** Gradual warm-up to lr × world size over these epochs (0: none). */
    warmupEpochs: z.number().int().min(0).default(10),
    milestones: z.array(z.number().int().positive()).default([251]),
    gamma: z.number().positive().default(0.1),
    scheduler: z.enum(['multistep', 'cosine']).default('multistep'),
  })
  .strict();

const TrainSchema = z
  .object({
    epochs: z.number().int().positive().default(201),
    batchSize: z.number().int().positive().default(8),
    workers: z.number().int().min(0).optional(),
    prefetch: z.number().int().positive().default(2),
    seed: z.number().int().min(0).default(0),
    /** Deterministic kernels: with them a resumed run continues bit for bit on CPU. */
    deterministic: z.boolean().default(false),
    /** Also checkpoint every N steps (0: only at the end of each epoch). */
    checkpointEverySteps: z.number().int().min(0).default(0),
    /** Rolling step checkpoints kept besides the latest. */
    keepLast: z.number().int().min(1).default(3),
    /** A numbered copy every N epochs (and at the end), as the reference's every 20. */
    numberedEveryEpochs: z.number().int().min(1).default(20),
    /** Stop after this many steps in all (for short runs and tests). */
    maxSteps: z.number().int().positive().optional(),
    logEverySteps: z.number().int().positive().default(10),
    /** With several processes, BatchNorm statistics over every rank's samples (both reference recipes: true). */
    syncBatchNorm: z.boolean().default(true),
  })
  .strict();

const SticaSchema = z
  .object({
    /** Crop configuration and model size from a STiCA preset (see src/ssl/stica/presets.ts). */
    preset: z.enum(['argparse', 'script', 'script-2s', 'readme', 'readme-2s', 'tiny']).default('script'),
    mode: z.enum(['paper', 'reference']).default('paper'),
    cropTemperature: z.number().positive().default(0.5),
    crossModalTemperature: z.number().positive().default(0.1),
    alpha: z.number().min(0).max(1).default(0.5),
    /** Per-iteration warm-up from startWarmup to baseLr over warmupEpochs, then constant or cosine (SPEC 8.2). */
    warmupEpochs: z.number().int().min(0).default(10),
    startWarmup: z.number().positive().default(0.01),
    baseLr: z.number().positive().default(0.64),
    cosine: z.boolean().default(false),
  })
  .strict();

export const PretrainConfigSchema = z
  .object({
    method: z.enum(['gdt', 'stica']).default('gdt'),
    stica: SticaSchema.optional(),
    out: z.string().min(1),
    data: DataSchema,
    model: ModelSchema.default({ videoDepth: 18, audioDepth: 9, width: 1, useMlp: true, vocabulary: 66250 }),
    objective: ObjectiveSchema.default({ hypothesis: 1, mode: 'paper', temperature: 0.07 }),
    optim: OptimSchema.default({ lr: 0.01, momentum: 0.9, weightDecay: 1e-5, nesterov: false, warmupEpochs: 10, milestones: [251], gamma: 0.1, scheduler: 'multistep' }),
    train: TrainSchema.default({ epochs: 201, batchSize: 8, prefetch: 2, seed: 0, deterministic: false, checkpointEverySteps: 0, keepLast: 3, numberedEveryEpochs: 20, logEverySteps: 10, syncBatchNorm: true }),
  })
  .strict();

export type PretrainConfig = z.infer<typeof PretrainConfigSchema>;
type Json = string | number | boolean | null | Json[] | { [k: string]: Json };
export type ConfigInput = { [k: string]: Json };

/** STiCA's recipe (SPEC 8.2, pretrain_stica.sh) and CPU-sized ones; `data` follows SPEC 5.8. */
export const STICA_PRESETS: Record<string, ConfigInput> = {
  script: {
    method: 'stica',
    stica: { preset: 'script', warmupEpochs: 10, startWarmup: 0.01, baseLr: 0.64 },
    data: { numFrames: 30, cropSize: 112, specType: 2, specAugment: 'none', zNormalize: false, volumeJitter: true, audioSeconds: 1 },
    optim: { momentum: 0.9, weightDecay: 1e-5 },
    train: { epochs: 151, batchSize: 8, seed: 31, numberedEveryEpochs: 20 },
  },
  readme: {
    method: 'stica',
    stica: { preset: 'readme', warmupEpochs: 10, startWarmup: 0.01, baseLr: 0.64 },
    data: { numFrames: 30, cropSize: 112, specType: 2, specAugment: 'none', zNormalize: false, volumeJitter: true, audioSeconds: 1 },
    optim: { momentum: 0.9, weightDecay: 1e-5 },
    train: { epochs: 151, batchSize: 8, seed: 31 },
  },
  tiny: {
    method: 'stica',
    stica: { preset: 'tiny', warmupEpochs: 1, startWarmup: 0.01, baseLr: 0.4 },
    data: { numFrames: 16, cropSize: 64, specType: 2, specAugment: 'none', zNormalize: false, volumeJitter: true, audioSeconds: 1 },
    optim: { momentum: 0.9, weightDecay: 1e-5 },
    train: { epochs: 10, batchSize: 6, seed: 31, checkpointEverySteps: 25, numberedEveryEpochs: 5, logEverySteps: 5 },
  },
};

/** The reference's recipes (SPEC 8.1) and a CPU-sized one. */
export const PRESETS: Record<string, ConfigInput> = {
  k400: {
    data: { numFrames: 30, targetFps: 30, cropSize: 112, specType: 1, specAugment: 'medium', zNormalize: true, volumeJitter: true },
    model: { videoDepth: 18, audioDepth: 9, width: 1, useMlp: true },
    objective: { temperature: 0.07 },
    optim: { lr: 0.01, momentum: 0.9, weightDecay: 1e-5, warmupEpochs: 10, milestones: [251], gamma: 0.1 },
    train: { epochs: 201, batchSize: 8 },
  },
  ht100m: {
    data: { kind: 'video-text', numFrames: 30, targetFps: 16, cropSize: 112 },
    model: { videoDepth: 18, width: 1, useMlp: true },
    objective: { temperature: 0.07 },
    optim: { lr: 0.01, momentum: 0.9, weightDecay: 1e-5, warmupEpochs: 10, milestones: [251], gamma: 0.1 },
    train: { epochs: 201, batchSize: 12 },
  },
  /** Minutes on 2 CPU cores: quarter-width encoders, 8 frames at 64 px, 1 s of audio. */
  tiny: {
    data: { numFrames: 8, targetFps: 15, cropSize: 64, scales: [64, 80], audioSeconds: 1, specType: 1, specAugment: 'mild' },
    model: { videoDepth: 18, audioDepth: 9, width: 0.25, useMlp: true },
    objective: { temperature: 0.1 },
    optim: { lr: 0.05, momentum: 0.9, weightDecay: 1e-5, warmupEpochs: 0, milestones: [1000], gamma: 0.1 },
    train: { epochs: 10, batchSize: 8, checkpointEverySteps: 25, numberedEveryEpochs: 5, logEverySteps: 5 },
  },
};

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep merge: objects merge key by key, everything else is replaced. */
export function merge(base: ConfigInput, over: ConfigInput): ConfigInput {
  const out: ConfigInput = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObject(b) && isObject(v) ? merge(b as ConfigInput, v as ConfigInput) : v;
  }
  return out;
}

/** `a.b.c=value` → `{ a: { b: { c: value } } }`; the value is parsed as YAML (numbers, lists, ...). */
export function parseOverride(s: string): ConfigInput {
  const eq = s.indexOf('=');
  if (eq <= 0) throw new Error(`--set expects key=value (e.g. optim.lr=0.1), got '${s}'`);
  const path = s.slice(0, eq).split('.');
  const value = parseYaml(s.slice(eq + 1)) as Json;
  let out: Json = value;
  for (const k of [...path].reverse()) out = { [k]: out };
  return out as ConfigInput;
}

export function readConfigFile(path: string): ConfigInput {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read config file ${path}: ${(e as Error).message}`);
  }
  const v = parseYaml(text) as unknown;
  if (!isObject(v)) throw new Error(`config file ${path} must hold a mapping (YAML or JSON object)`);
  return v as ConfigInput;
}

/** Validates a merged configuration against a schema; errors list every bad field with its value and what is allowed. */
export function validateConfig<S extends z.ZodType>(schema: S, input: ConfigInput): z.infer<S> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const path = i.path.join('.');
    let value: unknown = input;
    for (const k of i.path) value = isObject(value) ? value[String(k)] : undefined;
    return `  ${path || '(top level)'}: ${i.message}${value !== undefined ? ` (got ${JSON.stringify(value)})` : ''}`;
  });
  throw new Error(`invalid configuration:\n${lines.join('\n')}`);
}

export function resolveConfig(input: ConfigInput): PretrainConfig {
  return validateConfig(PretrainConfigSchema, input);
}

export function buildConfig(o: { method?: 'gdt' | 'stica'; preset?: string; file?: string; overrides?: ConfigInput[] }): PretrainConfig {
  let cfg: ConfigInput = { method: o.method ?? 'gdt' };
  const presets = o.method === 'stica' ? STICA_PRESETS : PRESETS;
  if (o.preset) {
    const p = presets[o.preset];
    if (!p) throw new Error(`unknown preset '${o.preset}'; choose one of ${Object.keys(presets).join(', ')}`);
    cfg = merge(cfg, p);
  }
  if (o.file) cfg = merge(cfg, readConfigFile(o.file));
  for (const ov of o.overrides ?? []) cfg = merge(cfg, ov);
  return resolveConfig(cfg);
}
