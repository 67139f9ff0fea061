// STiCA pretraining (SPEC 7, 8.2): two augmented views of one clip with the same audio, feature
// crops drawn per view, transformer (or average) pooling, crop losses and the cross-modal loss.
import { Stica } from '../models/stica.js';
import { sampleCropParams, sticaLoss, sticaPreset, sticaModelOptions, sticaFeatureMapSize } from '../ssl/stica/index.js';
import { sticaPretrainSchedule } from '../optim/index.js';
import { seededStreams } from '../transforms/streams.js';
import { hashSeed } from '../media/rng.js';
import type { Batch } from '../data/loader.js';
import type { AVideoOptions } from '../data/av-dataset.js';
import type { PretrainConfig } from './config.js';
import type { TrainMethod, StepOutput, StepContext } from './trainer.js';

export function createSticaMethod(cfg: PretrainConfig): TrainMethod {
  const s = cfg.stica ?? { preset: 'script' as const, mode: 'paper' as const, cropTemperature: 0.5, crossModalTemperature: 0.1, alpha: 0.5, warmupEpochs: 10, startWarmup: 0.01, baseLr: 0.64, cosine: false };
  const preset = sticaPreset(s.preset);
  const width = cfg.model.width !== 1 ? cfg.model.width : preset.width;
  const model = new Stica({ ...sticaModelOptions(preset, s.mode), width, videoDepth: cfg.model.videoDepth, audioDepth: cfg.model.audioDepth });
  const d = cfg.data;
  const map = sticaFeatureMapSize(d.numFrames, d.cropSize);
  const options: AVideoOptions = {
    root: d.root,
    format: d.format,
    fold: d.fold,
    split: d.split,
    mode: 'train',
    multiCrop: true,
    decodeAudio: true,
    numFrames: d.numFrames,
    targetFps: d.targetFps,
    samplingRate: d.samplingRate,
    cropSize: d.cropSize,
    audioSeconds: d.audioSeconds ?? preset.numSec,
    specType: d.specType,
    noAudio: d.noAudio,
    manifestPath: d.manifest,
    compat: d.compat,
    augment: { randomResizedCrop: true, areaScale: [0.14, 1], colorJitter: true, grayscale: true, gaussianBlur: true },
  };
  const module = new URL(import.meta.url.endsWith('.ts') ? '../data/av-dataset.ts' : '../data/av-dataset.js', import.meta.url).href;
  return {
    model,
    dataset: { module, exportName: 'createAVideoDataset', options },
    clipsPerSample: 1,
    findUnusedParameters: true,
    schedule: (sgd, itersPerEpoch) => ({
      scheduler: sticaPretrainSchedule({ optimizer: sgd, itersPerEpoch, warmupEpochs: s.warmupEpochs, startWarmup: s.startWarmup, baseLr: s.baseLr, epochs: cfg.train.epochs, cosine: s.cosine }),
      per: 'iteration',
    }),
    step(batch: Batch, ctx: StepContext): StepOutput {
      // Crop positions come from (seed, step): a resumed run draws the same ones.
      const rng = seededStreams(hashSeed(cfg.train.seed, ctx.globalStep, 'crops')).numpy;
      const audio = batch.tensors.audio!;
      const views = [batch.tensors.view0!, batch.tensors.view1!].map((v) => {
        const params = sampleCropParams(rng, { mode: s.mode, counts: preset.crops, map });
        return model.forward(v, audio, params);
      }) as [ReturnType<Stica['forward']>, ReturnType<Stica['forward']>];
      const r = sticaLoss({
        mode: s.mode,
        views,
        counts: preset.crops,
        cropTemperature: s.cropTemperature,
        crossModalTemperature: s.crossModalTemperature,
        alpha: s.alpha,
        collective: ctx.collective,
      });
      const metrics: Record<string, number> = { 'loss/av': r.avLoss, 'loss/crop': r.cropLoss };
      for (const [k, v] of Object.entries(r.perType)) if (r.counts[k as keyof typeof r.counts] > 0) metrics[`loss/crop/${k}`] = v;
      return { loss: r.loss, metrics };
    },
  };
}
