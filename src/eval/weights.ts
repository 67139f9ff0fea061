// The weights an evaluation starts from: a gdt training checkpoint (safetensors with tensors
// `model/<key>` and a JSON document, src/io/checkpoint), a plain safetensors state dict, a
// reference .pth (main_gdt / main_stica / eval_video layouts) or a zoo name; or none at all.
import { resolve } from 'node:path';
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { CHECKPOINT_FORMAT, section } from '../io/checkpoint.js';
import { loadSafetensors } from '../io/tensors.js';
import { checkpointWeights } from '../models/load.js';
import { readWeightsFile, resolveWeightsInfo } from '../zoo/resolve.js';
import { sha256File } from '../zoo/checksum.js';
import { sniffCheckpoint } from '../io/sniff.js';

export type WeightsFormat = 'gdt-checkpoint' | 'safetensors' | 'torch' | 'none';

/** What a gdt pretraining checkpoint's document says about the model and its data. */
export interface PretrainSummary {
  method?: string;
  model?: { width?: number; videoDepth?: number; audioDepth?: number; useMlp?: boolean };
  data?: { numFrames?: number; targetFps?: number; cropSize?: number; audioSeconds?: number; specType?: number; zNormalize?: boolean };
  position?: { epoch?: number; step?: number; globalStep?: number };
}

export interface EvalWeights {
  /** What the user gave (path, zoo name or 'none'). */
  source: string;
  path?: string;
  sha256?: string;
  format: WeightsFormat;
  zooName?: string;
  /** The model's state dict (pretraining-model or finetuning-model key names). */
  tensors: Map<string, Tensor>;
  /** From a gdt checkpoint's document. */
  pretrain?: PretrainSummary;
  /** The reference checkpoint's `epoch` entry. */
  epoch?: number;
  dispose(): void;
}

function summarize(document: unknown): PretrainSummary {
  const d = (document ?? {}) as { method?: unknown; config?: { model?: unknown; data?: unknown }; position?: unknown };
  return {
    method: typeof d.method === 'string' ? d.method : undefined,
    model: d.config?.model as PretrainSummary['model'],
    data: d.config?.data as PretrainSummary['data'],
    position: d.position as PretrainSummary['position'],
  };
}

/** Loads weights for evaluation; the caller disposes them once the model has its copy. */
export async function loadEvalWeights(source: string): Promise<EvalWeights> {
  if (/^(none|random)$/i.test(source)) {
    return { source, format: 'none', tensors: new Map(), dispose: () => undefined };
  }
  const info = await resolveWeightsInfo(source);
  const path = resolve(info.path);
  const sha256 = info.sha256 ?? (await sha256File(path));
  const base = { source, path, sha256, zooName: info.entry?.name };
  const kind = await sniffCheckpoint(path);
  if (kind === 'safetensors') {
    const { tensors, metadata } = await loadSafetensors(path);
    if (metadata?.format === CHECKPOINT_FORMAT) {
      let document: unknown;
      try {
        document = JSON.parse(metadata.document ?? '{}');
      } catch {
        document = {};
      }
      const model = section(tensors, 'model');
      for (const [k, t] of tensors) if (!k.startsWith('model/')) t.dispose();
      if (!model.size) throw new Error(`${path} is a gdt checkpoint without model tensors ('model/<key>')`);
      const pretrain = summarize(document);
      return { ...base, format: 'gdt-checkpoint', tensors: model, pretrain, epoch: pretrain.position?.epoch, dispose: () => torch.disposeAll(model) };
    }
    return { ...base, format: 'safetensors', tensors, dispose: () => torch.disposeAll(tensors) };
  }
  const loaded = await readWeightsFile(path);
  const { weights, epoch } = checkpointWeights(loaded);
  const tensors = new Map(weights);
  // Everything else in the file (optimizer state...) is freed now.
  const keepSet = new Set(tensors.values());
  const all: Tensor[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (depth > 8) return;
    if (v instanceof torch.Tensor) all.push(v);
    else if (v instanceof Map) for (const x of v.values()) walk(x, depth + 1);
    else if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
  };
  walk(loaded, 0);
  for (const t of all) if (!keepSet.has(t)) t.dispose();
  return { ...base, format: 'torch', tensors, epoch, dispose: () => torch.disposeAll(tensors) };
}

const clean = (k: string): string => k.split('module.').join('');

/** Channel multiplier of the video encoder from its last stage (512·width channels). */
export function inferVideoWidth(tensors: ReadonlyMap<string, Tensor>): number | undefined {
  for (const [k, t] of tensors) {
    if (/^(video_network\.base|base)\.layer4\.0\.conv2\.1\.weight$/.test(clean(k))) return t.shape[0]! / 512;
  }
  return undefined;
}

/** STiCA transformer-pooling layers in the weights (`video_pooling.2.transformer.<n>.` or `pooling_arch...`), undefined when none. */
export function inferPoolingLayers(tensors: ReadonlyMap<string, unknown>): number | undefined {
  let max = -1;
  for (const k of tensors.keys()) {
    const m = /^(?:video_pooling|pooling_arch)\.(?:\d+\.)?transformer\.(\d+)\./.exec(clean(k));
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max >= 0 ? max + 1 : undefined;
}

/** R(2+1)D depth: 34 has a sixth block in layer3. */
export function inferVideoDepth(tensors: ReadonlyMap<string, Tensor>): 18 | 34 | undefined {
  const keys = [...tensors.keys()].map(clean);
  if (!keys.some((k) => /^(video_network\.base|base)\.stem\.0\.weight$/.test(k))) return undefined;
  return keys.some((k) => /^(video_network\.base|base)\.layer3\.5\./.test(k)) ? 34 : 18;
}

/** Channel multiplier of the audio encoder from its last stage (512·width channels). */
export function inferAudioWidth(tensors: ReadonlyMap<string, Tensor>): number | undefined {
  for (const [k, t] of tensors) if (clean(k) === 'audio_network.base.layer4.0.bn2.weight') return t.shape[0]! / 512;
  return undefined;
}

/** Audio ResNet depth: 18 has a second block per stage. */
export function inferAudioDepth(tensors: ReadonlyMap<string, Tensor>): 9 | 18 | undefined {
  const keys = [...tensors.keys()].map(clean);
  if (!keys.some((k) => k.startsWith('audio_network.base.'))) return undefined;
  return keys.some((k) => k.startsWith('audio_network.base.layer1.1.')) ? 18 : 9;
}
