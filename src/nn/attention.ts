// nn.MultiheadAttention and nn.TransformerEncoderLayer with PyTorch 1.13's parameter names,
// initialisation order and (slow-path) arithmetic.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { Module, ownParameter } from './module.js';
import { Linear } from './linear.js';
import { LayerNorm } from './batchnorm.js';
import { Dropout } from './layers.js';
import * as init from './init.js';

export interface MultiheadAttentionOptions {
  dropout?: number;
  bias?: boolean;
  kdim?: number;
  vdim?: number;
  batchFirst?: boolean;
}

export interface AttentionCall {
  /** Bool (true = may NOT attend, as PyTorch's MHA) or additive float mask, (L, S) or (N·heads, L, S). */
  attnMask?: Tensor;
  /** (N, S) bool, true = padding (ignored key). */
  keyPaddingMask?: Tensor;
  needWeights?: boolean;
  averageAttnWeights?: boolean;
}

export class MultiheadAttention extends Module<[Tensor, Tensor, Tensor, AttentionCall?], [Tensor, Tensor | undefined]> {
  readonly inProjWeight: Tensor | undefined;
  readonly qProjWeight: Tensor | undefined;
  readonly kProjWeight: Tensor | undefined;
  readonly vProjWeight: Tensor | undefined;
  readonly inProjBias: Tensor | undefined;
  readonly outProj: Linear;
  readonly headDim: number;
  readonly dropout: number;
  readonly batchFirst: boolean;
  constructor(
    readonly embedDim: number,
    readonly numHeads: number,
    o: MultiheadAttentionOptions = {},
  ) {
    super();
    this.headDim = Math.floor(embedDim / numHeads);
    if (this.headDim * numHeads !== embedDim) throw new RangeError('embed_dim must be divisible by num_heads');
    this.dropout = o.dropout ?? 0;
    this.batchFirst = o.batchFirst ?? false;
    const kdim = o.kdim ?? embedDim;
    const vdim = o.vdim ?? embedDim;
    const same = kdim === embedDim && vdim === embedDim;
    if (!same) {
      this.qProjWeight = this.registerParameter('q_proj_weight', ownParameter(torch.empty([embedDim, embedDim])));
      this.kProjWeight = this.registerParameter('k_proj_weight', ownParameter(torch.empty([embedDim, kdim])));
      this.vProjWeight = this.registerParameter('v_proj_weight', ownParameter(torch.empty([embedDim, vdim])));
    } else {
      this.inProjWeight = this.registerParameter('in_proj_weight', ownParameter(torch.empty([3 * embedDim, embedDim])));
    }
    const bias = o.bias ?? true;
    this.inProjBias = this.registerParameter('in_proj_bias', bias ? ownParameter(torch.empty([3 * embedDim])) : undefined);
    // PyTorch builds out_proj (drawing its default init) before _reset_parameters: same order here.
    this.outProj = this.registerModule('out_proj', new Linear(embedDim, embedDim, { bias }));
    if (this.inProjWeight) init.xavierUniform_(this.inProjWeight);
    else {
      init.xavierUniform_(this.qProjWeight!);
      init.xavierUniform_(this.kProjWeight!);
      init.xavierUniform_(this.vProjWeight!);
    }
    if (this.inProjBias) {
      init.constant_(this.inProjBias, 0);
      init.constant_(this.outProj.bias!, 0);
    }
  }

