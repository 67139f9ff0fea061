// gdt embed: rows, files and values (checked against the encoders run directly on the same clips),
// the modalities and levels, skipped files, and resuming an interrupted run bit for bit.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { torch } from '../../src/index.js';
import { cli } from '../cli/helpers.js';
import { embedVideos, type EmbedMeta, type IndexRow } from '../../src/embed/index.js';
import { readNpy } from '../../src/models/npy.js';
import { embedFixture, writeCheckpoint, type EmbedFixture } from './fixture.js';
import { DirectEncoder, l2, maxAbsDiff, mean, norm } from './direct.js';

let fx: EmbedFixture;
let direct: DirectEncoder;
before(async () => {
  fx = await embedFixture();
  direct = await DirectEncoder.load(fx.checkpoint, 0.25);
});
after(() => direct.dispose());

const tmp = (p: string): string => mkdtempSync(join(tmpdir(), `gdt-embed-${p}-`));
const silent = (): void => undefined;

function read(npy: string): { rows: number; dim: number; data: Float32Array; entries: IndexRow[]; meta: EmbedMeta } {
  const a = readNpy(npy);
  assert.equal(a.descr, '<f4');
  assert.equal(a.fortranOrder, false);
  const base = npy.slice(0, -4);
  const entries = readFileSync(`${base}.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as IndexRow);
  const meta = JSON.parse(readFileSync(`${base}.meta.json`, 'utf8')) as EmbedMeta;
  return { rows: a.shape[0]!, dim: a.shape[1]!, data: a.data as Float32Array, entries, meta };
}

const row = (data: Float32Array, dim: number, r: number): Float32Array => data.subarray(r * dim, (r + 1) * dim);

test('gdt embed <folder>: one L2-normalised row per video (the mean of 4 normalised clips), 512 x width columns, equal to the encoder run directly', async () => {
  const out = join(tmp('video'), 'emb.npy');
  const live = torch.memory.liveTensors();
  const r = await cli('embed', fx.videos, '--weights', fx.checkpoint, '--out', out, '--workers', '1', '--quiet');
  assert.equal(r.code, 0, r.err);
  assert.ok(torch.memory.liveTensors() <= live, `${torch.memory.liveTensors() - live} tensors of the run left alive`);
  assert.match(r.out, /video-level video embeddings, 4 clips of 8 frames at 8 fps per video/, 'settings from the checkpoint document');
  const { rows, dim, data, entries, meta } = read(out);
  assert.equal(rows, fx.paths.length, 'one row per video');
  assert.equal(dim, 128, '512 x width 0.25');
  assert.deepEqual(entries.map((e) => e.path), fx.paths, 'rows in sorted path order');
  assert.deepEqual(entries.map((e) => e.row), [0, 1, 2, 3, 4, 5]);
  assert.ok(entries.every((e) => e.clip === null && e.clips === 4 && e.times!.length === 4 && e.modality === 'video'));
  assert.equal(meta.rows, 6);
  assert.equal(meta.dim, 128);
  assert.equal(meta.level, 'video');
  assert.deepEqual(meta.skipped, []);
  assert.equal(meta.settings.video!.cropSize, 32);
  for (let i = 0; i < rows; i++) assert.ok(Math.abs(norm(row(data, dim, i)) - 1) < 1e-5, `row ${i} has norm 1`);
  // Rows 0 and 5 (both classes) computed clip by clip without the pipeline.
  for (const i of [0, 5]) {
    const clips = await Promise.all([0, 1, 2, 3].map((k) => direct.clip(fx.paths[i]!, k, 4)));
    const expected = l2(mean(clips.map((c) => l2(c.video))));
    const d = maxAbsDiff(row(data, dim, i), expected);
    assert.ok(d < 1e-5, `row ${i}: max abs difference ${d}`);
    clips.forEach((c, k) => assert.ok(Math.abs(entries[i]!.times![k]![0] - c.start) < 1e-3, `clip ${k} start ${entries[i]!.times![k]![0]} vs ${c.start}`));
  }
  // The two classes differ: not every row is the same vector.
  assert.ok(maxAbsDiff(row(data, dim, 0), row(data, dim, 5)) > 1e-3);
});

test('clip level: audio rows (no normalisation) are the raw audio features; both = [video | audio] / sqrt(2), one row per clip', async () => {
  const dir = tmp('clip');
  const audio = await embedVideos({ inputs: [fx.videos], weights: fx.checkpoint, out: join(dir, 'audio.npy'), modality: 'audio', level: 'clip', clips: 3, normalize: false, workers: 0, progress: false, log: silent });
  const both = await embedVideos({ inputs: [fx.videos], weights: fx.checkpoint, out: join(dir, 'both'), modality: 'both', level: 'clip', clips: 3, workers: 1, batchSize: 3, progress: false, log: silent });
  assert.equal(both.paths.npy, join(dir, 'both.npy'), '.npy appended to a bare name');
  const a = read(audio.paths.npy);
  const b = read(both.paths.npy);
  assert.equal(a.rows, 6 * 3, 'videos x clips');
  assert.equal(b.rows, 6 * 3);
  assert.equal(a.dim, 128);
  assert.equal(b.dim, 256);
  assert.deepEqual(b.meta.parts, [
    { modality: 'video', offset: 0, dim: 128 },
    { modality: 'audio', offset: 128, dim: 128 },
  ]);
  assert.deepEqual(b.entries.map((e) => [e.path, e.clip]), fx.paths.flatMap((p) => [0, 1, 2].map((k) => [p, k])));
  for (let i = 0; i < b.rows; i++) {
    const r = row(b.data, 256, i);
    assert.ok(Math.abs(norm(r) - 1) < 1e-5, `row ${i} has norm 1`);
    assert.ok(Math.abs(norm(r.subarray(0, 128)) - Math.SQRT1_2) < 1e-5 && Math.abs(norm(r.subarray(128)) - Math.SQRT1_2) < 1e-5, 'each half 1/sqrt(2)');
  }
  for (const [v, k] of [
    [1, 0],
    [4, 2],
  ] as const) {
    const c = await direct.clip(fx.paths[v]!, k, 3);
    const r = v * 3 + k;
    const e = b.entries[r]!;
    assert.ok(Math.abs(e.start - c.start) < 1e-3 && Math.abs(e.end - e.start - 1) < 1e-3, `clip time ${e.start}-${e.end} vs ${c.start}`);
    let d = maxAbsDiff(row(a.data, 128, r), c.audio);
    assert.ok(d < 1e-4 * Math.max(1, norm(c.audio)), `raw audio row ${r}: max abs difference ${d}`);
    const scaled = (x: Float32Array): Float32Array => x.map((y) => y * Math.SQRT1_2);
    d = maxAbsDiff(row(b.data, 256, r).subarray(0, 128), scaled(l2(c.video)));
    assert.ok(d < 1e-5, `video half of row ${r}: max abs difference ${d}`);
    d = maxAbsDiff(row(b.data, 256, r).subarray(128), scaled(l2(c.audio)));
    assert.ok(d < 1e-5, `audio half of row ${r}: max abs difference ${d}`);
  }
});

test('a corrupt file is skipped and named; an interrupted run resumes without recomputing finished videos and equals an uninterrupted one bit for bit', async () => {
  const dir = tmp('resume');
  writeFileSync(join(dir, 'broken.mp4'), Buffer.from('this is not a video at all, just some bytes'.repeat(50)));
  // A list file: paths relative to its folder, the broken file third.
  const listed = [fx.paths[0]!, fx.paths[1]!, join(dir, 'broken.mp4'), ...fx.paths.slice(2)];
  writeFileSync(join(dir, 'list.txt'), `# videos\n${listed.map((p) => relative(dir, p)).join('\n')}\n`);
  const base = { inputs: [join(dir, 'list.txt')], weights: fx.checkpoint, batchSize: 2, shardVideos: 2, workers: 1, progress: false };

  const logA: string[] = [];
  const a = await embedVideos({ ...base, out: join(dir, 'a.npy'), log: (s) => logA.push(s) });
  assert.equal(a.complete, true);
  assert.equal(a.rows, 6);
  assert.equal(a.computed, 6);
  assert.deepEqual(a.skipped.map((s) => s.path), [join(dir, 'broken.mp4')]);
  assert.match(a.skipped[0]!.reason, /invalid data|moov atom|End of file|could not/i);
  assert.ok(logA.some((l) => l.startsWith(`skipped ${join(dir, 'broken.mp4')}: `)), 'reported when met');
  assert.ok(logA.some((l) => l.includes('1 video(s) skipped') && l.includes('broken.mp4')), 'listed at the end');
  assert.deepEqual(read(a.paths.npy).meta.skipped, a.skipped, 'and in the description');
  assert.deepEqual(read(a.paths.npy).entries.map((e) => e.path), fx.paths);

  // Interrupted after the first shard (2 videos).
  const outB = join(dir, 'b.npy');
  const b1 = await embedVideos({ ...base, out: outB, log: silent, stopAfterVideos: 2 });
  assert.equal(b1.complete, false);
  assert.equal(b1.computed, 2);
  assert.equal(existsSync(outB), false, 'no final file yet');
  const [key] = readdirSync(`${outB}.parts`);
  assert.deepEqual(readdirSync(join(`${outB}.parts`, key!)).sort(), ['shard-00000.jsonl', 'shard-00000.npy']);

  const logB: string[] = [];
  const b2 = await embedVideos({ ...base, out: outB, log: (s) => logB.push(s) });
  assert.equal(b2.complete, true);
  assert.equal(b2.reused, 2, 'the first shard is read back');
  assert.equal(b2.computed, 4, 'only the other four readable videos are embedded');
  assert.ok(logB.some((l) => l.includes('7 videos: 2 already embedded, 5 to embed')));
  assert.ok(readFileSync(outB).equals(readFileSync(a.paths.npy)), 'the resumed .npy equals the uninterrupted one bit for bit');
  assert.equal(readFileSync(b2.paths.jsonl, 'utf8'), readFileSync(a.paths.jsonl, 'utf8'));
  assert.equal(existsSync(`${outB}.parts`), false, 'parts removed once the index is written');

  // Again with the same settings: everything comes from the index (the broken file is retried).
  const b3 = await embedVideos({ ...base, out: outB, log: silent });
  assert.equal(b3.computed, 0);
  assert.equal(b3.reused, 6);
  assert.equal(b3.skipped.length, 1);
  assert.ok(readFileSync(outB).equals(readFileSync(a.paths.npy)));

  // A damaged shard (cut short) is dropped and its videos are embedded again.
  const outD = join(dir, 'd.npy');
  await embedVideos({ ...base, out: outD, log: silent, stopAfterVideos: 2 });
  const [keyD] = readdirSync(`${outD}.parts`);
  const shardD = join(`${outD}.parts`, keyD!, 'shard-00000.npy');
  writeFileSync(shardD, readFileSync(shardD).subarray(0, 300));
  const logD: string[] = [];
  const d = await embedVideos({ ...base, out: outD, log: (s) => logD.push(s) });
  assert.ok(logD.some((l) => /^shard 0 cannot be read \(.*has 300 bytes, expected \d+ for 2 x 128 float32 rows\): its videos are embedded again$/.test(l)), logD.join('\n'));
  assert.equal(d.computed, 6);
  assert.ok(readFileSync(outD).equals(readFileSync(a.paths.npy)));

  // A changed option never mixes: unfinished parts of other settings are dropped, nothing is reused.
  await embedVideos({ ...base, out: outB, clips: 2, log: silent, stopAfterVideos: 2 });
  const logC: string[] = [];
  const c = await embedVideos({ ...base, out: outB, clips: 3, log: (s) => logC.push(s) });
  assert.ok(logC.some((l) => l.startsWith('removed unfinished parts made with other weights or settings')));
  assert.ok(logC.some((l) => l.includes('was made with other weights or settings')));
  assert.equal(c.computed, 6);
  assert.equal(c.reused, 0);
  assert.equal(read(outB).meta.settings.clips, 3);
});

