/**
 * Small test videos written at test time with ffmpeg (64x48 unless stated): every frame is a
 * flat gray level index * 4, so the decoded frame index can be read back exactly after seeking.
 */
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeVideo, h264Args } from '../../src/media/encode.js';
import { runTool } from '../../src/media/ffmpeg.js';

export const W = 64;
export const H = 48;
export const SR = 48000;

export function grayFrame(index: number): (i: number, out: Uint8Array) => void {
  return (i, out) => out.fill(index >= 0 ? index * 4 : i * 4);
}

/** Index of a decoded frame (mean gray / 4, rounded). */
export function frameIndexOf(data: Uint8Array, frame: number, w: number, h: number): number {
  const n = w * h * 3;
  let sum = 0;
  for (let k = frame * n; k < (frame + 1) * n; k++) sum += data[k]!;
  return Math.round(sum / n / 4);
}

export function decodedIndices(v: { data: Uint8Array; frames: number; width: number; height: number }): number[] {
  return Array.from({ length: v.frames }, (_, f) => frameIndexOf(v.data, f, v.width, v.height));
}

/** 440 Hz tone (amplitude 0.2) with a 1 ms full-scale click at `clickSec`. */
export function toneWithClick(seconds: number, clickSec: number, sr = SR): Float32Array {
  const a = new Float32Array(Math.round(seconds * sr));
  for (let i = 0; i < a.length; i++) a[i] = 0.2 * Math.sin((2 * Math.PI * 440 * i) / sr);
  const c0 = Math.round(clickSec * sr);
  for (let i = c0; i < c0 + Math.round(0.001 * sr) && i < a.length; i++) a[i] = 0.95;
  return a;
}

/** Magnitude of the DFT of `x` at frequency f (Hz). */
export function dftMag(x: Float32Array, sr: number, f: number): number {
  let re = 0;
  let im = 0;
  const w = (2 * Math.PI * f) / sr;
  for (let i = 0; i < x.length; i++) {
    re += x[i]! * Math.cos(w * i);
    im -= x[i]! * Math.sin(w * i);
  }
  return Math.hypot(re, im);
}

export function dominantFrequency(x: Float32Array, sr: number, lo: number, hi: number, step = 1): number {
  let best = lo;
  let bestMag = -1;
  for (let f = lo; f <= hi; f += step) {
    const m = dftMag(x, sr, f);
    if (m > bestMag) {
      bestMag = m;
      best = f;
    }
  }
  return best;
}

export interface Fixtures {
  dir: string;
  /** 2 s, 30 fps, 60 frames, AAC 48 kHz: tone + click at 1.0 s. Moov at the end. */
  idx: string;
  /** Same, moov at the start (+faststart). */
  idxFast: string;
  /** 1 s, 30 frames, no audio. */
  noAudio: string;
  /** 60 frames: 0..29 at 30 fps, 30..59 at 15 fps (3 s); `vfrTimes` are their times. */
  vfr: string;
  vfrTimes: number[];
  /** 64x48 stored, display rotation 90 degrees; left half white, right half black. */
  rotated: string;
  /** 63x47 FFV1 in Matroska (no nb_frames, no stream duration), 30 frames. */
  odd: string;
  /** idx.mp4 cut in half (moov lost). */
  truncated: string;
  /** idxFast cut to 40 % (moov kept, media data missing). */
  truncatedFast: string;
  empty: string;
  text: string;
  cleanup: () => Promise<void>;
}

export async function makeFixtures(which: Partial<Record<'vfr' | 'rotated' | 'odd', boolean>> = {}): Promise<Fixtures> {
  const dir = await mkdtemp(join(tmpdir(), 'gdt-media-'));
  const p = (n: string): string => join(dir, n);
  const jobs: Promise<void>[] = [];
  jobs.push(
    encodeVideo(p('idx.mp4'), { width: W, height: H, fps: 30, frameCount: 60, renderFrame: grayFrame(-1), audio: { samples: toneWithClick(2, 1.0), sampleRate: SR }, videoCodecArgs: h264Args({ crf: 10, gop: 30 }) }),
    encodeVideo(p('idx_fast.mp4'), { width: W, height: H, fps: 30, frameCount: 60, renderFrame: grayFrame(-1), audio: { samples: toneWithClick(2, 1.0), sampleRate: SR }, videoCodecArgs: h264Args({ crf: 10, gop: 30 }), extraOutputArgs: ['-movflags', '+faststart'] }),
    encodeVideo(p('noaudio.mp4'), { width: W, height: H, fps: 30, frameCount: 30, renderFrame: grayFrame(-1), videoCodecArgs: h264Args({ crf: 10 }) }),
  );
  const vfrTimes = Array.from({ length: 60 }, (_, i) => (i < 30 ? i / 30 : 1 + (i - 30) / 15));
  if (which.vfr !== false) {
    jobs.push(
      encodeVideo(p('vfr.mp4'), {
        width: W, height: H, fps: 30, frameCount: 60, renderFrame: grayFrame(-1),
        audio: { samples: toneWithClick(3, 1.5), sampleRate: SR },
        videoCodecArgs: h264Args({ crf: 10, gop: 30 }),
        extraOutputArgs: ['-vf', 'setpts=if(lt(N\\,30)\\,N\\,30+2*(N-30))', '-fps_mode', 'vfr', '-video_track_timescale', '15360'],
      }),
    );
  }
  if (which.rotated !== false) {
    // ffmpeg 5.1 turns the `rotate` tag into a display matrix only when stream-copying.
    jobs.push(
      encodeVideo(p('unrotated.mp4'), {
        width: W, height: H, fps: 30, frameCount: 10,
        renderFrame: (_i, out) => {
          for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) out.fill(x < W / 2 ? 255 : 0, (y * W + x) * 3, (y * W + x) * 3 + 3);
        },
        videoCodecArgs: h264Args({ crf: 10 }),
      }).then(async () => {
        const res = await runTool('ffmpeg', ['-nostdin', '-v', 'error', '-y', '-i', p('unrotated.mp4'), '-c', 'copy', '-metadata:s:v', 'rotate=90', p('rotated.mp4')]);
        if (res.code !== 0) throw new Error(`cannot write rotated fixture: ${res.stderr}`);
      }),
    );
  }
  if (which.odd !== false) {
    jobs.push(
      encodeVideo(p('odd.mkv'), { width: 63, height: 47, fps: 30, frameCount: 30, renderFrame: grayFrame(-1), videoCodecArgs: ['-c:v', 'ffv1'] }),
    );
  }
  await Promise.all(jobs);
  const idxBytes = await readFile(p('idx.mp4'));
  await writeFile(p('truncated.mp4'), idxBytes.subarray(0, Math.floor(idxBytes.length / 2)));
  const fastBytes = await readFile(p('idx_fast.mp4'));
  await writeFile(p('truncated_fast.mp4'), fastBytes.subarray(0, Math.floor(fastBytes.length * 0.4)));
  await writeFile(p('empty.mp4'), new Uint8Array(0));
  await writeFile(p('text.mp4'), 'this is not a video\n');
  return {
    dir,
    idx: p('idx.mp4'),
    idxFast: p('idx_fast.mp4'),
    noAudio: p('noaudio.mp4'),
    vfr: p('vfr.mp4'),
    vfrTimes,
    rotated: p('rotated.mp4'),
    odd: p('odd.mkv'),
    truncated: p('truncated.mp4'),
    truncatedFast: p('truncated_fast.mp4'),
    empty: p('empty.mp4'),
    text: p('text.mp4'),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
