// `embedVideos`: embeddings of many videos into `<out>.npy` + `<out>.jsonl` + `<out>.meta.json`.
// The loader's workers probe, decode and cut the clips; the encoders run here; finished videos go
// to shards every `shardVideos` videos, so an interrupted run resumes where it stopped, and a run
// over a grown folder with an index made with the same settings embeds only the new videos. The
// final files are assembled from the shards in input order and replace the old ones atomically.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import { npyHeader, writeNpyStream } from '../io/npy-writer.js';
import { readNpy } from '../models/npy.js';
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { DataLoader } from '../data/loader.js';
import { progress } from '../cli/progress.js';
import { packageVersion } from '../cli/version.js';
import { loadEvalWeights, type EvalWeights } from '../eval/weights.js';
import { resolveInputs } from './inputs.js';
import { embeddingParts, resolveSettings, settingsKey, type EmbedSettings, type EmbedSettingsInput } from './settings.js';
import { Embedder } from './embedder.js';
import { embedDatasetOptions, type ClipTime } from './dataset.js';
import { ShardStore, type VideoResult } from './shards.js';
import { EMBEDDINGS_FORMAT, indexPaths, parseJsonl, toJsonl, type EmbedMeta, type IndexPaths, type IndexRow } from './index-files.js';

export const EMBED_DATASET_MODULE = new URL(import.meta.url.endsWith('.ts') ? './dataset.ts' : './dataset.js', import.meta.url).href;

export interface EmbedOptions extends EmbedSettingsInput {
  /** Video files, folders (recursive) and list files (.txt). */
  inputs: string[];
  /** gdt checkpoint, reference .pth, safetensors state dict, zoo name, or 'none'. */
  weights: string;
  /** The .npy to write; the index and description go next to it. */
  out: string;
  /** Videos per batch (each brings `clips` clips to the encoders). Default 4. */
  batchSize?: number;
  /** Loader threads (default: cores - 1); 0 decodes in this thread. */
  workers?: number;
  prefetch?: number;
  /** Videos per shard (the work an interruption can lose). Default 64. */
  shardVideos?: number;
  device?: 'cpu' | 'cuda';
  /** Per loader worker: MB of whole decoded videos kept to cut clips from. Default 256. */
  frameCacheMB?: number;
  /** Ignore finished shards and a previous index: embed everything again. */
  fresh?: boolean;
  progress?: boolean;
  log?: (s: string) => void;
  /** Stop once this many videos of this run are in shards, without the final files (an interruption, for tests). */
  stopAfterVideos?: number;
}

export interface EmbedResult {
  /** False when stopped by `stopAfterVideos` (the shards are kept for the next run). */
  complete: boolean;
  paths: IndexPaths;
  rows: number;
  dim: number;
  /** Videos with rows in the index. */
  videos: number;
  /** Videos embedded by this run. */
  computed: number;
  /** Videos whose rows came from earlier shards or the previous index. */
  reused: number;
  skipped: { path: string; reason: string }[];
  settings: EmbedSettings;
  /** Seconds in all, and of this run's embedding loop (decode + encoders). */
  seconds: number;
  embedSeconds: number;
  meta?: EmbedMeta;
}

/** Where the rows of a finished video are: a shard, or the previous index. */
interface Location {
  source: number | 'previous';
  first: number;
  count: number;
  entries: Omit<IndexRow, 'row'>[];
}

function locate(rows: readonly IndexRow[], source: Location['source'], into: Map<string, Location>): void {
  for (const r of rows) {
    const { row, ...entry } = r;
    const l = into.get(r.path);
    if (l && l.source === source) {
      l.count++;
      l.entries.push(entry);
    } else into.set(r.path, { source, first: row, count: 1, entries: [entry] });
  }
}

