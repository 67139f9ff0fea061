// The NCE term of GDT (SPEC 6.1, the reference's `get_loss`), with optional per-query negative
// subsampling. Keys never receive gradients: only the queries are trained by a term.
import { torch } from '../index.js';
import type { Tensor, Generator } from '../torch/index.js';

/**
 * Draws negatives for subsampling: returns int64 `(rows, k)` indices, each row `k` distinct values
 * in `[0, candidates)`. Row i's candidate c is the c-th column of that row's logits with the
 * positive (column i) removed, i.e. column `c < i ? c : c + 1` of `[positives (N), negatives (K)]`.
 */
export type NegativeSampler = (rows: number, candidates: number, k: number) => Tensor;

/**
 * Uniform subsets without replacement: one `torch.rand([rows, candidates], float64)` draw from
 * `generator` (the default CPU generator when omitted) per call; each row keeps the candidates of
 * its `k` smallest values (argsort order), so every k-subset is equally likely.
 */
export function uniformNegativeSampler(generator?: Generator): NegativeSampler {
  return (rows, candidates, k) =>
    torch.tidy(() => torch.rand([rows, candidates], { generator, dtype: 'float64' }).argsort(1).narrow(1, 0, k).contiguous());
}

export interface NceOptions {
  /** Softmax temperature tau (`--nce_t`); default 0.07. */
  temperature?: number;
  /**
   * L2-normalise queries and keys first (default true). The reference's model already emits unit
   * vectors and get_loss does not normalise again; re-normalising unit vectors changes neither the
   * value nor the gradient that reaches the encoder (only the radial part, which the model's own
   * normalisation removes), and makes the term correct for raw features too.
   */
  normalize?: boolean;
  /**
   * Keep only k negatives per query row (default: all N - 1 + K). Each row draws its own k distinct
   * negatives uniformly from its N - 1 other local keys and K extra negatives (a block repeated in
   * the negative sets counts as separate candidates); the logits become `[positive, k negatives]`
   * with the positive at index 0. The reference's `--num_negatives` is never active (SPEC 6.5).
   */
  numNegatives?: number;
  /** CPU generator for the subsampling draws (see uniformNegativeSampler); default generator when omitted. */
  generator?: Generator;
  /** Replaces the uniform draws (deterministic tests, other schemes). */
  sampler?: NegativeSampler;
}

export interface NceLogits {
  /** `(N, N + K)` (positive of row i at column i), or `(N, 1 + k)` when subsampling (positive at 0). */
  logits: Tensor;
  /** int64 `(N,)` class of the positive in each row. */
  target: Tensor;
}

/**
 * The logits of SPEC 6.1: `logits_i = [q_i.k_1 .. q_i.k_N, q_i.m_1 .. q_i.m_K] / tau` where
 * `M = cat(negatives)`. `k` and the negatives are detached here; gradients reach `q` only.
 */
export function nceLogits(q: Tensor, k: Tensor, negatives: readonly Tensor[], o: NceOptions = {}): NceLogits {
  const tau = o.temperature ?? 0.07;
  if (!(tau > 0)) throw new RangeError(`NCE temperature must be positive, got ${tau}`);
  const [n, c] = q.shape as [number, number];
  if (q.ndim !== 2 || k.shape.join() !== q.shape.join()) {
    throw new RangeError(`NCE: queries [${q.shape}] and positives [${k.shape}] must both be (N, C)`);
  }
  for (const m of negatives) {
    if (m.ndim !== 2 || m.shape[1] !== c) throw new RangeError(`NCE: negatives [${m.shape}] must be (K, ${c})`);
  }
  return torch.tidy(() => {
    const norm = o.normalize ?? true;
    const qn = norm ? torch.F.normalize(q, 2, 1) : q;
    // The key bank: local positives (the other rows are negatives too), then the extra negatives.
    const bank = torch.cat([k, ...negatives.filter((m) => m.shape[0]! > 0)].map((t) => t.detach()), 0);
    const keys = norm ? torch.F.normalize(bank, 2, 1) : bank;
    const full = qn.matmul(keys.t()).div(tau);
    if (o.numNegatives === undefined) return { logits: full, target: torch.arange(n, undefined, 1, { device: q.device }) };

    const kNeg = o.numNegatives;
    const candidates = keys.shape[0]! - 1;
    if (!Number.isInteger(kNeg) || kNeg < 1 || kNeg > candidates) {
      throw new RangeError(`numNegatives must be an integer in [1, ${candidates}] (N - 1 + K negatives per query here), got ${kNeg}`);
    }
    const idx = (o.sampler ?? uniformNegativeSampler(o.generator))(n, candidates, kNeg);
    if (idx.shape.join() !== `${n},${kNeg}` || idx.dtype !== 'int64') {
      throw new RangeError(`negative sampler returned ${idx.dtype} [${idx.shape}], expected int64 [${n}, ${kNeg}]`);
    }
    const lo = idx.min().item() as number;
    const hi = idx.max().item() as number;
    if (lo < 0 || hi >= candidates) throw new RangeError(`negative sampler returned indices in [${lo}, ${hi}], expected [0, ${candidates})`);
    const onDevice = idx.to({ device: q.device });
    // Skip each row's own positive column: candidate c of row i is column c + (c >= i).
    const rowIdx = torch.arange(n, undefined, 1, { device: q.device }).unsqueeze(1);
    const cols = onDevice.add(onDevice.ge(rowIdx).long());
    const pos = full.diagonal().unsqueeze(1);
    const logits = torch.cat([pos, full.gather(1, cols)], 1);
    return { logits, target: torch.zeros([n], { dtype: 'int64', device: q.device }) };
  });
}

/** The NCE term: mean over rows of the cross-entropy of the logits against the positive. */
export function nceLoss(q: Tensor, k: Tensor, negatives: readonly Tensor[], o: NceOptions = {}): Tensor {
  return torch.tidy(() => {
    const { logits, target } = nceLogits(q, k, negatives, o);
    return torch.F.crossEntropy(logits, target);
  });
}
