// Emitters of STiCA's video pooling (the `pooling_arch` of Finetune_Model_Agg): TransposeSqueeze
// and the post-norm transformer whose output is the state at position 0.
import { TransposeSqueeze } from '../models/squeeze.js';
import { PoolingAttention, PoolingFFN, PoolingLayer, TransformerPooling } from '../models/transformer-pooling.js';
import type { Dim } from './onnx-proto.js';
import { attr, type Value } from './graph-builder.js';
import { UnsupportedModuleError, subPath, type EmitContext, type EmitterRegistry } from './emit-context.js';
import { emitGelu } from './nn-emitters.js';
import { float32Data } from './tensor-data.js';

/** x.reshape(-1, fdim, tdim).transpose(1, 2). */
function emitTransposeSqueeze(ctx: EmitContext, m: TransposeSqueeze, x: Value, path: string): Value {
  const g = ctx.g;
  const rest = x.shape.slice(1);
  const restNumel = rest.every((d) => typeof d === 'number') ? (rest as number[]).reduce((a, b) => a * b, 1) : null;
  const first = x.shape[0];
  // The regrouped leading size: the batch when each sample holds exactly fdim·tdim values.
  const lead: Dim = restNumel === m.fdim * m.tdim ? first! : typeof first === 'number' && restNumel !== null ? (first * restNumel) / (m.fdim * m.tdim) : null;
  const r = g.op('Reshape', [x.name, g.ints(subPath(path, 'shape'), [-1, m.fdim, m.tdim])], [lead, m.fdim, m.tdim], subPath(path, 'reshape'));
  return g.op('Transpose', [r.name], [lead, m.tdim, m.fdim], subPath(path, 'transpose'), [attr.ints('perm', [0, 2, 1])]);
}

function emitAttention(ctx: EmitContext, m: PoolingAttention, x: Value, path: string): Value {
  const g = ctx.g;
  if (x.shape.length !== 3) throw new UnsupportedModuleError(path, m.constructor.name, `expected (B, L, dim), got [${x.shape.join(', ')}]`);
  const [b, l] = x.shape as [Dim, Dim, Dim];
  const split = g.ints(subPath(path, 'heads_shape'), [0, 0, m.numHeads, m.headDim]);
  const heads = (v: Value, hint: string): Value => {
    const r = g.op('Reshape', [v.name, split], [b, l, m.numHeads, m.headDim], subPath(path, `${hint}_split`));
    return g.op('Transpose', [r.name], [b, m.numHeads, l, m.headDim], subPath(path, `${hint}_heads`), [attr.ints('perm', [0, 2, 1, 3])]);
  };
  const qh = heads(ctx.child(path, 'q_lin', m.qLin, x), 'q');
  const q = g.op('Div', [qh.name, g.constant(subPath(path, 'scale'), Float32Array.of(Math.sqrt(m.headDim)), [])], qh.shape, subPath(path, 'q_scaled'));
  const k = heads(ctx.child(path, 'k_lin', m.kLin, x), 'k');
  const v = heads(m.vLin ? ctx.child(path, 'v_lin', m.vLin, x) : x, 'v');
  const kt = g.op('Transpose', [k.name], [b, m.numHeads, m.headDim, l], subPath(path, 'k_t'), [attr.ints('perm', [0, 1, 3, 2])]);
  const scores = g.op('MatMul', [q.name, kt.name], [b, m.numHeads, l, l], subPath(path, 'scores'));
  // Eval mode: the dropout on the weights is the identity.
  const w = g.op('Softmax', [scores.name], scores.shape, subPath(path, 'softmax'), [attr.int('axis', -1)]);
  const c = g.op('MatMul', [w.name, v.name], [b, m.numHeads, l, m.headDim], subPath(path, 'context'));
  const ct = g.op('Transpose', [c.name], [b, l, m.numHeads, m.headDim], subPath(path, 'context_t'), [attr.ints('perm', [0, 2, 1, 3])]);
  const merged = g.op('Reshape', [ct.name, g.ints(subPath(path, 'merge_shape'), [0, 0, m.dim])], [b, l, m.dim], subPath(path, 'merge'));
  return m.outLin ? ctx.child(path, 'out_lin', m.outLin, merged) : merged;
}

function emitFfn(ctx: EmitContext, m: PoolingFFN, x: Value, path: string): Value {
  return ctx.child(path, 'lin2', m.lin2, emitGelu(ctx, ctx.child(path, 'lin1', m.lin1, x), subPath(path, 'gelu')));
}

/** x = norm1(x + mha(x)); x = norm2(x + ffn(x)) (dropouts are identities in eval mode). */
function emitLayer(ctx: EmitContext, m: PoolingLayer, x: Value, path: string): Value {
  const g = ctx.g;
  const h = ctx.child(path, 'mha', m.mha, x);
  const y = ctx.child(path, 'norm1', m.norm1, g.op('Add', [x.name, h.name], x.shape, subPath(path, 'residual1')));
  const f = ctx.child(path, 'ffn', m.ffn, y);
  return ctx.child(path, 'norm2', m.norm2, g.op('Add', [y.name, f.name], y.shape, subPath(path, 'residual2')));
}

function emitTransformerPooling(ctx: EmitContext, m: TransformerPooling, x: Value, path: string): Value {
  const g = ctx.g;
  let h = x;
  if (m.posEmbs) {
    // The first L rows of the positional table, added to every sample: L must be static.
    const l = x.shape[1];
    if (typeof l !== 'number') throw new UnsupportedModuleError(path, m.constructor.name, 'positional embeddings need a static sequence length');
    const table = float32Data(m.posEmbs.at(0).weight).subarray(0, l * m.dim);
    const pe = g.constant(subPath(path, 'pos_embs.0.weight'), Float32Array.from(table), [1, l, m.dim]);
    h = g.op('Add', [h.name, pe], h.shape, subPath(path, 'pos_add'));
  }
  let i = 0;
  for (const layer of m.transformer) h = ctx.child(path, `transformer.${i++}`, layer, h);
  // h.select(1, 0): Gather with a scalar index drops the axis.
  return g.op('Gather', [h.name, g.ints(subPath(path, 'position0'), [0], [])], [h.shape[0]!, h.shape[2]!], subPath(path, 'select'), [attr.int('axis', 1)]);
}

export function registerPoolingEmitters(r: EmitterRegistry): EmitterRegistry {
  return r
    .register(TransposeSqueeze, emitTransposeSqueeze)
    .register(PoolingAttention, emitAttention)
    .register(PoolingFFN, emitFfn)
    .register(PoolingLayer, emitLayer)
    .register(TransformerPooling, emitTransformerPooling);
}
