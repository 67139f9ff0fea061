// `gdt export --onnx <file> --weights <ckpt|zoo|none> --part video|audio`: the encoder's features,
// as the evaluations compute them, as an ONNX graph written from our module definitions; checked
// against libtorch with onnxruntime-node when that is installed.
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import * as torch from '../../torch/index.js';
import { loadEvalWeights, type EvalWeights } from '../../eval/weights.js';
import { audioFeatures, clipFeatures } from '../../eval/backbone.js';
import { MODEL_KINDS, type ModelKind } from '../../eval/config.js';
import { SPEC_TYPE_FILTERS } from '../../transforms/spectrogram.js';
import { formatBytes } from '../../zoo/progress.js';
import { audioEncoderFromWeights, videoModelFromWeights } from '../../export/from-weights.js';
import { exportAudioFeatures, exportVideoFeatures, FEATURES_OUTPUT, AUDIO_INPUT, VIDEO_INPUT } from '../../export/encoders.js';
import { writeOnnxFile } from '../../export/write-onnx.js';
import { loadOnnxRuntime, relativeError, runOnnx } from '../../export/runtime-check.js';
import type { Dim, OnnxModel } from '../../export/onnx-proto.js';
import type { Tensor } from '../../torch/index.js';
import { intOption } from '../options.js';
import { packageVersion } from '../version.js';

interface ExportFlags {
  onnx: string;
  weights: string;
  part: string;
  model: string;
  width?: string;
  depth?: string;
  frames?: string;
  size?: string;
  spec?: string;
  staticShape?: boolean;
  foldBn: boolean;
  check: boolean;
  batch: string;
  seed: string;
}

/** The check's tolerance: max|onnx − libtorch| / max|libtorch|. */
const CHECK_TOLERANCE = 1e-4;
const PARTS = ['video', 'audio'] as const;

const fmtShape = (s: readonly Dim[]): string => `[${s.map((d) => (d === null ? '?' : String(d))).join(', ')}]`;

function positive(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0 || v.trim() === '') throw new Error(`${name} must be a positive number, got '${v}'`);
  return n;
}

interface Prepared {
  onnx: OnnxModel;
  /** The check's input shape (batch first). */
  example: number[];
  /** libtorch's features of an input. */
  features(x: Tensor): Tensor;
  describe: string;
  note?: string;
  dispose(): void;
}