/** The previous index's rows when it was made with the same weights and settings. */
function previousIndex(paths: IndexPaths, key: string, log: (s: string) => void): IndexRow[] | undefined {
  if (!existsSync(paths.npy) || !existsSync(paths.jsonl) || !existsSync(paths.meta)) return undefined;
  try {
    const meta = JSON.parse(readFileSync(paths.meta, 'utf8')) as EmbedMeta;
    if (meta.format !== EMBEDDINGS_FORMAT || meta.key !== key) {
      log(`${paths.npy} was made with other weights or settings: it will be replaced`);
      return undefined;
    }
    const rows = parseJsonl<IndexRow>(readFileSync(paths.jsonl, 'utf8'), paths.jsonl);
    // Cheap consistency check: the .npy has exactly the bytes of the rows the lines name.
    const size = npyHeader('<f4', [meta.rows, meta.dim]).length + meta.rows * meta.dim * 4;
    return rows.length === meta.rows && statSync(paths.npy).size === size ? rows : undefined;
  } catch {
    return undefined;
  }
}

const fmtSeconds = (s: number): string => (s >= 100 ? `${Math.round(s)} s` : `${s.toFixed(1)} s`);

function describe(s: EmbedSettings, w: EvalWeights): string {
  const parts: string[] = [];
  if (s.video) {
    const pooling = s.video.model.kind === 'stica' ? (s.video.numLayers ? ` + ${s.video.numLayers}-layer transformer pooling` : ' + average pooling') : '';
    parts.push(`video: ${s.video.model.kind} R(2+1)D-${s.video.model.videoDepth} width ${s.video.model.width}${pooling}, ${s.video.cropSize} px`);
  }
  if (s.audio) parts.push(`audio: ResNet-${s.audio.model.depth} width ${s.audio.model.width}, ${s.audio.seconds} s spectrograms (type ${s.audio.specType}${s.audio.zNormalize ? ', z-normalised' : ''})`);
  return `${s.level}-level ${s.modality} embeddings, ${s.clips} clips of ${s.numFrames} frames at ${s.targetFps} fps per video${s.normalize ? ', L2-normalised' : ''}; ${parts.join('; ')}; weights ${w.format}${w.sha256 ? ` sha256 ${w.sha256.slice(0, 12)}` : ''}`;
}

/** Rows and index entries of one embedded video. */
function videoResult(path: string, rows: Float32Array, times: ClipTime[], s: EmbedSettings): VideoResult {
  if (s.level === 'clip') {
    return { path, rows, entries: times.map((t, k) => ({ path, clip: k, start: t.start, end: t.end, modality: s.modality })) };
  }
  const start = Math.min(...times.map((t) => t.start));
  const end = Math.max(...times.map((t) => t.end));
  return { path, rows, entries: [{ path, clip: null, start, end, modality: s.modality, clips: times.length, times: times.map((t) => [t.start, t.end]) }] };
}

