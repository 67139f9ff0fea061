// The encoders an embedding runs, in eval mode, and the arithmetic from clip features to rows.
// Embeddings are the backbones' features (video: the wrapper's input to its classifier, 512·width,
// the evaluations' 'avg' features; audio: the audio ResNet's pooled output), not the projection
// heads' outputs: video and audio live in one shared space only after the heads, which are trained
// for the contrastive task and discard what downstream uses need (SPEC 9 evaluates the backbones).
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import type { AudioResNet } from '../models/audio-resnet.js';
import type { EvalWeights } from '../eval/weights.js';
import { audioFeatures, buildAudioEncoder, buildVideoModel, clipFeatures, loadVideoWeights, toDevice, type EvalVideoModel } from '../eval/backbone.js';
import { embeddingDim, embeddingParts, type EmbedSettings } from './settings.js';

export class Embedder {
  readonly dim: number;
  readonly parts: ReturnType<typeof embeddingParts>;
  /** Checkpoint tensors copied into each encoder (0 with --weights none). */
  readonly loaded: { video?: number; audio?: number } = {};
  private readonly video: EvalVideoModel | undefined;
  private readonly audio: AudioResNet | undefined;

  constructor(
    readonly settings: EmbedSettings,
    weights: EvalWeights,
    readonly device: 'cpu' | 'cuda' = 'cpu',
  ) {
    this.dim = embeddingDim(settings);
    this.parts = embeddingParts(settings);
    try {
      if (settings.video) {
        const v = settings.video;
        // numClasses 1: the classifier is never run, only the backbone (and STiCA's pooling).
        this.video = buildVideoModel(v.model, { kind: v.model.kind, defaultWidth: v.model.width, numLayers: v.numLayers, transformerTimeDim: v.transformerTimeDim }, 1);
        this.loaded.video = loadVideoWeights(this.video, weights)?.loaded.length ?? 0;
        toDevice(this.video, device).eval();
      }
      if (settings.audio) {
        const { encoder, loaded } = buildAudioEncoder(settings.audio.model, weights);
        this.audio = encoder;
        this.loaded.audio = loaded;
        toDevice(encoder, device).eval();
      }
    } catch (e) {
      this.dispose();
      throw e;
    }
  }

  /** Features (n·C, D) of clips (n, C, ...) with one encoder, on the CPU as float32. */
  private features(x: Tensor, forward: (x: Tensor) => Tensor): Tensor {
    return torch.tidy(() => {
      const [n, c] = x.shape as [number, number];
      let inp = x.reshape([n * c, ...x.shape.slice(2)]);
      if (this.device === 'cuda') inp = inp.cuda();
      return forward(inp).float().cpu();
    });
  }

  /** Clip level: each clip (normalised); video level: the mean of the (normalised) clips, normalised again. */
  private aggregate(f: Tensor, n: number): Tensor {
    return torch.tidy(() => {
      const { level, normalize, clips } = this.settings;
      const norm = (t: Tensor): Tensor => (normalize ? torch.F.normalize(t, 2, 1, 1e-12) : t);
      if (level === 'clip') return norm(f);
      return norm(norm(f).reshape([n, clips, f.shape[1]!]).mean(1));
    });
  }

  /**
   * Rows for n videos from their clips: `video` (n, C, 3, T, H, W) and/or `audio` (n, C, 1, F, W).
   * `both`: [video | audio] side by side, each part normalised on its own and the row divided by
   * √2, so that rows have norm 1 and the cosine of two rows is the mean of the two modalities'.
   */
  embed(inputs: { video?: Tensor; audio?: Tensor }): { rows: Float32Array; count: number } {
    return torch.noGrad(() =>
      torch.tidy(() => {
        const pieces: Tensor[] = [];
        let n = 0;
        if (this.video) {
          if (!inputs.video) throw new Error('the video clips are missing');
          n = inputs.video.shape[0]!;
          const model = this.video;
          pieces.push(this.aggregate(this.features(inputs.video, (x) => clipFeatures(model, x, 'avg')), n));
        }
        if (this.audio) {
          if (!inputs.audio) throw new Error('the audio spectrograms are missing');
          n = inputs.audio.shape[0]!;
          const encoder = this.audio;
          pieces.push(this.aggregate(this.features(inputs.audio, (x) => audioFeatures(encoder, x)), n));
        }
        let out = pieces.length === 1 ? pieces[0]! : torch.cat(pieces, 1);
        if (pieces.length > 1 && this.settings.normalize) out = out.div(Math.SQRT2);
        out = out.contiguous();
        if (out.shape[1] !== this.dim) throw new Error(`the encoders gave ${out.shape[1]} dimensions, expected ${this.dim}`);
        return { rows: out.toTypedArray() as Float32Array, count: out.shape[0]! };
      }),
    );
  }

  dispose(): void {
    this.video?.dispose();
    this.audio?.dispose();
  }
}
