// From what a user types (a zoo name or a file path) to a checked local file, and to the loaded
// checkpoint that src/models' loadPretrained takes.
import { stat } from 'node:fs/promises';
import { join, resolve as resolvePath, sep } from 'node:path';
import { torch } from '../index.js';
import { loadTorchFile } from '../io/index.js';
import { checkpointWeights, type LoadedCheckpoint } from '../models/load.js';
import { ZooError, messageOf } from './errors.js';
import { readSidecar, sha256File } from './checksum.js';
import { deleteAdvice, ensureDownloaded, type DownloadOptions } from './download.js';
import { ZOO, zooCacheDir, zooEntry, zooUrl, type Env, type ZooEntry } from './registry.js';

export interface ResolveOptions extends DownloadOptions {
  /** Environment for GDT_ZOO_URL / GDT_CACHE_DIR (default process.env). */
  env?: Env;
  /** Cache folder (default from the environment, see zooCacheDir). */
  cacheDir?: string;
}

export interface ResolvedWeights {
  path: string;
  /** The zoo entry when a zoo name was given. */
  entry?: Readonly<ZooEntry>;
  /** Known after a download or a check; undefined for a local file without a sidecar. */
  sha256?: string;
  downloaded: boolean;
}

/** Does `s` name a file rather than a zoo entry? Paths win when both could apply. */
async function existsAsPath(s: string): Promise<boolean> {
  try {
    await stat(s);
    return true;
  } catch {
    return false;
  }
}

/** resolveWeights with what was found out on the way (entry, hash, whether it downloaded). */
export async function resolveWeightsInfo(nameOrPath: string, o: ResolveOptions = {}): Promise<ResolvedWeights> {
  const env = o.env ?? process.env;
  const looksLikePath = nameOrPath.includes('/') || nameOrPath.includes(sep) || (await existsAsPath(nameOrPath));
  const entry = looksLikePath ? undefined : zooEntry(nameOrPath);
  if (entry) {
    const dest = join(o.cacheDir ?? zooCacheDir(env), entry.file);
    const r = await ensureDownloaded(zooUrl(entry, env), dest, { label: entry.file, sha256: entry.sha256, size: entry.size, ...o });
    return { path: r.path, entry, sha256: r.sha256, downloaded: r.downloaded };
  }

  const path = resolvePath(nameOrPath);
  let s;
  try {
    s = await stat(path);
  } catch {
    const hint = looksLikePath ? '' : ` and '${nameOrPath}' is not a zoo name (known: ${ZOO.map((z) => z.name).join(', ')})`;
    throw new ZooError('missing', `weights file ${path} does not exist${hint}`, { path });
  }
  if (!s.isFile()) throw new ZooError('missing', `${path} is not a file`, { path });
  // A file next to its own sha256 record (e.g. copied from a cache) is checked like a cached one.
  const recorded = await readSidecar(path);
  if (recorded === undefined) return { path, downloaded: false };
  const sha256 = await sha256File(path);
  if (sha256 !== recorded) {
    throw new ZooError('integrity', `${path} does not match its recorded SHA-256 (expected ${recorded}, got ${sha256}): it is truncated or corrupted; ${deleteAdvice(path)}`, { path });
  }
  return { path, sha256, downloaded: false };
}

/**
 * A local, checked path for a zoo name (downloaded into the cache the first time) or a file
 * path (which must exist).
 */
export async function resolveWeights(nameOrPath: string, o: ResolveOptions = {}): Promise<string> {
  return (await resolveWeightsInfo(nameOrPath, o)).path;
}

/**
 * The checkpoint behind a zoo name or path, read with loadTorchFile: its top-level dict (Python
 * dicts as Maps), ready for loadPretrained. The caller owns the tensors (torch.disposeAll).
 */
export async function loadWeights(nameOrPath: string, o: ResolveOptions = {}): Promise<LoadedCheckpoint> {
  return readWeightsFile(await resolveWeights(nameOrPath, o));
}

/** Reads an already resolved checkpoint file (see loadWeights), with errors that say what to do. */
export async function readWeightsFile(path: string): Promise<LoadedCheckpoint> {
  let loaded: unknown;
  try {
    loaded = await loadTorchFile(path);
  } catch (e) {
    // Deleting is advice for a downloaded copy (it has a SHA-256 record) only, never for a user's own file.
    const advice = (await readSidecar(path)) !== undefined ? `if it is a damaged download, ${deleteAdvice(path)}` : 'give a PyTorch checkpoint (.pth/.pt, zip or legacy format), a safetensors file or a zoo name (gdt models)';
    throw new ZooError('integrity', `cannot read ${path} as a torch checkpoint: ${messageOf(e)}; ${advice}`, { path, cause: e });
  }
  if (!(loaded instanceof Map)) {
    torch.disposeAll(loaded);
    throw new ZooError('integrity', `${path}: expected a dict at the top level of the checkpoint`, { path });
  }
  try {
    // Fails early, with the keys it found, when there is neither 'state_dict' nor 'model'.
    checkpointWeights(loaded as LoadedCheckpoint);
  } catch (e) {
    torch.disposeAll(loaded);
    throw new ZooError('integrity', `${path}: ${messageOf(e)}`, { path, cause: e });
  }
  return loaded as LoadedCheckpoint;
}