function prepareVideo(o: ExportFlags, weights: EvalWeights, common: { foldBatchNorm: boolean; producerVersion: string; metadata: Record<string, string> }): Prepared {
  if (!(MODEL_KINDS as readonly string[]).includes(o.model)) throw new Error(`--model must be one of ${MODEL_KINDS.join(', ')}, got '${o.model}'`);
  const kind = o.model as ModelKind;
  const depth = o.depth === undefined ? undefined : Number(o.depth);
  if (depth !== undefined && depth !== 18 && depth !== 34) throw new Error(`--depth for the video encoder must be 18 or 34, got '${o.depth}'`);
  const doc = weights.pretrain?.data;
  const frames = o.frames !== undefined ? intOption('--frames', o.frames, 1) : (doc?.numFrames ?? 16);
  const size = o.size !== undefined ? intOption('--size', o.size, 8) : (doc?.cropSize ?? 112);
  const { model, resolved, poolingLayers } = videoModelFromWeights(weights, { kind, width: o.width === undefined ? undefined : positive('--width', o.width), videoDepth: depth, frames });
  // STiCA's pooling averages to 8 time steps and regroups them: it needs the clip's exact size.
  const fixed = o.staticShape || kind === 'stica';
  const inputShape: Dim[] = fixed ? ['N', 3, frames, size, size] : ['N', 3, 'T', 'H', 'W'];
  const what = `${kind} R(2+1)D-${resolved.videoDepth} width ${resolved.width}${poolingLayers ? ` + ${poolingLayers}-layer transformer pooling` : ''}`;
  try {
    const onnx = exportVideoFeatures(model, { ...common, inputShape, metadata: { ...common.metadata, model: what, feature: "clipFeatures(model, video, 'avg')" } });
    return {
      onnx,
      example: [0, 3, frames, size, size],
      features: (x) => clipFeatures(model, x, 'avg'),
      describe: what,
      note: kind === 'stica' && !o.staticShape ? 'static T/H/W: STiCA pooling regroups the time steps of this clip size' : undefined,
      dispose: () => model.dispose(),
    };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

function prepareAudio(o: ExportFlags, weights: EvalWeights, common: { foldBatchNorm: boolean; producerVersion: string; metadata: Record<string, string> }): Prepared {
  const depth = o.depth === undefined ? undefined : Number(o.depth);
  if (depth !== undefined && depth !== 9 && depth !== 18) throw new Error(`--depth for the audio encoder must be 9 or 18, got '${o.depth}'`);
  const doc = weights.pretrain?.data;
  let f = SPEC_TYPE_FILTERS[doc?.specType === 2 ? 2 : 1];
  let s = 100 * (doc?.audioSeconds ?? 1) - 1;
  if (o.spec !== undefined) {
    const m = /^(\d+)x(\d+)$/.exec(o.spec.trim());
    if (!m || Number(m[1]) < 1 || Number(m[2]) < 1) throw new Error(`--spec must be <filters>x<frames>, e.g. 40x99, got '${o.spec}'`);
    f = Number(m[1]);
    s = Number(m[2]);
  }
  const { encoder, resolved } = audioEncoderFromWeights(weights, { width: o.width === undefined ? undefined : positive('--width', o.width), audioDepth: depth });
  const inputShape: Dim[] = o.staticShape ? ['N', 1, f, s] : ['N', 1, 'F', 'S'];
  const what = `audio ResNet-${resolved.depth} width ${resolved.width}`;
  try {
    const onnx = exportAudioFeatures(encoder, { ...common, inputShape, metadata: { ...common.metadata, model: what, feature: 'audioFeatures(encoder, audio)' } });
    return { onnx, example: [0, 1, f, s], features: (x) => audioFeatures(encoder, x), describe: what, dispose: () => encoder.dispose() };
  } catch (e) {
    encoder.dispose();
    throw e;
  }
}

async function runExport(o: ExportFlags): Promise<void> {
  if (!(PARTS as readonly string[]).includes(o.part)) throw new Error(`--part must be video or audio, got '${o.part}'`);
  const batch = intOption('--batch', o.batch, 1);
  const seed = intOption('--seed', o.seed, 0);
  const out = resolve(o.onnx);
  const weights = await loadEvalWeights(o.weights);
  let prepared: Prepared;
  try {
    const common = {
      foldBatchNorm: o.foldBn,
      producerVersion: packageVersion(),
      metadata: { part: o.part, weights: weights.zooName ?? weights.path ?? weights.source, ...(weights.sha256 ? { weights_sha256: weights.sha256 } : {}) },
    };
    prepared = torch.tidy(() => (o.part === 'video' ? prepareVideo(o, weights, common) : prepareAudio(o, weights, common)));
  } finally {
    weights.dispose();
  }
  try {
    mkdirSync(dirname(out), { recursive: true });
    const bytes = await writeOnnxFile(out, prepared.onnx);
    const g = prepared.onnx.graph;
    const input = g.inputs[0]!;
    const output = g.outputs[0]!;
    const example = [batch, ...prepared.example.slice(1)];
    console.log(`wrote ${out} (${formatBytes(bytes)}, ${bytes} bytes)`);
    console.log(`  part      ${o.part}: ${prepared.describe}`);
    console.log(`  input     ${input.name} ${fmtShape(input.shape)} float32${prepared.note ? ` (${prepared.note})` : ''}`);
    console.log(`  output    ${output.name} ${fmtShape(output.shape)} float32`);
    console.log(`  opset     ${prepared.onnx.opsetVersion} (IR version ${prepared.onnx.irVersion}), ${g.nodes.length} nodes, ${g.initializers.length} initializers`);
    if (!o.check) return;
    const rt = await loadOnnxRuntime();
    if ('missing' in rt) {
      console.log(`  check     skipped: ${rt.missing} (npm install onnxruntime-node to compare with libtorch)`);
      return;
    }
    torch.manualSeed(seed);
    const x = torch.randn(example);
    try {
      const want = torch.noGrad(() => prepared.features(x));
      const wantData = want.toTypedArray() as Float32Array;
      const wantShape = want.shape;
      want.dispose();
      const got = await runOnnx(rt.ort, out, input.name, x, output.name, torch.getNumThreads());
      if (got.dims.join() !== wantShape.join()) throw new Error(`check failed: onnxruntime gives shape [${got.dims.join(', ')}], libtorch [${wantShape.join(', ')}]`);
      const err = relativeError(got.data, wantData);
      const line = `onnxruntime-node ${rt.ort.version} vs libtorch on ${fmtShape(example)}: output [${got.dims.join(', ')}], max abs error ${err.maxAbs.toExponential(2)}, max rel error ${err.maxRel.toExponential(2)}`;
      if (!(err.maxRel <= CHECK_TOLERANCE)) throw new Error(`check failed: ${line} (tolerance ${CHECK_TOLERANCE})`);
      console.log(`  check     ok: ${line}`);
    } finally {
      x.dispose();
    }
  } finally {
    prepared.dispose();
  }
}

export function register(program: Command): void {
  program
    .command('export')
    .description("export an encoder's features (as gdt eval computes them) to ONNX, checked against libtorch with onnxruntime-node when installed")
    .requiredOption('--onnx <file>', 'output .onnx file (written atomically)')
    .requiredOption('--weights <ckpt>', "gdt checkpoint (.safetensors from gdt pretrain), reference .pth, zoo name, or 'none' (random weights)")
    .option('--part <part>', 'video (R(2+1)D, pooled clip features) | audio (audio ResNet, pooled spectrogram features)', 'video')
    .option('--model <kind>', `${MODEL_KINDS.join(' | ')}: the checkpoint's method (stica adds its transformer pooling)`, 'gdt')
    .option('--width <w>', 'channel multiplier (default: from the weights, else 1)')
    .option('--depth <n>', 'encoder depth, video 18 | 34, audio 9 | 18 (default: from the weights)')
    .option('--frames <n>', "video: the example clip's frames (default: the checkpoint's data.numFrames, else 16)")
    .option('--size <px>', "video: the example clip's crop size (default: the checkpoint's data.cropSize, else 112)")
    .option('--spec <FxS>', "audio: the example spectrogram's filters x frames (default: from the checkpoint's data, else 40x99)")
    .option('--static-shape', 'fix every input dimension but the batch to the example shape (default: dynamic T/H/W or F/S)')
    .option('--no-fold-bn', 'keep BatchNormalization nodes instead of folding them into the convolutions')
    .option('--no-check', 'do not run the exported graph with onnxruntime-node')
    .option('--batch <n>', "the check's batch size", '2')
    .option('--seed <n>', "seed of the check's random input", '0')
    .action(async (o: ExportFlags) => {
      await runExport(o);
    });
}
