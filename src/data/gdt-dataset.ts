// The GDT audio-visual pretraining sample (SPEC 5.7): two independently placed clips of a video
// and their time reversals, each with its own video augmentation, and their spectrograms.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { decodeClip } from '../media/decode.js';
import { AvClipCache } from '../media/av-clip-cache.js';
import { DecodedStore } from '../media/decoded-store.js';
import { seededStreams } from '../transforms/streams.js';
import { gdtAugment } from '../transforms/clip-augment.js';
import { getSpec, reverseSpectrogram } from '../transforms/spectrogram.js';
import type { Compat } from '../transforms/compat.js';
import type { SpecAugmentPolicyName } from '../transforms/spec-augment.js';
import type { Dataset, Sample, SampleArray, SampleContext } from './sample.js';
import { probeVideoList, resolveVideoList, type ProbedVideo, type VideoListOptions } from './video-list.js';

export interface AudioVisualOptions extends VideoListOptions {
  numFrames?: number;
  targetFps?: number;
  samplingRate?: number;
  cropSize?: number;
  /** Short-side jitter range before the crop (default: the reference's for the crop size). */
  scales?: readonly [number, number];
  /** Seconds of audio per clip (default: the clip's duration, 1 s for 30 frames at 30 fps). */
  audioSeconds?: number;
  sampleRate?: number;
  specType?: 1 | 2;
  /** Videos without audio: 'skip' them at index time (the reference) or give them 'silence'. */
  noAudio?: 'skip' | 'silence';
  /** Probe cache (JSON), so that a restart on a large collection does not probe again. */
  manifestPath?: string;
  /** Videos not longer than this are left out (the reference: 1.1 s). */
  minDuration?: number;
  compat?: Compat;
  /** Per loader worker: MB of whole decoded videos (frames and audio) to cut clips from; 0 (default): ffmpeg per clip. */
  cacheMB?: number;
  /** Folder of whole decoded videos and tracks on disk (decoded-store.ts), shared by workers and runs; implies a 256 MB memory cache when cacheMB is 0. */
  decodeCache?: string;
}

export interface GdtSampleOptions extends AudioVisualOptions {
  /** SpecAugment policy (default 'medium', as the K400 script). */
  specAugment?: SpecAugmentPolicyName | 'none';
  zNormalize?: boolean;
  volumeJitter?: boolean;
}

export function toSampleArray(t: Tensor): SampleArray {
  const dtype = t.dtype;
  return { data: t.toTypedArray() as SampleArray['data'], shape: t.shape, dtype };
}

/** Decodes a clip and returns (T, H, W, 3) uint8 frames and mono audio at the int16 scale. */
export async function decodeForSample(
  v: ProbedVideo,
  o: AudioVisualOptions,
  position: { kind: 'uniform'; index: number; count: number },
  cache?: AvClipCache,
): Promise<{ frames: Tensor; wav: Tensor }> {
  const numFrames = o.numFrames ?? 30;
  const targetFps = o.targetFps ?? 30;
  const samplingRate = o.samplingRate ?? 1;
  const sr = o.sampleRate ?? 24000;
  const seconds = o.audioSeconds ?? (numFrames * samplingRate) / targetFps;
  const clip = cache
    ? await cache.clip(v.path, v.info, { numFrames, targetFps, samplingRate, position, audioSeconds: seconds, sampleRate: sr })
    : await decodeClip(v.path, { numFrames, targetFps, samplingRate, position, audio: true, audioSeconds: seconds, sampleRate: sr, info: v.info });
  const { data, frames, height, width } = clip.video;
  const f = torch.fromBuffer(data, 'uint8', [frames, height, width, 3]);
  let wav: Tensor;
  if (clip.audio) {
    // The reference's spectrogram works on int16-scaled samples (its constants assume it).
    using a = torch.fromBuffer(clip.audio.samples, 'float32', [clip.audio.samples.length]);
    wav = a.mul(32768);
  } else if (o.noAudio === 'silence') {
    wav = torch.zeros([Math.round(seconds * sr)]);
  } else {
    f.dispose();
    throw new Error(`${v.path} has no audio stream (use noAudio: 'silence' to train on it anyway)`);
  }
  return { frames: f, wav };
}

export async function loadAudioVisualList(o: AudioVisualOptions): Promise<{ classes: string[]; videos: ProbedVideo[] }> {
  const list = await resolveVideoList(o);
  const probed = await probeVideoList(list, {
    manifestPath: o.manifestPath,
    requireAudio: (o.noAudio ?? 'skip') === 'skip',
    minDuration: o.minDuration ?? 1.1,
  });
  if (!probed.videos.length) {
    throw new Error(`no usable videos in ${o.root} (${o.format}): ${probed.skipped.length} skipped, e.g. ${probed.skipped[0]?.path}: ${probed.skipped[0]?.reason}`);
  }
  return probed;
}

/** Loader factory (runs in each worker): the GDT sample of SPEC 5.7. */
export async function createGdtPretrainDataset(o: GdtSampleOptions): Promise<Dataset> {
  const { videos } = await loadAudioVisualList(o);
  const sr = o.sampleRate ?? 24000;
  const numSec = o.audioSeconds ?? ((o.numFrames ?? 30) * (o.samplingRate ?? 1)) / (o.targetFps ?? 30);
  const store = o.decodeCache ? new DecodedStore(o.decodeCache) : undefined;
  const cacheMB = o.cacheMB || (store ? 256 : 0);
  const cache = cacheMB ? new AvClipCache(cacheMB * 2 ** 20, store) : undefined;
  return {
    length: videos.length,
    describe: (i) => videos[i]?.path ?? `#${i}`,
    async get(index: number, ctx: SampleContext): Promise<Sample> {
      const v = videos[index]!;
      const rng = seededStreams(ctx.seed);
      // Two clip positions out of 1000 uniform ones (Python randint, both ends included).
      const positions = [rng.python.randint(0, 1000), rng.python.randint(0, 1000)];
      const views: Tensor[] = [];
      const specs: Tensor[] = [];
      try {
        for (const c of positions) {
          const { frames, wav } = await decodeForSample(v, o, { kind: 'uniform', index: c, count: 1000 }, cache);
          torch.tidy(() => {
            const spec = getSpec(wav, 0, rng, {
              numSec,
              sampleRate: sr,
              specType: o.specType ?? 1,
              volumeJitter: o.volumeJitter ?? true,
              zNormalize: o.zNormalize ?? true,
              specAugment: o.specAugment === 'none' ? undefined : (o.specAugment ?? 'medium'),
              compat: o.compat,
            });
            // Reversal: frames flipped in time before augmentation; the augmented spectrogram mirrored.
            const aug = { cropSize: o.cropSize ?? 112, scales: o.scales, compat: o.compat };
            const fwd = gdtAugment(frames, rng, aug);
            const rev = gdtAugment(frames.flip(0), rng, aug);
            views.push(torch.keep(fwd), torch.keep(rev));
            specs.push(torch.keep(spec), torch.keep(reverseSpectrogram(spec)));
          });
          frames.dispose();
          wav.dispose();
        }
        return torch.tidy(() => ({
          video: toSampleArray(torch.cat(views, 0)),
          spec: toSampleArray(torch.cat(specs, 0)),
          label: v.label,
          index,
        }));
      } finally {
        torch.disposeAll([views, specs]);
      }
    },
  };
}
