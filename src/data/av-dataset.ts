// `AVideoDataset` samples (SPEC 5.8): STiCA's two augmented views of one clip with its audio, and
// the finetuning train clips and test views (10 temporal × 3 spatial per video).
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { seededStreams } from '../transforms/streams.js';
import { clipAugment, type ClipAugmentOptions } from '../transforms/clip-augment.js';
import { getSpec } from '../transforms/spectrogram.js';
import type { Dataset, Sample, SampleContext } from './sample.js';
import { decodeForSample, loadAudioVisualList, toSampleArray, type AudioVisualOptions } from './gdt-dataset.js';

export interface AVideoOptions extends AudioVisualOptions {
  mode: 'train' | 'test';
  /** Clips drawn per video per epoch in train mode (the reference lists each video this often). */
  numTrainClips?: number;
  /** Test: temporal positions per video (10) and spatial crops per position (3). */
  numEnsembleViews?: number;
  numSpatialCrops?: number;
  /** Two augmented views of the same decoded clip (STiCA). */
  multiCrop?: boolean;
  decodeAudio?: boolean;
  augment?: Omit<ClipAugmentOptions, 'spatialIdx' | 'compat'>;
  /**
   * Test views: 'clean' (default) crops deterministically (fixed short side, no colour jitter);
   * 'reference' keeps the reference's random short side and colour jitter at test time (13.29).
   */
  testViews?: 'clean' | 'reference';
}

export async function createAVideoDataset(o: AVideoOptions): Promise<Dataset> {
  const { videos } = await loadAudioVisualList({ ...o, noAudio: o.decodeAudio ? o.noAudio : 'silence' });
  const test = o.mode === 'test';
  const views = o.numEnsembleViews ?? 10;
  const crops = o.numSpatialCrops ?? 3;
  const repeat = test ? views * crops : (o.numTrainClips ?? 1);
  const cropSize = o.cropSize ?? 112;
  const numSec = o.audioSeconds ?? ((o.numFrames ?? 30) * (o.samplingRate ?? 1)) / (o.targetFps ?? 30);
  return {
    length: videos.length * repeat,
    describe: (i) => videos[Math.floor(i / repeat)]?.path ?? `#${i}`,
    async get(index: number, ctx: SampleContext): Promise<Sample> {
      const vi = Math.floor(index / repeat);
      const copy = index % repeat;
      const v = videos[vi]!;
      const rng = seededStreams(ctx.seed);
      const temporal = test ? Math.floor(copy / crops) : rng.python.randint(0, 999);
      const spatialIdx = test ? ((copy % crops) as 0 | 1 | 2) : -1;
      const { frames, wav } = await decodeForSample(v, { ...o, noAudio: 'silence' }, { kind: 'uniform', index: temporal, count: test ? views : 1000 });
      try {
        return torch.tidy(() => {
          const clean = test && (o.testViews ?? 'clean') === 'clean';
          const aug: ClipAugmentOptions = {
            ...o.augment,
            cropSize,
            spatialIdx,
            compat: o.compat,
            ...(clean ? { scales: [cropSize, cropSize] as const, colorJitter: false, grayscale: false, gaussianBlur: false, randomResizedCrop: false } : {}),
          };
          const out: Sample = { label: v.label, index, video: vi };
          const n = o.multiCrop ? 2 : 1;
          for (let k = 0; k < n; k++) out[n === 1 ? 'view' : `view${k}`] = toSampleArray(clipAugment(frames, rng, aug));
          if (o.decodeAudio) {
            out.audio = toSampleArray(getSpec(wav, 0, rng, { numSec, sampleRate: o.sampleRate, specType: o.specType ?? 2, volumeJitter: true, zNormalize: false, compat: o.compat }));
          }
          return out;
        });
      } finally {
        frames.dispose();
        wav.dispose();
      }
    },
  };
}
