// The two exportable feature functions, exactly as the evaluations compute them
// (src/eval/backbone.ts): `clipFeatures(model, x, 'avg')` for video (the R(2+1)D with its global
// average pool, or STiCA's transformer pooling, flattened) and `audioFeatures` for audio.
import { FinetuneModelAgg } from '../models/finetune.js';
import type { AudioResNet } from '../models/audio-resnet.js';
import type { EvalVideoModel } from '../eval/backbone.js';
import type { Dim, OnnxModel } from './onnx-proto.js';
import { exportModules, type ExportStage, type GraphExportOptions } from './export-graph.js';

export type EncoderExportOptions = Omit<GraphExportOptions, 'inputName' | 'inputShape' | 'outputName' | 'flattenOutput'> & {
  /** Default ['N', 3, 'T', 'H', 'W'] (video) / ['N', 1, 'F', 'S'] (audio): every size dynamic. */
  inputShape?: readonly Dim[];
};

export const VIDEO_INPUT = 'video';
export const AUDIO_INPUT = 'audio';
export const FEATURES_OUTPUT = 'features';

/** video (N, 3, T, H, W) -> features (N, 512·width): `clipFeatures(model, video, 'avg')`. */
export function exportVideoFeatures(model: EvalVideoModel, o: EncoderExportOptions = {}): OnnxModel {
  const shape = o.inputShape ?? ['N', 3, 'T', 'H', 'W'];
  if (shape.length !== 5 || shape[1] !== 3) throw new RangeError(`the video input is (N, 3, T, H, W), got [${shape.join(', ')}]`);
  const stages: ExportStage[] = [{ path: 'base', module: model.base }];
  if (model instanceof FinetuneModelAgg) stages.push({ path: 'pooling_arch', module: model.poolingArch });
  return exportModules(stages, { graphName: 'gdt_video_features', ...o, inputName: VIDEO_INPUT, inputShape: shape, outputName: FEATURES_OUTPUT, flattenOutput: true });
}

/** audio (N, 1, F, S) -> features (N, 512·width): `audioFeatures(encoder, audio)`. */
export function exportAudioFeatures(encoder: AudioResNet, o: EncoderExportOptions = {}): OnnxModel {
  const shape = o.inputShape ?? ['N', 1, 'F', 'S'];
  if (shape.length !== 4 || shape[1] !== 1) throw new RangeError(`the audio input is (N, 1, F, S), got [${shape.join(', ')}]`);
  return exportModules([{ path: '', module: encoder }], { graphName: 'gdt_audio_features', ...o, inputName: AUDIO_INPUT, inputShape: shape, outputName: FEATURES_OUTPUT, flattenOutput: true });
}
