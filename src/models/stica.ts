// STiCA (`Stica_TransformerFMCrop`, SPEC 3.7): R(2+1)D feature map, feature crops by given crop
// parameters, global pooling by average or transformer pooling, MLP heads.
import { torch, nn } from '../index.js';
import type { Tensor } from '../torch/index.js';
import type { MacTraceable, MacTracer, Shape } from './flops.js';
import { VideoResNet } from './r2plus1d.js';
import { AudioResNet } from './audio-resnet.js';
import { EncoderWrapper } from './encoder-wrapper.js';
import { projectionHead, l2Normalize, type ProjectionHead } from './heads.js';
import { squeezeFeatures, TransposeSqueeze } from './squeeze.js';
import { TransformerPooling } from './transformer-pooling.js';

/** `num_sec` -> time steps of the video feature map the model expects (`duration`). */
export const STICA_DURATION: Readonly<Record<number, number>> = Object.freeze({ 1: 4, 2: 8, 3: 12, 4: 15 });

export function sticaDuration(numSec: number): number {
  const d = STICA_DURATION[numSec];
  if (d === undefined) throw new RangeError(`STiCA supports num_sec 1, 2, 3 or 4 (got ${numSec}), as the reference's duration table`);
  return d;
}

/** A spatial crop of the feature map: x indexes its height axis, y its width axis; max excluded. */
export type SpaceCrop = readonly [xmin: number, xmax: number, ymin: number, ymax: number];
/** A temporal crop [tmin, tmax) of the feature map. */
export type TimeCrop = readonly [tmin: number, tmax: number];

/** The reference's `params = [[space_large, space_small], [time_large, time_small]]`, by name. */
export interface CropParams {
  spaceLarge: readonly SpaceCrop[];
  spaceSmall: readonly SpaceCrop[];
  timeLarge: readonly TimeCrop[];
  timeSmall: readonly TimeCrop[];
}

export function cropParamsFromNested(p: readonly [readonly [readonly SpaceCrop[], readonly SpaceCrop[]], readonly [readonly TimeCrop[], readonly TimeCrop[]]]): CropParams {
  return { spaceLarge: p[0][0], spaceSmall: p[0][1], timeLarge: p[1][0], timeSmall: p[1][1] };
}

export interface CropEmbeddings {
  spaceLarge: Tensor[];
  /** len(spaceLarge) x len(spaceSmall) entries: the small crops are recomputed per large crop. */
  spaceSmall: Tensor[];
  timeLarge: Tensor[];
  timeSmall: Tensor[];
}

export interface SticaOutput {
  video: Tensor;
  crops: CropEmbeddings;
  audio: Tensor;
}

export interface SticaOptions {
  videoDepth?: 18 | 34;
  audioDepth?: 9 | 18;
  /** Channel multiplier of both encoders (1 = reference; the pooling then works on 512·width). */
  width?: number;
  /** Transformer layers (`num_layer`, default 2); 0 = global average pooling. */
  numLayers?: number;
  numHeads?: number;
  dropout?: number;
  positionalEmb?: boolean;
  qkvMha?: boolean;
  /** Clip seconds (`num_sec`, default 1), giving `duration` by the table. */
  numSec?: number;
  /** Time steps the map is pooled to before the transformer (default 4; eval_video uses 8). */
  transformerTimeDim?: number;
  /** MLP heads (default true: main_stica.py always builds them). */
  useMlp?: boolean;
  normFeat?: boolean;
  embeddingDim?: number;
}

export interface SticaPoolingOptions {
  /** Channels of the feature map (512·width). */
  featureDim: number;
  /** Time steps per sequence after pooling (from num_sec). */
  duration: number;
  transformerTimeDim: number;
  /** 0 = global average pooling. */
  numLayers: number;
  numHeads?: number;
  dropout?: number;
  positionalEmb?: boolean;
  qkvMha?: boolean;
}

/**
 * STiCA's `video_pooling`: Sequential[ AdaptiveAvgPool3d((tdim, 1, 1)), TransposeSqueeze(C,
 * duration), TransformerPooling ] with layers, or AdaptiveAvgPool3d((1, 1, 1)) without.
 */
export function sticaVideoPooling(o: SticaPoolingOptions): nn.Sequential | nn.AdaptiveAvgPool3d {
  if (o.numLayers <= 0) return new nn.AdaptiveAvgPool3d([1, 1, 1]);
  return new nn.Sequential(
    new nn.AdaptiveAvgPool3d([o.transformerTimeDim, 1, 1]),
    // Re-grouped with `duration`, not transformerTimeDim: when the two differ samples are
    // silently merged, as in the reference (SPEC 13.14).
    new TransposeSqueeze(o.featureDim, o.duration),
    new TransformerPooling({
      dim: o.featureDim,
      numLayers: o.numLayers,
      numHeads: o.numHeads ?? 4,
      dropout: o.dropout ?? 0,
      positionalEmb: o.positionalEmb ?? false,
      qkvMha: o.qkvMha ?? false,
    }),
  );
}

