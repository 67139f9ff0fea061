/**
 * Writing videos with ffmpeg from frames rendered in TypeScript.
 *
 * Raw rgb24 frames go to ffmpeg's stdin and f32le mono audio to an extra pipe (fd 3), so one
 * ffmpeg process muxes both without temporary files. Frames are written with back-pressure (the
 * renderer waits while ffmpeg is busy), so memory stays at a few frames per process.
 */
import { rename, rm } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import type { Writable } from 'node:stream';
import { runTool, summarizeStderr } from './ffmpeg.js';

export interface EncodeVideoOptions {
  width: number;
  height: number;
  fps: number;
  frameCount: number;
  /** Fill `out` (width * height * 3 bytes, RGB) with frame `index`. */
  renderFrame: (index: number, out: Uint8Array) => void;
  /** Mono audio; omitted -> a video without an audio stream. */
  audio?: { samples: Float32Array; sampleRate: number };
  /** Video codec arguments; default H.264 (libx264 ultrafast, yuv420p, one key frame per second). */
  videoCodecArgs?: string[];
  /** Audio codec arguments; default AAC 96 kb/s. */
  audioCodecArgs?: string[];
  /** Extra output arguments placed before the file name (e.g. `-vf`, `-metadata:s:v`). */
  extraOutputArgs?: string[];
  /** Write deterministic files (`bitexact` flags, no encoder version strings). Default true. */
  bitexact?: boolean;
  /** Output container format name for ffmpeg `-f`; default from the extension. */
  format?: string;
  timeoutMs?: number;
}

export function h264Args(opts: { crf?: number; preset?: string; gop?: number; pixFmt?: string; threads?: number } = {}): string[] {
  return [
    '-c:v', 'libx264', '-preset', opts.preset ?? 'ultrafast', '-crf', String(opts.crf ?? 20),
    '-pix_fmt', opts.pixFmt ?? 'yuv420p', '-g', String(opts.gop ?? 30), '-threads', String(opts.threads ?? 1),
  ];
}

function writeChunk(stream: Writable, chunk: Uint8Array): Promise<void> {
  return new Promise((resolve) => {
    if (stream.write(chunk)) resolve();
    else {
      // Resolve on drain, or if ffmpeg went away (its exit status then tells the story).
      const done = (): void => {
        stream.off('drain', done);
        stream.off('close', done);
        stream.off('error', done);
        resolve();
      };
      stream.once('drain', done);
      stream.once('close', done);
      stream.once('error', done);
    }
  });
}

/**
 * Encode a video. The file appears atomically (written to a temporary name, then renamed).
 * Throws with ffmpeg's message when encoding fails.
 */
export async function encodeVideo(outPath: string, opts: EncodeVideoOptions): Promise<void> {
  const { width, height, fps, frameCount } = opts;
  if (!(width >= 1 && height >= 1 && frameCount >= 1 && fps > 0)) throw new RangeError('encodeVideo: invalid size, fps or frame count');
  const tmp = join(dirname(outPath), `.${basename(outPath)}.tmp-${process.pid}-${Math.floor(Math.random() * 1e9)}`);
  const bitexact = opts.bitexact ?? true;
  const args = [
    '-nostdin', '-v', 'error', '-y',
    '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${width}x${height}`, '-framerate', String(fps), '-i', 'pipe:0',
  ];
  if (opts.audio) args.push('-f', 'f32le', '-ar', String(opts.audio.sampleRate), '-ac', '1', '-i', 'pipe:3');
  args.push('-map', '0:v');
  if (opts.audio) args.push('-map', '1:a');
  args.push(...(opts.videoCodecArgs ?? h264Args()));
  if (opts.audio) args.push(...(opts.audioCodecArgs ?? ['-c:a', 'aac', '-aac_coder', 'fast', '-b:a', '96k']));
  if (bitexact) args.push('-fflags', '+bitexact', '-flags:v', '+bitexact', '-flags:a', '+bitexact', '-map_metadata', '-1');
  args.push(...(opts.extraOutputArgs ?? []));
  const ext = outPath.toLowerCase().split('.').pop() ?? '';
  const format = opts.format ?? ({ mp4: 'mp4', m4v: 'mp4', mov: 'mov', mkv: 'matroska', webm: 'webm', avi: 'avi' } as Record<string, string>)[ext];
  if (format) args.push('-f', format);
  args.push(tmp);

  let feedError: unknown;
  let feeding: Promise<void> = Promise.resolve();
  const result = runTool('ffmpeg', args, {
    stdout: { kind: 'ignore' },
    stdinStream: true,
    extraPipes: opts.audio ? 1 : 0,
    timeoutMs: opts.timeoutMs ?? 300_000,
    onSpawn: ({ stdin, extra }) => {
      const audioPipe = extra[0];
      if (opts.audio && audioPipe) {
        const s = opts.audio.samples;
        audioPipe.end(Buffer.from(s.buffer, s.byteOffset, s.byteLength));
      }
      if (!stdin) return;
      feeding = (async () => {
        try {
          for (let i = 0; i < frameCount; i++) {
            // A fresh buffer per frame: the stream keeps a reference until it is flushed.
            const frame = new Uint8Array(width * height * 3);
            opts.renderFrame(i, frame);
            await writeChunk(stdin, frame);
            if (stdin.destroyed) break;
          }
        } catch (err) {
          feedError = err;
        } finally {
          stdin.end();
        }
      })();
    },
  });
  const res = await result;
  await feeding;
  if (feedError !== undefined || res.code !== 0) {
    await rm(tmp, { force: true });
    if (feedError !== undefined) throw feedError;
    throw new Error(`ffmpeg failed to encode ${outPath}: ${summarizeStderr(res.stderr) || `exit code ${res.code ?? res.signal}`}`);
  }
  await rename(tmp, outPath);
}
