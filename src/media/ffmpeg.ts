/**
 * Locating and running the ffmpeg / ffprobe binaries.
 *
 * The binaries are spawned directly (never through a shell) so that file names with spaces,
 * quotes or `$` need no escaping. `FFMPEG` / `FFPROBE` environment variables override the PATH
 * lookup (useful for static builds); the lookup is cached per (env value, PATH).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants as fsConstants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import type { Readable, Writable } from 'node:stream';

export type MediaTool = 'ffmpeg' | 'ffprobe';

const INSTALL_HINT = 'install ffmpeg: apt-get install ffmpeg';

/** The requested binary could not be found or started. */
export class FfmpegNotFoundError extends Error {
  readonly tool: MediaTool;
  constructor(tool: MediaTool, detail: string) {
    super(`${tool} not found (${detail}); ${INSTALL_HINT} (or set ${envName(tool)}=/path/to/${tool})`);
    this.name = 'FfmpegNotFoundError';
    this.tool = tool;
  }
}

function envName(tool: MediaTool): 'FFMPEG' | 'FFPROBE' {
  return tool === 'ffmpeg' ? 'FFMPEG' : 'FFPROBE';
}

function isExecutableFile(p: string): boolean {
  try {
    if (!statSync(p).isFile()) return false;
    accessSync(p, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
}

const locateCache = new Map<string, string>();

/**
 * Absolute path of `ffmpeg` or `ffprobe`. `FFMPEG` / `FFPROBE` (a path, or a bare name looked up
 * on PATH) take precedence. Throws {@link FfmpegNotFoundError} with an installation hint.
 */
export function locateTool(tool: MediaTool): string {
  const override = process.env[envName(tool)];
  const pathVar = process.env.PATH ?? '';
  const key = `${tool}\0${override ?? ''}\0${pathVar}`;
  const hit = locateCache.get(key);
  if (hit !== undefined) return hit;

  let found: string | undefined;
  if (override !== undefined && override !== '') {
    if (override.includes('/')) {
      const abs = isAbsolute(override) ? override : resolve(override);
      if (!isExecutableFile(abs)) {
        throw new FfmpegNotFoundError(tool, `${envName(tool)}=${override} is not an executable file`);
      }
      found = abs;
    } else {
      found = searchPath(override, pathVar);
      if (found === undefined) {
        throw new FfmpegNotFoundError(tool, `${envName(tool)}=${override} is not on PATH`);
      }
    }
  } else {
    found = searchPath(tool, pathVar);
    if (found === undefined) throw new FfmpegNotFoundError(tool, 'not on PATH');
  }
  locateCache.set(key, found);
  return found;
}

function searchPath(name: string, pathVar: string): string | undefined {
  for (const dir of pathVar.split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return undefined;
}

/** Where a tool's stdout goes. */
export type StdoutSink =
  | { kind: 'ignore' }
  /** Collect everything (for small outputs such as ffprobe JSON). */
  | { kind: 'collect' }
  /** Copy into a preallocated buffer; bytes beyond its end are counted, not stored. */
  | { kind: 'into'; buffer: Uint8Array };

export interface RunToolOptions {
  stdout?: StdoutSink;
  /** Data for stdin; a Buffer is written then stdin is closed. Without it stdin is /dev/null. */
  stdin?: Uint8Array;
  /**
   * Number of extra pipes to open as fds 3, 4, ... (ffmpeg reads them as `pipe:3`, ...).
   * The caller writes them through `onSpawn`.
   */
  extraPipes?: number;
  /**
   * Extra output pipes, opened after the `extraPipes` input pipes (so with no input pipes they are
   * fds 3, 4, ...: ffmpeg writes them as `pipe:3`, ...). Each is read into its preallocated
   * buffer like stdout's `into` sink; byte counts are returned in `extraBytes`.
   */
  extraOutputs?: Uint8Array[];
  /** Called right after spawning, with writable stdin (when `stdinStream`) and the extra pipes. */
  onSpawn?: (io: { stdin: Writable | null; extra: Writable[] }) => void;
  /** Keep stdin as a stream for `onSpawn` (instead of `stdin` data or /dev/null). */
  stdinStream?: boolean;
  /** Kill the process after this many milliseconds (SIGKILL); the result has `timedOut`. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Most stderr characters kept (the head and the tail are kept when it is longer). */
  maxStderr?: number;
}

export interface RunToolResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stderr: string;
  /** With `collect`: all of stdout. */
  stdout: Buffer;
  /** Bytes written to stdout in total (with `into`, may exceed the buffer's length). */
  stdoutBytes: number;
  /** Bytes written to each of `extraOutputs`. */
  extraBytes: number[];
}

/** Spawn `tool` with `args` (no shell) and wait for it to exit. */
export function runTool(tool: MediaTool, args: readonly string[], opts: RunToolOptions = {}): Promise<RunToolResult> {
  const bin = locateTool(tool);
  const sink: StdoutSink = opts.stdout ?? { kind: 'collect' };
  const maxStderr = opts.maxStderr ?? 16384;
  const extra = opts.extraPipes ?? 0;
  const stdinMode = opts.stdin !== undefined || opts.stdinStream === true ? 'pipe' : 'ignore';
  const stdio: ('pipe' | 'ignore')[] = [stdinMode, sink.kind === 'ignore' ? 'ignore' : 'pipe', 'pipe'];
  const outs = opts.extraOutputs ?? [];
  for (let i = 0; i < extra + outs.length; i++) stdio.push('pipe');

  return new Promise<RunToolResult>((resolvePromise, reject) => {
    let child;
    try {
      child = spawn(bin, args, { stdio, signal: opts.signal, windowsHide: true });
    } catch (err) {
      reject(spawnError(tool, bin, err));
      return;
    }
    const chunks: Buffer[] = [];
    let stdoutBytes = 0;
    const half = Math.max(1, Math.floor(maxStderr / 2));
    let stderrHead = '';
    let stderrTail = '';
    let stderrDropped = false;
    let timedOut = false;
    let settled = false;
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            child.kill('SIGKILL');
          }, opts.timeoutMs)
        : undefined;

    const out = child.stdout as Readable | null;
    if (out) {
      out.on('data', (chunk: Buffer) => {
        if (sink.kind === 'into') {
          const room = sink.buffer.length - stdoutBytes;
          if (room > 0) sink.buffer.set(room >= chunk.length ? chunk : chunk.subarray(0, room), stdoutBytes);
        } else if (sink.kind === 'collect') {
          chunks.push(chunk);
        }
        stdoutBytes += chunk.length;
      });
    }
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (s: string) => {
      // Keep the first and the last part: the first error usually names the cause.
      if (stderrHead.length < half) {
        const take = s.slice(0, half - stderrHead.length);
        stderrHead += take;
        s = s.slice(take.length);
      }
      if (s !== '') {
        stderrTail += s;
        if (stderrTail.length > half) {
          stderrTail = stderrTail.slice(-half);
          stderrDropped = true;
        }
      }
    });
    const extraStreams: Writable[] = [];
    for (let i = 0; i < extra; i++) {
      const w = child.stdio[3 + i] as Writable | null;
      if (w) {
        // EPIPE when ffmpeg exits early is reported through the exit code, not here.
        w.on('error', () => undefined);
        extraStreams.push(w);
      }
    }
    const extraBytes = outs.map(() => 0);
    outs.forEach((buf, k) => {
      const r = child.stdio[3 + extra + k] as Readable | null;
      r?.on('data', (chunk: Buffer) => {
        const at = extraBytes[k] ?? 0;
        const room = buf.length - at;
        if (room > 0) buf.set(room >= chunk.length ? chunk : chunk.subarray(0, room), at);
        extraBytes[k] = at + chunk.length;
      });
    });
    if (child.stdin) child.stdin.on('error', () => undefined);
    if (opts.stdin !== undefined && child.stdin) child.stdin.end(opts.stdin);
    opts.onSpawn?.({ stdin: opts.stdinStream === true ? child.stdin : null, extra: extraStreams });

    child.on('error', (err: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      reject(spawnError(tool, bin, err));
    });
    child.on('close', (code, signal) => {
      if (settled) return;
      settled = true;
      if (timer) clearTimeout(timer);
      const stderr = stderrDropped ? `${stderrHead}\n[...]\n${stderrTail}` : stderrHead + stderrTail;
      resolvePromise({
        code,
        signal,
        timedOut,
        stderr,
        stdout: sink.kind === 'collect' ? Buffer.concat(chunks) : Buffer.alloc(0),
        stdoutBytes,
        extraBytes,
      });
    });
  });
}

