// Video-text GDT (`TextVid_GDT`, SPEC 3.6): R(2+1)D video encoder and the word2vec text encoder,
// MLP (or linear) heads, L2-normalised 256-d embeddings.
import { torch, nn } from '../index.js';
import type { Tensor } from '../torch/index.js';
import type { MacTraceable, MacTracer, Shape } from './flops.js';
import { VideoResNet } from './r2plus1d.js';
import { EncoderWrapper } from './encoder-wrapper.js';
import { projectionHead, l2Normalize, type ProjectionHead } from './heads.js';
import { squeezeFeatures } from './squeeze.js';
import { Word2VecTextEncoder, type TextEncoderOptions } from './text-encoder.js';

export interface TextVidGdtOptions {
  videoDepth?: 18 | 34;
  /** Channel multiplier of the video encoder (1 = reference). */
  width?: number;
  /** MLP heads (default true, the class default) or linear heads. */
  useMlp?: boolean;
  normFeat?: boolean;
  embeddingDim?: number;
  /** Text encoder options, e.g. the pretrained word2vec matrix. */
  text?: TextEncoderOptions;
}

/** forward(video (B,3,T,H,W), token ids (B,L)) -> [v (B,256), t (B,256)]. */
export class TextVidGDT extends nn.Module<[Tensor, Tensor], [Tensor, Tensor]> implements MacTraceable {
  readonly videoNetwork: EncoderWrapper<VideoResNet>;
  readonly textNetwork: Word2VecTextEncoder;
  readonly mlpV: ProjectionHead;
  readonly mlpT: ProjectionHead;
  readonly normFeat: boolean;
  constructor(o: TextVidGdtOptions = {}) {
    super();
    const useMlp = o.useMlp ?? true;
    const dim = o.embeddingDim ?? 256;
    this.normFeat = o.normFeat ?? true;
    this.videoNetwork = this.registerModule('video_network', new EncoderWrapper(new VideoResNet({ depth: o.videoDepth ?? 18, width: o.width ?? 1, duration: 1 })));
    this.textNetwork = this.registerModule('text_network', new Word2VecTextEncoder(o.text));
    this.mlpV = this.registerModule('mlp_v', projectionHead(useMlp, this.videoNetwork.base.outChannels, dim));
    this.mlpT = this.registerModule('mlp_t', projectionHead(useMlp, this.textNetwork.outputDim, dim));
  }
  encodeVideo(img: Tensor): Tensor {
    return torch.tidy(() => {
      const v = this.mlpV.forward(squeezeFeatures(this.videoNetwork.forward(img)));
      return this.normFeat ? l2Normalize(v) : v;
    });
  }
  encodeText(ids: Tensor): Tensor {
    return torch.tidy(() => {
      const t = this.mlpT.forward(squeezeFeatures(this.textNetwork.forward(ids)));
      return this.normFeat ? l2Normalize(t) : t;
    });
  }
  forward(img: Tensor, ids: Tensor): [Tensor, Tensor] {
    return [this.encodeVideo(img), this.encodeText(ids)];
  }
  traceMacs(t: MacTracer, [video, ids]: readonly Shape[]): Shape[] {
    const v = t.child('video_network', this.videoNetwork, video!);
    const w = t.child('text_network', this.textNetwork, ids!);
    return [t.child('mlp_v', this.mlpV, [v[0]!, v[1]!]), t.child('mlp_t', this.mlpT, w)];
  }
}
