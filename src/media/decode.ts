/**
 * Clip decoding with the reference's temporal sampling (SPEC 5.2), through the ffmpeg binary.
 *
 * How the reference (PyAV, `pyav_decode` + `temporal_sampling`) picks frames, for a stream with
 * average frame rate `fps`, frame count `n` (`stream.frames`) and duration `D` (time-base units):
 *
 *   clip_size = num_frames * sampling_rate / target_fps * fps          (real, in source frames)
 *   delta     = max(n - clip_size, 0)
 *   start     = U(0, delta)                     random clip (Python random.uniform)
 *             = int(delta * clip_idx / num_clips)   clip k of n uniform positions
 *   end       = start + clip_size - 1
 *   start_pts = int(start * D / n),  end_pts = int(end * D / n)
 *   decoded   = frames with start_pts <= pts <= end_pts, plus the first frame after end_pts
 *   indices   = linspace(0, clip_size - 1, num_frames)  (float32), clamped to [0, T_dec - 1],
 *               truncated toward zero, relative to the first decoded frame
 *
 * so with constant frame rate the clip starts at source frame ceil(start) and a frame index past
 * the decoded range repeats the last decoded frame. Without a stream duration the reference
 * decodes the whole video and samples trunc(clamp(linspace(start, end, num_frames), 0, T - 1))
 * from it (absolute indices); {@link planClip} reproduces that branch too.
 *
 * Audio starts at `start / fps` seconds (the real-valued start, SPEC 5.2) and lasts `num_sec`;
 * near the end of the track the segment is moved back so that it ends with the track (SPEC 5.5).
 *
 * Implementation: the frames of the window are located analytically for constant-frame-rate
 * streams and from the demuxed packet timestamps (ffprobe, no decoding) for variable-frame-rate
 * ones; ffmpeg then seeks half a frame before the first one (`-ss` before `-i` decodes from the
 * preceding key frame and drops earlier frames: frame-accurate, verified by the tests), emits
 * every frame once (`-fps_mode passthrough`), optionally keeps only the sampled ones (`select`),
 * applies the display rotation (ffmpeg's default autorotate) and an optional short-side resize,
 * and writes rgb24 into a preallocated buffer. The audio segment comes out of the same ffmpeg
 * process (a second, separately seeked input of the same file, written to pipe 3 as f32le).
 */
import { resolve } from 'node:path';
import { passthroughFpsArgs, runTool, summarizeStderr } from './ffmpeg.js';
import { ffmpegInputArg, MediaProbeError, probeMedia, videoPacketTimes, type ProbeResult } from './probe.js';

/** Frames in T,H,W,C order, uint8 RGB. */
export interface VideoFrames {
  data: Uint8Array;
  frames: number;
  height: number;
  width: number;
  channels: 3;
}

/** Mono float PCM in [-1, 1] (multiply by 32768 for the reference's int16 scale, SPEC 5.4). */
export interface AudioSegment {
  samples: Float32Array;
  sampleRate: number;
  channels: 1;
  /** Start of the segment in seconds from the audio stream start (after any end-of-track shift). */
  startSec: number;
  /** Zeros were appended because the track is shorter than the requested length. */
  padded: boolean;
}

/** Where the clip starts: uniformly at random, or clip `index` of `count` uniform positions. */
export type ClipPosition =
  | { kind: 'random'; rng: () => number }
  | { kind: 'uniform'; index: number; count: number };

export interface ClipSpec {
  numFrames: number;
  /** Frame rate the clip is sampled at (reference `target_fps`), default 30. */
  targetFps?: number;
  /** Frame stride at the target rate (reference `sampling_rate`), default 1. */
  samplingRate?: number;
  position: ClipPosition;
}

export type TimestampMode = 'auto' | 'cfr' | 'packets';

