// The networks `gdt export` writes, built and loaded exactly as the evaluations build them
// (src/eval/backbone.ts): the same model resolution (width and depth from the checkpoint's
// tensors, else its document, else the given defaults) and the same weight loading.
import {
  buildAudioEncoder,
  buildVideoModel,
  loadVideoWeights,
  resolveAudioModel,
  resolveModel,
  type EvalVideoModel,
  type ResolvedAudioModel,
  type ResolvedModel,
} from '../eval/backbone.js';
import type { EvalModelConfig } from '../eval/config.js';
import type { AudioResNet } from '../models/audio-resnet.js';
import { inferPoolingLayers, type EvalWeights } from '../eval/weights.js';
export { inferPoolingLayers };

export interface VideoBuildOptions {
  kind: EvalModelConfig['kind'];
  /** Overrides what the weights show. */
  width?: number;
  videoDepth?: 18 | 34;
  /** Width when the weights give none (--weights none). Default 1. */
  defaultWidth?: number;
  /** Clip length: STiCA's pooling length depends on it (eval_video.py's num_sec). */
  frames: number;
}

/** The evaluation's video model in eval mode, with the weights loaded. */
export function videoModelFromWeights(weights: EvalWeights, o: VideoBuildOptions): { model: EvalVideoModel; resolved: ResolvedModel; poolingLayers?: number } {
  // eval_video.py's pooling: 2 layers, transformer_time_dim 8; the layer count follows the weights.
  const numLayers = o.kind === 'stica' ? (inferPoolingLayers(weights.tensors) ?? 2) : 2;
  const cfg: EvalModelConfig = { kind: o.kind, width: o.width, defaultWidth: o.defaultWidth ?? 1, videoDepth: o.videoDepth, numLayers, transformerTimeDim: 8 };
  const resolved = resolveModel(cfg, weights, o.frames);
  // One class: the classifier is never part of the exported features.
  const model = buildVideoModel(resolved, cfg, 1);
  try {
    loadVideoWeights(model, weights);
  } catch (e) {
    model.dispose();
    throw e;
  }
  model.eval();
  return { model, resolved, poolingLayers: o.kind === 'stica' ? numLayers : undefined };
}

export interface AudioBuildOptions {
  width?: number;
  audioDepth?: 9 | 18;
  defaultWidth?: number;
}

/** The evaluation's audio encoder in eval mode, with the checkpoint's `audio_network.base.*` loaded. */
export function audioEncoderFromWeights(weights: EvalWeights, o: AudioBuildOptions = {}): { encoder: AudioResNet; resolved: ResolvedAudioModel; loaded: number } {
  const resolved = resolveAudioModel({ width: o.width, defaultWidth: o.defaultWidth ?? 1, audioDepth: o.audioDepth }, weights);
  const { encoder, loaded } = buildAudioEncoder(resolved, weights);
  encoder.eval();
  return { encoder, resolved, loaded };
}
