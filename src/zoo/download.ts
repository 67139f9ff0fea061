// Downloading a checkpoint into the cache once: resumable (`<file>.part` continued with an HTTP
// Range request), atomic (renamed into place only when complete and checked) and checked (size
// from Content-Length / Content-Range, SHA-256 recorded in `<file>.sha256` and verified on
// every later use, plus the registry's hash when it knows one).
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { writeAll } from '../io/atomic.js';
import { ZooError, messageOf } from './errors.js';
import { get, networkError } from './http.js';
import { withLock } from './lock.js';
import { byteProgress, formatBytes, type ProgressStream } from './progress.js';
import { readSidecar, sha256File, sidecarPath, writeSidecar } from './checksum.js';
import { ZOO_ENV } from './registry.js';

export interface DownloadOptions {
  /** Known SHA-256 (hex) of the file; a mismatch is an error. */
  sha256?: string;
  /** Known size in bytes. */
  size?: number;
  /** Socket timeout: connecting, waiting for headers, and every pause in the body (default 30 s). */
  timeoutMs?: number;
  /** Further attempts after a transient failure, each resuming the partial file (default 3). */
  retries?: number;
  /** Delay before the first retry, doubled for each further one (default 1 s). */
  retryDelayMs?: number;
  /** Where progress and notices go (default stderr); null for silence. */
  progress?: ProgressStream | null;
  /** Seconds between plain progress lines outside a terminal, in ms (default 5000). */
  progressIntervalMs?: number;
  /** Name shown in progress lines (default: the file name). */
  label?: string;
  /** A cached file that fails its check: download it again (default) or throw. */
  onCorrupt?: 'redownload' | 'error';
  /** Download even when a good copy is cached. */
  force?: boolean;
  /** Called with the bytes received so far (from the start of the file) and the total if known. */
  onProgress?: (received: number, total: number | undefined) => void;
  signal?: AbortSignal;
}

export interface DownloadResult {
  path: string;
  sha256: string;
  size: number;
  /** False for a cache hit. */
  downloaded: boolean;
  /** Bytes that were already in the partial file when the last transfer started. */
  resumedFrom: number;
}

export type CacheCheck =
  | { status: 'missing' }
  | { status: 'ok'; sha256: string; size: number; recorded: boolean }
  | { status: 'mismatch'; sha256: string; expected: string; size: number; against: 'registry' | 'sidecar' | 'size' };

/** What the partial file was downloaded from, so a resume never mixes two different files. */
interface PartMeta {
  url: string;
  etag?: string;
  lastModified?: string;
  total?: number;
}

const partPath = (dest: string): string => `${dest}.part`;
const metaPath = (dest: string): string => `${dest}.part.json`;
const lockPath = (dest: string): string => `${dest}.lock`;

async function sizeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).size;
  } catch {
    return undefined;
  }
}

const remove = (path: string): Promise<void> => unlink(path).catch(() => undefined);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** How to get rid of a bad cached file, for error messages. */
export function deleteAdvice(path: string): string {
  return `delete it (rm '${path}' '${sidecarPath(path)}') and run again to download it anew`;
}

/**
 * Checks a file against the registry's hash (when known), else its sidecar. A file without either
 * (e.g. copied in by hand) gets its hash recorded now: later uses are checked against it.
 */
export async function checkCached(path: string, o: { sha256?: string; size?: number } = {}): Promise<CacheCheck> {
  const size = await sizeOf(path);
  if (size === undefined) return { status: 'missing' };
  const known = o.sha256?.toLowerCase();
  const recorded = await readSidecar(path);
  if (o.size !== undefined && size !== o.size) {
    return { status: 'mismatch', sha256: '', expected: `${o.size} bytes (have ${size})`, size, against: 'size' };
  }
  const sha256 = await sha256File(path);
  const expected = known ?? recorded;
  if (expected === undefined || (known !== undefined && recorded === undefined && sha256 === known)) {
    await writeSidecar(path, sha256);
    return { status: 'ok', sha256, size, recorded: true };
  }
  if (sha256 !== expected) return { status: 'mismatch', sha256, expected, size, against: known !== undefined ? 'registry' : 'sidecar' };
  return { status: 'ok', sha256, size, recorded: false };
}

