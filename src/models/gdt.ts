// Audio-visual GDT (SPEC 3.5): R(2+1)D video encoder, audio ResNet, one projection head per
// modality, L2-normalised 256-d embeddings.
import { torch, nn } from '../index.js';
import type { Tensor } from '../torch/index.js';
import type { MacTraceable, MacTracer, Shape } from './flops.js';
import { VideoResNet } from './r2plus1d.js';
import { AudioResNet } from './audio-resnet.js';
import { EncoderWrapper } from './encoder-wrapper.js';
import { projectionHead, l2Normalize, type ProjectionHead } from './heads.js';
import { squeezeFeatures } from './squeeze.js';

export interface GdtOptions {
  /** R(2+1)D depth (`vid_base_arch`): 18 (default) or 34. */
  videoDepth?: 18 | 34;
  /** Audio ResNet depth (`aud_base_arch`): 9 (default) or 18. */
  audioDepth?: 9 | 18;
  /** Channel multiplier of both encoders (1 = reference). */
  width?: number;
  /**
   * MLP heads (true) or linear heads. Default true, as `main_gdt.py` (`--use_mlp`); the class's
   * own default is False and `eval_video.py` passes False.
   */
  useMlp?: boolean;
  /** L2-normalise the embeddings (True in pretraining). */
  normFeat?: boolean;
  /** Embedding size (`num_classes`), 256. */
  embeddingDim?: number;
}

/** forward(video (B,3,T,H,W), spectrogram (B,1,F,S)) -> [v (B,256), a (B,256)]. */
export class GDT extends nn.Module<[Tensor, Tensor], [Tensor, Tensor]> implements MacTraceable {
  readonly videoNetwork: EncoderWrapper<VideoResNet>;
  readonly audioNetwork: EncoderWrapper<AudioResNet>;
  readonly mlpV: ProjectionHead;
  readonly mlpA: ProjectionHead;
  readonly normFeat: boolean;
  constructor(o: GdtOptions = {}) {
    super();
    const width = o.width ?? 1;
    const useMlp = o.useMlp ?? true;
    const dim = o.embeddingDim ?? 256;
    this.normFeat = o.normFeat ?? true;
    this.videoNetwork = this.registerModule('video_network', new EncoderWrapper(new VideoResNet({ depth: o.videoDepth ?? 18, width, duration: 1 })));
    this.audioNetwork = this.registerModule('audio_network', new EncoderWrapper(new AudioResNet({ depth: o.audioDepth ?? 9, width })));
    this.mlpV = this.registerModule('mlp_v', projectionHead(useMlp, this.videoNetwork.base.outChannels, dim));
    this.mlpA = this.registerModule('mlp_a', projectionHead(useMlp, this.audioNetwork.base.outChannels, dim));
  }
  /** The video embedding (projected, normalised when normFeat). */
  encodeVideo(img: Tensor): Tensor {
    return torch.tidy(() => {
      const v = this.mlpV.forward(squeezeFeatures(this.videoNetwork.forward(img)));
      return this.normFeat ? l2Normalize(v) : v;
    });
  }
  encodeAudio(spec: Tensor): Tensor {
    return torch.tidy(() => {
      const a = this.mlpA.forward(squeezeFeatures(this.audioNetwork.forward(spec)));
      return this.normFeat ? l2Normalize(a) : a;
    });
  }
  forward(img: Tensor, spec: Tensor): [Tensor, Tensor] {
    return [this.encodeVideo(img), this.encodeAudio(spec)];
  }
  traceMacs(t: MacTracer, [video, audio]: readonly Shape[]): Shape[] {
    const v = t.child('video_network', this.videoNetwork, video!);
    const a = t.child('audio_network', this.audioNetwork, audio!);
    return [t.child('mlp_v', this.mlpV, [v[0]!, v[1]!]), t.child('mlp_a', this.mlpA, [a[0]!, a[1]!])];
  }
}
