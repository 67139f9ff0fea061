// GDT pretraining (SPEC 6, 8.1): the audio-visual model, the hypothesis's forward passes over the
// four clips of each sample, and the NCE objective over the hypothesis's terms.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GDT } from '../models/gdt.js';
import { TextVidGDT } from '../models/textvid-gdt.js';
import { loadWord2Vec } from '../models/text-encoder.js';
import { featureKey, gdtLoss, getHypothesis, splitGdtBatch, type FeatureKey } from '../ssl/index.js';
import type { HowToOptions } from '../data/howto-dataset.js';
import type { Batch } from '../data/loader.js';
import type { GdtSampleOptions } from '../data/gdt-dataset.js';
import type { PretrainConfig } from './config.js';
import type { TrainMethod, StepOutput, StepContext } from './trainer.js';

export function gdtDatasetOptions(cfg: PretrainConfig): GdtSampleOptions {
  const d = cfg.data;
  return {
    root: d.root,
    format: d.format,
    fold: d.fold,
    split: d.split,
    numFrames: d.numFrames,
    targetFps: d.targetFps,
    samplingRate: d.samplingRate,
    cropSize: d.cropSize,
    scales: d.scales,
    audioSeconds: d.audioSeconds,
    specType: d.specType,
    specAugment: d.specAugment,
    zNormalize: d.zNormalize,
    volumeJitter: d.volumeJitter,
    noAudio: d.noAudio,
    manifestPath: d.manifest,
    compat: d.compat,
    cacheMB: d.cacheMB,
    decodeCache: d.decodeCache,
  };
}

export function howToDatasetOptions(cfg: PretrainConfig): HowToOptions {
  const d = cfg.data;
  const videos = existsSync(join(d.root, 'videos')) ? join(d.root, 'videos') : d.root;
  return {
    videoRoot: videos,
    captionRoot: d.captions ?? join(d.root, 'captions'),
    dictionary: d.dictionary ?? join(d.root, 'dict.npy'),
    indexCsv: d.index,
    numFrames: d.numFrames,
    fps: d.targetFps,
    size: d.cropSize,
    manifestPath: d.manifest,
  };
}

/** GDT for both variants: audio-visual (GDT) or video-text (TextVid_GDT, SPEC 3.6, 5.9, 6.5). */
export async function createGdtMethod(cfg: PretrainConfig): Promise<TrainMethod> {
  const hypothesis = getHypothesis(cfg.objective.hypothesis);
  const text = cfg.data.kind === 'video-text';
  const model = text
    ? new TextVidGDT({
        videoDepth: cfg.model.videoDepth,
        width: cfg.model.width,
        useMlp: cfg.model.useMlp,
        text: cfg.model.word2vec ? { embedding: await loadWord2Vec(cfg.model.word2vec) } : { numEmbeddings: cfg.model.vocabulary },
      })
    : new GDT({ videoDepth: cfg.model.videoDepth, audioDepth: cfg.model.audioDepth, width: cfg.model.width, useMlp: cfg.model.useMlp });
  const generator = cfg.objective.numNegatives ? new torch.Generator({ seed: cfg.train.seed }) : undefined;
  const file = text ? 'howto-dataset' : 'gdt-dataset';
  const module = new URL(import.meta.url.endsWith('.ts') ? `../data/${file}.ts` : `../data/${file}.js`, import.meta.url).href;
  const dataset = text
    ? { module, exportName: 'createHowToDataset', options: howToDatasetOptions(cfg) }
    : { module, exportName: 'createGdtPretrainDataset', options: gdtDatasetOptions(cfg) };
  return {
    model,
    dataset,
    clipsPerSample: 2,
    // ResNet-9 keeps the reference's unused `fc` (it is in the state dict and the counts).
    findUnusedParameters: true,
    step(batch: Batch, ctx: StepContext): StepOutput {
      const parts = splitGdtBatch(batch.tensors.video!, text ? batch.tensors.text! : batch.tensors.spec!, text ? 'text' : 'audio');
      const features: Partial<Record<FeatureKey, Tensor>> = {};
      // Only the passes this hypothesis reads, in the reference's order (BN statistics follow it).
      for (const [v, a] of hypothesis.forwardPasses) {
        const second = text ? featureKey(a, 'text') : a;
        const [fv, fa] = model.forward(parts[v]!, parts[second]!);
        features[v] = fv;
        features[second] = fa;
      }
      const r = gdtLoss({
        hypothesis: hypothesis.id,
        mode: cfg.objective.mode,
        temperature: cfg.objective.temperature,
        features,
        modality: text ? 'text' : 'audio',
        collective: ctx.collective,
        numNegatives: cfg.objective.numNegatives,
        generator,
      });
      return { loss: r.loss, metrics: Object.fromEntries(r.terms.map((t) => [`loss/${t.name}`, t.value])) };
    },
  };
}