function parseContentRange(h: string | undefined): { start?: number; end?: number; total?: number } | undefined {
  const m = /^\s*bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)\s*$/i.exec(h ?? '');
  if (!m) return undefined;
  return {
    start: m[1] === undefined ? undefined : Number(m[1]),
    end: m[2] === undefined ? undefined : Number(m[2]),
    total: m[3] === '*' ? undefined : Number(m[3]),
  };
}

function headerNumber(h: string | string[] | undefined): number | undefined {
  const v = Array.isArray(h) ? h[0] : h;
  if (v === undefined || !/^\d+$/.test(v.trim())) return undefined;
  return Number(v);
}

async function readMeta(dest: string): Promise<PartMeta | undefined> {
  try {
    return JSON.parse(await readFile(metaPath(dest), 'utf8')) as PartMeta;
  } catch {
    return undefined;
  }
}

async function discardPart(dest: string): Promise<void> {
  await remove(partPath(dest));
  await remove(metaPath(dest));
}

/** Adds what to do next to network errors: resume, or place the file by hand when offline. */
function withAdvice(e: ZooError, url: string, dest: string): ZooError {
  let advice = '';
  if (e.code === 'offline' || e.code === 'unreachable' || e.code === 'timeout') {
    advice =
      `\nTo install it by hand, download ${url} on a machine with internet access and copy it to ${dest} ` +
      `(its SHA-256 is recorded on first use), or pass the file's path instead of the zoo name. ` +
      `A mirror can be set with ${ZOO_ENV.baseUrl[0]}=<base URL>.`;
  } else if (e.code === 'interrupted') {
    advice = `\nThe partial file ${partPath(dest)} is kept: run the same command again to resume.`;
  } else if (e.code === 'http' && e.details.status === 404) {
    advice = `\nCheck the name, or the mirror set in ${ZOO_ENV.baseUrl.join(' / ')} if any.`;
  }
  const message = `cannot download ${basename(dest)} from ${url}: ${e.message}${advice}`;
  return new ZooError(e.code, message, { ...e.details, url: e.details.url ?? url, path: dest, cause: e });
}

interface TransferContext {
  url: string;
  dest: string;
  o: DownloadOptions;
  log: (line: string) => void;
}