/**
 * forward(video (B,3,T,H,W), spectrogram (B,1,F,S), crops?) -> { video (B',256), crops, audio (B,256) }.
 * The reference raises without crop parameters; here the crop lists are then empty. The map is
 * kept 5-D (the reference squeezes it, which only differs for a batch of one, where its
 * crops fail).
 */
export class Stica extends nn.Module<[Tensor, Tensor, CropParams?], SticaOutput> implements MacTraceable {
  readonly videoNetwork: EncoderWrapper<VideoResNet>;
  readonly audioNetwork: EncoderWrapper<AudioResNet>;
  readonly videoPooling: nn.Sequential | nn.AdaptiveAvgPool3d;
  readonly mlpV: ProjectionHead;
  readonly mlpA: ProjectionHead;
  readonly duration: number;
  readonly transformerTimeDim: number;
  readonly numLayers: number;
  readonly normFeat: boolean;
  readonly featureDim: number;
  constructor(o: SticaOptions = {}) {
    super();
    const width = o.width ?? 1;
    this.duration = sticaDuration(o.numSec ?? 1);
    this.transformerTimeDim = o.transformerTimeDim ?? 4;
    this.numLayers = o.numLayers ?? 2;
    this.normFeat = o.normFeat ?? true;
    const useMlp = o.useMlp ?? true;
    const dim = o.embeddingDim ?? 256;
    this.videoNetwork = this.registerModule('video_network', new EncoderWrapper(new VideoResNet({ depth: o.videoDepth ?? 18, width, prePool: true })));
    this.audioNetwork = this.registerModule('audio_network', new EncoderWrapper(new AudioResNet({ depth: o.audioDepth ?? 9, width })));
    this.featureDim = this.videoNetwork.base.outChannels;
    this.videoPooling = this.registerModule(
      'video_pooling',
      sticaVideoPooling({
        featureDim: this.featureDim,
        duration: this.duration,
        transformerTimeDim: this.transformerTimeDim,
        numLayers: this.numLayers,
        numHeads: o.numHeads,
        dropout: o.dropout,
        positionalEmb: o.positionalEmb,
        qkvMha: o.qkvMha,
      }),
    );
    this.mlpV = this.registerModule('mlp_v', projectionHead(useMlp, this.featureDim, dim));
    this.mlpA = this.registerModule('mlp_a', projectionHead(useMlp, this.audioNetwork.base.outChannels, dim));
  }

  /** The transformer of video_pooling (undefined with global average pooling). */
  get transformerPooling(): TransformerPooling | undefined {
    return this.videoPooling instanceof nn.Sequential ? (this.videoPooling.at(2) as unknown as TransformerPooling) : undefined;
  }

  /** Pooled, projected video embedding of a map (B, C, T', H', W') -> (B', C) before the head. */
  poolMap(map: Tensor): Tensor {
    return torch.tidy(() => this.videoPooling.forward(map).squeeze().reshape(-1, this.featureDim));
  }

  /** `feat2nce`: pool, project, L2-normalise (always, whatever normFeat). */
  feat2nce(map: Tensor): Tensor {
    return torch.tidy(() => l2Normalize(this.mlpV.forward(this.poolMap(map))));
  }

  forward(img: Tensor, spec: Tensor, params?: CropParams): SticaOutput {
    return torch.tidy(() => {
      const map = this.videoNetwork.forward(img);
      const audioFeat = squeezeFeatures(this.audioNetwork.forward(spec));
      const crops: CropEmbeddings = { spaceLarge: [], spaceSmall: [], timeLarge: [], timeSmall: [] };
      if (params) {
        const space = ([x0, x1, y0, y1]: SpaceCrop): Tensor => map.index('...', torch.slice(x0, x1), torch.slice(y0, y1));
        const time = ([t0, t1]: TimeCrop): Tensor => map.index({}, {}, torch.slice(t0, t1));
        // As the reference: the small crops are recomputed inside the loop over large crops
        // (each call draws its own dropout masks in training).
        for (const l of params.spaceLarge) {
          crops.spaceLarge.push(this.feat2nce(space(l)));
          for (const s of params.spaceSmall) crops.spaceSmall.push(this.feat2nce(space(s)));
        }
        for (const l of params.timeLarge) {
          crops.timeLarge.push(this.feat2nce(time(l)));
          for (const s of params.timeSmall) crops.timeSmall.push(this.feat2nce(time(s)));
        }
      }
      let v = this.mlpV.forward(this.poolMap(map));
      let a = this.mlpA.forward(audioFeat);
      if (this.normFeat) {
        v = l2Normalize(v);
        a = l2Normalize(a);
      }
      return { video: v, crops, audio: a };
    });
  }

  traceMacs(t: MacTracer, [video, audio]: readonly Shape[]): Shape[] {
    const m = t.child('video_network', this.videoNetwork, video!);
    const p = t.child('video_pooling', this.videoPooling, m);
    const n = p.reduce((x, y) => x * y, 1) / this.featureDim;
    const a = t.child('audio_network', this.audioNetwork, audio!);
    return [t.child('mlp_v', this.mlpV, [n, this.featureDim]), t.child('mlp_a', this.mlpA, [a[0]!, a[1]!])];
  }
}