test('nothing embeddable: the command fails and names the files; a missing input is an error', async () => {
  const dir = tmp('bad');
  writeFileSync(join(dir, 'a.mp4'), Buffer.alloc(0));
  writeFileSync(join(dir, 'b.avi'), Buffer.from('garbage'.repeat(100)));
  const r = await cli('embed', dir, '--weights', fx.checkpoint, '--out', join(dir, 'e.npy'), '--workers', '0', '--quiet');
  assert.equal(r.code, 1);
  assert.match(r.err, /nothing could be embedded: all 2 videos were skipped/);
  assert.match(r.out, /skipped .*a\.mp4: /);
  assert.match(r.out, /skipped .*b\.avi: /);
  assert.equal(existsSync(join(dir, 'e.npy')), false);

  const m = await cli('embed', join(dir, 'missing.mp4'), '--weights', fx.checkpoint, '--out', join(dir, 'e.npy'));
  assert.equal(m.code, 1);
  assert.match(m.err, /input not found: .*missing\.mp4/);
  const o = await cli('embed', dir, '--weights', fx.checkpoint, '--out', join(dir, 'e.npy'), '--modality', 'smell');
  assert.equal(o.code, 1);
  assert.match(o.err, /--modality must be one of video, audio, both, got 'smell'/);
});

