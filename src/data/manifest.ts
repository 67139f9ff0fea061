/**
 * Manifest cache: ffprobe metadata for many files, stored as JSON keyed by absolute path.
 *
 * An entry is reused while the file's size and mtime are unchanged; changed files are probed
 * again; files that cannot be probed are recorded with the reason (and, being unchanged, are
 * not probed again unless `retryFailed`). The file is written atomically (temporary file +
 * rename) so that an interrupted run never leaves a truncated cache.
 */
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { MediaProbeError, probeMedia, type ProbeResult } from '../media/probe.js';

export const MANIFEST_VERSION = 1;

export interface ManifestOk {
  ok: true;
  size: number;
  mtimeMs: number;
  info: ProbeResult;
}

export interface ManifestFailure {
  ok: false;
  size: number;
  mtimeMs: number;
  /** MediaProbeError kind, e.g. 'invalid_data', 'not_found'. */
  kind: string;
  reason: string;
}

export type ManifestEntry = ManifestOk | ManifestFailure;

export interface ManifestData {
  version: number;
  entries: Record<string, ManifestEntry>;
}

export interface ManifestStats {
  total: number;
  reused: number;
  probed: number;
  failed: number;
  pruned: number;
}

export interface ManifestOptions {
  /** Parallel ffprobe processes (default 8: probing waits on I/O and process start-up). */
  concurrency?: number;
  /** Probe function (default {@link probeMedia}); must throw MediaProbeError for bad files. */
  probe?: (path: string) => Promise<ProbeResult>;
  /** Probe files recorded as failed again even if unchanged. */
  retryFailed?: boolean;
  /** Drop cached entries for paths not in this request. */
  prune?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface ManifestResult {
  /** Entries of the requested paths, in request order (absolute paths). */
  entries: Map<string, ManifestEntry>;
  stats: ManifestStats;
}

/** Run `fn` over `items` with at most `concurrency` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], concurrency: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return out;
}

function isEntry(v: unknown): v is ManifestEntry {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return typeof e.size === 'number' && typeof e.mtimeMs === 'number' && (e.ok === true ? typeof e.info === 'object' && e.info !== null : e.ok === false && typeof e.reason === 'string');
}

/** Read a manifest; a missing, unreadable or other-version file gives an empty one. */
export async function loadManifest(cachePath: string): Promise<ManifestData> {
  let text: string;
  try {
    text = await readFile(cachePath, 'utf8');
  } catch {
    return { version: MANIFEST_VERSION, entries: {} };
  }
  try {
    const parsed = JSON.parse(text) as { version?: unknown; entries?: unknown };
    if (parsed.version !== MANIFEST_VERSION || typeof parsed.entries !== 'object' || parsed.entries === null) {
      return { version: MANIFEST_VERSION, entries: {} };
    }
    const entries: Record<string, ManifestEntry> = {};
    for (const [k, v] of Object.entries(parsed.entries as Record<string, unknown>)) if (isEntry(v)) entries[k] = v;
    return { version: MANIFEST_VERSION, entries };
  } catch {
    // A corrupt cache is only a cache: start over.
    return { version: MANIFEST_VERSION, entries: {} };
  }
}

/** Atomic write: temporary file in the same directory, then rename over the target. */
export async function saveManifest(cachePath: string, data: ManifestData): Promise<void> {
  await mkdir(dirname(resolve(cachePath)), { recursive: true });
  const tmp = `${cachePath}.tmp-${process.pid}-${Math.floor(Math.random() * 1e9)}`;
  try {
    await writeFile(tmp, `${JSON.stringify(data)}\n`);
    await rename(tmp, cachePath);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Probe `paths` (reusing valid cache entries) and, when `cachePath` is given, update the cache
 * file. Non-media failures (e.g. ffprobe missing) are thrown, not recorded.
 */
export async function updateManifest(cachePath: string | null, paths: readonly string[], opts: ManifestOptions = {}): Promise<ManifestResult> {
  const data: ManifestData = cachePath ? await loadManifest(cachePath) : { version: MANIFEST_VERSION, entries: {} };
  const probe = opts.probe ?? ((p: string) => probeMedia(p));
  const abs = [...new Set(paths.map((p) => resolve(p)))];
  const stats: ManifestStats = { total: abs.length, reused: 0, probed: 0, failed: 0, pruned: 0 };
  let done = 0;
  const results = await mapLimit(abs, opts.concurrency ?? 8, async (path): Promise<ManifestEntry> => {
    let size = -1;
    let mtimeMs = -1;
    let entry: ManifestEntry;
    try {
      const st = await stat(path);
      size = st.size;
      mtimeMs = st.mtimeMs;
    } catch {
      // Falls through to the probe, which reports the missing file with its reason.
    }
    const cached = data.entries[path];
    if (cached && size >= 0 && cached.size === size && cached.mtimeMs === mtimeMs && (cached.ok || !opts.retryFailed)) {
      stats.reused++;
      entry = cached;
    } else {
      stats.probed++;
      try {
        entry = { ok: true, size, mtimeMs, info: await probe(path) };
      } catch (err) {
        if (!(err instanceof MediaProbeError)) throw err;
        entry = { ok: false, size, mtimeMs, kind: err.kind, reason: err.reason };
      }
    }
    if (!entry.ok) stats.failed++;
    done++;
    opts.onProgress?.(done, abs.length);
    return entry;
  });
  const entries = new Map<string, ManifestEntry>();
  abs.forEach((p, i) => entries.set(p, results[i] as ManifestEntry));
  if (opts.prune) {
    for (const k of Object.keys(data.entries)) {
      if (!entries.has(k)) {
        delete data.entries[k];
        stats.pruned++;
      }
    }
  }
  for (const [k, v] of entries) data.entries[k] = v;
  if (cachePath) await saveManifest(cachePath, data);
  return { entries, stats };
}