export interface DecodeClipOptions extends ClipSpec {
  /** Resize so that the short side equals this (reference short-side rule: long = floor(long / short * s)). */
  shortSide?: number;
  /** Resize to exactly this size (takes precedence over `shortSide`). */
  size?: { width: number; height: number };
  /** ffmpeg scaler (`scale` filter flags), default 'bilinear'. */
  scaleFlags?: string;
  /** Decode the matching audio segment (default true). */
  audio?: boolean;
  /** Audio length in seconds (default: the clip's duration, num_frames * sampling_rate / target_fps). */
  audioSeconds?: number;
  /** Audio sample rate in Hz (default 24000, the reference's `aud_sample_rate`). */
  sampleRate?: number;
  /**
   * How frame timestamps are obtained: 'cfr' assumes frame i at i * D / n; 'packets' reads the
   * packet timestamps around the window (exact, also for variable frame rate); 'auto' (default)
   * uses 'packets' for streams that probe as VFR.
   */
  timestamps?: TimestampMode;
  /** Probe result to reuse (e.g. from the manifest cache). */
  info?: ProbeResult;
  /** Throw {@link MediaDecodeError} when ffmpeg reports any decoding error (default false). */
  strict?: boolean;
  timeoutMs?: number;
}

export interface DecodedClip {
  video: VideoFrames;
  /** null when audio was not requested or the file has no audio stream (see `hasAudio`). */
  audio: AudioSegment | null;
  hasAudio: boolean;
  plan: ClipPlan;
  /** Source frame number (0 = first frame of the stream) of each output frame; null for VFR/packet mode. */
  frameIndices: number[] | null;
  /** Presentation time (s, from the video stream start) of each output frame. */
  frameTimes: number[];
  /** Frames of the reference's decoded window that were actually available (T_dec). */
  decodedFrames: number;
  /** Some output frames repeat the last decoded frame (window past the end of the video). */
  padded: boolean;
  /** Non-fatal messages from ffmpeg (e.g. "partial file" for a truncated file). */
  warnings: string[];
}

/** ffmpeg could not decode the requested clip (corrupt or truncated file, or no frames). */
export class MediaDecodeError extends Error {
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string) {
    super(`cannot decode ${path}: ${reason}`);
    this.name = 'MediaDecodeError';
    this.path = path;
    this.reason = reason;
  }
}

// ---------------------------------------------------------------------------------------------
// Pure index arithmetic (no I/O), exported for tests and for datasets that need the numbers.

/** Source frames covered by a clip: num_frames * sampling_rate / target_fps * fps. */
export function clipSizeFrames(numFrames: number, samplingRate: number, targetFps: number, fps: number): number {
  return ((numFrames * samplingRate) / targetFps) * fps;
}

/** Reference `get_start_end_idx`: real-valued [start, end] in source frames. */
export function clipStartEnd(n: number, clipSize: number, position: ClipPosition): { start: number; end: number } {
  const delta = Math.max(n - clipSize, 0);
  let start: number;
  if (position.kind === 'random') {
    const u = position.rng();
    if (!(u >= 0 && u < 1)) throw new RangeError(`rng() must return a number in [0, 1), got ${u}`);
    start = u * delta; // random.uniform(0, delta) = 0 + delta * random()
  } else {
    if (!Number.isInteger(position.index) || !Number.isInteger(position.count) || position.count <= 0 || position.index < 0) {
      throw new RangeError(`uniform clip position needs integers 0 <= index and count > 0, got ${position.index}/${position.count}`);
    }
    start = Math.trunc((delta * position.index) / position.count);
  }
  return { start, end: start + clipSize - 1 };
}

/**
 * `torch.linspace(start, end, steps)` in float32 as PyTorch 1.3's CPU kernel computes it:
 * step = (end - start) / (steps - 1) and value_i = start + step * i, each rounded to float32.
 */
export function linspaceF32(start: number, end: number, steps: number): number[] {
  const f = Math.fround;
  const s = f(start);
  const e = f(end);
  if (steps <= 0) return [];
  if (steps === 1) return [s];
  const step = f(f(e - s) / f(steps - 1));
  const out: number[] = [];
  for (let i = 0; i < steps; i++) out.push(f(s + f(step * f(i))));
  return out;
}

/** Reference `temporal_sampling` indices: trunc(clamp(linspace(a, b, num), 0, count - 1)). */
export function temporalSamplingIndices(a: number, b: number, numFrames: number, count: number): number[] {
  return linspaceF32(a, b, numFrames).map((v) => Math.trunc(Math.min(Math.max(v, 0), Math.max(count - 1, 0))));
}

