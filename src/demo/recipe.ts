// The demo's recipe: the synthetic dataset it generates, the tiny GDT pretraining and the
// evaluations, sized so that the whole job runs in minutes on 2 CPU cores. One place for the
// numbers, so the report can show them and `--fast` can shrink them.
import type { ConfigInput } from '../train/config.js';
import type { SyntheticDatasetOptions } from '../media/synth.js';

export interface DemoRecipe {
  name: 'full' | 'fast';
  data: SyntheticDatasetOptions;
  /** GDT hypothesis (6: variant to time reversal and to time shift, the paper's best). */
  hypothesis: number;
  /** Overrides of `gdt pretrain gdt --preset tiny`. */
  pretrain: ConfigInput;
  /** Overrides of the `tiny` eval presets, shared by linear / knn / retrieval (one feature extraction per model). */
  features: ConfigInput;
  /** Overrides of the `tiny` finetune preset. */
  finetune: ConfigInput;
}

/** Clip geometry shared by pretraining and every evaluation (the encoder sees the same kind of clip). */
const clip = { numFrames: 8, targetFps: 8, cropSize: 32 };

export function demoRecipe(fast: boolean, seed: number): DemoRecipe {
  const data: SyntheticDatasetOptions = fast
    ? { classes: 4, videosPerClass: 8, seconds: 2, width: 64, height: 64, seed, timbre: 'class', objectScale: 2.5 }
    : { classes: 10, videosPerClass: 24, seconds: 2, width: 64, height: 64, seed, timbre: 'class', objectScale: 2.5 };
  return {
    name: fast ? 'fast' : 'full',
    data,
    hypothesis: 6,
    pretrain: {
      // The whole dataset fits in memory: each video is decoded once per worker, not once per clip.
      data: { ...{ numFrames: clip.numFrames, targetFps: clip.targetFps, cropSize: clip.cropSize }, scales: [clip.cropSize, clip.cropSize + 8], cacheMB: 512 },
      optim: { lr: 0.1 },
      train: { epochs: 1000, maxSteps: fast ? 4 : 400, batchSize: fast ? 8 : 16, seed, checkpointEverySteps: fast ? 0 : 50, logEverySteps: 5 },
    },
    features: {
      data: clip,
      features: { trainClips: fast ? 2 : 4, testClips: fast ? 2 : 4, testCrops: 1, seed },
    },
    finetune: {
      data: clip,
      train: { epochs: fast ? 1 : 3, clipsPerVideo: fast ? 1 : 2, evalFromEpoch: 1, seed },
      // A short finetune has to move: LRs well above the tiny preset's (which suit long schedules).
      optim: { classifierLr: 0.02, backboneLr: 0.02, warmupEpochs: 0, milestones: [100] },
      test: { clips: fast ? 2 : 4, crops: 1 },
    },
  };
}
