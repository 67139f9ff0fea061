// Reference embeddings computed without the embedding pipeline: each clip decoded on its own with
// decodeClip (frames and audio from one ffmpeg run), the clean protocol's centre view made with
// clipAugment, the spectrogram with getSpec, and the encoders of the pretraining model class (GDT)
// loaded from the checkpoint with loadStateDict: the pipeline's loader, frame cache, batching,
// aggregation and files are what the comparison checks.
import { torch } from '../../src/index.js';
import type { Tensor } from '../../src/torch/index.js';
import { GDT } from '../../src/models/gdt.js';
import { loadCheckpoint, section } from '../../src/io/checkpoint.js';
import { decodeClip } from '../../src/media/decode.js';
import { seededStreams } from '../../src/transforms/streams.js';
import { clipAugment } from '../../src/transforms/clip-augment.js';
import { getSpec } from '../../src/transforms/spectrogram.js';
import { FIXTURE_DATA } from './fixture.js';

export interface DirectClip {
  video: Float32Array;
  audio: Float32Array;
  start: number;
}

export class DirectEncoder {
  private constructor(private readonly model: GDT) {}

  static async load(checkpoint: string, width: number): Promise<DirectEncoder> {
    const model = torch.tidy(() => new GDT({ width }));
    const ckpt = await loadCheckpoint(checkpoint);
    try {
      model.loadStateDict(section(ckpt.tensors, 'model'));
    } finally {
      torch.disposeAll(ckpt.tensors);
    }
    model.eval();
    return new DirectEncoder(model);
  }

  /** Raw backbone features of clip k of n of `path` (video and audio). */
  async clip(path: string, k: number, n: number): Promise<DirectClip> {
    const d = FIXTURE_DATA;
    const c = await decodeClip(path, { numFrames: d.numFrames, targetFps: d.targetFps, position: { kind: 'uniform', index: k, count: n }, audio: true, audioSeconds: d.audioSeconds, sampleRate: 24000 });
    if (!c.audio) throw new Error(`${path}: no audio`);
    const samples = c.audio.samples;
    return torch.noGrad(() =>
      torch.tidy(() => {
        const frames = torch.fromBuffer(c.video.data, 'uint8', [c.video.frames, c.video.height, c.video.width, 3]);
        const view = clipAugment(frames, seededStreams(0), { cropSize: d.cropSize, spatialIdx: 1, scales: [d.cropSize, d.cropSize], colorJitter: false });
        const wav = torch.fromBuffer(samples, 'float32', [samples.length]).mul(32768);
        const spec = getSpec(wav, 0, seededStreams(0), { numSec: d.audioSeconds, sampleRate: 24000, specType: d.specType, zNormalize: d.zNormalize, volumeJitter: false });
        const feat = (t: Tensor): Float32Array => t.flatten(1).toTypedArray() as Float32Array;
        return {
          video: feat(this.model.videoNetwork.base.forward(view.unsqueeze(0))),
          audio: feat(this.model.audioNetwork.base.forward(spec.unsqueeze(0))),
          start: c.plan.audioStartSec,
        };
      }),
    );
  }

  dispose(): void {
    this.model.dispose();
  }
}

export function l2(v: Float32Array): Float32Array {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.max(Math.sqrt(s), 1e-12);
  return v.map((x) => x / n);
}

export function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  return Math.sqrt(s);
}

/** Mean of vectors of equal length. */
export function mean(vs: Float32Array[]): Float32Array {
  const out = new Float32Array(vs[0]!.length);
  for (const v of vs) v.forEach((x, i) => (out[i]! += x / vs.length));
  return out;
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} vs ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
