// Synthetic dataset: determinism, UCF101 layout and split files, audio-visual synchrony.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyntheticDataset, pitchForRadius, SYNTH_CLASSES, synthesizeVideo, syntheticTestFolds, type SyntheticDatasetResult } from '../../src/media/synth.js';
import { decodeAudioTrack, decodeClip } from '../../src/media/decode.js';
import { probeMedia } from '../../src/media/probe.js';
import { listClassFolders, readUcf101ClassInd, readUcf101Split, selectUcf101 } from '../../src/data/splits.js';

const SMALL = { classes: 3, videosPerClass: 4, seconds: 1, width: 64, height: 64 };
let dir: string;
let a: SyntheticDatasetResult;

async function hashes(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const files = (await readdir(join(root, 'videos'), { recursive: true })).map(String).filter((f) => f.endsWith('.mp4')).sort();
  for (const f of files) out.set(f, createHash('sha256').update(await readFile(join(root, 'videos', f))).digest('hex'));
  return out;
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gdt-synth-'));
  a = await generateSyntheticDataset(join(dir, 'a'), { ...SMALL, seed: 7 });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('same seed -> identical files; different seed -> different content', async () => {
  const b = await generateSyntheticDataset(join(dir, 'b'), { ...SMALL, seed: 7, concurrency: 1 });
  const c = await generateSyntheticDataset(join(dir, 'c'), { ...SMALL, seed: 8 });
  const ha = await hashes(a.root);
  const hb = await hashes(b.root);
  const hc = await hashes(c.root);
  assert.equal(ha.size, 12);
  assert.deepEqual(hb, ha);
  assert.deepEqual(await readFile(join(a.root, 'splits', 'trainlist01.txt')), await readFile(join(b.root, 'splits', 'trainlist01.txt')));
  for (const [f, h] of ha) assert.notEqual(hc.get(f), h, f);
  // A video's content does not depend on how many others are generated.
  const big = synthesizeVideo({ className: 'Bounce', seconds: 1, width: 64, height: 64, fps: 30, sampleRate: 24000, seed: 1, groupSeed: 2 });
  const again = synthesizeVideo({ className: 'Bounce', seconds: 1, width: 64, height: 64, fps: 30, sampleRate: 24000, seed: 1, groupSeed: 2 });
  assert.deepEqual(big.audio, again.audio);
  const f1 = new Uint8Array(64 * 64 * 3);
  const f2 = new Uint8Array(64 * 64 * 3);
  big.renderFrame(10, f1);
  again.renderFrame(10, f2);
  assert.deepEqual(f1, f2);
});

test('UCF101 layout, names and split files', async () => {
  assert.deepEqual(a.classes, ['Bounce', 'Grow', 'Shrink']);
  const listing = await listClassFolders(a.videosDir);
  assert.deepEqual(listing.classes, a.classes);
  assert.equal(listing.items.length, 12);
  for (const it of listing.items) assert.match(it.rel, /^(\w+)\/v_\1_g\d{2}_c\d{2}\.mp4$/);
  const classInd = await readFile(join(a.splitsDir, 'classInd.txt'), 'utf8');
  assert.equal(classInd, '1 Bounce\r\n2 Grow\r\n3 Shrink\r\n');
  assert.deepEqual((await readUcf101ClassInd(a.splitsDir)).map((c) => c.name), a.classes);
  const testFoldOf = new Map<string, number>();
  for (const fold of [1, 2, 3]) {
    const train = await readUcf101Split(a.splitsDir, fold, 'train');
    const testList = await readUcf101Split(a.splitsDir, fold, 'test');
    assert.ok(train.every((e) => e.label !== null) && testList.every((e) => e.label === null));
    // Labels: 1-based classInd index = sorted directory position + 1.
    for (const e of train) assert.equal(e.label, (a.classes as string[]).indexOf(e.className) + 1);
    assert.equal(train.length + testList.length, 12);
    assert.ok(testList.length > 0);
    assert.equal(selectUcf101(listing.items, [...train, ...testList]).missing.length, 0);
    // Folds by group: a group never appears on both sides.
    const group = (p: string): string => p.replace(/_c\d+\.mp4$/, '');
    const trainGroups = new Set(train.map((e) => group(e.path)));
    assert.ok(testList.every((e) => !trainGroups.has(group(e.path))));
    for (const e of testList) {
      assert.ok(!testFoldOf.has(e.path), 'a video is a test video in one fold at most');
      testFoldOf.set(e.path, fold);
    }
  }
  // UCF101-like fold bands for 30 videos per class (10 groups of 3).
  assert.deepEqual(Array.from({ length: 10 }, (_, g) => syntheticTestFolds(g + 1, 10)), [[1], [1], [1], [2], [2], [2], [3], [3], [], []]);
  const meta = JSON.parse(await readFile(join(a.root, 'meta.json'), 'utf8')) as { videos: { file: string }[] };
  assert.equal(meta.videos.length, 12);
});

test('videos decode: H.264 + AAC, size, rate, duration', async () => {
  const v = a.videos[0]!;
  const info = await probeMedia(join(a.videosDir, v.file));
  assert.equal(info.videoCodec, 'h264');
  assert.equal(info.audioCodec, 'aac');
  assert.deepEqual([info.width, info.height, info.fps, info.frames], [64, 64, 30, 30]);
  assert.equal(info.audioSampleRate, 24000);
  const clip = await decodeClip(join(a.videosDir, v.file), { numFrames: 8, info, position: { kind: 'uniform', index: 0, count: 1 } });
  assert.equal(clip.video.frames, 8);
  assert.equal(clip.audio?.samples.length, 6400);
});

test('impacts are audible at the event times; pitch follows size', async () => {
  const bounce = a.videos.filter((v) => v.className === 'Bounce');
  let checked = 0;
  for (const v of bounce) {
    assert.ok(Math.abs(v.pitchHz - pitchForRadius(v.radius, 64)) < 1e-9);
    const track = (await decodeAudioTrack(join(a.videosDir, v.file), 24000))!.samples;
    const energy = (t0: number, t1: number): number => {
      let s = 0;
      const i0 = Math.max(0, Math.round(t0 * 24000));
      const i1 = Math.min(track.length, Math.round(t1 * 24000));
      for (let i = i0; i < i1; i++) s += track[i]! * track[i]!;
      return s / Math.max(1, i1 - i0);
    };
    for (const e of v.events) {
      if (e.t < 0.05 || e.t > 0.95) continue;
      // Energy jumps right at the impact (AAC smears onsets by a few ms at most).
      assert.ok(energy(e.t, e.t + 0.02) > 4 * energy(e.t - 0.025, e.t - 0.005), `${v.file} impact at ${e.t}`);
      checked++;
    }
  }
  assert.ok(checked >= 2, `checked ${checked} impacts`);
  // Grow: pitch falls as the object grows; Shrink: rises.
  const g = synthesizeVideo({ className: 'Grow', seconds: 1, width: 64, height: 64, fps: 30, sampleRate: 24000, seed: 3, groupSeed: 3 });
  const s = synthesizeVideo({ className: 'Shrink', seconds: 1, width: 64, height: 64, fps: 30, sampleRate: 24000, seed: 3, groupSeed: 3 });
  assert.ok(g.radius < 8 && s.radius > 8, `${g.radius} ${s.radius}`);
});

test('all ten classes render and sound', async () => {
  await assert.rejects(generateSyntheticDataset(join(dir, 'x'), { classes: 11 }), RangeError);
  for (const cls of SYNTH_CLASSES) {
    const v = synthesizeVideo({ className: cls, seconds: 2, width: 64, height: 48, fps: 30, sampleRate: 24000, seed: 11, groupSeed: 12 });
    assert.equal(v.audio.length, 48000);
    let peak = 0;
    for (const x of v.audio) peak = Math.max(peak, Math.abs(x));
    assert.ok(peak > 0.1 && peak <= 1, `${cls} peak ${peak}`);
    const f0 = new Uint8Array(64 * 48 * 3);
    const f1 = new Uint8Array(64 * 48 * 3);
    // Something moves (or appears) over the clip.
    let differs = false;
    for (let i = 1; i < 60 && !differs; i++) {
      v.renderFrame(0, f0);
      v.renderFrame(i, f1);
      differs = f0.some((x, k) => x !== f1[k]);
    }
    assert.ok(differs, `${cls} is static`);
  }

});
