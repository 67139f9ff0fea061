// Everything that determines an embedding, fully resolved (no "default from the checkpoint" left),
// so that it can be recorded next to the index and replayed exactly by `gdt search`: the clip
// placement, the views, the networks and the aggregation. Its hash keys the resumable shards.
import { createHash } from 'node:crypto';
import { inferPoolingLayers, type EvalWeights } from '../eval/weights.js';
import { resolveAudioModel, resolveModel, type ResolvedAudioModel, type ResolvedModel } from '../eval/backbone.js';
import type { ModelKind } from '../eval/config.js';
import { scaleChannels } from '../models/r2plus1d.js';

export const MODALITIES = ['video', 'audio', 'both'] as const;
export type Modality = (typeof MODALITIES)[number];
export const LEVELS = ['clip', 'video'] as const;
export type EmbedLevel = (typeof LEVELS)[number];

/** The `tiny` evaluation preset's clip (src/eval/config.ts): used when the weights record none. */
export const TINY_CLIP = { numFrames: 8, targetFps: 6, cropSize: 64 } as const;
export const AUDIO_SAMPLE_RATE = 24000;

export interface EmbedSettings {
  modality: Modality;
  level: EmbedLevel;
  /** Uniformly spaced clips per video (clip k of n starts at int(delta k / n) source frames). */
  clips: number;
  /** Clip placement (also for audio: a clip's audio starts where its frames start). */
  numFrames: number;
  targetFps: number;
  samplingRate: number;
  /** L2-normalise (each modality's clip embeddings; video level: again after averaging). */
  normalize: boolean;
  video?: {
    cropSize: number;
    model: ResolvedModel;
    /** STiCA pooling (buildVideoModel's EvalModelConfig fields). */
    numLayers: number;
    transformerTimeDim: number;
  };
  audio?: {
    seconds: number;
    sampleRate: number;
    specType: 1 | 2;
    zNormalize: boolean;
    model: ResolvedAudioModel;
  };
}

export interface EmbedSettingsInput {
  modality?: Modality;
  level?: EmbedLevel;
  clips?: number;
  numFrames?: number;
  targetFps?: number;
  samplingRate?: number;
  cropSize?: number;
  audioSeconds?: number;
  model?: ModelKind;
  /** Channel multiplier when the weights do not show one (e.g. --weights none); default 0.25 (tiny). */
  defaultWidth?: number;
  normalize?: boolean;
}

function positiveInt(v: number, name: string): number {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
  return v;
}

/**
 * Settings from the user's choices, then the pretraining checkpoint's config (a `gdt pretrain`
 * document), then the `tiny` evaluation preset. Widths and depths come from the weights' tensors.
 */
export function resolveSettings(input: EmbedSettingsInput, weights: EvalWeights): EmbedSettings {
  const data = weights.pretrain?.data;
  const modality = input.modality ?? 'video';
  if (!(MODALITIES as readonly string[]).includes(modality)) throw new RangeError(`modality must be one of ${MODALITIES.join(', ')}, got '${modality}'`);
  const level = input.level ?? 'video';
  if (!(LEVELS as readonly string[]).includes(level)) throw new RangeError(`level must be one of ${LEVELS.join(', ')}, got '${level}'`);
  const numFrames = positiveInt(input.numFrames ?? data?.numFrames ?? TINY_CLIP.numFrames, 'frames');
  const targetFps = input.targetFps ?? data?.targetFps ?? TINY_CLIP.targetFps;
  if (!(targetFps > 0)) throw new RangeError(`fps must be positive, got ${targetFps}`);
  const s: EmbedSettings = {
    modality,
    level,
    clips: positiveInt(input.clips ?? 4, 'clips'),
    numFrames,
    targetFps,
    samplingRate: positiveInt(input.samplingRate ?? 1, 'sampling rate'),
    normalize: input.normalize ?? true,
  };
  const defaultWidth = input.defaultWidth ?? 0.25;
  if (modality !== 'audio') {
    const kind = input.model ?? 'gdt';
    // STiCA's depth of pooling comes from the weights (a wrong guess would leave layers random).
    const numLayers = kind === 'stica' ? (inferPoolingLayers(weights.tensors) ?? (weights.format === 'none' ? 1 : 0)) : 1;
    const cfg = { kind, defaultWidth, numLayers, transformerTimeDim: 8 };
    s.video = { cropSize: positiveInt(input.cropSize ?? data?.cropSize ?? TINY_CLIP.cropSize, 'size'), model: resolveModel(cfg, weights, numFrames), numLayers, transformerTimeDim: 8 };
  }
  if (modality !== 'video') {
    const seconds = input.audioSeconds ?? data?.audioSeconds ?? 1;
    // getSpec cuts whole samples: seconds x 24 kHz must be an integer.
    if (!(seconds > 0) || !Number.isInteger(seconds * AUDIO_SAMPLE_RATE)) throw new RangeError(`audio seconds must be positive and a whole number of samples at ${AUDIO_SAMPLE_RATE} Hz, got ${seconds}`);
    const specType = data?.specType === 2 ? 2 : 1;
    s.audio = { seconds, sampleRate: AUDIO_SAMPLE_RATE, specType, zNormalize: data?.zNormalize ?? specType === 1, model: resolveAudioModel({ defaultWidth }, weights) };
  }
  return s;
}

/** Embedding width per modality and in all (`both`: video then audio, side by side). */
export function embeddingParts(s: EmbedSettings): { modality: 'video' | 'audio'; offset: number; dim: number }[] {
  const parts: { modality: 'video' | 'audio'; offset: number; dim: number }[] = [];
  if (s.video) parts.push({ modality: 'video', offset: 0, dim: scaleChannels(512, s.video.model.width) });
  if (s.audio) parts.push({ modality: 'audio', offset: parts[0]?.dim ?? 0, dim: scaleChannels(512, s.audio.model.width) });
  return parts;
}

export function embeddingDim(s: EmbedSettings): number {
  return embeddingParts(s).reduce((n, p) => n + p.dim, 0);
}

/** Clip duration in seconds (numFrames x samplingRate / targetFps). */
export function clipSeconds(s: Pick<EmbedSettings, 'numFrames' | 'samplingRate' | 'targetFps'>): number {
  return (s.numFrames * s.samplingRate) / s.targetFps;
}

/** The shards' key: the weights' content and every setting (a changed option never mixes rows). */
export function settingsKey(s: EmbedSettings, weights: Pick<EvalWeights, 'sha256' | 'source'>): string {
  return createHash('sha256')
    .update(JSON.stringify({ v: 1, weights: weights.sha256 ?? weights.source, settings: s }))
    .digest('hex')
    .slice(0, 16);
}
