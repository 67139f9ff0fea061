// STiCA's transformer pooling (SPEC 3.8): post-norm layers over (B, L, 512) whose output is the
// state at sequence position 0 (no CLS token, no mean).
import { torch, nn } from '../index.js';
import type { Tensor } from '../torch/index.js';
import type { MacTraceable, MacTracer, Shape } from './flops.js';

export interface TransformerPoolingOptions {
  /** Embedding (= hidden) size; 512 in STiCA. */
  dim?: number;
  /** Number of layers (`num_layer`); default 2. */
  numLayers?: number;
  /** Attention heads (`num_head`); default 4. */
  numHeads?: number;
  /** Dropout on the attention weights and the attention output (`dp`); default 0. */
  dropout?: number;
  /** Add a learnt positional embedding (`pos_embs.0`, 64 positions). Default false. */
  positionalEmb?: boolean;
  /** Value and output projections (`v_lin`, `out_lin`); without them both are identity. Default false. */
  qkvMha?: boolean;
  /** FFN hidden size; default 4·dim (2048). */
  ffnDim?: number;
  /** Rows of the positional embedding; 64 in the reference. */
  maxPositions?: number;
}

/** Linear with the pooling's init: N(0, 0.02) weight, zero bias. */
function linear(i: number, o: number): nn.Linear {
  const l = new nn.Linear(i, o);
  nn.init.normal_(l.weight, 0, 0.02);
  nn.init.zeros_(l.bias!);
  return l;
}

/** Multi-head self-attention with q_lin/k_lin and optional v_lin/out_lin (identity otherwise). */
export class PoolingAttention extends nn.Module implements MacTraceable {
  readonly qLin: nn.Linear;
  readonly kLin: nn.Linear;
  readonly vLin: nn.Linear | undefined;
  readonly outLin: nn.Linear | undefined;
  readonly headDim: number;
  constructor(
    readonly dim: number,
    readonly numHeads: number,
    readonly dropout: number,
    qkv: boolean,
  ) {
    super();
    if (dim % numHeads) throw new RangeError(`dim ${dim} is not divisible by ${numHeads} heads`);
    this.headDim = dim / numHeads;
    this.qLin = this.registerModule('q_lin', linear(dim, dim));
    this.kLin = this.registerModule('k_lin', linear(dim, dim));
    this.vLin = qkv ? this.registerModule('v_lin', linear(dim, dim)) : undefined;
    this.outLin = qkv ? this.registerModule('out_lin', linear(dim, dim)) : undefined;
  }
  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const [b, l] = x.shape as [number, number, number];
      const heads = (t: Tensor): Tensor => t.reshape(b, l, this.numHeads, this.headDim).transpose(1, 2);
      const q = heads(this.qLin.forward(x)).div(Math.sqrt(this.headDim));
      const k = heads(this.kLin.forward(x));
      const v = heads(this.vLin ? this.vLin.forward(x) : x);
      const scores = q.matmul(k.transpose(2, 3));
      // Softmax in float32 whatever the input precision, as the reference.
      let w = torch.F.softmax(scores.float(), -1).to(scores.dtype);
      w = torch.F.dropout(w, this.dropout, this.training);
      const ctx = w.matmul(v).transpose(1, 2).reshape(b, l, this.dim);
      return this.outLin ? this.outLin.forward(ctx) : ctx;
    });
  }
  traceMacs(t: MacTracer, [x]: readonly Shape[]): Shape[] {
    const s = x!;
    t.child('q_lin', this.qLin, s);
    t.child('k_lin', this.kLin, s);
    if (this.vLin) t.child('v_lin', this.vLin, s);
    const [b, l] = s as [number, number];
    t.add('matmul', 2 * b * this.numHeads * l * l * this.headDim, 'attention');
    return [this.outLin ? t.child('out_lin', this.outLin, s) : s];
  }
}