/** Frame selection of one clip, independent of how the frames are then read. */
export interface ClipPlan {
  /** 'window': pts window (stream duration known); 'whole': the reference's whole-video branch. */
  mode: 'window' | 'whole';
  fps: number;
  /** Frame count used (`stream.frames` or its estimate). */
  n: number;
  clipSize: number;
  start: number;
  end: number;
  /** Audio start in seconds: start / fps. */
  audioStartSec: number;
  /** 'window' mode: pts bounds in time-base units (see `unitSec`). */
  startPts: number;
  endPts: number;
  /** Seconds per time-base unit used for the pts arithmetic. */
  unitSec: number;
  /** Stream duration in those units. */
  durationUnits: number;
  /** Expected first decoded frame (CFR model) and number of frames in the decoded window (T_dec). */
  firstFrame: number;
  windowFrames: number;
  /** Output frame -> index into the decoded window, before clamping to the frames actually decoded. */
  sampleIndices: number[];
}

export interface PlanInput {
  fps: number;
  frames: number;
  /** Stream duration in seconds, or null when the stream reports none (reference's whole-video branch). */
  streamDuration: number | null;
  durationTs?: number | null;
  timeBase?: [number, number] | null;
}

/** Compute the reference's frame selection for a constant-frame-rate model of the stream. */
export function planClip(input: PlanInput, spec: ClipSpec): ClipPlan {
  const targetFps = spec.targetFps ?? 30;
  const samplingRate = spec.samplingRate ?? 1;
  if (!(spec.numFrames >= 1) || !Number.isInteger(spec.numFrames)) throw new RangeError(`numFrames must be a positive integer, got ${spec.numFrames}`);
  if (!(targetFps > 0) || !(samplingRate > 0)) throw new RangeError('targetFps and samplingRate must be positive');
  const { fps } = input;
  const n = Math.max(1, Math.round(input.frames));
  const clipSize = clipSizeFrames(spec.numFrames, samplingRate, targetFps, fps);
  const { start, end } = clipStartEnd(n, clipSize, spec.position);
  const audioStartSec = start / fps;

  if (input.streamDuration === null) {
    // Whole-video branch: absolute indices over all n frames.
    const abs = temporalSamplingIndices(start, end, spec.numFrames, n);
    const first = abs.length > 0 ? Math.min(...abs) : 0;
    return {
      mode: 'whole', fps, n, clipSize, start, end, audioStartSec,
      startPts: 0, endPts: 0, unitSec: 1 / fps, durationUnits: n,
      firstFrame: first,
      windowFrames: n - first,
      sampleIndices: abs.map((i) => i - first),
    };
  }

  // Time-base units: the stream's when known (as PyAV's pts), else microseconds.
  let unitSec: number;
  let durationUnits: number;
  if (input.timeBase && input.durationTs !== undefined && input.durationTs !== null && input.durationTs > 0) {
    unitSec = input.timeBase[0] / input.timeBase[1];
    durationUnits = input.durationTs;
  } else {
    unitSec = 1e-6;
    durationUnits = Math.round(input.streamDuration / unitSec);
  }
  const perFrame = durationUnits / n;
  const startPts = Math.trunc(start * perFrame);
  const endPts = Math.trunc(end * perFrame);
  // Frame i is at pts i * D / n; the small tolerance absorbs float error on exact multiples.
  const eps = 1e-9 * Math.max(1, n);
  const first = Math.min(n - 1, Math.max(0, Math.ceil(startPts / perFrame - eps)));
  const last = Math.min(n - 1, Math.floor(endPts / perFrame + eps));
  let windowFrames = last - first + 1;
  if (last + 1 <= n - 1) windowFrames += 1; // the first frame after end_pts
  windowFrames = Math.max(1, windowFrames);
  return {
    mode: 'window', fps, n, clipSize, start, end, audioStartSec,
    startPts, endPts, unitSec, durationUnits,
    firstFrame: first,
    windowFrames,
    sampleIndices: linspaceF32(0, clipSize - 1, spec.numFrames).map((v) => Math.trunc(Math.max(v, 0))),
  };
}

