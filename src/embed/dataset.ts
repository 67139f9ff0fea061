// The videos to embed, for the loader's workers: a sample is one whole video, probed and cut into
// `clips` uniformly spaced clips with the evaluations' deterministic view (short side = crop size,
// centre crop, no colour jitter: the `clean` protocol's test view) and/or the clips' log-filterbank
// spectrograms (no augmentation). A file that cannot be read becomes a sample with `ok` false and
// the reason, not an error: the loader would otherwise replace it by another video.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { clipSizeFrames, decodeAudioSegment, decodeClip, planClip, type VideoFrames } from '../media/decode.js';
import { probeMedia, type ProbeResult } from '../media/probe.js';
import { seededStreams } from '../transforms/streams.js';
import { clipAugment } from '../transforms/clip-augment.js';
import { getSpec } from '../transforms/spectrogram.js';
import type { Dataset, Sample, SampleArray, SampleContext } from '../data/sample.js';
import { toSampleArray } from '../data/gdt-dataset.js';
import { FrameCache, decodedBytes } from '../media/frame-cache.js';
import type { EmbedSettings } from './settings.js';

export interface EmbedDatasetOptions {
  paths: readonly string[];
  clips: number;
  numFrames: number;
  targetFps: number;
  samplingRate: number;
  video?: { cropSize: number };
  audio?: { seconds: number; sampleRate: number; specType: 1 | 2; zNormalize: boolean };
  /** Per worker: bytes of whole decoded videos to cut clips from (0: one ffmpeg run per clip). */
  frameCacheBytes: number;
}

/** The dataset options for `paths` under `s`. */
export function embedDatasetOptions(s: EmbedSettings, paths: readonly string[], frameCacheBytes: number): EmbedDatasetOptions {
  return {
    paths,
    clips: s.clips,
    numFrames: s.numFrames,
    targetFps: s.targetFps,
    samplingRate: s.samplingRate,
    video: s.video ? { cropSize: s.video.cropSize } : undefined,
    audio: s.audio ? { seconds: s.audio.seconds, sampleRate: s.audio.sampleRate, specType: s.audio.specType, zNormalize: s.audio.zNormalize } : undefined,
    frameCacheBytes,
  };
}

/** Where clip k of a video lies, in seconds from the start of its video stream. */
export interface ClipTime {
  start: number;
  end: number;
}

const ms = (s: number): number => Math.round(s * 1000) / 1000;

/** Clip placement without decoding: the reference's uniform positions (SPEC 5.2) on the probe result. */
export function clipTimes(info: ProbeResult, o: Pick<EmbedDatasetOptions, 'clips' | 'numFrames' | 'targetFps' | 'samplingRate'>): { plans: ReturnType<typeof planClip>[]; times: ClipTime[] } {
  const plans = Array.from({ length: o.clips }, (_, k) =>
    planClip(
      { fps: info.fps, frames: info.frames, streamDuration: info.streamDurationKnown ? info.duration : null, durationTs: info.durationTs, timeBase: info.timeBase },
      { numFrames: o.numFrames, targetFps: o.targetFps, samplingRate: o.samplingRate, position: { kind: 'uniform', index: k, count: o.clips } },
    ),
  );
  const length = (o.numFrames * o.samplingRate) / o.targetFps;
  return { plans, times: plans.map((p) => ({ start: ms(p.start / p.fps), end: ms(p.start / p.fps + length) })) };
}

function reasonOf(e: unknown): string {
  if (e && typeof e === 'object' && 'reason' in e && typeof (e as { reason: unknown }).reason === 'string') return (e as { reason: string }).reason;
  return e instanceof Error ? e.message : String(e);
}