function spawnError(tool: MediaTool, bin: string, err: unknown): Error {
  const e = err as NodeJS.ErrnoException;
  if (e && (e.code === 'ENOENT' || e.code === 'EACCES')) {
    return new FfmpegNotFoundError(tool, `cannot execute ${bin}: ${e.code}`);
  }
  return e instanceof Error ? e : new Error(String(err));
}

/** First meaningful stderr line(s), for error messages. */
export function summarizeStderr(stderr: string, maxLines = 3): string {
  const lines = stderr
    .split(/\r?\n/)
    // Drop the "[mov,mp4,... @ 0x55d0c0a1b2c0] " context prefix: the address is noise.
    .map((l) => l.replace(/^\[[^\]]* @ 0x[0-9a-f]+\]\s*/i, '').trim())
    .filter((l) => l !== '');
  if (lines.length === 0) return '';
  const picked = lines.length <= maxLines ? lines : [...lines.slice(0, maxLines - 1), lines[lines.length - 1] ?? ''];
  return picked.join(' | ');
}

let versionCache: { bin: string; version: [number, number] } | undefined;

/** ffmpeg's [major, minor] version (e.g. [5, 1]); [0, 0] for unparsable (git) builds. */
export async function ffmpegVersion(): Promise<[number, number]> {
  const bin = locateTool('ffmpeg');
  if (versionCache && versionCache.bin === bin) return versionCache.version;
  const res = await runTool('ffmpeg', ['-hide_banner', '-version']);
  const m = /ffmpeg version n?(\d+)\.(\d+)/.exec(res.stdout.toString('utf8'));
  const version: [number, number] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
  versionCache = { bin, version };
  return version;
}

/**
 * Arguments that make ffmpeg emit every decoded frame once, with no duplication or dropping.
 * The rawvideo muxer would otherwise default to constant-frame-rate output, which duplicates
 * or drops frames of variable-frame-rate inputs. `-fps_mode` appeared in 5.1; `-vsync` before.
 */
export async function passthroughFpsArgs(): Promise<string[]> {
  const [major, minor] = await ffmpegVersion();
  // Unknown (git) builds are assumed recent.
  const modern = major === 0 || major > 5 || (major === 5 && minor >= 1);
  return modern ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'];
}
