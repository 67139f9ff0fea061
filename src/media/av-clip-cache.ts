// Whole decoded videos *and their audio tracks* kept in memory (per loader worker), from which
// audio-visual clips are cut: one ffmpeg run for the frames and one for the audio per video,
// instead of one per clip. Meant for small collections that fit in memory (the synthetic dataset,
// a few hundred short clips), where process start-up dominates decoding.
//
// Frames are the frames decodeClip gives (FrameCache). Audio is cut from the whole track at the
// clip's start (planClip's audioStartSec) with decodeClip's rules: round(seconds * rate) samples;
// a segment running past the end of the track is moved back to end with it; a track shorter than
// the segment is zero-padded. decodeClip seeks with ffmpeg instead, whose decoder priming can move
// the samples by a few; the tests bound the difference.
import { decodeAudioTrack, planClip, type AudioSegment, type VideoFrames } from './decode.js';
import { FrameCache, type ClipRequest } from './frame-cache.js';
import type { ProbeResult } from './probe.js';
import type { DecodedStore } from './decoded-store.js';

export interface AvClipRequest extends ClipRequest {
  audioSeconds: number;
  sampleRate: number;
}

export class AvClipCache {
  private readonly frames: FrameCache;
  private readonly tracks = new Map<string, Promise<Float32Array | null>>();
  private trackBytes = 0;

  /** `maxBytes` for decoded frames; audio tracks (a few hundred kB each) are kept besides while that budget holds. */
  /** `store`: whole decoded videos and tracks on disk, shared by every worker and stage (decoded-store.ts). */
  constructor(
    readonly maxBytes: number,
    readonly store?: DecodedStore,
  ) {
    this.frames = new FrameCache(maxBytes, store);
  }

  get hits(): number {
    return this.frames.hits;
  }
  get misses(): number {
    return this.frames.misses;
  }

  async clip(path: string, info: ProbeResult, req: AvClipRequest): Promise<{ video: VideoFrames; audio: AudioSegment | null }> {
    const video = await this.frames.clip(path, info, req);
    if (!info.hasAudio) return { video, audio: null };
    const track = await this.track(path, req.sampleRate);
    if (!track) return { video, audio: null };
    const plan = planClip(
      { fps: info.fps, frames: info.frames, streamDuration: info.streamDurationKnown ? info.duration : null, durationTs: info.durationTs, timeBase: info.timeBase },
      req,
    );
    return { video, audio: cutSegment(track, req.sampleRate, plan.audioStartSec, req.audioSeconds) };
  }

  private track(path: string, sampleRate: number): Promise<Float32Array | null> {
    const key = `${path}@${sampleRate}`;
    let p = this.tracks.get(key);
    if (!p) {
      const stored = this.store?.readAudio(path, sampleRate);
      p = (stored !== undefined ? Promise.resolve(stored) : decodeAudioTrack(path, sampleRate).then((seg) => {
        const samples = seg?.samples ?? null;
        this.store?.writeAudio(path, sampleRate, samples);
        return samples;
      })).then((samples) => {
        this.trackBytes += samples ? samples.byteLength : 0;
        return samples;
      });
      // Over budget: keep it for this clip, but do not hold it.
      if (this.trackBytes < this.maxBytes) this.tracks.set(key, p);
    }
    return p;
  }
}

/** decodeClip's audio segment, cut from a whole track (see the file comment). */
export function cutSegment(track: Float32Array, sampleRate: number, startSec: number, seconds: number): AudioSegment {
  const want = Math.round(seconds * sampleRate);
  if (!(want >= 1)) throw new RangeError(`audio segment must be at least one sample, got ${seconds} s`);
  const duration = track.length / sampleRate;
  const start = Math.max(0, startSec);
  const tail = start + seconds > duration - 0.02;
  const from = tail ? Math.max(0, track.length - want) : Math.round(start * sampleRate);
  const samples = new Float32Array(want);
  const part = track.subarray(from, Math.min(track.length, from + want));
  samples.set(part);
  return { samples, sampleRate, channels: 1, startSec: from / sampleRate, padded: part.length < want };
}