/** Reference short-side resize: unchanged when the short side already matches. */
export function shortSideSize(width: number, height: number, shortSide: number): { width: number; height: number } {
  const s = Math.round(shortSide);
  if (!(s >= 1)) throw new RangeError(`shortSide must be >= 1, got ${shortSide}`);
  if (Math.min(width, height) === s) return { width, height };
  if (width <= height) return { width: s, height: Math.floor((height / width) * s) };
  return { width: Math.floor((width / height) * s), height: s };
}

// ---------------------------------------------------------------------------------------------
// Decoding.
//
// One ffmpeg process serves a clip: input 0 (seeked for the video) feeds rgb24 frames to stdout,
// input 1 (the same file, seeked for the audio) feeds f32le samples to pipe 3. Process start-up
// (~50 ms of CPU for a distribution ffmpeg linked against ~200 libraries) dominates small clips,
// so one process instead of two roughly halves the cost.

/** ffmpeg arguments and buffer of the video part of a decode. */
interface VideoRead {
  seekSec: number;
  vf: string[];
  maxFrames: number;
  width: number;
  height: number;
}

/** ffmpeg arguments and bookkeeping of the audio part. */
interface AudioRead {
  seekSec: number;
  readSeconds: number;
  want: number;
  sampleRate: number;
  tail: boolean;
  readFrom: number;
  startSec: number;
  buffer: Uint8Array;
}

function videoInputArgs(abs: string, r: VideoRead): string[] {
  const a: string[] = [];
  if (r.seekSec > 0) a.push('-ss', r.seekSec.toFixed(6));
  a.push('-i', ffmpegInputArg(abs));
  return a;
}

