// GDT pretraining (SPEC 6, 8.1): the audio-visual model, the hypothesis's forward passes over the
// four clips of each sample, and the NCE objective over the hypothesis's terms.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { GDT } from '../models/gdt.js';
import { gdtLoss, getHypothesis, splitGdtBatch, type FeatureKey } from '../ssl/index.js';
import type { Batch } from '../data/loader.js';
import type { GdtSampleOptions } from '../data/gdt-dataset.js';
import type { PretrainConfig } from './config.js';
import type { TrainMethod, StepOutput } from './trainer.js';

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
  };
}

export function createGdtMethod(cfg: PretrainConfig): TrainMethod {
  const hypothesis = getHypothesis(cfg.objective.hypothesis);
  const model = new GDT({ videoDepth: cfg.model.videoDepth, audioDepth: cfg.model.audioDepth, width: cfg.model.width, useMlp: cfg.model.useMlp });
  const generator = cfg.objective.numNegatives ? new torch.Generator({ seed: cfg.train.seed }) : undefined;
  const module = new URL(import.meta.url.endsWith('.ts') ? '../data/gdt-dataset.ts' : '../data/gdt-dataset.js', import.meta.url).href;
  return {
    model,
    dataset: { module, exportName: 'createGdtPretrainDataset', options: gdtDatasetOptions(cfg) },
    clipsPerSample: 2,
    step(batch: Batch): StepOutput {
      const parts = splitGdtBatch(batch.tensors.video!, batch.tensors.spec!);
      const features: Partial<Record<FeatureKey, Tensor>> = {};
      // Only the passes this hypothesis reads, in the reference's order (BN statistics follow it).
      for (const [v, a] of hypothesis.forwardPasses) {
        const [fv, fa] = model.forward(parts[v]!, parts[a]!);
        features[v] = fv;
        features[a] = fa;
      }
      const r = gdtLoss({
        hypothesis: hypothesis.id,
        mode: cfg.objective.mode,
        temperature: cfg.objective.temperature,
        features,
        numNegatives: cfg.objective.numNegatives,
        generator,
      });
      return { loss: r.loss, metrics: Object.fromEntries(r.terms.map((t) => [`loss/${t.name}`, t.value])) };
    },
  };
}
