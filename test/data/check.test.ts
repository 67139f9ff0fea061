// checkDataset on a small synthetic UCF101-style dataset with deliberate problems.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkDataset, formatDatasetSummary } from '../../src/data/check.js';
import { generateSyntheticDataset, type SyntheticDatasetResult } from '../../src/media/synth.js';
import { encodeVideo } from '../../src/media/encode.js';

let dir: string;
let ds: SyntheticDatasetResult;
// The last video is in an always-train group, so the problem test never removes it.
const kept = (): string => join(ds.videosDir, ds.videos[ds.videos.length - 1]!.file);
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'gdt-check-'));
  ds = await generateSyntheticDataset(join(dir, 'ucf'), { classes: 3, videosPerClass: 4, seconds: 1.5, width: 64, height: 48, seed: 3 });
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test('clean dataset: classes, fold counts, duration', async () => {
  const s = await checkDataset(ds.root, { format: 'ucf101' });
  assert.deepEqual(s.classes, ['Bounce', 'Grow', 'Shrink']);
  assert.equal(s.numVideos, 12);
  assert.equal(s.splitsDir, ds.splitsDir);
  assert.equal(s.videosDir, ds.videosDir);
  assert.deepEqual(s.unreadable, []);
  assert.equal(s.noAudio, 0);
  assert.equal(s.tooShort, 0);
  assert.ok(Math.abs(s.totalDurationSec - 18) < 0.01, String(s.totalDurationSec));
  assert.deepEqual(s.splits.map((x) => x.name), ['fold1/train', 'fold1/test', 'fold2/train', 'fold2/test', 'fold3/train', 'fold3/test']);
  for (const fold of [0, 1, 2]) assert.equal(s.splits[2 * fold]!.count + s.splits[2 * fold + 1]!.count, 12);
  assert.deepEqual(s.splits.map((x) => x.missing), [0, 0, 0, 0, 0, 0]);
  assert.deepEqual(s.frameRates, { '30': 12 });
  assert.deepEqual(s.warnings, []);
});

test('problems are reported: unreadable, no audio, too short, missing entries', async () => {
  const v = ds.videosDir;
  // A corrupt file, a zero-byte file, a short video without audio, and a listed video removed.
  await writeFile(join(v, 'Bounce', 'v_Bounce_g09_c01.mp4'), 'garbage');
  await writeFile(join(v, 'Grow', 'v_Grow_g09_c01.mp4'), '');
  await encodeVideo(join(v, 'Shrink', 'v_Shrink_g09_c01.mp4'), { width: 64, height: 48, fps: 30, frameCount: 30, renderFrame: (_i, o) => o.fill(100) });
  const victim = ds.videos.find((x) => x.testFolds.includes(1))!;
  await unlink(join(v, victim.file));
  const manifestPath = join(dir, 'manifest.json');
  const s = await checkDataset(ds.root, { format: 'ucf101', manifestPath });
  assert.equal(s.numVideos, 14);
  assert.deepEqual(s.unreadable.map((u) => u.path).sort(), [join(v, 'Bounce', 'v_Bounce_g09_c01.mp4'), join(v, 'Grow', 'v_Grow_g09_c01.mp4')]);
  assert.ok(s.unreadable.some((u) => /empty file/.test(u.reason)));
  assert.equal(s.noAudio, 1);
  assert.equal(s.tooShort, 1); // 1.0 s is not > 1.1 s
  const f1test = s.splits.find((x) => x.name === 'fold1/test')!;
  assert.equal(f1test.missing, 1);
  assert.ok(s.missingExamples[0]?.startsWith('testlist01.txt:'));
  assert.ok(s.missingExamples[0]?.endsWith(victim.file));
  assert.equal(s.manifest?.probed, 14);
  const text = formatDatasetSummary(s);
  assert.match(text, /classes {2}3 \(Bounce, Grow, Shrink\)/);
  assert.match(text, /videos {3}14, total .*2 unreadable, 1 without audio/);
  assert.match(text, /fold1\/test +\d+ +1 /);
  assert.match(text, /v_Grow_g09_c01\.mp4: empty file/);
  assert.match(text, /split entries without a file:\n {2}testlist01\.txt:\d+: /);
  // Second run reuses the manifest.
  const again = await checkDataset(ds.root, { format: 'ucf101', manifestPath });
  assert.deepEqual(again.manifest, { reused: 14, probed: 0 });
  // A generic folder view of the same videos.
  const folder = await checkDataset(ds.videosDir, { format: 'folder', manifestPath });
  assert.deepEqual(folder.splits.map((x) => [x.name, x.count]), [['all', 14]]);
  // The corrupt bytes are now a video: re-probed.
  await copyFile(join(v, 'Shrink', 'v_Shrink_g09_c01.mp4'), join(v, 'Bounce', 'v_Bounce_g09_c01.mp4'));
  const fixed = await checkDataset(ds.root, { format: 'ucf101', manifestPath });
  assert.equal(fixed.unreadable.length, 1);
  assert.equal(fixed.manifest?.probed, 1);
});

test('deep check catches truncated files that probe fine', async () => {
  const root = join(dir, 'deep');
  await mkdir(join(root, 'c'), { recursive: true });
  const bytes = await readFile(kept()); // +faststart: index at the front
  await writeFile(join(root, 'c', 'ok.mp4'), bytes);
  await writeFile(join(root, 'c', 'cut.mp4'), bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  const shallow = await checkDataset(root, { format: 'folder' });
  assert.equal(shallow.unreadable.length, 0);
  const deep = await checkDataset(root, { format: 'folder', deep: true });
  assert.deepEqual(deep.unreadable.map((u) => u.path), [join(root, 'c', 'cut.mp4')]);
});

test('HMDB51 and Kinetics layouts', async () => {
  // HMDB51: class folders + per-class split files.
  const root = join(dir, 'hmdb');
  await mkdir(join(root, 'videos', 'wave'), { recursive: true });
  await mkdir(join(root, 'splits'));
  const src = kept();
  for (const n of ['a.mp4', 'b.mp4', 'c.mp4']) await copyFile(src, join(root, 'videos', 'wave', n));
  await writeFile(join(root, 'splits', 'wave_test_split1.txt'), 'a.mp4 1 \r\nb.mp4 2 \r\nc.mp4 0 \r\nd.mp4 1 \r\n');
  const h = await checkDataset(root, { format: 'hmdb51', folds: [1] });
  assert.deepEqual(h.splits.map((x) => [x.name, x.count, x.missing]), [['fold1/train', 1, 1], ['fold1/test', 1, 0], ['fold1/unused', 1, 0]]);
  // Kinetics: <root>/<split>/<class>/<file>.
  const k = join(dir, 'k400');
  for (const [split, cls, n] of [['train', 'x', 'a.mp4'], ['train', 'y', 'b.mp4'], ['val', 'x', 'c.mp4']] as const) {
    await mkdir(join(k, split, cls), { recursive: true });
    await copyFile(src, join(k, split, cls, n));
  }
  const ks = await checkDataset(k, { format: 'kinetics' });
  assert.deepEqual(ks.splits.map((x) => [x.name, x.count]), [['train', 2], ['val', 1]]);
  assert.deepEqual(ks.classes, ['x', 'y']);
  assert.equal(ks.warnings.length, 1); // val lacks class y
});
