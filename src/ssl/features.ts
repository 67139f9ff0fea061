// The eight embeddings of a GDT step (SPEC 6.2) and how callers spell them: the second modality is
// audio (A) in audio-visual GDT and caption text (T) in video-text GDT (SPEC 5.9, 6.5).
import type { Tensor } from '../torch/index.js';

/**
 * Feature names, in the audio spelling. `V`/`A`: clip 1; `VR`/`AR`: clip 1 time-reversed;
 * `V2`/`A2`: clip 2 (another random clip of the same video, the "time shift"); `V2R`/`A2R`: clip 2
 * reversed. Each (video, second) pair comes from one forward pass of the model.
 */
export const FEATURE_NAMES = ['V', 'A', 'VR', 'AR', 'V2', 'A2', 'V2R', 'A2R'] as const;
export type FeatureName = (typeof FEATURE_NAMES)[number];

/** The same names in the video-text spelling (T = caption embedding). */
export type TextFeatureName = 'V' | 'T' | 'VR' | 'TR' | 'V2' | 'T2' | 'V2R' | 'T2R';
/** A key of a caller's feature map, in either spelling. */
export type FeatureKey = FeatureName | TextFeatureName;
/** The caller's embeddings, `(N, C)` each, keyed by feature name. */
export type FeatureMap = Readonly<Partial<Record<FeatureKey, Tensor>>>;

/** The second modality: spectrogram audio (`av_gdt`) or caption token ids (`vid_text_gdt`). */
export type Modality = 'audio' | 'text';

/** The key under which a caller passes feature `name` for a modality (`AR` -> `TR` for text). */
export function featureKey(name: FeatureName, modality: Modality): FeatureKey {
  return modality === 'text' ? (name.replace('A', 'T') as TextFeatureName) : name;
}
