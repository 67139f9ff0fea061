// ESC-50-style audio files for the loader's workers: each sample is one file decoded once, with
// the spectrograms (SPEC 5.5, no augmentation) of `windows` uniformly spaced windows of it
// (window k of n starts at delta k / n seconds, delta = duration - window length).
import * as torch from '../torch/index.js';
import { decodeAudioTrack } from '../media/decode.js';
import { seededStreams } from '../transforms/streams.js';
import { getSpec } from '../transforms/spectrogram.js';
import type { Dataset, Sample, SampleContext } from '../data/sample.js';
import { toSampleArray } from '../data/gdt-dataset.js';

export interface AudioFile {
  path: string;
  label: number;
}

export interface AudioWindowsOptions {
  files: readonly AudioFile[];
  sampleRate: number;
  /** Window length in seconds. */
  seconds: number;
  windows: number;
  specType: 1 | 2;
  zNormalize: boolean;
}

/** Samples: `views` (W, 1, F, S) float32, `label`, `video` (file index), `clip` 0. */
export function createAudioWindowsDataset(o: AudioWindowsOptions): Dataset {
  return {
    length: o.files.length,
    describe: (i) => o.files[i]?.path ?? `#${i}`,
    async get(index: number, ctx: SampleContext): Promise<Sample> {
      const f = o.files[index];
      if (!f) throw new RangeError(`index ${index} outside the ${o.files.length} files`);
      const track = await decodeAudioTrack(f.path, o.sampleRate);
      if (!track) throw new Error(`${f.path} has no audio stream`);
      const rng = seededStreams(ctx.seed);
      return torch.tidy(() => {
        const wav = torch.fromBuffer(track.samples, 'float32', [track.samples.length]).mul(32768);
        const duration = track.samples.length / o.sampleRate;
        const delta = Math.max(0, duration - o.seconds);
        const specs = Array.from({ length: o.windows }, (_, k) =>
          getSpec(wav, (delta * k) / o.windows, rng, { numSec: o.seconds, sampleRate: o.sampleRate, specType: o.specType, zNormalize: o.zNormalize, volumeJitter: false }),
        );
        return { views: toSampleArray(torch.stack(specs, 0)), label: f.label, video: index, clip: 0 };
      });
    },
  };
}
