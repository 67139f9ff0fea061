// Decoding against videos whose frames encode their own index (see fixtures.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAudioSegment, decodeAudioTrack, decodeClip, decodeFpsSegment, MediaDecodeError, planClip, temporalSamplingIndices } from '../../src/media/decode.js';
import { probeMedia } from '../../src/media/probe.js';
import { decodedIndices, dominantFrequency, makeFixtures, type Fixtures } from './fixtures.js';

let fx: Fixtures;
before(async () => {
  fx = await makeFixtures();
});
after(async () => {
  await fx.cleanup();
});

test('clip k of n: exact frames after seeking (-ss before -i is frame-accurate)', async () => {
  const info = await probeMedia(fx.idx);
  for (let k = 0; k < 5; k++) {
    const r = await decodeClip(fx.idx, { numFrames: 8, info, audio: false, position: { kind: 'uniform', index: k, count: 5 } });
    const start = Math.trunc((52 * k) / 5);
    const expected = Array.from({ length: 8 }, (_, i) => start + i);
    assert.deepEqual(r.frameIndices, expected, `clip ${k}`);
    assert.deepEqual(decodedIndices(r.video), expected, `pixels of clip ${k}`);
    assert.equal(r.video.frames, 8);
    assert.equal(r.video.data.length, 8 * 48 * 64 * 3);
    assert.equal(r.padded, false);
  }
});

test('random start: first frame is ceil(start), RNG supplied by the caller', async () => {
  const info = await probeMedia(fx.idx);
  for (const u of [0, 0.123, 0.5, 0.999]) {
    const r = await decodeClip(fx.idx, { numFrames: 6, info, audio: false, position: { kind: 'random', rng: () => u } });
    const first = Math.ceil(u * 54);
    assert.deepEqual(decodedIndices(r.video), Array.from({ length: 6 }, (_, i) => first + i), `u=${u}`);
  }
});

test('frame stride / lower target fps: sparse sampling through select', async () => {
  const info = await probeMedia(fx.idx);
  // 8 frames at 10 fps from 30 fps: clip_size 24, indices linspace(0, 23, 8).
  const r = await decodeClip(fx.idx, { numFrames: 8, targetFps: 10, info, audio: false, position: { kind: 'uniform', index: 1, count: 2 } });
  const start = Math.trunc((60 - 24) / 2);
  const expected = temporalSamplingIndices(0, 23, 8, 1000).map((i) => start + i);
  assert.deepEqual(decodedIndices(r.video), expected);
  assert.deepEqual(r.frameIndices, expected);
  // Stride 2 at 30 fps: same source frames as 15 fps.
  const s = await decodeClip(fx.idx, { numFrames: 5, samplingRate: 2, info, audio: false, position: { kind: 'uniform', index: 0, count: 1 } });
  assert.deepEqual(decodedIndices(s.video), [0, 2, 4, 6, 9]);
});

test('clip past the end repeats the last decoded frame', async () => {
  const r = await decodeClip(fx.noAudio, { numFrames: 40, position: { kind: 'random', rng: () => 0.7 } });
  const expected = Array.from({ length: 40 }, (_, i) => Math.min(i, 29));
  assert.deepEqual(decodedIndices(r.video), expected);
  assert.equal(r.padded, true);
  assert.equal(r.decodedFrames, 30);
  assert.equal(r.hasAudio, false);
  assert.equal(r.audio, null);
  // Sparse sampling that runs past the end falls back to contiguous reading.
  const s = await decodeClip(fx.noAudio, { numFrames: 8, samplingRate: 5, position: { kind: 'uniform', index: 0, count: 1 } });
  assert.deepEqual(decodedIndices(s.video), temporalSamplingIndices(0, 39, 8, 30));
});

test('short-side resize inside ffmpeg', async () => {
  const r = await decodeClip(fx.idx, { numFrames: 2, shortSide: 32, audio: false, position: { kind: 'uniform', index: 0, count: 1 } });
  assert.equal(r.video.width, 42);
  assert.equal(r.video.height, 32);
  assert.equal(r.video.data.length, 2 * 42 * 32 * 3);
  assert.deepEqual(decodedIndices(r.video), [0, 1]);
  const s = await decodeClip(fx.idx, { numFrames: 1, size: { width: 17, height: 9 }, audio: false, position: { kind: 'uniform', index: 0, count: 1 } });
  assert.equal(s.video.width, 17);
  assert.equal(s.video.height, 9);
});