test('--model stica: transformer-pooled features, the pooling depth read from the weights', async () => {
  const dir = tmp('stica');
  const ckpt = join(dir, 'stica.safetensors');
  await writeCheckpoint(ckpt, 0.25, 3, 'stica');
  const base = { inputs: [fx.paths[0]!, fx.paths[3]!], weights: ckpt, level: 'clip' as const, clips: 2, workers: 0, progress: false };
  const logS: string[] = [];
  const logG: string[] = [];
  const st = await embedVideos({ ...base, model: 'stica', out: join(dir, 's.npy'), log: (l) => logS.push(l) });
  const avg = await embedVideos({ ...base, model: 'gdt', out: join(dir, 'g.npy'), log: (l) => logG.push(l) });
  assert.equal(st.settings.video!.numLayers, 1, 'one transformer layer in the checkpoint');
  assert.ok(logS.some((l) => l.includes('video: stica R(2+1)D-18 width 0.25 + 1-layer transformer pooling, 32 px')), logS.join('\n'));
  const loaded = (log: string[]): number => Number(/loaded (\d+) video encoder tensors/.exec(log.join('\n'))?.[1]);
  assert.equal(loaded(logS) - loaded(logG), 12, 'the pooling layer: q/k projections, two norms, two FFN linears');
  const s = read(st.paths.npy);
  const g = read(avg.paths.npy);
  assert.equal(s.rows, 4);
  assert.equal(s.dim, 128);
  for (let i = 0; i < 4; i++) {
    assert.ok(Math.abs(norm(row(s.data, 128, i)) - 1) < 1e-5);
    assert.ok(maxAbsDiff(row(s.data, 128, i), row(g.data, 128, i)) > 1e-3, 'not the average-pooled features');
  }
});