/** One request: continues (or restarts) the partial file; resolves when it is complete. */
async function transfer(c: TransferContext, depth = 0): Promise<{ resumedFrom: number }> {
  const { url, dest, o, log } = c;
  const label = o.label ?? basename(dest);
  let have = (await sizeOf(partPath(dest))) ?? 0;
  const meta = have > 0 ? await readMeta(dest) : undefined;
  if (have > 0 && meta?.url !== url) {
    // Left by a download from another URL (or its record is gone): it cannot be trusted.
    log(`${label}: discarding a partial file of unknown origin`);
    await discardPart(dest);
    have = 0;
  }
  const headers: Record<string, string> = { 'accept-encoding': 'identity', 'user-agent': 'gdt-zoo' };
  if (have > 0) {
    headers.range = `bytes=${have}-`;
    // If-Range: a server whose file changed since sends it whole (200) instead of a bad tail.
    const validator = meta?.etag && !meta.etag.startsWith('W/') ? meta.etag : meta?.lastModified;
    if (validator) headers['if-range'] = validator;
  }
  const r = await get(url, { headers, timeoutMs: o.timeoutMs, signal: o.signal });
  const { res } = r;
  const status = res.statusCode ?? 0;
  const length = headerNumber(res.headers['content-length']);
  let start: number;
  let total: number | undefined;
  if (status === 206 && have > 0) {
    const cr = parseContentRange(res.headers['content-range']);
    if (!cr || cr.start !== have) {
      res.destroy();
      if (depth > 0) throw new ZooError('http', `the server answered a Range request with '${res.headers['content-range'] ?? 'no Content-Range'}'`, { url });
      log(`${label}: the server sent a different range than asked for; starting over`);
      await discardPart(dest);
      return transfer(c, depth + 1);
    }
    start = have;
    total = cr.total ?? (length !== undefined ? have + length : meta?.total);
    log(`${label}: resuming at ${formatBytes(have)}${total === undefined ? '' : ` of ${formatBytes(total)}`}`);
  } else if (status === 200) {
    if (have > 0) log(`${label}: the server cannot resume (no Range support, or the file changed); starting over`);
    start = 0;
    total = length;
    const etag = res.headers.etag;
    const lastModified = res.headers['last-modified'];
    await writeFile(metaPath(dest), JSON.stringify({ url, etag, lastModified, total } satisfies PartMeta));
  } else if (status === 416 && have > 0) {
    res.resume();
    const cr = parseContentRange(res.headers['content-range']);
    if (cr?.total === have) return { resumedFrom: have }; // the partial file is already whole
    if (depth > 0) throw new ZooError('http', `HTTP 416 Range Not Satisfiable for ${r.url}`, { url: r.url, status });
    log(`${label}: the partial file is longer than the server's; starting over`);
    await discardPart(dest);
    return transfer(c, depth + 1);
  } else {
    res.resume();
    const retryable = status >= 500 || status === 408 || status === 429;
    throw new ZooError('http', `HTTP ${status} ${res.statusMessage ?? ''}`.trim() + (r.url !== url ? ` (redirected to ${r.url})` : ''), { url: r.url, status, retryable });
  }
  if (o.size !== undefined && total !== undefined && total !== o.size) {
    res.destroy();
    throw new ZooError('integrity', `the server reports ${total} bytes, the registry expects ${o.size}`, { url });
  }

  const fh = await open(partPath(dest), start > 0 ? 'a' : 'w');
  const bar = o.progress === null ? undefined : byteProgress(label, start, total, { stream: o.progress ?? process.stderr, intervalMs: o.progressIntervalMs });
  let received = start;
  try {
    // Written chunk by chunk (not piped) so everything received is on disk when the peer drops.
    for await (const chunk of res as AsyncIterable<Buffer>) {
      await writeAll(fh, chunk);
      received += chunk.length;
      bar?.update(received);
      o.onProgress?.(received, total);
    }
  } catch (e) {
    if (o.signal?.aborted) throw e;
    const why = networkError(e, url);
    const of = total === undefined ? '' : ` of ${formatBytes(total)}`;
    throw r.failure() ?? new ZooError('interrupted', `the connection dropped after ${formatBytes(received)}${of} (${messageOf(why.cause ?? e)})`, { url, retryable: why.retryable, cause: e });
  } finally {
    bar?.stop();
    await fh.sync().catch(() => undefined);
    await fh.close();
  }
  if (total !== undefined && received < total) {
    throw new ZooError('interrupted', `the connection closed after ${formatBytes(received)} of ${formatBytes(total)}`, { url, retryable: true });
  }
  if (total !== undefined && received > total) {
    await discardPart(dest);
    throw new ZooError('integrity', `received ${received} bytes, more than the announced ${total}; the partial file was deleted`, { url, retryable: true });
  }
  return { resumedFrom: start };
}

/**
 * Downloads `url` to `dest` now, continuing `<dest>.part` if one is there, retrying transient
 * failures; checks size and hash, records the hash and renames into place. Takes no lock: use
 * ensureDownloaded unless you hold `<dest>.lock` yourself.
 */
