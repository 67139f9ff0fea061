// The HowTo100M video-text sample (SPEC 5.9): two captions of a video, each with a clip inside
// its (widened) time window, and their time reversals; video (12, T, S, S) and token ids (80,).
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { decodeFpsSegment } from '../media/decode.js';
import { seededStreams } from '../transforms/streams.js';
import { readNpyStrings } from '../models/npy.js';
import { WordDictionary } from '../models/text-encoder.js';
import { captionWindow, parseHowToCaptions, parseHowToIndex, type CaptionRow } from './splits.js';
import { updateManifest } from './manifest.js';
import type { Dataset, Sample, SampleContext } from './sample.js';

export interface HowToOptions {
  /** Folder of `<video_id>.mp4` files. */
  videoRoot: string;
  /** Folder of `<video_id>.csv` caption files (`start,end,text`). */
  captionRoot: string;
  /** `howto.csv` (column `video_id`); default: every `.mp4` in videoRoot. */
  indexCsv?: string;
  /** The word list (`dict.npy`, ids = position + 1). */
  dictionary: string;
  numFrames?: number;
  fps?: number;
  size?: number;
  maxWords?: number;
  /** Captions shorter than this many seconds are widened symmetrically (SPEC 5.9). */
  minTime?: number;
  centerCrop?: boolean;
  manifestPath?: string;
  /** Videos not longer than this are left out (the reference: 4.1 s). */
  minDuration?: number;
}

export async function createHowToDataset(o: HowToOptions): Promise<Dataset> {
  const ids = o.indexCsv
    ? parseHowToIndex(readFileSync(o.indexCsv, 'utf8'), o.indexCsv)
    : readdirSync(o.videoRoot).filter((f) => f.endsWith('.mp4')).map((f) => f.slice(0, -4)).sort();
  const withCaptions = ids.filter((id) => existsSync(join(o.captionRoot, `${id}.csv`)));
  const paths = withCaptions.map((id) => join(o.videoRoot, `${id}.mp4`));
  const probed = await updateManifest(o.manifestPath ?? null, paths);
  const videos: { id: string; path: string; captions: CaptionRow[] }[] = [];
  for (const [i, id] of withCaptions.entries()) {
    const e = probed.entries.get(paths[i]!);
    if (!e || !e.ok || e.info.duration <= (o.minDuration ?? 4.1)) continue;
    const file = join(o.captionRoot, `${id}.csv`);
    const captions = parseHowToCaptions(readFileSync(file, 'utf8'), file);
    if (captions.length) videos.push({ id, path: paths[i]!, captions });
  }
  if (!videos.length) throw new Error(`no usable HowTo100M videos in ${o.videoRoot} (with captions in ${o.captionRoot}, longer than ${o.minDuration ?? 4.1} s)`);
  const dict = new WordDictionary(readNpyStrings(o.dictionary));
  const numFrames = o.numFrames ?? 30;
  const fps = o.fps ?? 16;
  const size = o.size ?? 112;
  const maxWords = o.maxWords ?? 20;
  return {
    length: videos.length,
    describe: (i) => videos[i]?.path ?? `#${i}`,
    async get(index: number, ctx: SampleContext): Promise<Sample> {
      const v = videos[index]!;
      const rng = seededStreams(ctx.seed);
      const clips: Tensor[] = [];
      const tokens: number[] = [];
      try {
        for (let k = 0; k < 2; k++) {
          const row = v.captions[rng.python.randint(0, v.captions.length - 1)]!;
          const ids = dict.tokenize(row.text, maxWords);
          const { start, end } = captionWindow(row.start, row.end, o.minTime ?? 4);
          const numSec = numFrames / fps;
          const seek = rng.python.randint(start, Math.trunc(Math.max(start, end - numSec)));
          const [cx, cy] = o.centerCrop ? [0.5, 0.5] : [rng.python.random(), rng.python.random()];
          const f = await decodeFpsSegment(v.path, { startSec: seek, seconds: numSec + 0.1, fps, numFrames, size, cropX: cx, cropY: cy });
          torch.tidy(() => {
            // (T, S, S, 3) uint8 -> (3, T, S, S) in [0, 1]: no normalisation, flip or jitter (SPEC 5.9).
            const clip = torch.fromBuffer(f.data, 'uint8', [numFrames, size, size, 3]).permute(3, 0, 1, 2).float().div(255);
            clips.push(torch.keep(clip.contiguous()), torch.keep(clip.flip(1).contiguous()));
          });
          // Reversal flips the token ids too (the zero padding moves to the front).
          tokens.push(...ids, ...[...ids].reverse());
        }
        return torch.tidy(() => {
          const video = torch.cat(clips, 0);
          return {
            video: { data: video.toTypedArray() as Float32Array, shape: video.shape, dtype: 'float32' as const },
            text: { data: BigInt64Array.from(tokens, (t) => BigInt(t)), shape: [tokens.length], dtype: 'int64' as const },
            label: 0,
            index,
          };
        });
      } finally {
        torch.disposeAll(clips);
      }
    },
  };
}