/** lin1 -> exact (erf) GELU -> lin2; the reference's FFN dropout is always 0. */
export class PoolingFFN extends nn.Module implements MacTraceable {
  readonly lin1: nn.Linear;
  readonly lin2: nn.Linear;
  constructor(dim: number, hidden: number) {
    super();
    this.lin1 = this.registerModule('lin1', linear(dim, hidden));
    this.lin2 = this.registerModule('lin2', linear(hidden, dim));
  }
  forward(x: Tensor): Tensor {
    return torch.tidy(() => this.lin2.forward(torch.F.gelu(this.lin1.forward(x))));
  }
  traceMacs(t: MacTracer, [x]: readonly Shape[]): Shape[] {
    return [t.child('lin2', this.lin2, t.child('lin1', this.lin1, x!))];
  }
}

/** One post-norm layer: x = norm1(x + dropout(mha(x))); x = norm2(x + ffn(x)). */
export class PoolingLayer extends nn.Module implements MacTraceable {
  readonly mha: PoolingAttention;
  readonly norm1: nn.LayerNorm;
  readonly ffn: PoolingFFN;
  readonly norm2: nn.LayerNorm;
  constructor(dim: number, numHeads: number, ffnDim: number, readonly dropout: number, qkv: boolean) {
    super();
    this.mha = this.registerModule('mha', new PoolingAttention(dim, numHeads, dropout, qkv));
    this.norm1 = this.registerModule('norm1', new nn.LayerNorm(dim, 1e-12));
    this.ffn = this.registerModule('ffn', new PoolingFFN(dim, ffnDim));
    this.norm2 = this.registerModule('norm2', new nn.LayerNorm(dim, 1e-12));
  }
  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      const h = torch.F.dropout(this.mha.forward(x), this.dropout, this.training);
      const y = this.norm1.forward(x.add(h));
      // The reference multiplies by an all-ones mask here: a no-op, left out.
      return this.norm2.forward(y.add(this.ffn.forward(y)));
    });
  }
  traceMacs(t: MacTracer, [x]: readonly Shape[]): Shape[] {
    let s = t.child('mha', this.mha, x!);
    s = t.child('norm1', this.norm1, s);
    s = t.child('ffn', this.ffn, s);
    return [t.child('norm2', this.norm2, s)];
  }
}

/** (B, L, dim) -> (B, dim): the transformed state at position 0. */
export class TransformerPooling extends nn.Module implements MacTraceable {
  readonly transformer: nn.ModuleList<PoolingLayer>;
  readonly posEmbs: nn.ModuleList<nn.Embedding> | undefined;
  readonly posIds: Tensor | undefined;
  readonly dim: number;
  readonly numLayers: number;
  constructor(o: TransformerPoolingOptions = {}) {
    super();
    this.dim = o.dim ?? 512;
    this.numLayers = o.numLayers ?? 2;
    const heads = o.numHeads ?? 4;
    const dp = o.dropout ?? 0;
    const maxPos = o.maxPositions ?? 64;
    // pos_ids is a buffer of the pooling module itself: first in its state dict.
    this.posIds = o.positionalEmb ? this.registerBuffer('pos_ids', torch.tidy(() => torch.arange(maxPos).reshape(1, maxPos))) : undefined;
    this.transformer = this.registerModule(
      'transformer',
      new nn.ModuleList(Array.from({ length: this.numLayers }, () => new PoolingLayer(this.dim, heads, o.ffnDim ?? 4 * this.dim, dp, o.qkvMha ?? false))),
    );
    // The positional table keeps PyTorch's Embedding init N(0, 1).
    this.posEmbs = o.positionalEmb ? this.registerModule('pos_embs', new nn.ModuleList([new nn.Embedding(maxPos, this.dim)])) : undefined;
  }
  forward(x: Tensor): Tensor {
    return torch.tidy(() => {
      let h = x;
      if (this.posEmbs && this.posIds) {
        const l = x.shape[1]!;
        h = h.add(this.posEmbs.at(0).forward(this.posIds.narrow(1, 0, l)));
      }
      for (const layer of this.transformer) h = layer.forward(h);
      return h.select(1, 0).contiguous();
    });
  }
  traceMacs(t: MacTracer, [x]: readonly Shape[]): Shape[] {
    let s = x!;
    let i = 0;
    for (const layer of this.transformer) s = t.child(`transformer.${i++}`, layer, s);
    return [[s[0]!, s[2]!]];
  }
  override extraRepr(): string {
    return `dim=${this.dim}, numLayers=${this.numLayers}`;
  }
}
