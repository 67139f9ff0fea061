/**
 * ffprobe wrapper: container and stream metadata needed by clip sampling (SPEC 5.1, 5.2).
 *
 * The result is plain JSON (numbers, strings, booleans, null) so that it can be stored in the
 * manifest cache as is.
 */
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { runTool, summarizeStderr } from './ffmpeg.js';

/** Why a file could not be probed. */
export type ProbeFailure =
  | 'not_found'
  | 'not_a_file'
  | 'empty'
  | 'invalid_data'
  | 'no_video_stream'
  | 'ffprobe_failed'
  | 'timeout';

/** A file that is missing, empty, not a media file, or has no usable video stream. */
export class MediaProbeError extends Error {
  readonly path: string;
  readonly reason: string;
  readonly kind: ProbeFailure;
  constructor(path: string, kind: ProbeFailure, reason: string) {
    super(`cannot probe ${path}: ${reason}`);
    this.name = 'MediaProbeError';
    this.path = path;
    this.kind = kind;
    this.reason = reason;
  }
}

export interface ProbeResult {
  /** Absolute path. */
  path: string;
  sizeBytes: number;
  /** Container short name(s), e.g. "mov,mp4,m4a,3gp,3g2,mj2". */
  formatName: string;
  /** Container start time in seconds (the origin of ffmpeg's `-ss`). */
  formatStartTime: number;
  /** Container duration in seconds, when reported. */
  formatDuration: number | null;

  /** Video duration in seconds: the stream's own duration, else the container's. */
  duration: number;
  /** Whether the video stream itself reports a duration (the reference needs it, SPEC 5.2 step 5). */
  streamDurationKnown: boolean;
  /** Stream duration in time-base units (`duration_ts`), when reported. */
  durationTs: number | null;
  /** Stream time base as [num, den], when reported. */
  timeBase: [number, number] | null;
  /** Video stream start time in seconds (0 when unknown). */
  videoStartTime: number;

  /** Average frame rate (`avg_frame_rate`; PyAV's `average_rate`), falling back as documented. */
  fps: number;
  /** `r_frame_rate` (the smallest rate representing all timestamps), 0 when unknown. */
  rFrameRate: number;
  /** Heuristic: avg and r frame rates differ by more than 0.5 %, or avg was unusable. */
  vfr: boolean;
  /** Frame count: `nb_frames` (PyAV's `stream.frames`), counted packets, or round(duration * fps). */
  frames: number;
  /** True when `frames` was estimated from duration * fps. */
  framesEstimated: boolean;

  /** Coded (storage) size. */
  width: number;
  height: number;
  /** Display-matrix rotation, degrees counter-clockwise, one of 0/90/180/270. */
  rotation: number;
  /** Size of the frames ffmpeg outputs (rotation applied: width and height swap for 90/270). */
  displayWidth: number;
  displayHeight: number;
  videoCodec: string;
  pixFmt: string | null;

  hasAudio: boolean;
  audioCodec: string | null;
  audioSampleRate: number | null;
  audioChannels: number | null;
  /** Audio stream duration in seconds (the container's when the stream has none). */
  audioDuration: number | null;
  audioStartTime: number | null;
}

export interface ProbeOptions {
  /** Count video packets when the container has no `nb_frames` (reads the whole file, no decoding). */
  countFrames?: boolean;
  timeoutMs?: number;
}

// Minimal typing of the parts of ffprobe's JSON we read.
interface FfprobeStream {
  index?: number;
  codec_type?: string;
  codec_name?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  avg_frame_rate?: string;
  r_frame_rate?: string;
  time_base?: string;
  start_time?: string;
  duration?: string;
  duration_ts?: number;
  nb_frames?: string;
  nb_read_packets?: string;
  sample_rate?: string;
  channels?: number;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string>;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}
interface FfprobeFormat {
  format_name?: string;
  start_time?: string;
  duration?: string;
  size?: string;
}
interface FfprobeOutput {
  streams?: FfprobeStream[];
  format?: FfprobeFormat;
}