async function videoOutputArgs(r: VideoRead, input: number): Promise<string[]> {
  const a = ['-map', `${input}:v:0`, '-an', '-sn', '-dn'];
  if (r.vf.length > 0) a.push('-vf', r.vf.join(','));
  a.push(...(await passthroughFpsArgs()), '-frames:v', String(r.maxFrames), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  return a;
}

function audioInputArgs(abs: string, r: AudioRead): string[] {
  const a: string[] = [];
  if (r.seekSec > 0) a.push('-ss', r.seekSec.toFixed(6));
  // -t as an input option stops demuxing early.
  a.push('-t', r.readSeconds.toFixed(6), '-i', ffmpegInputArg(abs));
  return a;
}

function audioOutputArgs(r: AudioRead, input: number, pipe: string): string[] {
  return ['-map', `${input}:a:0`, '-vn', '-sn', '-dn', '-ac', '1', '-ar', String(r.sampleRate), '-f', 'f32le', pipe];
}

function planAudioRead(info: ProbeResult, startSec: number, seconds: number, sampleRate: number | undefined): AudioRead {
  const sr = sampleRate ?? 24000;
  const want = Math.round(seconds * sr);
  if (!(want >= 1)) throw new RangeError(`audio segment must be at least one sample, got ${seconds} s`);
  const origin = (info.audioStartTime ?? 0) - info.formatStartTime; // -ss counts from the container start
  const dur = info.audioDuration;
  const start = Math.max(0, startSec);
  // Near the end of the track: decode the tail and keep its last `want` samples.
  const tail = dur !== null && start + seconds > dur - 0.02;
  const readFrom = tail && dur !== null ? Math.max(0, dur - seconds - 0.5) : start;
  const readSeconds = tail ? seconds + 1.0 : seconds + 0.05;
  const cap = Math.ceil((readSeconds + 0.1) * sr);
  return { seekSec: readFrom + origin, readSeconds, want, sampleRate: sr, tail, readFrom, startSec: start, buffer: new Uint8Array(cap * 4) };
}

function finishAudio(r: AudioRead, bytes: number): AudioSegment {
  const got = Math.floor(Math.min(bytes, r.buffer.length) / 4);
  const all = new Float32Array(r.buffer.buffer, 0, got);
  const samples = new Float32Array(r.want);
  let start = r.startSec;
  if (r.tail) {
    const from = Math.max(0, got - r.want);
    samples.set(all.subarray(from, got));
    start = r.readFrom + from / r.sampleRate;
  } else {
    samples.set(all.subarray(0, Math.min(got, r.want)));
  }
  return { samples, sampleRate: r.sampleRate, channels: 1, startSec: start, padded: got < r.want };
}

interface RunResult {
  frames: Uint8Array;
  frameCount: number;
  audioBytes: number;
  stderr: string;
}

/** Run one ffmpeg for the video read and, optionally, the audio read. */
async function runDecode(abs: string, video: VideoRead, audio: AudioRead | null, timeoutMs: number): Promise<RunResult> {
  const frameBytes = video.width * video.height * 3;
  const frames = new Uint8Array(frameBytes * video.maxFrames);
  const args = ['-nostdin', '-v', 'error', ...videoInputArgs(abs, video)];
  if (audio) args.push(...audioInputArgs(abs, audio));
  args.push(...(await videoOutputArgs(video, 0)));
  if (audio) args.push(...audioOutputArgs(audio, 1, 'pipe:3'));
  const res = await runTool('ffmpeg', args, {
    stdout: { kind: 'into', buffer: frames },
    extraOutputs: audio ? [audio.buffer] : [],
    timeoutMs,
  });
  if (res.timedOut) throw new MediaDecodeError(abs, `ffmpeg timed out after ${timeoutMs} ms`);
  if (res.code !== 0) {
    throw new MediaDecodeError(abs, summarizeStderr(res.stderr) || `ffmpeg exited with code ${res.code ?? res.signal}`);
  }
  if (res.stdoutBytes % frameBytes !== 0 && res.stdoutBytes < frames.length) {
    throw new MediaDecodeError(abs, `ffmpeg wrote ${res.stdoutBytes} bytes, not a whole number of ${video.width}x${video.height} frames`);
  }
  return {
    frames,
    frameCount: Math.min(video.maxFrames, Math.floor(res.stdoutBytes / frameBytes)),
    audioBytes: res.extraBytes[0] ?? 0,
    stderr: res.stderr,
  };
}

/**
 * ffmpeg's stderr lines worth reporting. The rawvideo muxer's "non monotonically increasing dts"
 * complaint (passthrough timestamps rounded to the output time base, e.g. from Matroska's 1 ms
 * base) is about output timestamps we do not use, so it is dropped.
 */
function stderrWarnings(stderr: string): string[] {
  return stderr
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/non monotonically increasing dts/.test(l));
}

/** Scale filter (and output size) for the requested resize. */
function scalePlan(info: ProbeResult, opts: DecodeClipOptions): { vf: string[]; width: number; height: number } {
  const w0 = info.displayWidth;
  const h0 = info.displayHeight;
  let target: { width: number; height: number } | undefined;
  if (opts.size) target = { width: Math.round(opts.size.width), height: Math.round(opts.size.height) };
  else if (opts.shortSide !== undefined) target = shortSideSize(w0, h0, opts.shortSide);
  if (!target || (target.width === w0 && target.height === h0)) return { vf: [], width: w0, height: h0 };
  if (!(target.width >= 1 && target.height >= 1)) throw new RangeError(`invalid output size ${target.width}x${target.height}`);
  return {
    vf: [`scale=${target.width}:${target.height}:flags=${opts.scaleFlags ?? 'bilinear'}`],
    width: target.width,
    height: target.height,
  };
}

