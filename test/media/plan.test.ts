// Pure index arithmetic of SPEC 5.2 (no ffmpeg needed).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clipSizeFrames, clipStartEnd, linspaceF32, planClip, shortSideSize, temporalSamplingIndices } from '../../src/media/decode.js';
import { hashSeed, mulberry32, Rng } from '../../src/media/rng.js';

test('clip size in source frames', () => {
  assert.equal(clipSizeFrames(30, 1, 30, 30), 30); // one second
  assert.equal(clipSizeFrames(30, 2, 30, 25), 50);
  assert.equal(clipSizeFrames(8, 1, 10, 30), 24);
});

test('get_start_end_idx: random and uniform positions', () => {
  assert.deepEqual(clipStartEnd(100, 30, { kind: 'uniform', index: 0, count: 10 }), { start: 0, end: 29 });
  // int(delta * k / n): 70 * 9 / 10 = 63
  assert.deepEqual(clipStartEnd(100, 30, { kind: 'uniform', index: 9, count: 10 }), { start: 63, end: 92 });
  assert.deepEqual(clipStartEnd(100, 30, { kind: 'uniform', index: 1, count: 3 }), { start: 23, end: 52 });
  const r = clipStartEnd(100, 30, { kind: 'random', rng: () => 0.5 });
  assert.equal(r.start, 35);
  // Shorter video than the clip: delta = 0.
  assert.deepEqual(clipStartEnd(20, 30, { kind: 'random', rng: () => 0.9 }), { start: 0, end: 29 });
  assert.throws(() => clipStartEnd(100, 30, { kind: 'random', rng: () => 1 }), RangeError);
  assert.throws(() => clipStartEnd(100, 30, { kind: 'uniform', index: 0, count: 0 }), RangeError);
});

test('float32 linspace and temporal sampling indices', () => {
  assert.deepEqual(linspaceF32(0, 29, 30), Array.from({ length: 30 }, (_, i) => i));
  assert.deepEqual(temporalSamplingIndices(0, 23, 8, 100), [0, 3, 6, 9, 13, 16, 19, 23]);
  // Clamped to the decoded count: frames past the end repeat the last one.
  assert.deepEqual(temporalSamplingIndices(0, 9, 10, 6), [0, 1, 2, 3, 4, 5, 5, 5, 5, 5]);
  assert.deepEqual(linspaceF32(0, 5, 1), [0]);
});

test('planClip window: frames ceil(start) .. and T_dec includes the frame after end_pts', () => {
  const info = { fps: 30, frames: 60, streamDuration: 2, durationTs: 30720, timeBase: [1, 15360] as [number, number] };
  const p = planClip(info, { numFrames: 8, position: { kind: 'random', rng: () => 6.4 / 52 } });
  assert.ok(Math.abs(p.start - 6.4) < 1e-9);
  assert.equal(p.firstFrame, 7);
  // pts window [int(6.4*512), int(13.4*512)] holds frames 7..13, plus frame 14.
  assert.equal(p.windowFrames, 8);
  assert.deepEqual(p.sampleIndices, [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.ok(Math.abs(p.audioStartSec - 6.4 / 30) < 1e-12);
  const q = planClip(info, { numFrames: 8, position: { kind: 'uniform', index: 1, count: 5 } });
  assert.equal(q.start, 10);
  assert.equal(q.firstFrame, 10);
  assert.equal(q.windowFrames, 9);
  // Last frames of the video: no frame after end_pts.
  const r = planClip(info, { numFrames: 8, position: { kind: 'uniform', index: 1, count: 1 } });
  assert.equal(r.firstFrame, 52);
  assert.equal(r.windowFrames, 8);
});

test('planClip whole-video branch (no stream duration) uses absolute linspace(start, end)', () => {
  const p = planClip({ fps: 30, frames: 30, streamDuration: null }, { numFrames: 4, position: { kind: 'random', rng: () => 0.5 } });
  assert.equal(p.mode, 'whole');
  // delta = 26, start = 13, end = 16
  assert.equal(p.firstFrame, 13);
  assert.deepEqual(p.sampleIndices, [0, 1, 2, 3]);
});

test('short-side resize follows the reference rule', () => {
  assert.deepEqual(shortSideSize(64, 48, 32), { width: 42, height: 32 });
  assert.deepEqual(shortSideSize(48, 64, 32), { width: 32, height: 42 });
  assert.deepEqual(shortSideSize(64, 48, 48), { width: 64, height: 48 });
  assert.deepEqual(shortSideSize(63, 47, 128), { width: 171, height: 128 });
});

test('seeded PRNG is deterministic and well spread', () => {
  const a = mulberry32(42);
  const b = mulberry32(42);
  const xs = Array.from({ length: 1000 }, () => a());
  assert.deepEqual(xs, Array.from({ length: 1000 }, () => b()));
  const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
  assert.ok(Math.abs(mean - 0.5) < 0.05);
  assert.ok(xs.every((v) => v >= 0 && v < 1));
  assert.notEqual(hashSeed(1, 'Bounce', 1, 1), hashSeed(1, 'Bounce', 1, 2));
  assert.equal(hashSeed(1, 'Bounce', 1, 1), hashSeed(1, 'Bounce', 1, 1));
  const r = new Rng(7);
  for (let i = 0; i < 100; i++) {
    const v = r.int(2, 5);
    assert.ok(v >= 2 && v <= 5 && Number.isInteger(v));
  }
});