/** Parse "30000/1001" or "25" to a number; 0 for "0/0", empty or malformed. */
export function parseRate(s: string | undefined): number {
  if (s === undefined || s === '') return 0;
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(?:\/\s*(\d+(?:\.\d+)?)\s*)?$/.exec(s);
  if (!m) return 0;
  const num = Number(m[1]);
  const den = m[2] === undefined ? 1 : Number(m[2]);
  if (!Number.isFinite(num) || !Number.isFinite(den) || den === 0 || num <= 0) return 0;
  return num / den;
}

function parseNum(s: string | number | undefined): number | null {
  if (s === undefined || s === '' || s === 'N/A') return null;
  const v = typeof s === 'number' ? s : Number(s);
  return Number.isFinite(v) ? v : null;
}

function normaliseRotation(deg: number): number {
  const q = Math.round(deg / 90) * 90;
  return ((q % 360) + 360) % 360;
}

/** Rotation in degrees counter-clockwise (ffprobe's display-matrix convention). */
function streamRotation(s: FfprobeStream): number {
  for (const sd of s.side_data_list ?? []) {
    if (typeof sd.rotation === 'number' && Number.isFinite(sd.rotation)) return normaliseRotation(sd.rotation);
  }
  // Old ffprobe builds expose a `rotate` tag: degrees clockwise.
  const tag = parseNum(s.tags?.rotate);
  return tag === null ? 0 : normaliseRotation(-tag);
}

async function fileSize(path: string): Promise<number> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new MediaProbeError(path, 'not_found', 'file not found');
    throw new MediaProbeError(path, 'ffprobe_failed', `cannot stat: ${(err as Error).message}`);
  }
  if (!st.isFile()) throw new MediaProbeError(path, 'not_a_file', 'not a regular file');
  if (st.size === 0) throw new MediaProbeError(path, 'empty', 'empty file (0 bytes)');
  return st.size;
}

/** `file:` stops ffmpeg from reading a leading '-' as an option or a ':' as a protocol. */
export function ffmpegInputArg(absPath: string): string {
  return `file:${absPath}`;
}

/**
 * Probe a media file. Throws {@link MediaProbeError} (with the path and a reason taken from
 * ffprobe's stderr) for missing, empty, unreadable or video-less files.
 */