/** Locate the decoded window from packet timestamps (exact for VFR). */
async function windowFromPackets(
  abs: string,
  info: ProbeResult,
  plan: ClipPlan,
  timeoutMs: number,
): Promise<{ seekSec: number; times: number[] }> {
  const t0 = plan.startPts * plan.unitSec;
  const t1 = plan.endPts * plan.unitSec;
  const base = info.videoStartTime;
  const margin = 2;
  let times = await videoPacketTimes(abs, base + t0 - margin, base + t1 + margin, timeoutMs);
  // The interval read may start at a key frame after t0 for some demuxers: read from the start.
  if (times.length === 0 || (times[0] ?? 0) > base + t0 + 1e-6) {
    times = await videoPacketTimes(abs, 0, base + t1 + margin, timeoutMs);
  }
  // Relative pts in plan units, as the reference compares integer pts.
  const rel = times.map((t) => Math.round((t - base) / plan.unitSec));
  let firstIdx = rel.findIndex((p) => p >= plan.startPts);
  if (firstIdx < 0) firstIdx = Math.max(0, rel.length - 1);
  const window: number[] = [];
  for (let i = firstIdx; i < rel.length; i++) {
    window.push(times[i] ?? 0);
    if ((rel[i] ?? 0) > plan.endPts) break; // the first frame after end_pts is kept, then stop
  }
  const tFirst = times[firstIdx] ?? base;
  const tPrev = firstIdx > 0 ? (times[firstIdx - 1] ?? tFirst) : tFirst - 0.5 / info.fps;
  // Seek between the previous frame and the first wanted one: robust to timestamp rounding.
  return { seekSec: Math.max(0, (tFirst + tPrev) / 2 - info.formatStartTime), times: window };
}

/**
 * Decode one clip (frames and, optionally, the matching audio) with the reference's sampling.
 * Throws {@link MediaProbeError} for unreadable files and {@link MediaDecodeError} when no frame
 * can be decoded.
 */
export async function decodeClip(path: string, opts: DecodeClipOptions): Promise<DecodedClip> {
  const abs = resolve(path);
  const info = opts.info ?? (await probeMedia(abs));
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const plan = planClip(
    {
      fps: info.fps,
      frames: info.frames,
      streamDuration: info.streamDurationKnown ? info.duration : null,
      durationTs: info.durationTs,
      timeBase: info.timeBase,
    },
    opts,
  );
  const { vf: scaleVf, width, height } = scalePlan(info, opts);
  const mode = opts.timestamps ?? 'auto';
  const usePackets = plan.mode === 'window' && (mode === 'packets' || (mode === 'auto' && info.vfr));
  const secPerFrame = plan.mode === 'window' ? (plan.durationUnits * plan.unitSec) / plan.n : 1 / info.fps;
  const originShift = info.videoStartTime - info.formatStartTime; // -ss counts from the container start

  let seekSec: number;
  let windowFrames = plan.windowFrames;
  let windowTimes: number[] | null = null;
  if (usePackets) {
    const w = await windowFromPackets(abs, info, plan, timeoutMs);
    seekSec = w.seekSec;
    windowTimes = w.times.map((t) => t - info.videoStartTime);
    windowFrames = Math.max(1, w.times.length);
  } else {
    seekSec = plan.firstFrame > 0 ? Math.max(0, (plan.firstFrame - 0.5) * secPerFrame + originShift) : 0;
  }

  // Clamp to the planned window, then read either all frames up to the last needed one or
  // (sparse sampling) only the needed ones through `select`.
  const wanted = plan.sampleIndices.map((i) => Math.min(i, windowFrames - 1));
  const unique = [...new Set(wanted)].sort((x, y) => x - y);
  const lastNeeded = unique[unique.length - 1] ?? 0;
  const sparse = unique.length < 0.75 * (lastNeeded + 1);
  const contiguousRead: VideoRead = { seekSec, vf: scaleVf, maxFrames: lastNeeded + 1, width, height };
  const firstRead: VideoRead = sparse
    ? { ...contiguousRead, vf: [`select='${unique.map((u) => `eq(n,${u})`).join('+')}'`, ...scaleVf], maxFrames: unique.length }
    : contiguousRead;

  const wantAudio = (opts.audio ?? true) && info.hasAudio;
  const audioSeconds = opts.audioSeconds ?? (opts.numFrames * (opts.samplingRate ?? 1)) / (opts.targetFps ?? 30);
  const audioRead = wantAudio ? planAudioRead(info, plan.audioStartSec, audioSeconds, opts.sampleRate) : null;

  let got = await runDecode(abs, firstRead, audioRead, timeoutMs);
  const audio = audioRead ? finishAudio(audioRead, got.audioBytes) : null;
  let decodedIdx: number[]; // window index of each frame read
  if (sparse) {
    decodedIdx = unique.slice(0, got.frameCount);
    if (got.frameCount < unique.length) {
      // The file ended early: re-read contiguously to learn where, so that clamping matches the
      // reference (repeat the last decoded frame).
      got = await runDecode(abs, contiguousRead, null, timeoutMs);
      decodedIdx = Array.from({ length: got.frameCount }, (_, i) => i);
    }
  } else {
    decodedIdx = Array.from({ length: got.frameCount }, (_, i) => i);
  }
  const warnings = stderrWarnings(got.stderr);
  if (got.frameCount === 0) {
    const why = summarizeStderr(warnings.join('\n'));
    throw new MediaDecodeError(abs, `no frames decoded at ${seekSec.toFixed(3)} s${why ? ` (${why})` : ''}`);
  }
  if (opts.strict && warnings.length > 0) throw new MediaDecodeError(abs, summarizeStderr(warnings.join('\n')));

  // T_dec: frames of the window that exist. If a contiguous read came back short, the stream ended there.
  const contiguous = decodedIdx.every((v, i) => v === i);
  const available = contiguous && got.frameCount < lastNeeded + 1 ? got.frameCount : windowFrames;
  const finalIdx = wanted.map((i) => Math.min(i, available - 1));
  const frameBytes = width * height * 3;
  const out = new Uint8Array(frameBytes * finalIdx.length);
  const pos = new Map<number, number>();
  decodedIdx.forEach((w, k) => pos.set(w, k));
  finalIdx.forEach((w, k) => {
    // Every clamped index was read (sparse: it is in `unique`; contiguous: it is < frameCount).
    const src = pos.get(w) ?? got.frameCount - 1;
    out.set(got.frames.subarray(src * frameBytes, (src + 1) * frameBytes), k * frameBytes);
  });

  return {
    video: { data: out, frames: finalIdx.length, height, width, channels: 3 },
    audio,
    hasAudio: info.hasAudio,
    plan,
    frameIndices: windowTimes ? null : finalIdx.map((i) => plan.firstFrame + i),
    frameTimes: windowTimes ? finalIdx.map((i) => windowTimes[i] ?? 0) : finalIdx.map((i) => (plan.firstFrame + i) * secPerFrame),
    decodedFrames: available,
    padded: plan.sampleIndices.some((i) => i > available - 1),
    warnings,
  };
}