  forward(query: Tensor, key: Tensor, value: Tensor, call: AttentionCall = {}): [Tensor, Tensor | undefined] {
    const keepWeights = call.needWeights ?? true;
    const result = torch.tidy(() => {
      let q0 = query;
      let k0 = key;
      let v0 = value;
      if (this.batchFirst) [q0, k0, v0] = [q0.transpose(0, 1), k0.transpose(0, 1), v0.transpose(0, 1)];
      const [L, N, E] = q0.shape as [number, number, number];
      const S = k0.shape[0]!;
      const H = this.numHeads;
      const D = this.headDim;
      let q: Tensor;
      let k: Tensor;
      let v: Tensor;
      const b = this.inProjBias?.chunk(3);
      if (this.inProjWeight) {
        const [wq, wk, wv] = this.inProjWeight.chunk(3) as [Tensor, Tensor, Tensor];
        q = torch.F.linear(q0, wq, b?.[0]);
        k = torch.F.linear(k0, wk, b?.[1]);
        v = torch.F.linear(v0, wv, b?.[2]);
      } else {
        q = torch.F.linear(q0, this.qProjWeight!, b?.[0]);
        k = torch.F.linear(k0, this.kProjWeight!, b?.[1]);
        v = torch.F.linear(v0, this.vProjWeight!, b?.[2]);
      }
      let mask: Tensor | undefined;
      if (call.attnMask) mask = call.attnMask.ndim === 2 ? call.attnMask.unsqueeze(0) : call.attnMask;
      if (call.keyPaddingMask) {
        const kpm = call.keyPaddingMask.view(N, 1, 1, S).expand(-1, H, -1, -1).reshape(N * H, 1, S);
        mask = mask === undefined ? kpm : mask.dtype === 'bool' ? mask.logicalOr(kpm) : mask.maskedFill(kpm, -Infinity);
      }
      if (mask && mask.dtype === 'bool') mask = torch.zerosLike(mask, { dtype: q.dtype }).maskedFill(mask, -Infinity);
      q = q.contiguous().view(L, N * H, D).transpose(0, 1);
      k = k.contiguous().view(S, N * H, D).transpose(0, 1);
      v = v.contiguous().view(S, N * H, D).transpose(0, 1);
      const qs = q.div(Math.sqrt(D));
      const kt = k.transpose(-2, -1);
      let w = mask ? new torch.Tensor(torch.aten.baddbmm(mask.handle, qs.handle, kt.handle)) : qs.bmm(kt);
      w = w.softmax(-1);
      if (this.training && this.dropout > 0) w = torch.F.dropout(w, this.dropout, true);
      let out = w.bmm(v).transpose(0, 1).contiguous().view(L * N, E);
      out = torch.F.linear(out, this.outProj.weight, this.outProj.bias).view(L, N, E);
      if (this.batchFirst) out = out.transpose(0, 1);
      if (!keepWeights) return [out] as [Tensor];
      let weights = w.view(N, H, L, S);
      if (call.averageAttnWeights ?? true) weights = weights.sum(1).div(H);
      return [out, weights] as [Tensor, Tensor];
    });
    return [result[0], result[1]];
  }
}

export interface TransformerEncoderLayerOptions {
  dimFeedforward?: number;
  dropout?: number;
  activation?: 'relu' | 'gelu';
  layerNormEps?: number;
  batchFirst?: boolean;
  normFirst?: boolean;
}

export class TransformerEncoderLayer extends Module<[Tensor, { srcMask?: Tensor; srcKeyPaddingMask?: Tensor }?], Tensor> {
  readonly selfAttn: MultiheadAttention;
  readonly linear1: Linear;
  readonly dropout: Dropout;
  readonly linear2: Linear;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly dropout1: Dropout;
  readonly dropout2: Dropout;
  readonly normFirst: boolean;
  readonly activation: 'relu' | 'gelu';
  constructor(dModel: number, nhead: number, o: TransformerEncoderLayerOptions = {}) {
    super();
    const p = o.dropout ?? 0.1;
    const ff = o.dimFeedforward ?? 2048;
    const eps = o.layerNormEps ?? 1e-5;
    this.selfAttn = this.registerModule('self_attn', new MultiheadAttention(dModel, nhead, { dropout: p, batchFirst: o.batchFirst }));
    this.linear1 = this.registerModule('linear1', new Linear(dModel, ff));
    this.dropout = this.registerModule('dropout', new Dropout(p));
    this.linear2 = this.registerModule('linear2', new Linear(ff, dModel));
    this.normFirst = o.normFirst ?? false;
    this.norm1 = this.registerModule('norm1', new LayerNorm(dModel, eps));
    this.norm2 = this.registerModule('norm2', new LayerNorm(dModel, eps));
    this.dropout1 = this.registerModule('dropout1', new Dropout(p));
    this.dropout2 = this.registerModule('dropout2', new Dropout(p));
    this.activation = o.activation ?? 'relu';
  }
  private sa(x: Tensor, mask?: Tensor, kpm?: Tensor): Tensor {
    const [y] = this.selfAttn.forward(x, x, x, { attnMask: mask, keyPaddingMask: kpm, needWeights: false });
    return this.dropout1.forward(y);
  }
  private ffn(x: Tensor): Tensor {
    const h = this.linear1.forward(x);
    const a = this.activation === 'relu' ? torch.F.relu(h) : torch.F.gelu(h);
    return this.dropout2.forward(this.linear2.forward(this.dropout.forward(a)));
  }
  forward(src: Tensor, masks: { srcMask?: Tensor; srcKeyPaddingMask?: Tensor } = {}): Tensor {
    return torch.tidy(() => {
      let x = src;
      if (this.normFirst) {
        x = x.add(this.sa(this.norm1.forward(x), masks.srcMask, masks.srcKeyPaddingMask));
        return x.add(this.ffn(this.norm2.forward(x)));
      }
      x = this.norm1.forward(x.add(this.sa(x, masks.srcMask, masks.srcKeyPaddingMask)));
      return this.norm2.forward(x.add(this.ffn(x)));
    });
  }
}
