// Finetuning wrappers of eval_video.py (SPEC 3.9): a pretrained video encoder (`base`), an
// optional pooling transformer (`pooling_arch`, STiCA) and a fresh linear classifier.
import { torch, nn } from '../index.js';
import type { Tensor } from '../torch/index.js';
import type { MacTraceable, MacTracer, Shape } from './flops.js';
import type { VideoResNet } from './r2plus1d.js';
import { l2Normalize } from './heads.js';
import type { GDT } from './gdt.js';
import type { TextVidGDT } from './textvid-gdt.js';
import type { Stica } from './stica.js';

export interface FinetuneOptions {
  numClasses: number;
  /** Feature size entering the classifier. Default: the encoder's output channels (512·width). */
  numFtrs?: number;
  /** Dropout(dropout) before the classifier. Default false (as the evaluation script). */
  useDropout?: boolean;
  /** BatchNorm1d before the linear layer (`classifier = Sequential(final_bn, linear_layer)`). */
  useBn?: boolean;
  /** L2-normalise the features before the classifier. */
  useL2Norm?: boolean;
  /** Dropout probability with useDropout; 0.9 in the reference. */
  dropout?: number;
}

/** Linear with eval_video's init: orthogonal weight (gain 1), zero bias. */
function classifierLinear(inF: number, outF: number): nn.Linear {
  const l = new nn.Linear(inF, outF);
  nn.init.orthogonal_(l.weight, 1);
  nn.init.zeros_(l.bias!);
  return l;
}

const numel = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

/** The classifier part shared by both wrappers: [l2norm] -> [dropout] -> [BN] -> Linear. */
abstract class FinetuneHead extends nn.Module implements MacTraceable {
  classifier!: nn.Linear | nn.Sequential;
  dropoutLayer: nn.Dropout | undefined;
  useL2Norm = false;
  numClasses = 0;

  /** Registers the classifier after the wrapper's body (state-dict order: body, classifier). */
  protected initHead(numFtrs: number, o: FinetuneOptions): void {
    this.numClasses = o.numClasses;
    this.useL2Norm = o.useL2Norm ?? false;
    this.dropoutLayer = o.useDropout ? this.registerModule('dropout', new nn.Dropout(o.dropout ?? 0.9)) : undefined;
    if (o.useBn) {
      // The same modules under two names: the state dict holds final_bn.* / linear_layer.* and
      // classifier.0.* / classifier.1.* (shared tensors), as the reference.
      const bn = this.registerModule('final_bn', new nn.BatchNorm1d(numFtrs));
      const lin = this.registerModule('linear_layer', classifierLinear(numFtrs, o.numClasses));
      this.classifier = this.registerModule('classifier', new nn.Sequential(bn, lin));
    } else {
      this.classifier = this.registerModule('classifier', classifierLinear(numFtrs, o.numClasses));
    }
  }

  protected classify(features: Tensor): Tensor {
    return torch.tidy(() => {
      let h = features;
      if (this.useL2Norm) h = l2Normalize(h);
      if (this.dropoutLayer) h = this.dropoutLayer.forward(h);
      return this.classifier.forward(h);
    });
  }

  abstract traceMacs(t: MacTracer, inputs: readonly Shape[]): Shape[];
}

/**
 * `Finetune_Model`: logits = classifier(squeeze(base(x))), base = a GDT / TextVid_GDT video
 * encoder with avgpool (1,1,1). Features are flattened to (B, C) rather than squeezed, so a batch
 * of one keeps its batch dimension (the reference would give (C,) logits).
 */
export class FinetuneModel extends FinetuneHead {
  readonly base: VideoResNet;
  constructor(base: VideoResNet, o: FinetuneOptions) {
    super();
    if (base.prePool) throw new RangeError('Finetune_Model needs an encoder with its average pool (prePool = false)');
    this.base = this.registerModule('base', base);
    this.initHead(o.numFtrs ?? base.outChannels * base.duration, o);
  }
  forward(x: Tensor): Tensor {
    return torch.tidy(() => this.classify(this.base.forward(x).flatten(1)));
  }
  traceMacs(t: MacTracer, [x]: readonly Shape[]): Shape[] {
    const f = t.child('base', this.base, x!);
    return [t.child('classifier', this.classifier, [f[0]!, numel(f.slice(1))])];
  }
}

/**
 * `Finetune_Model_Agg` (STiCA): logits = classifier(pooling_arch(base(x))), base = the encoder
 * without average pool, pooling_arch = STiCA's transformer `video_pooling` Sequential.
 */
export class FinetuneModelAgg extends FinetuneHead {
  readonly base: VideoResNet;
  readonly poolingArch: nn.Sequential;
  constructor(base: VideoResNet, poolingArch: nn.Module, o: FinetuneOptions) {
    super();
    // With num_layer = 0 the pooling is a plain AdaptiveAvgPool3d whose 5-D output cannot enter
    // the Linear classifier: the reference fails there too (SPEC 13.15).
    if (!(poolingArch instanceof nn.Sequential)) {
      throw new TypeError('Finetune_Model_Agg needs STiCA transformer pooling (num_layer > 0); with num_layer = 0 the reference fails as well');
    }
    this.base = this.registerModule('base', base);
    this.poolingArch = this.registerModule('pooling_arch', poolingArch);
    this.initHead(o.numFtrs ?? base.outChannels, o);
  }
  forward(x: Tensor): Tensor {
    return torch.tidy(() => this.classify(this.poolingArch.forward(this.base.forward(x))));
  }
  traceMacs(t: MacTracer, [x]: readonly Shape[]): Shape[] {
    const f = t.child('pooling_arch', this.poolingArch, t.child('base', this.base, x!));
    return [t.child('classifier', this.classifier, f)];
  }
}

/** eval_video.py's wrapper for a GDT or TextVid_GDT model: its video encoder + classifier. */
export function finetuneFromGdt(model: GDT | TextVidGDT, o: FinetuneOptions): FinetuneModel {
  return new FinetuneModel(model.videoNetwork.base, o);
}

/** eval_video.py's wrapper for STiCA: its encoder, its video_pooling and a classifier. */
export function finetuneFromStica(model: Stica, o: FinetuneOptions): FinetuneModelAgg {
  return new FinetuneModelAgg(model.videoNetwork.base, model.videoPooling, o);
}
