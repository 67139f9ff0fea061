// ONNX export of gdt's encoders, written from the module definitions (docs/export.md).
export { exportVideoFeatures, exportAudioFeatures, VIDEO_INPUT, AUDIO_INPUT, FEATURES_OUTPUT, type EncoderExportOptions } from './encoders.js';
export { exportModules, defaultEmitters, type ExportStage, type GraphExportOptions } from './export-graph.js';
export { EmitContext, EmitterRegistry, UnsupportedModuleError, subPath, type ModuleEmitter } from './emit-context.js';
export { GraphBuilder, attr, type Value } from './graph-builder.js';
export { foldBatchNorm } from './fold-batchnorm.js';
export { writeOnnxFile } from './write-onnx.js';
export { videoModelFromWeights, audioEncoderFromWeights, inferPoolingLayers, type VideoBuildOptions, type AudioBuildOptions } from './from-weights.js';
export { loadOnnxRuntime, relativeError, runOnnx, type OnnxRuntime } from './runtime-check.js';
export {
  encodeModel,
  serializeModel,
  ONNX_IR_VERSION,
  ONNX_OPSET,
  type Dim,
  type OnnxAttribute,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from './onnx-proto.js';
