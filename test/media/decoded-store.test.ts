// DecodedStore (data.decodeCache): whole decodes kept on disk and shared by every cache instance
// (loader threads, models, stages). A second cache reads them back instead of running ffmpeg and
// cuts the same clips; a changed video or a damaged entry is decoded again, never misread.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyntheticDataset } from '../../src/media/synth.js';
import { decodeClip } from '../../src/media/decode.js';
import { probeMedia } from '../../src/media/probe.js';
import { AvClipCache } from '../../src/media/av-clip-cache.js';
import { FrameCache } from '../../src/media/frame-cache.js';
import { DecodedStore } from '../../src/media/decoded-store.js';

let path = '';
before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdt-store-'));
  const r = await generateSyntheticDataset(dir, { classes: 1, videosPerClass: 1, seconds: 2, width: 64, height: 64, seed: 9 });
  path = join(r.videosDir, r.videos[0]!.file);
});

const req = (index: number) => ({ numFrames: 8, targetFps: 8, samplingRate: 1, position: { kind: 'uniform' as const, index, count: 1000 }, audioSeconds: 1, sampleRate: 24000 });

test('a second cache on the same store reads frames and audio back (no decode) and cuts the clips the first one cut', async () => {
  const info = await probeMedia(path);
  const dir = mkdtempSync(join(tmpdir(), 'gdt-store-dir-'));
  const first = new DecodedStore(dir);
  const a = new AvClipCache(64 * 2 ** 20, first);
  const clipsA = [];
  for (const i of [0, 500, 1000]) clipsA.push(await a.clip(path, info, req(i)));
  assert.equal(first.writes, 2, 'frames and the audio track written once');
  assert.equal(first.hits, 0);
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.bin')).length, 2);
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.tmp')).length, 0, 'no temporary file left');

  const second = new DecodedStore(dir);
  const b = new AvClipCache(64 * 2 ** 20, second);
  for (const [k, i] of [0, 500, 1000].entries()) {
    const c = await b.clip(path, info, req(i));
    assert.ok(Buffer.from(c.video.data).equals(Buffer.from(clipsA[k]!.video.data)), `position ${i}: frames equal`);
    assert.deepEqual(Array.from(c.audio!.samples), Array.from(clipsA[k]!.audio!.samples), `position ${i}: audio equal`);
    // And the frames are decodeClip's.
    const direct = await decodeClip(path, { ...req(i), audio: false, info });
    assert.ok(Buffer.from(c.video.data).equals(Buffer.from(direct.video.data)), `position ${i}: frames equal decodeClip`);
  }
  assert.equal(second.hits, 2, 'frames and track read from disk');
  assert.equal(second.writes, 0, 'nothing decoded again');
});

test('with a store, a video over the memory budget is still cut from the stored decode (budget 0)', async () => {
  const info = await probeMedia(path);
  const store = new DecodedStore(mkdtempSync(join(tmpdir(), 'gdt-store-dir-')));
  const cache = new FrameCache(0, store);
  const one = await cache.clip(path, info, req(137));
  const two = await cache.clip(path, info, req(137));
  assert.equal(store.writes, 1);
  assert.equal(store.hits, 1, 'the second clip is read back from disk, not kept in memory');
  assert.ok(Buffer.from(one.data).equals(Buffer.from(two.data)));
});

test('a damaged entry or a changed video is decoded again; a bad folder is a clear error', async () => {
  const info = await probeMedia(path);
  const dir = mkdtempSync(join(tmpdir(), 'gdt-store-dir-'));
  const store = new DecodedStore(dir);
  const want = await new FrameCache(64 * 2 ** 20, store).clip(path, info, req(300));
  const entry = store.entryPath(path, 'frames')!;
  // Truncated (as after a crash while another process wrote it): ignored, decoded again.
  writeFileSync(entry, readFileSync(entry).subarray(0, 1000));
  assert.equal(store.readFrames(path), undefined);
  const again = new DecodedStore(dir);
  const got = await new FrameCache(64 * 2 ** 20, again).clip(path, info, req(300));
  assert.deepEqual([again.hits, again.writes], [0, 1]);
  assert.ok(Buffer.from(got.data).equals(Buffer.from(want.data)));
  // A new modification time names another entry: the old decode is not used for the new file.
  const t = new Date(Date.now() + 5000);
  utimesSync(path, t, t);
  assert.notEqual(store.entryPath(path, 'frames'), entry);
  assert.equal(store.readFrames(path), undefined);
  // An entry for a missing video: none.
  assert.equal(store.entryPath(join(dir, 'missing.mp4'), 'frames'), undefined);
  const file = join(dir, 'a-file');
  writeFileSync(file, 'x');
  assert.throws(() => new DecodedStore(join(file, 'sub')), /decode cache: cannot create .*a-file\/sub/);
});