export async function probeMedia(path: string, opts: ProbeOptions = {}): Promise<ProbeResult> {
  const abs = resolve(path);
  const sizeBytes = await fileSize(abs);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const res = await runTool(
    'ffprobe',
    ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', ffmpegInputArg(abs)],
    { timeoutMs },
  );
  if (res.timedOut) throw new MediaProbeError(abs, 'timeout', `ffprobe timed out after ${timeoutMs} ms`);
  if (res.code !== 0) {
    const msg = summarizeStderr(res.stderr.replaceAll(`file:${abs}: `, '')) || `ffprobe exited with code ${res.code}`;
    const kind: ProbeFailure = /Invalid data|moov atom not found|could not find codec|End of file/i.test(res.stderr)
      ? 'invalid_data'
      : 'ffprobe_failed';
    throw new MediaProbeError(abs, kind, msg);
  }
  let parsed: FfprobeOutput;
  try {
    parsed = JSON.parse(res.stdout.toString('utf8')) as FfprobeOutput;
  } catch {
    throw new MediaProbeError(abs, 'ffprobe_failed', 'ffprobe printed invalid JSON');
  }
  const streams = parsed.streams ?? [];
  const format = parsed.format ?? {};
  // Cover art in audio files is a "video" stream with the attached_pic disposition: not a video.
  const v = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  if (!v) throw new MediaProbeError(abs, 'no_video_stream', 'no video stream');
  const a = streams.find((s) => s.codec_type === 'audio');

  const width = v.width ?? 0;
  const height = v.height ?? 0;
  if (width <= 0 || height <= 0) throw new MediaProbeError(abs, 'invalid_data', 'video stream has no frame size');

  const formatDuration = parseNum(format.duration);
  const streamDuration = parseNum(v.duration);
  const duration = streamDuration ?? formatDuration ?? 0;
  const avg = parseRate(v.avg_frame_rate);
  const rRate = parseRate(v.r_frame_rate);
  let nbFrames = parseNum(v.nb_frames);
  if (nbFrames !== null && nbFrames <= 0) nbFrames = null;

  // avg_frame_rate is 0/0 for some streams (e.g. some MKV/WebM): derive it from the frame count
  // and duration when both are known, else use r_frame_rate.
  let fps = avg;
  let avgUsable = avg > 0 && avg < 1000;
  if (!avgUsable) {
    fps = nbFrames !== null && duration > 0 ? nbFrames / duration : rRate;
    avgUsable = false;
  }
  if (!(fps > 0)) throw new MediaProbeError(abs, 'invalid_data', 'cannot determine the frame rate');
  const vfr = !avgUsable || (rRate > 0 && Math.abs(avg - rRate) / rRate > 0.005);

  let frames = nbFrames ?? 0;
  let framesEstimated = false;
  if (nbFrames === null) {
    if (opts.countFrames) {
      frames = await countVideoPackets(abs, timeoutMs);
    }
    if (!(frames > 0)) {
      frames = Math.max(1, Math.round(duration * fps));
      framesEstimated = true;
    }
  }

  const rotation = streamRotation(v);
  const swap = rotation === 90 || rotation === 270;
  const tb = v.time_base ? /^(\d+)\/(\d+)$/.exec(v.time_base) : null;

  return {
    path: abs,
    sizeBytes,
    formatName: format.format_name ?? '',
    formatStartTime: parseNum(format.start_time) ?? 0,
    formatDuration,
    duration,
    streamDurationKnown: streamDuration !== null,
    durationTs: typeof v.duration_ts === 'number' ? v.duration_ts : null,
    timeBase: tb ? [Number(tb[1]), Number(tb[2])] : null,
    videoStartTime: parseNum(v.start_time) ?? 0,
    fps,
    rFrameRate: rRate,
    vfr,
    frames,
    framesEstimated,
    width,
    height,
    rotation,
    displayWidth: swap ? height : width,
    displayHeight: swap ? width : height,
    videoCodec: v.codec_name ?? 'unknown',
    pixFmt: v.pix_fmt ?? null,
    hasAudio: a !== undefined,
    audioCodec: a?.codec_name ?? null,
    audioSampleRate: a ? parseNum(a.sample_rate) : null,
    audioChannels: a?.channels ?? null,
    audioDuration: a ? (parseNum(a.duration) ?? formatDuration) : null,
    audioStartTime: a ? (parseNum(a.start_time) ?? 0) : null,
  };
}

async function countVideoPackets(abs: string, timeoutMs: number): Promise<number> {
  const res = await runTool(
    'ffprobe',
    [
      '-v', 'error', '-select_streams', 'v:0', '-count_packets',
      '-show_entries', 'stream=nb_read_packets', '-print_format', 'json', ffmpegInputArg(abs),
    ],
    { timeoutMs },
  );
  if (res.code !== 0) return 0;
  try {
    const out = JSON.parse(res.stdout.toString('utf8')) as FfprobeOutput;
    return parseNum(out.streams?.[0]?.nb_read_packets) ?? 0;
  } catch {
    return 0;
  }
}

/**
 * Presentation timestamps (seconds, absolute, sorted) of the video packets whose timestamps lie
 * roughly in [fromSec, toSec] (ffprobe `-read_intervals`, which starts at the preceding key
 * frame, so the list may begin earlier). Demuxing only, no decoding.
 */
export async function videoPacketTimes(path: string, fromSec: number, toSec: number, timeoutMs = 30_000): Promise<number[]> {
  const abs = resolve(path);
  const from = Math.max(0, fromSec);
  const res = await runTool(
    'ffprobe',
    [
      '-v', 'error', '-select_streams', 'v:0',
      '-read_intervals', `${from.toFixed(6)}%${Math.max(from, toSec).toFixed(6)}`,
      '-show_entries', 'packet=pts_time', '-print_format', 'json', ffmpegInputArg(abs),
    ],
    { timeoutMs },
  );
  if (res.code !== 0) {
    throw new MediaProbeError(abs, 'ffprobe_failed', summarizeStderr(res.stderr) || 'cannot read packets');
  }
  const out = JSON.parse(res.stdout.toString('utf8')) as { packets?: { pts_time?: string }[] };
  const times: number[] = [];
  for (const p of out.packets ?? []) {
    const t = parseNum(p.pts_time);
    if (t !== null) times.push(t);
  }
  times.sort((x, y) => x - y);
  return times;
}