export interface AudioSegmentOptions {
  /** Start in seconds from the audio stream's first sample. */
  startSec: number;
  seconds: number;
  /** Default 24000 Hz. */
  sampleRate?: number;
  info?: ProbeResult;
  timeoutMs?: number;
}

/**
 * Mono float PCM of exactly round(seconds * sampleRate) samples starting at `startSec`.
 * When the segment would run past the end of the track it is moved back to end with the track
 * (the reference's `b > len(w)` rule); a track shorter than the segment is zero-padded at the end
 * (where the reference would return fewer samples, SPEC 13 item 32). Returns null without audio.
 */
export async function decodeAudioSegment(path: string, opts: AudioSegmentOptions): Promise<AudioSegment | null> {
  const abs = resolve(path);
  const info = opts.info ?? (await probeMedia(abs));
  if (!info.hasAudio) return null;
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const r = planAudioRead(info, opts.startSec, opts.seconds, opts.sampleRate);
  const args = ['-nostdin', '-v', 'error', ...audioInputArgs(abs, r), ...audioOutputArgs(r, 0, 'pipe:1')];
  const res = await runTool('ffmpeg', args, { stdout: { kind: 'into', buffer: r.buffer }, timeoutMs });
  if (res.timedOut) throw new MediaDecodeError(abs, `ffmpeg (audio) timed out after ${timeoutMs} ms`);
  if (res.code !== 0) throw new MediaDecodeError(abs, `audio: ${summarizeStderr(res.stderr) || `ffmpeg exited with code ${res.code}`}`);
  return finishAudio(r, res.stdoutBytes);
}

