// The files of an embedding index: `<name>.npy` (float32, C order, [rows, dim]), `<name>.jsonl`
// (one line per row: which video, which clip, when) and `<name>.meta.json` (the settings and
// weights that made it, so `gdt search` embeds a query the same way), plus `<name>.npy.parts/`
// while an embedding is in progress.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readNpy } from '../models/npy.js';
import type { EmbedLevel, EmbedSettings, Modality } from './settings.js';

export const EMBEDDINGS_FORMAT = 'gdt-embeddings';

/** One line of the .jsonl index. */
export interface IndexRow {
  row: number;
  /** Absolute path of the video. */
  path: string;
  /** Clip number (clip level), null for a video-level row. */
  clip: number | null;
  /** Seconds from the start of the video stream: the clip, or the span of the video's clips. */
  start: number;
  end: number;
  modality: Modality;
  /** Video level: the number of clips averaged and their [start, end] times. */
  clips?: number;
  times?: [number, number][];
}

export interface EmbedMeta {
  format: typeof EMBEDDINGS_FORMAT;
  version: 1;
  /** Hash of the weights and the settings (the shards' key). */
  key: string;
  rows: number;
  dim: number;
  dtype: 'float32';
  level: EmbedLevel;
  modality: Modality;
  normalize: boolean;
  /** Columns of each modality (`both`: video then audio). */
  parts: { modality: 'video' | 'audio'; offset: number; dim: number }[];
  settings: EmbedSettings;
  weights: { source: string; path?: string; sha256?: string; format: string };
  inputs: string[];
  videos: number;
  skipped: { path: string; reason: string }[];
  gdtVersion: string;
  createdAt: string;
}

export interface IndexPaths {
  npy: string;
  jsonl: string;
  meta: string;
  parts: string;
}

/** `emb.npy` -> emb.jsonl, emb.meta.json, emb.npy.parts/ (a name without .npy gets it appended). */
export function indexPaths(out: string): IndexPaths {
  const npy = resolve(out.toLowerCase().endsWith('.npy') ? out : `${out}.npy`);
  const base = npy.slice(0, -4);
  return { npy, jsonl: `${base}.jsonl`, meta: `${base}.meta.json`, parts: `${npy}.parts` };
}

export function parseJsonl<T>(text: string, file: string): T[] {
  const out: T[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as T);
    } catch (e) {
      throw new Error(`${file}:${i + 1}: not JSON (${(e as Error).message})`);
    }
  });
  return out;
}

export const toJsonl = (items: readonly unknown[]): string => items.map((x) => `${JSON.stringify(x)}\n`).join('');

export interface EmbeddingIndex {
  paths: IndexPaths;
  /** Row-major [rows, dim]. */
  embeddings: Float32Array;
  rows: number;
  dim: number;
  entries: IndexRow[];
  /** Undefined for an index without its .meta.json (rows can still be searched with --query-row). */
  meta?: EmbedMeta;
}

/** Reads an index written by `gdt embed`, checking that its files agree. */
export function readEmbeddingIndex(npyPath: string): EmbeddingIndex {
  const paths = indexPaths(npyPath);
  if (!existsSync(paths.npy)) {
    const hint = existsSync(paths.parts) ? ` (${paths.parts} holds an unfinished embedding: run gdt embed again to finish it)` : '';
    throw new Error(`index not found: ${paths.npy}${hint}`);
  }
  if (!existsSync(paths.jsonl)) throw new Error(`${paths.npy} has no row index ${paths.jsonl} (gdt embed writes both; without it the rows cannot be named)`);
  const arr = readNpy(paths.npy);
  if (!(arr.data instanceof Float32Array) || arr.shape.length !== 2 || arr.fortranOrder) {
    throw new Error(`${paths.npy}: expected a float32 C-order 2-D array, got '${arr.descr}' of shape (${arr.shape.join(', ')})${arr.fortranOrder ? ' in Fortran order' : ''}`);
  }
  const [rows, dim] = arr.shape as [number, number];
  const entries = parseJsonl<IndexRow>(readFileSync(paths.jsonl, 'utf8'), paths.jsonl);
  if (entries.length !== rows) throw new Error(`${paths.jsonl} has ${entries.length} lines but ${paths.npy} has ${rows} rows: the files do not belong together`);
  let meta: EmbedMeta | undefined;
  if (existsSync(paths.meta)) {
    meta = JSON.parse(readFileSync(paths.meta, 'utf8')) as EmbedMeta;
    if (meta.format !== EMBEDDINGS_FORMAT) throw new Error(`${paths.meta} is not a gdt embeddings description (format '${String(meta.format)}')`);
    if (meta.rows !== rows || meta.dim !== dim) throw new Error(`${paths.meta} describes ${meta.rows} x ${meta.dim} embeddings but ${paths.npy} holds ${rows} x ${dim}`);
  }
  return { paths, embeddings: arr.data, rows, dim, entries, meta };
}