test('rotation metadata is applied (display orientation)', async () => {
  const info = await probeMedia(fx.rotated);
  assert.equal(info.rotation, 90);
  assert.deepEqual([info.displayWidth, info.displayHeight], [48, 64]);
  const r = await decodeClip(fx.rotated, { numFrames: 1, info, position: { kind: 'uniform', index: 0, count: 1 } });
  assert.equal(r.video.width, 48);
  assert.equal(r.video.height, 64);
  // Stored: left half white. Displayed: the white half is now a horizontal band.
  const mean = (y0: number, y1: number, x0: number, x1: number): number => {
    let s = 0;
    let n = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++, n++) s += r.video.data[(y * 48 + x) * 3]!;
    return s / n;
  };
  const top = mean(2, 30, 2, 46);
  const bottom = mean(34, 62, 2, 46);
  assert.ok(Math.abs(top - bottom) > 200, `top ${top} bottom ${bottom}`);
  assert.ok(Math.abs(mean(2, 62, 2, 22) - mean(2, 62, 26, 46)) < 20);
});

test('odd frame size in Matroska (no nb_frames, no stream duration)', async () => {
  const info = await probeMedia(fx.odd);
  assert.equal(info.framesEstimated, true);
  assert.equal(info.streamDurationKnown, false);
  const r = await decodeClip(fx.odd, { numFrames: 8, info, position: { kind: 'random', rng: () => 0.5 } });
  assert.equal(r.plan.mode, 'whole');
  assert.equal(r.video.width, 63);
  assert.equal(r.video.height, 47);
  // Whole-video branch: trunc(linspace(start, end, 8)) with start = 0.5 * 22 = 11.
  assert.deepEqual(decodedIndices(r.video), temporalSamplingIndices(11, 18, 8, 30));
  assert.deepEqual(r.warnings, []);
});

test('variable frame rate: the window follows packet timestamps', async () => {
  const info = await probeMedia(fx.vfr);
  assert.equal(info.vfr, true);
  const unit = info.timeBase![0] / info.timeBase![1];
  const ptsUnits = fx.vfrTimes.map((t) => Math.round(t / unit));
  for (let k = 0; k < 4; k++) {
    const spec = { numFrames: 10, position: { kind: 'uniform' as const, index: k, count: 4 } };
    const plan = planClip({ fps: info.fps, frames: info.frames, streamDuration: info.duration, durationTs: info.durationTs, timeBase: info.timeBase }, spec);
    // Reference rule on the true timestamps.
    const first = ptsUnits.findIndex((p) => p >= plan.startPts);
    const win: number[] = [];
    for (let i = first; i < ptsUnits.length; i++) {
      win.push(i);
      if (ptsUnits[i]! > plan.endPts) break;
    }
    const expected = plan.sampleIndices.map((i) => win[Math.min(i, win.length - 1)]!);
    const r = await decodeClip(fx.vfr, { ...spec, info, audio: false });
    assert.deepEqual(decodedIndices(r.video), expected, `clip ${k}`);
    assert.equal(r.frameIndices, null);
    assert.deepEqual(r.frameTimes.map((t) => Math.round(t * 1000)), expected.map((i) => Math.round(fx.vfrTimes[i]! * 1000)));
  }
});

test('audio: dominant frequency and alignment with the clip start', async () => {
  const info = await probeMedia(fx.idx);
  // start = 24 frames -> audio from 0.8 s; the click at 1.0 s lands at 0.2 s * 24000 = 4800.
  const r = await decodeClip(fx.idx, { numFrames: 15, info, position: { kind: 'random', rng: () => 24 / 45 } });
  assert.equal(r.plan.audioStartSec, 0.8);
  const a = r.audio!;
  assert.equal(a.sampleRate, 24000);
  assert.equal(a.samples.length, 12000); // 15 frames / 30 fps = 0.5 s
  let argmax = 0;
  for (let i = 0; i < a.samples.length; i++) if (Math.abs(a.samples[i]!) > Math.abs(a.samples[argmax]!)) argmax = i;
  assert.ok(Math.abs(argmax - 4800) <= 24, `click at ${argmax}`); // within 1 ms
  assert.equal(dominantFrequency(a.samples.subarray(0, 4000), 24000, 100, 2000), 440);
  // Other rates and the segment API.
  const b = await decodeAudioSegment(fx.idx, { startSec: 0.9, seconds: 0.25, sampleRate: 16000, info });
  assert.equal(b!.samples.length, 4000);
  let bm = 0;
  for (let i = 0; i < b!.samples.length; i++) if (Math.abs(b!.samples[i]!) > Math.abs(b!.samples[bm]!)) bm = i;
  assert.ok(Math.abs(bm - 1600) <= 16, `click at ${bm}`);
});

