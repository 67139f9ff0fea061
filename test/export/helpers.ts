// Shared by the ONNX export tests: non-trivial BatchNorm state, onnxruntime runs and the
// comparison with libtorch (max relative error and an elementwise allclose).
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { torch, nn } from '../../src/index.js';
import type { Tensor } from '../../src/torch/index.js';
import { serializeModel, type OnnxModel } from '../../src/export/onnx-proto.js';

/** ≤ 1e-4: max|onnx − libtorch| / max|libtorch| (the bound). */
export const MAX_REL = 1e-4;
/** Elementwise: |onnx − libtorch| ≤ ATOL + RTOL·|libtorch|. */
export const ATOL = 1e-5;
export const RTOL = 1e-4;

/**
 * Random BatchNorm affine parameters and running statistics (the defaults, 1/0 and 0/1, would
 * leave the normalisation untested), and random biases where there are any.
 */
export function randomizeState(m: nn.Module<never[], unknown>): void {
  torch.noGrad(() => {
    for (const x of m.modules()) {
      if (x instanceof nn.BatchNorm) {
        x.weight?.uniform_(0.5, 1.5);
        x.bias?.normal_(0, 0.3);
        x.runningMean?.normal_(0, 0.5);
        x.runningVar?.uniform_(0.5, 2);
      } else if (x instanceof nn.LayerNorm) {
        x.weight?.uniform_(0.5, 1.5);
        x.bias?.normal_(0, 0.3);
      } else if (x instanceof nn.Linear && x.bias) x.bias.normal_(0, 0.1);
    }
  });
}

export async function session(model: OnnxModel | Uint8Array | string): Promise<ort.InferenceSession> {
  const src = typeof model === 'string' || model instanceof Uint8Array ? model : serializeModel(model);
  // One thread: the test machine's cores are shared.
  return typeof src === 'string' ? ort.InferenceSession.create(src, { intraOpNumThreads: 1 }) : ort.InferenceSession.create(src, { intraOpNumThreads: 1 });
}

export async function runOrt(s: ort.InferenceSession, input: string, x: Tensor): Promise<{ data: Float32Array; dims: number[] }> {
  const out = await s.run({ [input]: new ort.Tensor('float32', x.toTypedArray() as Float32Array, x.shape) });
  const y = out.features!;
  return { data: y.data as Float32Array, dims: [...y.dims] };
}

export interface Comparison {
  maxAbs: number;
  maxRel: number;
}

/** Asserts onnxruntime's output equals libtorch's (shape, relative error, elementwise); returns the errors. */
export function assertClose(got: { data: Float32Array; dims: number[] }, want: Tensor, what: string): Comparison {
  assert.deepEqual(got.dims, want.shape, `${what}: output shape`);
  const w = want.toTypedArray() as Float32Array;
  let maxAbs = 0;
  let scale = 0;
  let worst = -1;
  for (let i = 0; i < w.length; i++) {
    const d = Math.abs(got.data[i]! - w[i]!);
    assert.ok(Number.isFinite(d), `${what}: element ${i} is not finite (${got.data[i]} vs ${w[i]})`);
    maxAbs = Math.max(maxAbs, d);
    scale = Math.max(scale, Math.abs(w[i]!));
    if (d > ATOL + RTOL * Math.abs(w[i]!) && worst < 0) worst = i;
  }
  assert.ok(scale > 1e-3, `${what}: the reference output is not trivially small (max |y| = ${scale})`);
  assert.equal(worst, -1, `${what}: element ${worst}: ${got.data[worst]} vs ${w[worst]} (atol ${ATOL}, rtol ${RTOL})`);
  const maxRel = maxAbs / scale;
  assert.ok(maxRel <= MAX_REL, `${what}: max relative error ${maxRel}`);
  return { maxAbs, maxRel };
}

/** Counts of each op type in the graph. */
export function opCounts(m: OnnxModel): Record<string, number> {
  const c: Record<string, number> = {};
  for (const n of m.graph.nodes) c[n.opType] = (c[n.opType] ?? 0) + 1;
  return c;
}
