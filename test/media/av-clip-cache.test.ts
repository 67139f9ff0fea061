// AvClipCache (data.cacheMB): clips cut from whole decoded videos and audio tracks equal what
// decodeClip gives per clip — frames exactly, audio to within a tiny tolerance (ffmpeg's seeked
// audio decode vs one decode of the whole track) — at the start, middle and end of the video.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyntheticDataset } from '../../src/media/synth.js';
import { decodeClip } from '../../src/media/decode.js';
import { probeMedia } from '../../src/media/probe.js';
import { AvClipCache, cutSegment } from '../../src/media/av-clip-cache.js';

let path = '';
before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdt-avcache-'));
  const r = await generateSyntheticDataset(dir, { classes: 1, videosPerClass: 1, seconds: 2, width: 64, height: 64, seed: 4 });
  path = join(r.videosDir, r.videos[0]!.file);
});

test('cutSegment: start, end-of-track shift and zero padding follow decodeClip rules', () => {
  const track = Float32Array.from({ length: 100 }, (_, i) => i);
  let s = cutSegment(track, 10, 2, 3); // samples 20..49
  assert.deepEqual([s.samples.length, s.samples[0], s.samples[29], s.padded, s.startSec], [30, 20, 49, false, 2]);
  s = cutSegment(track, 10, 8, 3); // past the end: the last 30 samples
  assert.deepEqual([s.samples[0], s.samples[29], s.startSec], [70, 99, 7]);
  s = cutSegment(track, 10, 0, 12); // longer than the track: zeros at the end
  assert.deepEqual([s.samples.length, s.samples[99], s.samples[100], s.samples[119], s.padded], [120, 99, 0, 0, true]);
});

test('frames equal decodeClip exactly; audio within 1e-6 of it (measured: equal) (start, middle, end positions)', async () => {
  const info = await probeMedia(path);
  const cache = new AvClipCache(64 * 2 ** 20);
  let worstAudio = 0;
  for (const index of [0, 137, 500, 999, 1000]) {
    const req = { numFrames: 8, targetFps: 8, samplingRate: 1, position: { kind: 'uniform' as const, index, count: 1000 } };
    const direct = await decodeClip(path, { ...req, audio: true, audioSeconds: 1, sampleRate: 24000, info });
    const cached = await cache.clip(path, info, { ...req, audioSeconds: 1, sampleRate: 24000 });
    assert.deepEqual([cached.video.frames, cached.video.height, cached.video.width], [direct.video.frames, direct.video.height, direct.video.width]);
    assert.ok(Buffer.from(cached.video.data).equals(Buffer.from(direct.video.data)), `position ${index}: frames differ`);
    const a = direct.audio!.samples;
    const b = cached.audio!.samples;
    assert.equal(b.length, a.length);
    let peak = 0;
    for (let i = 0; i < a.length; i++) {
      worstAudio = Math.max(worstAudio, Math.abs(a[i]! - b[i]!));
      peak = Math.max(peak, Math.abs(a[i]!));
    }
    assert.ok(peak > 0.01, `position ${index}: the clip has sound`);
    assert.ok(Math.abs(cached.audio!.startSec - direct.audio!.startSec) < 1e-3, `position ${index}: start ${cached.audio!.startSec} vs ${direct.audio!.startSec}`);
  }
  if (process.env.GDT_SHOW) console.error(`worst audio difference ${worstAudio}`);
  assert.ok(worstAudio < 1e-6, `largest audio difference ${worstAudio}`);
  // One decode per video: 5 clips, 1 miss.
  assert.equal(cache.misses, 1);
  assert.equal(cache.hits, 4);
});

test('the GDT sample (data.cacheMB) is the same with and without the cache', async () => {
  const { createGdtPretrainDataset } = await import('../../src/data/gdt-dataset.js');
  const { dirname } = await import('node:path');
  const root = dirname(dirname(path));
  const o = { root, format: 'folder' as const, numFrames: 8, targetFps: 8, cropSize: 32, scales: [32, 40] as [number, number], audioSeconds: 1, minDuration: 1 };
  const plain = await createGdtPretrainDataset(o);
  const cached = await createGdtPretrainDataset({ ...o, cacheMB: 64 });
  assert.equal(cached.length, plain.length);
  for (const seed of [1, 2, 3]) {
    const a = (await plain.get(0, { seed, epoch: 0, index: 0 } as never)) as Record<string, unknown>;
    const b = (await cached.get(0, { seed, epoch: 0, index: 0 } as never)) as Record<string, unknown>;
    assert.deepEqual(Object.keys(b).sort(), Object.keys(a).sort());
    for (const k of Object.keys(a)) {
      const x = a[k] as { data?: ArrayLike<number> };
      const y = b[k] as { data?: ArrayLike<number> };
      if (!x?.data) {
        assert.deepEqual(y, x, k);
        continue;
      }
      let d = 0;
      for (let i = 0; i < x.data.length; i++) d = Math.max(d, Math.abs(x.data[i]! - y.data![i]!));
      assert.ok(d < 1e-5, `seed ${seed}, ${k}: differs by ${d}`);
    }
  }
});
