// Frozen features on disk: extracted once per (weights, network, views, video list), in shards
// written atomically, so an interrupted extraction resumes at its last finished shard and a later
// evaluation (linear, kNN, retrieval) with the same views reads them instead of extracting again.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { loadSafetensors, saveSafetensors } from '../io/tensors.js';
import { DataLoader } from '../data/loader.js';
import type { DatasetSpec, SampleFailure } from '../data/sample.js';
import { progress } from '../cli/progress.js';

export const FEATURES_FORMAT = 'gdt-features';

/** Rows of features with, per row, the sample's video, label, clip and view-within-clip. */
export interface FeatureSet {
  features: Tensor;
  videos: number[];
  labels: number[];
  clips: number[];
  views: number[];
}

export interface ExtractOptions {
  cacheDir: string;
  /** Short name for the file (e.g. 'fold1-train'). */
  name: string;
  /** Everything that determines the features; hashed into the file name and checked on load. */
  key: unknown;
  spec: DatasetSpec;
  /** Input array of a sample holding its views (S, ...). */
  input: string;
  forward: (x: Tensor) => Tensor;
  batchSize: number;
  workers?: number;
  prefetch?: number;
  seed: number;
  shardSamples: number;
  device?: 'cpu' | 'cuda';
  log?: (s: string) => void;
  progress?: boolean;
  /** Extract again even when the cache (or finished shards) exist. */
  fresh?: boolean;
}

export interface ExtractResult extends FeatureSet {
  path: string;
  /** Read from the cache without extracting. */
  cached: boolean;
  failures: SampleFailure[];
}

export function keyHash(key: unknown): string {
  return createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 20);
}

function toSet(t: Map<string, Tensor>): FeatureSet {
  const meta = t.get('meta')!;
  const m = meta.toTypedArray() as Int32Array;
  const rows = meta.shape[0]!;
  const col = (c: number): number[] => Array.from({ length: rows }, (_, i) => m[i * 4 + c]!);
  meta.dispose();
  return { features: t.get('features')!, videos: col(0), labels: col(1), clips: col(2), views: col(3) };
}

async function readSet(path: string, keyJson: string): Promise<FeatureSet | undefined> {
  const { tensors, metadata } = await loadSafetensors(path);
  if (metadata?.format !== FEATURES_FORMAT || metadata.key !== keyJson || !tensors.has('features') || !tensors.has('meta')) {
    torch.disposeAll(tensors);
    return undefined;
  }
  return toSet(tensors);
}

