// Whole decoded videos and audio tracks kept on disk, so that every stage and every loader thread
// of a job decodes a video once: the in-memory caches (frame-cache.ts, av-clip-cache.ts) live per
// worker and per stage, and on small collections of short clips ffmpeg's start-up, not decoding,
// is what costs (about 0.1 s per run against a fraction of a millisecond to read the frames back).
//
// An entry is named by the video's absolute path, size and modification time and by what was
// decoded, so a changed file is decoded again. Files are written to a temporary name and renamed
// (readers never see half an entry); a file that does not parse is treated as missing.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { VideoFrames } from './decode.js';

const MAGIC = 0x44544447; // 'GDTD'
const VERSION = 1;
const KIND_FRAMES = 1;
const KIND_AUDIO = 2;
const KIND_NO_AUDIO = 3;
const HEADER = 32;

export class DecodedStore {
  readonly dir: string;
  hits = 0;
  writes = 0;

  constructor(dir: string) {
    this.dir = resolve(dir);
    try {
      mkdirSync(this.dir, { recursive: true });
    } catch (e) {
      throw new Error(`decode cache: cannot create ${this.dir}: ${(e as Error).message} (choose a writable folder, or leave the decode cache off)`);
    }
  }

  /** Frames of a whole video as decoded before, or undefined. */
  readFrames(path: string): VideoFrames | undefined {
    const b = this.read(path, 'frames');
    if (!b || b.readUInt32LE(8) !== KIND_FRAMES) return undefined;
    const frames = b.readUInt32LE(12);
    const height = b.readUInt32LE(16);
    const width = b.readUInt32LE(20);
    if (b.length !== HEADER + frames * height * width * 3) return undefined;
    this.hits++;
    return { data: new Uint8Array(b.buffer, b.byteOffset + HEADER, b.length - HEADER), frames, height, width, channels: 3 };
  }

  writeFrames(path: string, v: VideoFrames): void {
    const h = Buffer.alloc(HEADER);
    h.writeUInt32LE(KIND_FRAMES, 8);
    h.writeUInt32LE(v.frames, 12);
    h.writeUInt32LE(v.height, 16);
    h.writeUInt32LE(v.width, 20);
    this.write(path, 'frames', h, v.data.subarray(0, v.frames * v.height * v.width * 3));
  }

  /** A whole audio track at `sampleRate` as decoded before: the samples, null (the file has no audio) or undefined (not stored). */
  readAudio(path: string, sampleRate: number): Float32Array | null | undefined {
    const b = this.read(path, `audio@${sampleRate}`);
    if (!b) return undefined;
    const kind = b.readUInt32LE(8);
    if (kind === KIND_NO_AUDIO && b.length === HEADER) {
      this.hits++;
      return null;
    }
    const n = b.readUInt32LE(12);
    if (kind !== KIND_AUDIO || b.readUInt32LE(16) !== sampleRate || b.length !== HEADER + 4 * n) return undefined;
    this.hits++;
    // Copied out: the read buffer's offset need not be 4-byte aligned.
    return new Float32Array(new Uint8Array(b.buffer, b.byteOffset + HEADER, 4 * n).slice().buffer);
  }

  writeAudio(path: string, sampleRate: number, samples: Float32Array | null): void {
    const h = Buffer.alloc(HEADER);
    h.writeUInt32LE(samples ? KIND_AUDIO : KIND_NO_AUDIO, 8);
    h.writeUInt32LE(samples ? samples.length : 0, 12);
    h.writeUInt32LE(sampleRate, 16);
    this.write(path, `audio@${sampleRate}`, h, samples ? new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength) : new Uint8Array(0));
  }

  /** The entry's file for this video (undefined when the video cannot be stat'ed). */
  entryPath(path: string, what: string): string | undefined {
    let st;
    try {
      st = statSync(path);
    } catch {
      return undefined;
    }
    const key = createHash('sha1').update(`${resolve(path)}\0${st.size}\0${st.mtimeMs}\0${what}`).digest('hex');
    return join(this.dir, `${key}.bin`);
  }

  private read(path: string, what: string): Buffer | undefined {
    const file = this.entryPath(path, what);
    if (!file) return undefined;
    let b: Buffer;
    try {
      b = readFileSync(file);
    } catch {
      return undefined;
    }
    if (b.length < HEADER || b.readUInt32LE(0) !== MAGIC || b.readUInt32LE(4) !== VERSION) return undefined;
    return b;
  }

  private write(path: string, what: string, header: Buffer, body: Uint8Array): void {
    const file = this.entryPath(path, what);
    if (!file) return;
    header.writeUInt32LE(MAGIC, 0);
    header.writeUInt32LE(VERSION, 4);
    const tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    try {
      writeFileSync(tmp, Buffer.concat([header, body]));
      renameSync(tmp, file);
      this.writes++;
    } catch (e) {
      try {
        unlinkSync(tmp);
      } catch {
        /* nothing written */
      }
      // A full disk must not stop the job: the video is decoded again next time.
      if (this.writes === 0 && !this.warned) {
        this.warned = true;
        process.emitWarning(`decode cache ${this.dir}: cannot write (${(e as Error).message}); videos will be decoded again`);
      }
    }
  }

  private warned = false;
}