/** The whole audio track as mono float PCM (e.g. for ESC-50 clips). Null without audio. */
export async function decodeAudioTrack(path: string, sampleRate = 24000, timeoutMs = 120_000): Promise<AudioSegment | null> {
  const abs = resolve(path);
  const info = await probeMedia(abs).catch((err: unknown) => {
    // Pure audio files have no video stream; that is fine here.
    if (err instanceof MediaProbeError && err.kind === 'no_video_stream') return null;
    throw err;
  });
  if (info && !info.hasAudio) return null;
  const res = await runTool(
    'ffmpeg',
    ['-nostdin', '-v', 'error', '-i', ffmpegInputArg(abs), '-map', '0:a:0', '-vn', '-ac', '1', '-ar', String(sampleRate), '-f', 'f32le', 'pipe:1'],
    { stdout: { kind: 'collect' }, timeoutMs },
  );
  if (res.code !== 0) {
    if (/matches no streams/i.test(res.stderr)) return null;
    throw new MediaDecodeError(abs, `audio: ${summarizeStderr(res.stderr) || `ffmpeg exited with code ${res.code}`}`);
  }
  const bytes = res.stdout;
  const n = Math.floor(bytes.length / 4);
  const samples = new Float32Array(n);
  new Uint8Array(samples.buffer).set(bytes.subarray(0, n * 4));
  return { samples, sampleRate, channels: 1, startSec: 0, padded: false };
}

// ---------------------------------------------------------------------------------------------
// HowTo100M-style segment (SPEC 5.9): ffmpeg resamples to `fps`, crops a square, scales.

export interface FpsSegmentOptions {
  startSec: number;
  /** Seconds read from `startSec` (the reference reads num_sec + 0.1). */
  seconds: number;
  fps: number;
  numFrames: number;
  /** Output side of the square. */
  size: number;
  /** Crop offset fractions in [0, 1] (the reference draws U(0, 1), or 0.5 with center_crop). */
  cropX?: number;
  cropY?: number;
  timeoutMs?: number;
}

/**
 * The reference HowTo100M decode: `-ss start -t seconds -i file`, `fps`, square crop of side
 * min(iw, ih) at ((iw - side) * ax, (ih - side) * ay), scale to size x size (ffmpeg's default
 * scaler), rgb24; missing frames are zero-filled, extra frames dropped.
 */
export async function decodeFpsSegment(path: string, opts: FpsSegmentOptions): Promise<VideoFrames & { decodedFrames: number }> {
  const abs = resolve(path);
  const ax = opts.cropX ?? 0.5;
  const ay = opts.cropY ?? 0.5;
  // Quoted expressions: commas inside them must not split the filter chain.
  const vf = [
    `fps=${opts.fps}`,
    `crop=w='min(iw,ih)':h='min(iw,ih)':x='(iw-ow)*${ax}':y='(ih-oh)*${ay}'`,
    `scale=${opts.size}:${opts.size}`,
  ].join(',');
  const frameBytes = opts.size * opts.size * 3;
  const buffer = new Uint8Array(frameBytes * opts.numFrames);
  const args = ['-nostdin', '-v', 'error'];
  if (opts.startSec > 0) args.push('-ss', opts.startSec.toFixed(6));
  args.push('-t', opts.seconds.toFixed(6), '-i', ffmpegInputArg(abs), '-map', '0:v:0', '-an', '-vf', vf, '-frames:v', String(opts.numFrames), '-f', 'rawvideo', '-pix_fmt', 'rgb24', 'pipe:1');
  const res = await runTool('ffmpeg', args, { stdout: { kind: 'into', buffer }, timeoutMs: opts.timeoutMs ?? 60_000 });
  if (res.code !== 0) throw new MediaDecodeError(abs, summarizeStderr(res.stderr) || `ffmpeg exited with code ${res.code}`);
  const decodedFrames = Math.min(opts.numFrames, Math.floor(res.stdoutBytes / frameBytes));
  // The preallocated buffer is zero beyond what ffmpeg wrote: the reference's zero padding.
  return { data: buffer, frames: opts.numFrames, height: opts.size, width: opts.size, channels: 3, decodedFrames };
}