/** Extracts (or reads back) the features of every view of every sample of `spec`. */
export async function extractFeatures(o: ExtractOptions): Promise<ExtractResult> {
  mkdirSync(o.cacheDir, { recursive: true });
  const keyJson = JSON.stringify(o.key);
  const path = join(o.cacheDir, `${o.name}-${keyHash(o.key)}.safetensors`);
  const log = o.log ?? ((s: string) => console.log(s));
  if (o.fresh) {
    rmSync(path, { force: true });
    rmSync(`${path}.parts`, { recursive: true, force: true });
  }
  if (existsSync(path)) {
    const set = await readSet(path, keyJson);
    if (set) {
      log(`features ${o.name}: read ${set.features.shape[0]} rows from ${path}`);
      return { ...set, path, cached: true, failures: [] };
    }
    log(`features ${o.name}: ${path} does not match this configuration; extracting again`);
  }
  const parts = `${path}.parts`;
  mkdirSync(parts, { recursive: true });
  const loader = await DataLoader.create(o.spec, { batchSize: o.batchSize, shuffle: false, seed: o.seed, workers: o.workers, prefetch: o.prefetch });
  const batches = loader.batchesPerEpoch();
  const perShard = Math.max(1, Math.ceil(o.shardSamples / o.batchSize));
  const shards = Math.ceil(batches / perShard);
  const shardPath = (s: number): string => join(parts, `shard-${String(s).padStart(5, '0')}.safetensors`);
  let first = 0;
  while (first < shards && existsSync(shardPath(first))) first++;
  if (first > 0) log(`features ${o.name}: resuming at shard ${first + 1} of ${shards}`);
  const failures: SampleFailure[] = [];
  const bar = o.progress !== false && first < shards ? progress(`features ${o.name}`, batches, { unit: 'batches' }) : undefined;
  try {
    let feats: Tensor[] = [];
    let meta: number[] = [];
    let shard = first;
    const flush = async (): Promise<void> => {
      if (!feats.length) return;
      await torch.tidyAsync(async () => {
        const t = new Map<string, Tensor>([
          ['features', torch.cat(feats, 0)],
          ['meta', torch.tensor(meta, { dtype: 'int32' }).reshape([-1, 4])],
        ]);
        await saveSafetensors(shardPath(shard), t);
      });
      torch.disposeAll(feats);
      feats = [];
      meta = [];
      shard++;
    };
    for await (const batch of loader.epoch(0, { startStep: first * perShard })) {
      const x = batch.tensors[o.input];
      if (!x) throw new Error(`the dataset's samples have no '${o.input}' array`);
      const [b, s] = x.shape as [number, number];
      const f = torch.noGrad(() =>
        torch.tidy(() => {
          let inp = x.reshape([b * s, ...x.shape.slice(2)]);
          if (o.device === 'cuda') inp = inp.cuda();
          return torch.keep(o.forward(inp).float().cpu().contiguous());
        }),
      );
      torch.disposeAll(batch.tensors);
      feats.push(f);
      const v = batch.values;
      for (let i = 0; i < b; i++) for (let k = 0; k < s; k++) meta.push(Number(v.video![i]), Number(v.label![i]), Number(v.clip![i]), k);
      bar?.update(batch.step + 1);
      if ((batch.step + 1) % perShard === 0) await flush();
    }
    await flush();
    failures.push(...loader.stats.failures);
  } finally {
    bar?.stop();
    await loader.close();
  }
  const all: Tensor[] = [];
  const metaAll: Tensor[] = [];
  const files = readdirSync(parts).filter((f) => /^shard-\d+\.safetensors$/.test(f)).sort();
  if (files.length !== shards) throw new Error(`features ${o.name}: expected ${shards} shards in ${parts}, found ${files.length}`);
  for (const f of files) {
    const { tensors } = await loadSafetensors(join(parts, f));
    all.push(tensors.get('features')!);
    metaAll.push(tensors.get('meta')!);
  }
  const merged = new Map<string, Tensor>([
    ['features', torch.cat(all, 0)],
    ['meta', torch.cat(metaAll, 0)],
  ]);
  torch.disposeAll([all, metaAll]);
  await saveSafetensors(path, merged, { format: FEATURES_FORMAT, version: '1', key: keyJson });
  rmSync(parts, { recursive: true, force: true });
  log(`features ${o.name}: ${merged.get('features')!.shape[0]} rows of ${merged.get('features')!.shape[1]} -> ${path}`);
  return { ...toSet(merged), path, cached: false, failures };
}

/** Rows whose video is in `keep` (e.g. the training or validation part of a split). */
export function selectRows(set: FeatureSet, keep: (row: number) => boolean): FeatureSet {
  const rows = set.videos.map((_, i) => i).filter(keep);
  const features = torch.tidy(() => set.features.indexSelect(0, torch.tensor(rows, { dtype: 'int64' })));
  const pick = <T>(a: T[]): T[] => rows.map((r) => a[r]!);
  return { features, videos: pick(set.videos), labels: pick(set.labels), clips: pick(set.clips), views: pick(set.views) };
}

/** Reads a finished feature file for `key` if there is one (no extraction). */
export async function readCachedFeatures(cacheDir: string, name: string, key: unknown): Promise<(FeatureSet & { path: string }) | undefined> {
  const path = join(cacheDir, `${name}-${keyHash(key)}.safetensors`);
  if (!existsSync(path)) return undefined;
  const set = await readSet(path, JSON.stringify(key));
  return set ? { ...set, path } : undefined;
}

export function disposeSet(set: FeatureSet): void {
  set.features.dispose();
}