/** Embeds every video of `o.inputs` (see EmbedOptions); resumable, see the file comment. */
export async function embedVideos(o: EmbedOptions): Promise<EmbedResult> {
  const t0 = performance.now();
  const log = o.log ?? ((s: string) => console.log(s));
  const paths = indexPaths(o.out);
  const inputs = resolveInputs(o.inputs);
  const batchSize = o.batchSize ?? 4;
  const shardVideos = o.shardVideos ?? 64;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
  if (!Number.isInteger(shardVideos) || shardVideos < 1) throw new RangeError(`shard size must be a positive integer, got ${shardVideos}`);
  const weights = await loadEvalWeights(o.weights);
  try {
    const settings = resolveSettings(o, weights);
    const key = settingsKey(settings, weights);
    const parts = embeddingParts(settings);
    const dim = parts.reduce((n, p) => n + p.dim, 0);
    log(describe(settings, weights));
    if (weights.format !== 'gdt-checkpoint' && (o.numFrames === undefined || o.targetFps === undefined || (settings.video && o.cropSize === undefined))) {
      log(`the weights do not record their clips: ${settings.numFrames} frames at ${settings.targetFps} fps${settings.video ? `, ${settings.video.cropSize} px` : ''} (the tiny preset) unless --frames/--fps/--size say otherwise (the published models: 32 frames at 30 fps, 112-128 px)`);
    }

    const store = new ShardStore(paths.parts, key, dim);
    if (o.fresh) store.clear();
    const stale = store.prepare();
    if (stale.length) log(`removed unfinished parts made with other weights or settings (${stale.join(', ')})`);
    const located = new Map<string, Location>();
    const earlierSkips = new Map<string, string>();
    const previous = o.fresh ? undefined : previousIndex(paths, key, log);
    if (previous) locate(previous, 'previous', located);
    for (const n of store.list()) {
      let content;
      try {
        content = store.lines(n);
      } catch (e) {
        log(`shard ${n} cannot be read (${(e as Error).message}): its videos are embedded again`);
        store.remove(n);
        continue;
      }
      // A shard's rows supersede the previous index's (they were made later).
      for (const p of new Set(content.rows.map((r) => r.path))) located.delete(p);
      locate(content.rows, n, located);
      for (const s of content.skipped) earlierSkips.set(s.path, s.reason);
    }
    const todo = inputs.filter((p) => !located.has(p) && !earlierSkips.has(p));
    const reused = inputs.filter((p) => located.has(p)).length;
    if (reused || earlierSkips.size) log(`${inputs.length} videos: ${reused} already embedded${earlierSkips.size ? `, ${earlierSkips.size} skipped earlier` : ''}, ${todo.length} to embed`);
    else log(`${inputs.length} videos to embed`);

    const skipped: { path: string; reason: string }[] = inputs.filter((p) => earlierSkips.has(p)).map((p) => ({ path: p, reason: earlierSkips.get(p)! }));
    let computed = 0;
    let written = 0;
    let stopped = false;
    const te = performance.now();
    if (todo.length) {
      const embedder = new Embedder(settings, weights, o.device ?? 'cpu');
      try {
        const { loaded } = embedder;
        if (weights.format !== 'none') log(`loaded ${[loaded.video !== undefined ? `${loaded.video} video` : '', loaded.audio !== undefined ? `${loaded.audio} audio` : ''].filter(Boolean).join(' and ')} encoder tensors`);
        const spec = embedDatasetOptions(settings, todo, (o.frameCacheMB ?? 256) * 2 ** 20);
        const loader = await DataLoader.create({ module: EMBED_DATASET_MODULE, exportName: 'createEmbedDataset', options: spec }, { batchSize, shuffle: false, seed: 0, workers: o.workers, prefetch: o.prefetch });
        const bar = o.progress === false ? undefined : progress('embed', todo.length, { unit: 'videos' });
        let pending: VideoResult[] = [];
        let shard = store.next();
        let processed = 0;
        const flush = async (): Promise<void> => {
          if (!pending.length) return;
          await store.write(shard++, pending);
          written += pending.length;
          pending = [];
        };
        try {
          for await (const batch of loader.epoch(0)) {
            const v = batch.values;
            const n = batch.indices.length;
            const ok = Array.from({ length: n }, (_, i) => v.ok![i] === true);
            const results: VideoResult[] = [];
            try {
              const okIdx = ok.flatMap((x, i) => (x ? [i] : []));
              if (okIdx.length) {
                const { rows } = torch.tidy(() => {
                  const pick = (t: Tensor | undefined): Tensor | undefined => (t && okIdx.length < n ? t.indexSelect(0, torch.tensor(okIdx, { dtype: 'int64' })) : t);
                  return embedder.embed({ video: pick(batch.tensors.video), audio: pick(batch.tensors.audio) });
                });
                const per = settings.level === 'clip' ? settings.clips : 1;
                okIdx.forEach((i, j) => {
                  const path = todo[Number(v.index![i])]!;
                  const times = JSON.parse(String(v.times![i])) as ClipTime[];
                  results[i] = videoResult(path, rows.slice(j * per * dim, (j + 1) * per * dim), times, settings);
                });
                computed += okIdx.length;
              }
            } finally {
              torch.disposeAll(batch.tensors);
            }
            for (let i = 0; i < n; i++) {
              if (ok[i]) continue;
              const path = todo[Number(v.index![i])]!;
              const reason = String(v.error![i]);
              log(`skipped ${path}: ${reason}`);
              skipped.push({ path, reason });
              results[i] = { path, skipped: reason };
            }
            pending.push(...results);
            processed += n;
            bar?.update(processed, skipped.length ? { skipped: skipped.length } : undefined);
            // Shards end at batch boundaries: a resumed run sees the same batches as an uninterrupted one.
            if (pending.length >= shardVideos) {
              await flush();
              if (o.stopAfterVideos !== undefined && written >= o.stopAfterVideos) {
                stopped = true;
                break;
              }
            }
          }
          if (!stopped) await flush();
        } finally {
          bar?.stop();
          await loader.close();
        }
      } finally {
        embedder.dispose();
      }
    }
    const embedSeconds = (performance.now() - te) / 1000;
    if (todo.length) log(`embedded ${computed} videos in ${fmtSeconds(embedSeconds)} (${(computed / Math.max(embedSeconds, 1e-9)).toFixed(2)} videos/s)${skipped.length ? `, ${skipped.length} skipped` : ''}`);
    const base = { paths, dim, computed, reused, skipped, settings, embedSeconds };
    if (stopped) {
      log(`stopped after ${written} videos; ${paths.parts} holds the finished shards for the next run`);
      return { ...base, complete: false, rows: 0, videos: 0, seconds: (performance.now() - t0) / 1000 };
    }

    // Every finished video, in input order, from the shards of this key and the previous index.
    const all = new Map<string, Location>();
    if (previous) locate(previous, 'previous', all);
    for (const n of store.list()) {
      const c = store.lines(n);
      for (const p of new Set(c.rows.map((r) => r.path))) all.delete(p);
      locate(c.rows, n, all);
    }
    const order = inputs.filter((p) => all.has(p));
    const rows = order.reduce((s, p) => s + all.get(p)!.count, 0);
    if (!rows) {
      const e = skipped[0];
      throw new Error(`nothing could be embedded: all ${inputs.length} videos were skipped${e ? ` (e.g. ${e.path}: ${e.reason})` : ''}`);
    }
    // Sources are loaded when first needed; in the usual order each is read once.
    const loadedSources = new Map<Location['source'], Float32Array>();
    const source = (s: Location['source']): Float32Array => {
      let d = loadedSources.get(s);
      if (!d) {
        if (loadedSources.size >= 4) loadedSources.delete(loadedSources.keys().next().value!);
        d = s === 'previous' ? readPreviousData(paths, dim) : store.read(s).data;
        loadedSources.set(s, d);
      }
      return d;
    };
    const entries: IndexRow[] = [];
    await writeNpyStream(paths.npy + '.new', '<f4', [rows, dim], async (write) => {
      for (const p of order) {
        const l = all.get(p)!;
        await write(source(l.source).subarray(l.first * dim, (l.first + l.count) * dim));
        for (const e of l.entries) entries.push({ row: entries.length, ...e });
      }
    });
    const meta: EmbedMeta = {
      format: EMBEDDINGS_FORMAT,
      version: 1,
      key,
      rows,
      dim,
      dtype: 'float32',
      level: settings.level,
      modality: settings.modality,
      normalize: settings.normalize,
      parts,
      settings,
      weights: { source: weights.source, path: weights.path, sha256: weights.sha256, format: weights.format },
      inputs: o.inputs.map((i) => resolve(i)),
      videos: order.length,
      skipped,
      gdtVersion: packageVersion(),
      createdAt: new Date().toISOString(),
    };
    // The .npy goes last: a reader that finds it finds the matching .jsonl and description.
    await writeFileAtomic(paths.jsonl, toJsonl(entries));
    await writeFileAtomic(paths.meta, `${JSON.stringify(meta, null, 1)}\n`);
    await rename(paths.npy + '.new', paths.npy);
    store.clear();
    log(`${rows} rows of ${dim} (${order.length} videos) -> ${paths.npy}, ${paths.jsonl}, ${paths.meta}`);
    if (skipped.length) log(`${skipped.length} video(s) skipped:\n${skipped.map((s) => `  ${s.path}: ${s.reason}`).join('\n')}`);
    return { ...base, complete: true, rows, videos: order.length, meta, seconds: (performance.now() - t0) / 1000 };
  } finally {
    weights.dispose();
  }
}

function readPreviousData(paths: IndexPaths, dim: number): Float32Array {
  const a = readNpy(paths.npy);
  if (!(a.data instanceof Float32Array) || a.shape.length !== 2 || a.shape[1] !== dim) throw new Error(`${paths.npy}: expected float32 rows of ${dim}, got '${a.descr}' (${a.shape.join(', ')})`);
  return a.data;
}
