// Splits a GDT pretraining batch into the model inputs behind each feature name (SPEC 5.7, 5.9,
// main_gdt.py): the samples stack [clip 1, clip 1 reversed, clip 2, clip 2 reversed].
import { torch } from '../index.js';
import type { Tensor } from '../torch/index.js';
import { type FeatureKey, type Modality, featureKey } from './features.js';

const ORDER = [
  ['V', 'A'],
  ['VR', 'AR'],
  ['V2', 'A2'],
  ['V2R', 'A2R'],
] as const;

/**
 * `video (B, 12, T, H, W)` -> four `(B, 3, T, H, W)` clips named V, VR, V2, V2R; the second input,
 * spectrograms `(B, 4, F, S)` (audio) or caption ids `(B, 80)` (text, four groups of 20 tokens), ->
 * A, AR, A2, A2R or T, TR, T2, T2R. Feed each pair of `Hypothesis.forwardPasses` to the model.
 * The results are views of the inputs.
 */
export function splitGdtBatch(video: Tensor, second: Tensor, modality: Modality = 'audio'): Partial<Record<FeatureKey, Tensor>> {
  if (video.ndim < 2 || video.shape[1] !== 12) throw new RangeError(`GDT video batch must be (B, 12, ...), got [${video.shape}]`);
  const width = second.shape[1] ?? 0;
  if (second.ndim < 2 || width % 4 !== 0 || width === 0) throw new RangeError(`GDT ${modality} batch must be (B, 4k, ...), got [${second.shape}]`);
  return torch.tidy(() => {
    const vs = video.split(3, 1);
    const ss = second.split(width / 4, 1);
    const out: Partial<Record<FeatureKey, Tensor>> = {};
    ORDER.forEach(([v, s], i) => {
      out[v] = vs[i]!;
      out[featureKey(s, modality)] = ss[i]!;
    });
    return out;
  });
}