test('audio past the end of the track is moved back to end with it', async () => {
  // The decoded track is a little longer than 2 s: AAC's last frame is padded, and the reference
  // (which decodes the whole track with ffmpeg) sees the same samples.
  const whole = await decodeAudioTrack(fx.idx, 24000);
  const len = whole!.samples.length;
  assert.ok(len >= 48000 && len <= 48000 + 1024, `track length ${len}`);
  const a = await decodeAudioSegment(fx.idx, { startSec: 1.8, seconds: 1.5 });
  assert.equal(a!.samples.length, 36000);
  assert.equal(a!.padded, false);
  assert.ok(Math.abs(a!.startSec - (len - 36000) / 24000) < 0.002, `start ${a!.startSec}`);
  // The click at 1.0 s (sample 24000 of the track) is then at 24000 - (len - 36000).
  let m = 0;
  for (let i = 0; i < a!.samples.length; i++) if (Math.abs(a!.samples[i]!) > Math.abs(a!.samples[m]!)) m = i;
  const want = 24000 - (len - 36000);
  assert.ok(Math.abs(m - want) <= 24, `click at ${m}, expected ${want}`);
  // Longer than the whole track: zero padded at the end.
  const b = await decodeAudioSegment(fx.idx, { startSec: 0, seconds: 3 });
  assert.equal(b!.samples.length, 72000);
  assert.equal(b!.padded, true);
  assert.equal(b!.samples[71999], 0);
  assert.equal(await decodeAudioSegment(fx.noAudio, { startSec: 0, seconds: 1 }), null);
});

test('truncated file with the index at the front: early frames decode, later ones fail with a typed error', async () => {
  const ok = await decodeClip(fx.truncatedFast, { numFrames: 4, audio: false, position: { kind: 'uniform', index: 0, count: 1 } });
  assert.deepEqual(decodedIndices(ok.video), [0, 1, 2, 3]);
  await assert.rejects(
    decodeClip(fx.truncatedFast, { numFrames: 4, audio: false, position: { kind: 'uniform', index: 1, count: 1 } }),
    (err: unknown) => err instanceof MediaDecodeError && err.path === fx.truncatedFast && /partial file|no frames/.test(err.reason),
  );
});

test('HowTo100M-style fps segment: square crop, scale, zero padding', async () => {
  const r = await decodeFpsSegment(fx.idx, { startSec: 1.5, seconds: 0.6, fps: 10, numFrames: 8, size: 16 });
  assert.equal(r.width, 16);
  assert.equal(r.frames, 8);
  assert.ok(r.decodedFrames >= 5 && r.decodedFrames <= 7, `decoded ${r.decodedFrames}`);
  const idx = decodedIndices(r);
  assert.ok(Math.abs(idx[0]! - 45) <= 1, `first ${idx[0]}`);
  assert.equal(idx[7], 0); // zero padded
  // Crop position: the rotated fixture displays 48x64 with one white half (a horizontal band).
  const mean = (v: { data: Uint8Array }): number => v.data.reduce((acc, x) => acc + x, 0) / v.data.length;
  const top = await decodeFpsSegment(fx.rotated, { startSec: 0, seconds: 0.2, fps: 10, numFrames: 1, size: 16, cropY: 0 });
  const bottom = await decodeFpsSegment(fx.rotated, { startSec: 0, seconds: 0.2, fps: 10, numFrames: 1, size: 16, cropY: 1 });
  assert.ok(Math.abs(mean(top) - mean(bottom)) > 60, `${mean(top)} vs ${mean(bottom)}`);
});
