// Report thumbnails: a strip of frames decoded from a video (start, middle and end of a centred
// window), encoded as a PNG data URI.
import { decodeClip } from '../../media/decode.js';
import { probeMedia, type ProbeResult } from '../../media/probe.js';
import { pngDataUri } from './png.js';

export interface ThumbnailOptions {
  /** Frame height in pixels (default 64). */
  height?: number;
  /** Frames in the strip (default 3). */
  frames?: number;
  info?: ProbeResult;
}

/** A horizontal strip of `frames` frames spread over 80 % of the video; undefined if it cannot be decoded. */
export async function videoThumbnail(path: string, o: ThumbnailOptions = {}): Promise<string | undefined> {
  const n = o.frames ?? 3;
  try {
    const info = o.info ?? (await probeMedia(path));
    const span = Math.max(0.1, 0.8 * info.duration);
    const clip = await decodeClip(path, {
      numFrames: n,
      targetFps: Math.max(0.01, (n - 1 || 1) / span),
      position: { kind: 'uniform', index: 1, count: 2 },
      audio: false,
      shortSide: o.height ?? 64,
      info,
    });
    const { data, frames, height, width } = clip.video;
    const strip = new Uint8Array(height * width * frames * 3);
    const rowOut = width * frames * 3;
    for (let f = 0; f < frames; f++) {
      for (let y = 0; y < height; y++) {
        const src = (f * height + y) * width * 3;
        strip.set(data.subarray(src, src + width * 3), y * rowOut + f * width * 3);
      }
    }
    return pngDataUri(strip, width * frames, height);
  } catch {
    return undefined;
  }
}
