// The GDT objective (SPEC 6): evaluates a hypothesis' term table with the generic NCE term. The
// per-rank features are gathered once each through the collective; the loss is the weighted sum.
import { torch } from '../index.js';
import type { Tensor, Generator } from '../torch/index.js';
import { type Collective, localCollective, gatherOthers } from './collective.js';
import { type FeatureMap, type FeatureName, type Modality, featureKey } from './features.js';
import { type HypothesisId, type LossMode, getHypothesis, hypothesisTerms, featuresUsed } from './hypotheses.js';
import { nceLoss, type NegativeSampler } from './nce.js';

export interface GdtLossOptions {
  /** 1..9 or a name (see parseHypothesis). */
  hypothesis: HypothesisId | number | string;
  /** `paper` (default) or `reference` (SPEC 6.4 exactly, † duplicates included). */
  mode?: LossMode;
  /** NCE temperature; default 0.07. */
  temperature?: number;
  /**
   * This rank's `(N, C)` embeddings by name: V, A, VR, AR, V2, A2, V2R, A2R (audio) or V, T, VR,
   * TR, ... (text); only those the hypothesis reads are needed. Queries keep their gradients.
   */
  features: FeatureMap;
  /** Where the other ranks' features come from; default localCollective (one process). */
  collective?: Collective;
  /** Second modality: 'audio' (default) or 'text' (video-text GDT, features named with T). */
  modality?: Modality;
  /** Per-query negative subsampling (see NceOptions.numNegatives); default off. */
  numNegatives?: number;
  generator?: Generator;
  sampler?: NegativeSampler;
  /** L2-normalise inside the NCE term (default true; see NceOptions.normalize). */
  normalize?: boolean;
}

export interface GdtTermValue {
  /** `group:query->positive`, e.g. `l1:V->AR` (`l1:V->TR` for text). */
  name: string;
  group: string;
  weight: number;
  /** The term's NCE value (before weighting). */
  value: number;
}

export interface GdtLossResult {
  /** Scalar loss (owned by the caller's scope). */
  loss: Tensor;
  /** Every term, in evaluation order, for logging. */
  terms: GdtTermValue[];
}

/**
 * The GDT loss of one rank (SPEC 6.1-6.5). With world size 1 the other-rank sets `O:X` are empty
 * and every term still has the local batch as negatives; the reference itself needs >= 2 ranks.
 */
export function gdtLoss(o: GdtLossOptions): GdtLossResult {
  const h = getHypothesis(o.hypothesis);
  const mode = o.mode ?? 'paper';
  const terms = hypothesisTerms(h, mode);
  const modality = o.modality ?? 'audio';
  const collective = o.collective ?? localCollective;
  const key = (f: FeatureName): string => featureKey(f, modality);

  const needed = featuresUsed(terms);
  const missing = needed.filter((f) => o.features[featureKey(f, modality)] === undefined);
  if (missing.length) {
    throw new Error(`hypothesis ${h.id} (${h.name}) needs features ${needed.map(key).join(', ')}; missing ${missing.map(key).join(', ')}`);
  }
  const feature = (f: FeatureName): Tensor => o.features[featureKey(f, modality)]!;
  const shape = feature(needed[0]!).shape;
  for (const f of needed) {
    const s = feature(f).shape;
    if (s.length !== 2 || s.join() !== shape.join()) throw new RangeError(`feature ${key(f)} has shape [${s}]; every feature must be (N, C) = [${shape}]`);
  }

  const out = torch.tidy(() => {
    // Gather each feature the tables read as O:X once, in a fixed order so all ranks agree.
    const others = new Map<FeatureName, Tensor>();
    for (const f of needed) {
      if (terms.some((t) => t.negatives.some((r) => r.source === 'others' && r.feature === f))) {
        others.set(f, gatherOthers(collective, feature(f), key(f)));
      }
    }
    const values: Tensor[] = [];
    let loss: Tensor | undefined;
    for (const t of terms) {
      const negatives = t.negatives.map((r) => (r.source === 'others' ? others.get(r.feature)! : feature(r.feature)));
      const v = nceLoss(feature(t.query), feature(t.positive), negatives, {
        temperature: o.temperature,
        normalize: o.normalize,
        numNegatives: o.numNegatives,
        generator: o.generator,
        sampler: o.sampler,
      });
      values.push(v.detach());
      const weighted = v.mul(t.weight);
      loss = loss === undefined ? weighted : loss.add(weighted);
    }
    return { loss: loss!, values: torch.stack(values) };
  });
  // One host transfer for all term values.
  const vals = Array.from(out.values.toTypedArray() as ArrayLike<number>);
  out.values.dispose();
  return {
    loss: out.loss,
    terms: terms.map((t, i) => ({ name: `${t.group}:${key(t.query)}->${key(t.positive)}`, group: t.group, weight: t.weight, value: vals[i]! })),
  };
}
