// The networks an evaluation runs: eval_video.py's finetuning wrappers (SPEC 3.9) around the
// pretrained video encoder, with eval_video.py's weight loading (SPEC 4.3), their frozen-feature
// forms for the linear / kNN / retrieval evaluations, and the audio encoder for audio features.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { nn } from '../index.js';
import { VideoResNet } from '../models/r2plus1d.js';
import { AudioResNet } from '../models/audio-resnet.js';
import { sticaDuration, sticaVideoPooling } from '../models/stica.js';
import { FinetuneModel, FinetuneModelAgg } from '../models/finetune.js';
import { loadPretrained, type PretrainedLoadReport } from '../models/load.js';
import { inferAudioDepth, inferAudioWidth, inferPoolingLayers, inferVideoDepth, inferVideoWidth, type EvalWeights } from './weights.js';
import type { EvalModelConfig } from './config.js';

export type EvalVideoModel = FinetuneModel | FinetuneModelAgg;

export interface ResolvedModel {
  kind: EvalModelConfig['kind'];
  width: number;
  videoDepth: 18 | 34;
  /** STiCA: seconds giving the pooling's sequence length (eval_video.py: int(clip_len / 30) above 32 frames, else 2). */
  numSec?: number;
  /** STiCA: transformer layers of the pooling — the weights' when they have any, else the configuration's. */
  numLayers?: number;
}

/**
 * Width and depth: the configuration's when set, else what the checkpoint's tensors show (the
 * truth: a document's model block can describe another network), else the checkpoint document's,
 * else `model.defaultWidth` / R(2+1)D-18.
 */
export function resolveModel(cfg: EvalModelConfig, weights: EvalWeights, numFrames: number): ResolvedModel {
  const fromDoc = weights.pretrain?.model;
  const width = cfg.width ?? inferVideoWidth(weights.tensors) ?? fromDoc?.width ?? cfg.defaultWidth;
  const docDepth = fromDoc?.videoDepth === 34 ? 34 : fromDoc?.videoDepth === 18 ? 18 : undefined;
  const videoDepth = cfg.videoDepth ?? inferVideoDepth(weights.tensors) ?? docDepth ?? 18;
  const numSec = cfg.kind === 'stica' ? (numFrames > 32 ? Math.max(1, Math.floor(numFrames / 30)) : 2) : undefined;
  // A checkpoint's pooling depth wins over the preset's: a layer the weights lack would stay random.
  const numLayers = cfg.kind === 'stica' ? (inferPoolingLayers(weights.tensors) ?? cfg.numLayers) : undefined;
  return { kind: cfg.kind, width, videoDepth, numSec, numLayers };
}

/** Finetune_Model (gdt, textvid) or Finetune_Model_Agg with STiCA's 2-layer pooling (stica). */
export function buildVideoModel(m: ResolvedModel, cfg: EvalModelConfig, numClasses: number): EvalVideoModel {
  if (m.kind === 'stica') {
    const base = new VideoResNet({ depth: m.videoDepth, width: m.width, prePool: true });
    const pooling = sticaVideoPooling({ featureDim: base.outChannels, duration: sticaDuration(m.numSec ?? 2), transformerTimeDim: cfg.transformerTimeDim, numLayers: m.numLayers ?? cfg.numLayers });
    return new FinetuneModelAgg(base, pooling, { numClasses });
  }
  return new FinetuneModel(new VideoResNet({ depth: m.videoDepth, width: m.width }), { numClasses });
}

/**
 * eval_video.py's loading: `module.` removed, `video_network.base.X -> base.X`,
 * `video_pooling.Y -> pooling_arch.Y`, copied when the name and shape match. Fails when weights
 * were given but not one backbone tensor fits (a wrong --model or width).
 */
export function loadVideoWeights(model: EvalVideoModel, weights: EvalWeights): PretrainedLoadReport | undefined {
  if (weights.format === 'none') return undefined;
  const report = loadPretrained(model, weights.tensors, { finetune: true });
  // Weights, not the shape-less BatchNorm counters that fit any width.
  if (!report.loaded.some((k) => k.startsWith('base.') && k.endsWith('.weight'))) {
    const sample = report.skipped.slice(0, 3).map((s) => `${s.key} (${s.reason})`).join(', ');
    throw new Error(`none of the ${weights.tensors.size} tensors of ${weights.source} fits the video encoder (e.g. ${sample}); check --model and the width`);
  }
  return report;
}

