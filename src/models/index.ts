// gdt's models: the reference's encoders, pretraining models, finetuning wrappers, weight
// loading and MAC counting, plus a registry of named architectures for the CLI.
import type { nn } from '../index.js';
import { VideoResNet } from './r2plus1d.js';
import { AudioResNet } from './audio-resnet.js';
import { Word2VecTextEncoder } from './text-encoder.js';
import { GDT } from './gdt.js';
import { TextVidGDT } from './textvid-gdt.js';
import { Stica, sticaVideoPooling, sticaDuration } from './stica.js';
import { TransformerPooling } from './transformer-pooling.js';
import { FinetuneModel, FinetuneModelAgg } from './finetune.js';
import type { Shape } from './flops.js';

export * from './r2plus1d.js';
export * from './audio-resnet.js';
export * from './text-encoder.js';
export * from './npy.js';
export * from './heads.js';
export * from './squeeze.js';
export * from './encoder-wrapper.js';
export * from './transformer-pooling.js';
export * from './gdt.js';
export * from './textvid-gdt.js';
export * from './stica.js';
export * from './finetune.js';
export * from './flops.js';
export * from './load.js';

export interface ArchitectureBuildOptions {
  /** Channel multiplier of the CNN encoders (1 = reference). */
  width?: number;
  /** Classes of the finetuning wrappers (default 101, UCF101). */
  numClasses?: number;
}

export interface Architecture {
  name: string;
  description: string;
  /** Example input shapes (batch 1) in forward-argument order, e.g. for countMacs. */
  inputShapes: Shape[];
  /** Parameters of the reference configuration (SPEC 3.10), width 1. */
  referenceParameters: number;
  build(o?: ArchitectureBuildOptions): nn.Module<never[], unknown>;
}

const VIDEO_112: Shape = [1, 3, 30, 112, 112];
const SPEC_40: Shape = [1, 1, 40, 99];
const SPEC_257: Shape = [1, 1, 257, 99];
const FINETUNE_CLIP: Shape = [1, 3, 32, 128, 128];

const list: Architecture[] = [
  {
    name: 'r2plus1d_18',
    description: 'R(2+1)D-18 video encoder, avgpool (1,1,1), no fc (SPEC 3.2)',
    inputShapes: [[1, 3, 16, 112, 112]],
    referenceParameters: 31_300_125,
    build: (o = {}) => new VideoResNet({ depth: 18, width: o.width }),
  },
  {
    name: 'r2plus1d_34',
    description: 'R(2+1)D-34 video encoder (stages 3/4/6/3)',
    inputShapes: [[1, 3, 16, 112, 112]],
    referenceParameters: 61_626_461,
    build: (o = {}) => new VideoResNet({ depth: 34, width: o.width }),
  },
  {
    name: 'resnet9',
    description: 'ResNet-9 audio encoder on (1, F, S) spectrograms, unused fc kept (SPEC 3.3)',
    inputShapes: [SPEC_40],
    referenceParameters: 5_412_520,
    build: (o = {}) => new AudioResNet({ depth: 9, width: o.width }),
  },
  {
    name: 'resnet18',
    description: 'ResNet-18 audio encoder, no fc',
    inputShapes: [SPEC_40],
    referenceParameters: 11_170_240,
    build: (o = {}) => new AudioResNet({ depth: 18, width: o.width }),
  },
  {
    name: 'text_encoder',
    description: 'word2vec text encoder: 66250 x 300 embedding, fc1 300 -> 2048, max over 20 words (SPEC 3.4)',
    inputShapes: [[1, 20]],
    referenceParameters: 20_491_448,
    build: () => new Word2VecTextEncoder(),
  },
  {
    name: 'transformer_pooling',
    description: "STiCA's 2-layer transformer pooling over (B, L, 512), output = position 0 (SPEC 3.8)",
    inputShapes: [[1, 4, 512]],
    referenceParameters: 5_254_144,
    build: () => new TransformerPooling({ numLayers: 2 }),
  },
  {
    name: 'gdt',
    description: 'audio-visual GDT: R(2+1)D-18 + ResNet-9, MLP heads, 256-d L2-normalised (SPEC 3.5)',
    inputShapes: [VIDEO_112, SPEC_40],
    referenceParameters: 37_501_637,
    build: (o = {}) => new GDT({ width: o.width }),
  },
  {
    name: 'gdt_linear',
    description: 'audio-visual GDT with linear heads (the model eval_video.py builds)',
    inputShapes: [VIDEO_112, SPEC_40],
    referenceParameters: 36_975_301,
    build: (o = {}) => new GDT({ width: o.width, useMlp: false }),
  },
  {
    name: 'textvid_gdt',
    description: 'video-text GDT: R(2+1)D-18 + word2vec text encoder, MLP heads (SPEC 3.6)',
    inputShapes: [VIDEO_112, [1, 20]],
    referenceParameters: 53_366_997,
    build: (o = {}) => new TextVidGDT({ width: o.width }),
  },
  {
    name: 'stica',
    description: 'STiCA: R(2+1)D-18 feature map + ResNet-9, 2-layer transformer pooling, MLP heads (SPEC 3.7)',
    inputShapes: [VIDEO_112, SPEC_257],
    referenceParameters: 42_755_781,
    build: (o = {}) => new Stica({ width: o.width, numLayers: 2 }),
  },
  {
    name: 'stica_gap',
    description: 'STiCA with global average pooling (num_layer 0)',
    inputShapes: [VIDEO_112, SPEC_257],
    referenceParameters: 37_501_637,
    build: (o = {}) => new Stica({ width: o.width, numLayers: 0 }),
  },
  {
    name: 'finetune',
    description: 'Finetune_Model: GDT video encoder + orthogonal-init linear classifier (SPEC 3.9)',
    inputShapes: [FINETUNE_CLIP],
    referenceParameters: 31_351_938,
    build: (o = {}) => new FinetuneModel(new VideoResNet({ width: o.width }), { numClasses: o.numClasses ?? 101 }),
  },
  {
    name: 'finetune_agg',
    description: "Finetune_Model_Agg: STiCA encoder + its 2-layer transformer pooling (time 8) + classifier",
    inputShapes: [FINETUNE_CLIP],
    // SPEC 3.10 gives 36,580,432 for 51 classes; 101 classes add 50 x 513.
    referenceParameters: 36_606_082,
    build: (o = {}) => {
      // eval_video.py's STiCA: num_layer 2, num_sec 2 (duration 8), transformer_time_dim 8.
      const base = new VideoResNet({ width: o.width, prePool: true });
      const pooling = sticaVideoPooling({ featureDim: base.outChannels, duration: sticaDuration(2), transformerTimeDim: 8, numLayers: 2 });
      return new FinetuneModelAgg(base, pooling, { numClasses: o.numClasses ?? 101 });
    },
  },
];

/** Named architectures (name -> factory and description), for `gdt models`. */
export const architectures: Readonly<Record<string, Architecture>> = Object.freeze(Object.fromEntries(list.map((a) => [a.name, a])));
