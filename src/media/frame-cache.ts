// Whole decoded videos kept in memory (per loader worker, LRU within a byte budget), from which
// clips are cut with the reference's frame selection (SPEC 5.2, media/decode planClip): one ffmpeg
// run per video instead of one per clip. It gives the frames decodeClip gives for constant-frame-
// rate streams; variable-frame-rate ones (and videos over the budget) go through decodeClip.
import { decodeClip, planClip, type ClipPosition, type VideoFrames } from './decode.js';
import type { ProbeResult } from './probe.js';
import type { DecodedStore } from './decoded-store.js';

export interface ClipRequest {
  numFrames: number;
  targetFps: number;
  samplingRate: number;
  position: ClipPosition;
}

interface Entry {
  frames: VideoFrames;
  bytes: number;
}

/** Bytes of a video decoded whole (rgb24 at its display size). */
export function decodedBytes(info: ProbeResult): number {
  return Math.max(1, Math.round(info.frames)) * info.displayWidth * info.displayHeight * 3;
}

export class FrameCache {
  private readonly entries = new Map<string, Entry>();
  private pending = new Map<string, Promise<Entry>>();
  private bytes = 0;
  hits = 0;
  misses = 0;
  /** `store`: whole decoded videos on disk, shared by every worker and stage (decoded-store.ts). */
  constructor(
    readonly maxBytes: number,
    readonly store?: DecodedStore,
  ) {}

  /** Frames of one clip, as decodeClip(path, { ...request, audio: false, info }) would return them. */
  async clip(path: string, info: ProbeResult, req: ClipRequest): Promise<VideoFrames> {
    // Over the memory budget a video is still cut from its whole decode when a store keeps it on disk.
    if (info.vfr || (decodedBytes(info) > this.maxBytes && !this.store)) return (await decodeClip(path, { ...req, audio: false, info })).video;
    const all = await this.whole(path, info);
    const plan = planClip(
      { fps: info.fps, frames: info.frames, streamDuration: info.streamDurationKnown ? info.duration : null, durationTs: info.durationTs, timeBase: info.timeBase },
      req,
    );
    const { frames: decoded, width, height } = all.frames;
    const avail = decoded - plan.firstFrame;
    if (avail <= 0) throw new Error(`${path}: no frames decoded from frame ${plan.firstFrame} on (${decoded} in the file)`);
    const fb = width * height * 3;
    const out = new Uint8Array(fb * plan.sampleIndices.length);
    plan.sampleIndices.forEach((s, j) => {
      const src = plan.firstFrame + Math.min(s, plan.windowFrames - 1, avail - 1);
      out.set(all.frames.data.subarray(src * fb, (src + 1) * fb), j * fb);
    });
    return { data: out, frames: plan.sampleIndices.length, height, width, channels: 3 };
  }

  private async whole(path: string, info: ProbeResult): Promise<Entry> {
    const hit = this.entries.get(path);
    if (hit) {
      this.hits++;
      this.entries.delete(path);
      this.entries.set(path, hit); // most recently used last
      return hit;
    }
    const inflight = this.pending.get(path);
    if (inflight) return inflight;
    this.misses++;
    const p = (async (): Promise<Entry> => {
      let frames = this.store?.readFrames(path);
      if (!frames) {
        const n = Math.max(1, Math.round(info.frames));
        // One clip covering every frame: clip size n at the stream's own rate, starting at 0.
        const c = await decodeClip(path, { numFrames: n, targetFps: info.fps, samplingRate: 1, position: { kind: 'uniform', index: 0, count: 1 }, audio: false, info });
        frames = { ...c.video, frames: c.decodedFrames, data: c.video.data.subarray(0, c.decodedFrames * c.video.width * c.video.height * 3) };
        this.store?.writeFrames(path, frames);
      }
      const e = { frames, bytes: frames.data.byteLength };
      if (e.bytes > this.maxBytes) return e; // from the store, too big to keep in memory
      while (this.bytes + e.bytes > this.maxBytes && this.entries.size) {
        const [k, old] = this.entries.entries().next().value as [string, Entry];
        this.entries.delete(k);
        this.bytes -= old.bytes;
      }
      this.entries.set(path, e);
      this.bytes += e.bytes;
      return e;
    })();
    this.pending.set(path, p);
    try {
      return await p;
    } finally {
      this.pending.delete(path);
    }
  }
}
