// STiCA's contrastive term (SPEC 7.1, the reference's `gdt_loss`): InfoNCE of one set of
// embeddings against another, local rows first then the other ranks' rows; keys are detached.
import { torch } from '../../index.js';
import type { Tensor } from '../../torch/index.js';

/**
 * `mean_i CE(q_i . K^T / tau, target i)` with `K = detach(cat(keys, others))`: the positive of
 * query row i is key row i, every other local key and every other-rank row is a negative. With
 * `normalize`, queries and keys are L2-normalised first (the reference does not: its model
 * already emits unit vectors, and re-normalising them changes neither the value nor the
 * gradient reaching the encoder). Queries may have fewer rows than the keys (the reference then
 * still pairs row i with column i; see SPEC 13.14), not more.
 */
export function nceTerm(q: Tensor, keys: Tensor, others: Tensor | undefined, temperature: number, normalize = false): Tensor {
  if (!(temperature > 0)) throw new RangeError(`contrastive temperature must be positive, got ${temperature}`);
  if (q.ndim !== 2 || keys.ndim !== 2 || q.shape[1] !== keys.shape[1]) {
    throw new RangeError(`contrastive term: queries [${q.shape}] and keys [${keys.shape}] must be (N, C) with the same C`);
  }
  return torch.tidy(() => {
    const bank = others && others.shape[0]! > 0 ? torch.cat([keys.detach(), others.detach()], 0) : keys.detach();
    if (q.shape[0]! > bank.shape[0]!) {
      throw new RangeError(`contrastive term: ${q.shape[0]} queries but only ${bank.shape[0]} keys (target i needs column i)`);
    }
    const qn = normalize ? torch.F.normalize(q, 2, 1) : q;
    const kn = normalize ? torch.F.normalize(bank, 2, 1) : bank;
    const logits = qn.matmul(kn.t()).div(temperature);
    return torch.F.crossEntropy(logits, torch.arange(q.shape[0]!, undefined, 1, { device: q.device }));
  });
}

export interface PairLossOptions {
  /** Softmax temperature; default 0.1 (the function default the cross-modal loss uses). */
  temperature?: number;
  /** Both directions (default true): `0.5 (P(fa | fv keys) + P(fv | fa keys))`; else only `fa` queries. */
  symmetric?: boolean;
  /** L2-normalise inside the term (default false, as the reference). */
  normalize?: boolean;
  /** The other ranks' rows of `fv` in rank order (`gatherOthers`); none with one process. */
  othersV?: Tensor;
  /** The other ranks' rows of `fa`; read only when symmetric. */
  othersA?: Tensor;
}

/**
 * `gdt_loss(fv, fa, symmetric, temp)` (SPEC 7.1): `fa` queries against `fv` keys and, when
 * symmetric, `fv` queries against `fa` keys, averaged. Gradients reach only the query side of
 * each direction (so with `symmetric: false` nothing flows into `fv`).
 */
export function gdtPairLoss(fv: Tensor, fa: Tensor, o: PairLossOptions = {}): Tensor {
  const tau = o.temperature ?? 0.1;
  const norm = o.normalize ?? false;
  return torch.tidy(() => {
    const av = nceTerm(fa, fv, o.othersV, tau, norm);
    if (!(o.symmetric ?? true)) return av;
    return av.add(nceTerm(fv, fa, o.othersA, tau, norm)).mul(0.5);
  });
}
