// One video embedded in this thread (no loader workers): the query of `gdt search`, cut and
// encoded exactly as `gdt embed` did for the index's rows.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { isSampleArray, type SampleValue } from '../data/sample.js';
import { createEmbedDataset, embedDatasetOptions, type ClipTime } from './dataset.js';
import type { Embedder } from './embedder.js';

export interface EmbeddedVideo {
  /** Row-major (count, dim): one row per clip (clip level) or one (video level). */
  rows: Float32Array;
  count: number;
  times: ClipTime[];
}

/** Embeds `path` with `embedder`'s settings; throws with the reason when the video cannot be read. */
export async function embedVideoFile(path: string, embedder: Embedder): Promise<EmbeddedVideo> {
  const ds = createEmbedDataset(embedDatasetOptions(embedder.settings, [path], 0));
  const s = await ds.get(0, { seed: 0, epoch: 0, index: 0, attempt: 0 });
  if (s.ok !== true) throw new Error(`cannot embed ${path}: ${String(s.error)}`);
  const tensor = (v: SampleValue | undefined): Tensor | undefined => (v !== undefined && isSampleArray(v) ? torch.fromBuffer(v.data, v.dtype, [1, ...v.shape]) : undefined);
  const { rows, count } = torch.tidy(() => embedder.embed({ video: tensor(s.video), audio: tensor(s.audio) }));
  return { rows, count, times: JSON.parse(String(s.times)) as ClipTime[] };
}
