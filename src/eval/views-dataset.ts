// Clips of evaluation videos for the loader's workers (SPEC 5.8 AVideoDataset, finetuning/testing
// mode): a sample is one decoded clip of one video with one or more spatial views of it, so the
// three crops of a test position share one decode. Test clip k of n starts at int(delta k / n)
// (never at the end); training clips start at one of 1000 uniform positions drawn at random.
import * as torch from '../torch/index.js';
import { decodeClip } from '../media/decode.js';
import type { ProbeResult } from '../media/probe.js';
import { hashSeed } from '../media/rng.js';
import { seededStreams } from '../transforms/streams.js';
import { clipAugment, type ClipAugmentOptions } from '../transforms/clip-augment.js';
import type { Compat } from '../transforms/compat.js';
import type { Dataset, Sample, SampleContext } from '../data/sample.js';
import { toSampleArray } from '../data/gdt-dataset.js';
import { FrameCache, decodedBytes } from '../media/frame-cache.js';
import { DecodedStore } from '../media/decoded-store.js';

export interface EvalVideo {
  path: string;
  label: number;
  /** Probe result (frame rate, frame count, duration), so workers need not probe again. */
  info: ProbeResult;
}

export type SpatialIndex = -1 | 0 | 1 | 2;

export interface ViewsAugment {
  /** Random resized crop (area `areaScale`) + flip instead of short-side jitter + crop (spatial -1 only). */
  randomResizedCrop?: boolean;
  areaScale?: readonly [number, number];
  /** Short-side range before cropping; [crop, crop] gives deterministic views. */
  scales?: readonly [number, number];
  /** Colour jitter (0.4, 0.4, 0.4) with probability 0.8. */
  colorJitter?: boolean;
}

export interface ViewsDatasetOptions {
  videos: readonly EvalVideo[];
  numFrames: number;
  targetFps: number;
  samplingRate: number;
  cropSize: number;
  /** 'random': training clips (random start); 'uniform': clip k of `clips` uniformly spaced starts. */
  temporal: 'random' | 'uniform';
  /** Clips per video: samples = videos × clips. */
  clips: number;
  /** The views cut from each decoded clip: -1 random crop + flip, 0/1/2 left/centre/right (top/centre/bottom). */
  spatial: readonly SpatialIndex[];
  augment: ViewsAugment;
  compat?: Compat;
  /**
   * Per-worker budget for whole decoded videos (frame-cache.ts), 0 = decode every clip with its own
   * ffmpeg run. Uniform clips (test views, consecutive in a batch) use it per video; random
   * training clips only when every video fits, since shuffled access would rarely hit.
   */
  frameCacheBytes?: number;
  /** Folder of whole decoded videos on disk (decoded-store.ts), shared by workers, models and runs; used whatever the budget. */
  decodeCache?: string;
}

/** Samples: `views` (S, 3, T, H, W) float32, `label`, `video` (index in `videos`), `clip`. */
export function createViewsDataset(o: ViewsDatasetOptions): Dataset {
  const perVideo = o.clips;
  if (!o.spatial.length) throw new RangeError('at least one spatial view per clip');
  const budget = o.frameCacheBytes ?? 0;
  const total = o.videos.reduce((n, v) => n + decodedBytes(v.info), 0);
  const store = o.decodeCache ? new DecodedStore(o.decodeCache) : undefined;
  // With a store every clip is cut from a whole decoded video (read back from disk when not in memory).
  const cache = store ? new FrameCache(budget, store) : budget > 0 && (o.temporal === 'uniform' || total <= budget) ? new FrameCache(budget) : undefined;
  return {
    length: o.videos.length * perVideo,
    describe: (i) => o.videos[Math.floor(i / perVideo)]?.path ?? `#${i}`,
    async get(index: number, ctx: SampleContext): Promise<Sample> {
      const vi = Math.floor(index / perVideo);
      const clip = index % perVideo;
      const v = o.videos[vi];
      if (!v) throw new RangeError(`index ${index} outside the ${o.videos.length * perVideo} samples`);
      const rng = seededStreams(ctx.seed);
      const position =
        o.temporal === 'uniform' ? { kind: 'uniform' as const, index: clip, count: perVideo } : { kind: 'uniform' as const, index: rng.python.randint(0, 999), count: 1000 };
      const req = { numFrames: o.numFrames, targetFps: o.targetFps, samplingRate: o.samplingRate, position };
      const { data, frames: t, height, width } = cache ? await cache.clip(v.path, v.info, req) : (await decodeClip(v.path, { ...req, audio: false, info: v.info })).video;
      return torch.tidy(() => {
        const frames = torch.fromBuffer(data, 'uint8', [t, height, width, 3]);
        const views = o.spatial.map((s, k) => {
          const aug: ClipAugmentOptions = {
            cropSize: o.cropSize,
            spatialIdx: s,
            scales: o.augment.scales,
            randomResizedCrop: s === -1 && o.augment.randomResizedCrop,
            areaScale: o.augment.areaScale,
            colorJitter: o.augment.colorJitter,
            compat: o.compat,
          };
          // One stream per view (the first is the sample's own): views are independent draws.
          return clipAugment(frames, k === 0 ? rng : seededStreams(hashSeed(ctx.seed, k)), aug);
        });
        return { views: toSampleArray(torch.stack(views, 0)), label: v.label, video: vi, clip };
      });
    },
  };
}