/** Samples: `video` (C, 3, T, S, S) and/or `audio` (C, 1, F, W) float32, `ok`, `error`, `times` (JSON), `index`. */
export function createEmbedDataset(o: EmbedDatasetOptions): Dataset {
  const cache = o.video && o.frameCacheBytes > 0 ? new FrameCache(o.frameCacheBytes) : undefined;
  const placeholders = new Map<string, SampleArray>();
  // Zero arrays of the right shapes stand in for an unreadable video, so that batches still collate.
  const placeholder = (key: 'video' | 'audio'): SampleArray => {
    let p = placeholders.get(key);
    if (!p) {
      let shape: number[];
      if (key === 'video') shape = [o.clips, 3, o.numFrames, o.video!.cropSize, o.video!.cropSize];
      else {
        const a = o.audio!;
        shape = torch.tidy(() => [o.clips, ...getSpec(torch.zeros([Math.round(a.seconds * a.sampleRate)]), 0, seededStreams(0), { numSec: a.seconds, sampleRate: a.sampleRate, specType: a.specType, zNormalize: a.zNormalize }).shape]);
      }
      p = { data: new Float32Array(shape.reduce((x, y) => x * y, 1)), shape, dtype: 'float32' };
      placeholders.set(key, p);
    }
    // A copy: the batch's buffer is transferred to the main thread.
    return { ...p, data: new Float32Array(p.data.length) };
  };

  async function frames(path: string, info: ProbeResult, k: number): Promise<VideoFrames> {
    const req = { numFrames: o.numFrames, targetFps: o.targetFps, samplingRate: o.samplingRate, position: { kind: 'uniform' as const, index: k, count: o.clips } };
    // Whole-video decoding pays when the clips cover much of the video (short clips of a long
    // video are cheaper one by one); the cache also falls back for VFR and over-budget videos.
    const covered = o.clips * clipSizeFrames(o.numFrames, o.samplingRate, o.targetFps, info.fps);
    if (cache && covered >= 0.5 * info.frames && decodedBytes(info) <= o.frameCacheBytes) return cache.clip(path, info, req);
    return (await decodeClip(path, { ...req, audio: false, info })).video;
  }

  return {
    length: o.paths.length,
    describe: (i) => o.paths[i] ?? `#${i}`,
    async get(index: number, ctx: SampleContext): Promise<Sample> {
      const path = o.paths[index];
      if (path === undefined) throw new RangeError(`index ${index} outside the ${o.paths.length} videos`);
      try {
        const info = await probeMedia(path);
        if (o.audio && !info.hasAudio) throw new Error('no audio stream (audio embeddings need one)');
        const { plans, times } = clipTimes(info, o);
        const out: Sample = { ok: true, error: '', times: JSON.stringify(times), index };
        if (o.video) {
          const cropSize = o.video.cropSize;
          const views: Tensor[] = [];
          try {
            for (let k = 0; k < o.clips; k++) {
              const f = await frames(path, info, k);
              views.push(
                torch.tidy(() => {
                  const t = torch.fromBuffer(f.data, 'uint8', [f.frames, f.height, f.width, 3]);
                  // spatialIdx 1 with scales [crop, crop]: short side to the crop size, centre crop.
                  return torch.keep(clipAugment(t, seededStreams(ctx.seed), { cropSize, spatialIdx: 1, scales: [cropSize, cropSize], colorJitter: false }));
                }),
              );
            }
            out.video = torch.tidy(() => toSampleArray(torch.stack(views, 0)));
          } finally {
            torch.disposeAll(views);
          }
        }
        if (o.audio) {
          const a = o.audio;
          const specs: Tensor[] = [];
          try {
            for (const plan of plans) {
              const seg = await decodeAudioSegment(path, { startSec: plan.audioStartSec, seconds: a.seconds, sampleRate: a.sampleRate, info });
              if (!seg) throw new Error('no audio stream (audio embeddings need one)');
              specs.push(
                torch.tidy(() => {
                  // The reference's spectrogram works on int16-scaled samples (its constants assume it).
                  const wav = torch.fromBuffer(seg.samples, 'float32', [seg.samples.length]).mul(32768);
                  return torch.keep(getSpec(wav, 0, seededStreams(ctx.seed), { numSec: a.seconds, sampleRate: a.sampleRate, specType: a.specType, zNormalize: a.zNormalize, volumeJitter: false }));
                }),
              );
            }
            out.audio = torch.tidy(() => toSampleArray(torch.stack(specs, 0)));
          } finally {
            torch.disposeAll(specs);
          }
        }
        return out;
      } catch (e) {
        const out: Sample = { ok: false, error: reasonOf(e), times: '[]', index };
        if (o.video) out.video = placeholder('video');
        if (o.audio) out.audio = placeholder('audio');
        return out;
      }
    },
  };
}
