import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { Module, parameter, ownParameter } from './module.js';

/** A lookup table; default init N(0, 1) with the padding row zeroed, as PyTorch. */
export class Embedding extends Module {
  readonly weight: Tensor;
  readonly paddingIdx: number | undefined;
  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: { paddingIdx?: number; weight?: Tensor; freeze?: boolean } = {},
  ) {
    super();
    let pad = options.paddingIdx;
    if (pad !== undefined) {
      if (pad >= numEmbeddings || pad < -numEmbeddings) throw new RangeError('Padding_idx must be within num_embeddings');
      if (pad < 0) pad += numEmbeddings;
    }
    this.paddingIdx = pad;
    if (options.weight) {
      const s = options.weight.shape;
      if (s.length !== 2 || s[0] !== numEmbeddings || s[1] !== embeddingDim) {
        throw new RangeError(`Embedding: weight has shape [${s}], expected [${numEmbeddings}, ${embeddingDim}]`);
      }
      this.weight = this.registerParameter('weight', parameter(options.weight, !options.freeze));
    } else {
      this.weight = this.registerParameter('weight', ownParameter(torch.empty([numEmbeddings, embeddingDim])));
      torch.noGrad(() => {
        this.weight.normal_(0, 1);
        if (pad !== undefined) this.weight.select(0, pad).fill_(0);
      });
    }
  }
  /** A frozen (by default) embedding from a pretrained matrix (nn.Embedding.from_pretrained). */
  static fromPretrained(weight: Tensor, options: { freeze?: boolean; paddingIdx?: number } = {}): Embedding {
    const [n, d] = weight.shape as [number, number];
    return new Embedding(n, d, { weight, freeze: options.freeze ?? true, paddingIdx: options.paddingIdx });
  }
  forward(indices: Tensor): Tensor {
    return torch.F.embedding(indices, this.weight, this.paddingIdx ?? -1);
  }
}
