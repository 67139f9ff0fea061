// Nearest neighbours in an embedding index by cosine similarity. The query is a video, embedded
// with the settings recorded in the index's .meta.json (and its weights unless others are given),
// or one of the index's own rows. Against a clip-level index each of the query's clips is
// compared and a row scores its best match (so every clip of a video in the index finds itself).
import * as torch from '../torch/index.js';
import { loadEvalWeights } from '../eval/weights.js';
import { resolveAudioModel, resolveModel } from '../eval/backbone.js';
import { readEmbeddingIndex, type EmbeddingIndex } from './index-files.js';
import { embeddingDim, type EmbedSettings } from './settings.js';
import { Embedder } from './embedder.js';
import { embedVideoFile } from './query.js';

export interface SearchOptions {
  /** The index's .npy. */
  index: string;
  /** A video to embed as the query... */
  query?: string;
  /** ...or a row of the index. */
  queryRow?: number;
  /** Neighbours returned (default 5). */
  k?: number;
  /** Weights for the query (default: the ones the index records). */
  weights?: string;
  device?: 'cpu' | 'cuda';
  log?: (s: string) => void;
}

export interface SearchHit {
  rank: number;
  row: number;
  similarity: number;
  path: string;
  clip: number | null;
  start: number;
  end: number;
  /** Clip-level index queried by a video: the query clip that matched best. */
  queryClip?: number;
}

export interface SearchResult {
  index: { path: string; rows: number; dim: number; level?: string; modality?: string };
  query: { path?: string; row?: number; clips?: number; weights?: string };
  hits: SearchHit[];
}

/** The recorded settings with the encoders' sizes read from other weights (a query made with them). */
function settingsFor(recorded: EmbedSettings, weights: Awaited<ReturnType<typeof loadEvalWeights>>): EmbedSettings {
  const s: EmbedSettings = { ...recorded };
  if (recorded.video) {
    const v = recorded.video;
    s.video = { ...v, model: resolveModel({ kind: v.model.kind, defaultWidth: v.model.width, numLayers: v.numLayers, transformerTimeDim: v.transformerTimeDim }, weights, recorded.numFrames) };
  }
  if (recorded.audio) s.audio = { ...recorded.audio, model: resolveAudioModel({ defaultWidth: recorded.audio.model.width }, weights) };
  return s;
}

/** Query vectors (Q, dim) for a video, embedded like the index's rows. */
async function embedQuery(ix: EmbeddingIndex, o: SearchOptions, path: string): Promise<{ rows: Float32Array; count: number; weights: string }> {
  const meta = ix.meta;
  if (!meta) throw new Error(`${ix.paths.meta} not found: without it the query cannot be embedded like the index (search with --query-row, or run gdt embed again)`);
  const source = o.weights ?? meta.weights.path ?? meta.weights.source;
  const weights = await loadEvalWeights(source);
  try {
    const same = weights.sha256 !== undefined && weights.sha256 === meta.weights.sha256;
    if (o.weights && !same) o.log?.(`note: ${o.weights} are not the weights the index was made with (${meta.weights.source}); similarities compare different encoders`);
    const settings = same || weights.format === 'none' ? meta.settings : settingsFor(meta.settings, weights);
    const dim = embeddingDim(settings);
    if (dim !== ix.dim) throw new Error(`dimension mismatch: the query embedding would have ${dim} dimensions but ${ix.paths.npy} has ${ix.dim} (weights ${source} do not match the index's ${meta.weights.source})`);
    const embedder = new Embedder(settings, weights, o.device ?? 'cpu');
    try {
      const e = await embedVideoFile(path, embedder);
      return { rows: e.rows, count: e.count, weights: source };
    } finally {
      embedder.dispose();
    }
  } finally {
    weights.dispose();
  }
}

/** The k rows most cosine-similar to the query, best first. */
export async function searchIndex(o: SearchOptions): Promise<SearchResult> {
  if ((o.query === undefined) === (o.queryRow === undefined)) throw new Error('give either a query video or --query-row <n>');
  const k = o.k ?? 5;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k must be a positive integer, got ${k}`);
  const ix = readEmbeddingIndex(o.index);
  let q: Float32Array;
  let count: number;
  let weightsUsed: string | undefined;
  if (o.queryRow !== undefined) {
    const r = o.queryRow;
    if (!Number.isInteger(r) || r < 0 || r >= ix.rows) throw new RangeError(`--query-row must be a row of the index, 0..${ix.rows - 1}, got ${r}`);
    q = ix.embeddings.subarray(r * ix.dim, (r + 1) * ix.dim);
    count = 1;
  } else {
    const e = await embedQuery(ix, o, o.query!);
    q = e.rows;
    count = e.count;
    weightsUsed = e.weights;
  }
  const n = Math.min(k, ix.rows);
  const { values, indices, clips } = torch.tidy(() => {
    const unit = (t: torch.Tensor): torch.Tensor => torch.F.normalize(t, 2, 1, 1e-12);
    const bank = unit(torch.fromBuffer(ix.embeddings, 'float32', [ix.rows, ix.dim]));
    const query = unit(torch.fromBuffer(q.slice(), 'float32', [count, ix.dim]));
    // (Q, rows): each row's best query clip.
    const [best, which] = query.mm(bank.t()).max(0);
    const [v, i] = best.topk(n);
    return { values: v.toTypedArray() as Float32Array, indices: i.toTypedArray() as BigInt64Array, clips: which.toTypedArray() as BigInt64Array };
  });
  const hits = Array.from(indices, (bi, rank): SearchHit => {
    const row = Number(bi);
    const e = ix.entries[row]!;
    // Clamped: float32 rounding can put a vector's cosine with itself just above 1.
    const hit: SearchHit = { rank: rank + 1, row, similarity: Math.min(1, Math.max(-1, values[rank]!)), path: e.path, clip: e.clip, start: e.start, end: e.end };
    if (count > 1) hit.queryClip = Number(clips[row]);
    return hit;
  });
  return {
    index: { path: ix.paths.npy, rows: ix.rows, dim: ix.dim, level: ix.meta?.level, modality: ix.meta?.modality },
    query: { path: o.query, row: o.queryRow, clips: o.query !== undefined ? count : undefined, weights: weightsUsed },
    hits,
  };
}