export type PoolOp = 'avg' | 'max2';

/**
 * Frozen features of clips (B, 3, T, H, W): 'avg' = the wrapper's input to its classifier (the
 * encoder's global average pool, or STiCA's transformer pooling), 'max2' = SeLaVi's
 * MaxPool3d(2, 2) over the last feature map, flattened.
 */
export function clipFeatures(model: EvalVideoModel, x: Tensor, pool: PoolOp): Tensor {
  return torch.tidy(() => {
    if (pool === 'max2') {
      const b = model.base;
      let h = b.stem.forward(x);
      for (const l of [b.layer1, b.layer2, b.layer3, b.layer4]) h = l.forward(h);
      const [, , t, hh, ww] = h.shape as [number, number, number, number, number];
      if (t < 2 || hh < 2 || ww < 2) throw new RangeError(`the feature map (${t}x${hh}x${ww}) is too small for MaxPool3d(2); use pool 'avg' or longer/larger clips`);
      return torch.F.maxPool3d(h, 2, { stride: 2 }).flatten(1);
    }
    if (model instanceof FinetuneModelAgg) return model.poolingArch.forward(model.base.forward(x)).flatten(1);
    return model.base.forward(x).flatten(1);
  });
}

export interface ResolvedAudioModel {
  width: number;
  depth: 9 | 18;
}

export function resolveAudioModel(cfg: { width?: number; defaultWidth: number; audioDepth?: 9 | 18 }, weights: EvalWeights): ResolvedAudioModel {
  const doc = weights.pretrain?.model;
  const width = cfg.width ?? inferAudioWidth(weights.tensors) ?? doc?.width ?? cfg.defaultWidth;
  const docDepth = doc?.audioDepth === 18 ? 18 : doc?.audioDepth === 9 ? 9 : undefined;
  const depth = cfg.audioDepth ?? inferAudioDepth(weights.tensors) ?? docDepth ?? 9;
  return { width, depth };
}

/** The audio encoder with the checkpoint's `audio_network.base.*` tensors. */
export function buildAudioEncoder(m: ResolvedAudioModel, weights: EvalWeights): { encoder: AudioResNet; loaded: number; skipped: number } {
  const encoder = new AudioResNet({ depth: m.depth, width: m.width });
  if (weights.format === 'none') return { encoder, loaded: 0, skipped: 0 };
  const prefix = 'audio_network.base.';
  const sd = new Map<string, Tensor>();
  for (const [k, t] of weights.tensors) {
    const name = k.split('module.').join('');
    if (name.startsWith(prefix)) sd.set(name.slice(prefix.length), t);
  }
  const shapes = new Map<string, number[]>();
  torch.tidy(() => {
    for (const [k, t] of encoder.stateDict()) shapes.set(k, t.shape);
  });
  const fits = new Map([...sd].filter(([k, t]) => shapes.get(k)?.join() === t.shape.join()));
  if (![...fits.keys()].some((k) => k.endsWith('.weight'))) throw new Error(`${weights.source} has no audio encoder tensors that fit (audio_network.base.*): audio evaluation needs a GDT or STiCA checkpoint`);
  encoder.loadStateDict(fits, { strict: false });
  return { encoder, loaded: fits.size, skipped: sd.size - fits.size };
}

/** Audio features (B, 512·width) of spectrograms (B, 1, F, S). */
export function audioFeatures(encoder: AudioResNet, x: Tensor): Tensor {
  return torch.tidy(() => encoder.forward(x).flatten(1));
}

/** Moves a module to a device (no-op on CPU). */
export function toDevice<M extends nn.Module<never[], unknown>>(m: M, device: 'cpu' | 'cuda'): M {
  if (device === 'cuda') {
    if (!torch.cuda.isAvailable()) throw new Error("device 'cuda' requested but CUDA is not available");
    m.to('cuda');
  }
  return m;
}