export async function downloadFile(url: string, dest: string, o: DownloadOptions = {}): Promise<DownloadResult> {
  const stream = o.progress === null ? undefined : (o.progress ?? process.stderr);
  const log = (line: string): void => void stream?.write(`${line}\n`);
  await mkdir(dirname(dest), { recursive: true });
  const retries = o.retries ?? 3;
  let resumedFrom = 0;
  for (let attempt = 0; ; attempt++) {
    try {
      ({ resumedFrom } = await transfer({ url, dest, o, log }));
      break;
    } catch (e) {
      if (o.signal?.aborted) throw e;
      const z = e instanceof ZooError ? e : networkError(e, url);
      if (!z.retryable || attempt >= retries) throw withAdvice(z, url, dest);
      const delay = (o.retryDelayMs ?? 1000) * 2 ** attempt;
      log(`${o.label ?? basename(dest)}: ${z.message}; retrying in ${(delay / 1000).toFixed(1)} s (${attempt + 1}/${retries})`);
      await sleep(delay);
    }
  }

  const part = partPath(dest);
  const size = (await sizeOf(part)) ?? 0;
  if (o.size !== undefined && size !== o.size) {
    await discardPart(dest);
    throw withAdvice(new ZooError('integrity', `downloaded ${size} bytes, the registry expects ${o.size}; the partial file was deleted`), url, dest);
  }
  const sha256 = await sha256File(part);
  const known = o.sha256?.toLowerCase();
  if (known !== undefined && sha256 !== known) {
    await discardPart(dest);
    throw withAdvice(
      new ZooError('integrity', `the downloaded file's SHA-256 is ${sha256}, the registry expects ${known} (a wrong or damaged file, or a mirror serving another version); it was deleted`),
      url,
      dest,
    );
  }
  // Hash first, then the rename: a file in its final place always has its record.
  await writeSidecar(dest, sha256);
  await rename(part, dest);
  await remove(metaPath(dest));
  return { path: dest, sha256, size, downloaded: true, resumedFrom };
}

/**
 * The cached file `dest`, downloading it from `url` when it is missing (or corrupt, unless
 * `onCorrupt: 'error'`). A cache hit makes no request but is checked against its SHA-256.
 * Concurrent callers (processes) wait for one download instead of racing.
 */
export async function ensureDownloaded(url: string, dest: string, o: DownloadOptions = {}): Promise<DownloadResult> {
  const stream = o.progress === null ? undefined : (o.progress ?? process.stderr);
  const log = (line: string): void => void stream?.write(`${line}\n`);
  const label = o.label ?? basename(dest);
  await mkdir(dirname(dest), { recursive: true });

  const hit = async (): Promise<DownloadResult | undefined> => {
    if (o.force) return undefined;
    const c = await checkCached(dest, o);
    if (c.status === 'ok') return { path: dest, sha256: c.sha256, size: c.size, downloaded: false, resumedFrom: 0 };
    if (c.status === 'missing') return undefined;
    const what =
      c.against === 'size'
        ? `has the wrong size (expected ${c.expected})`
        : `does not match its ${c.against === 'registry' ? 'known' : 'recorded'} SHA-256 (expected ${c.expected}, got ${c.sha256}): it is truncated or corrupted`;
    if (o.onCorrupt === 'error') throw new ZooError('integrity', `cached file ${dest} ${what}; ${deleteAdvice(dest)}`, { path: dest, url });
    log(`${label}: cached file ${what}; downloading it again`);
    await remove(dest);
    await remove(sidecarPath(dest));
    return undefined;
  };

  const cached = await hit();
  if (cached) return cached;
  return withLock(
    lockPath(dest),
    async () => {
      // Another process may have finished it while we waited for the lock.
      if (!o.force && (await sizeOf(dest)) !== undefined) {
        const again = await hit();
        if (again) return again;
      }
      return downloadFile(url, dest, o);
    },
    { signal: o.signal, onWait: () => log(`${label}: another process is downloading it; waiting`) },
  );
}
