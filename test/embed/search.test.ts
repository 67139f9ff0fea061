// gdt search: a query video embedded like the index finds itself first, results are sorted and
// limited to k, --json parses, --query-row, clip-level indexes; and the errors for broken indexes.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../cli/helpers.js';
import { embedVideos, searchIndex, type SearchResult } from '../../src/embed/index.js';
import { readNpy } from '../../src/models/npy.js';
import { embedFixture, writeCheckpoint, type EmbedFixture } from './fixture.js';

let fx: EmbedFixture;
let dir: string;
let videoIndex: string;
let clipIndex: string;
const silent = (): void => undefined;

before(async () => {
  fx = await embedFixture();
  dir = mkdtempSync(join(tmpdir(), 'gdt-search-'));
  videoIndex = join(dir, 'videos.npy');
  clipIndex = join(dir, 'clips.npy');
  await embedVideos({ inputs: [fx.videos], weights: fx.checkpoint, out: videoIndex, workers: 1, progress: false, log: silent });
  await embedVideos({ inputs: [fx.videos], weights: fx.checkpoint, out: clipIndex, level: 'clip', clips: 3, workers: 1, progress: false, log: silent });
});

function cosine(npy: string, a: number, b: number): number {
  const x = readNpy(npy);
  const d = x.shape[1]!;
  const v = x.data as Float32Array;
  let s = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < d; i++) {
    s += v[a * d + i]! * v[b * d + i]!;
    na += v[a * d + i]! ** 2;
    nb += v[b * d + i]! ** 2;
  }
  return s / Math.sqrt(na * nb);
}

test('a video of the index finds itself first (similarity > 0.999); the table has k rows sorted by similarity', async () => {
  const q = fx.paths[3]!;
  const r = await cli('search', q, '--index', videoIndex, '--k', '3');
  assert.equal(r.code, 0, r.err);
  const lines = r.out.split('\n');
  assert.match(lines[0]!, /^query: .*v_Grow_g01_c01\.mp4; index: .*videos\.npy \(6 rows of 128, video level\)$/);
  assert.deepEqual(lines[1]!.split(/\s{2,}/), ['rank', 'similarity', 'clip time', 'path']);
  const rows = lines.slice(2).map((l) => l.split(/\s{2,}/));
  assert.equal(rows.length, 3, '--k 3');
  assert.deepEqual(rows.map((c) => c[0]), ['1', '2', '3']);
  assert.ok(rows[0]![3]!.endsWith('v_Grow_g01_c01.mp4'), rows[0]![3]);
  assert.ok(Number(rows[0]![1]) > 0.999);
  assert.match(rows[0]![2]!, /^video \(0\.00-1\.\d\d s\)$/);
  const sims = rows.map((c) => Number(c[1]));
  assert.deepEqual([...sims].sort((a, b) => b - a), sims);
});

test('--json: hits sorted by similarity, equal to the cosine of the stored rows; --query-row searches with an indexed row', async () => {
  const r = await cli('search', fx.paths[0]!, '--index', videoIndex, '--k', '6', '--json');
  assert.equal(r.code, 0, r.err);
  const res = JSON.parse(r.out) as SearchResult;
  assert.equal(res.hits.length, 6);
  assert.equal(res.hits[0]!.path, fx.paths[0]);
  assert.equal(res.hits[0]!.row, 0);
  assert.ok(res.hits[0]!.similarity > 0.999);
  for (let i = 1; i < res.hits.length; i++) assert.ok(res.hits[i - 1]!.similarity >= res.hits[i]!.similarity);
  assert.deepEqual(res.hits.map((h) => h.rank), [1, 2, 3, 4, 5, 6]);
  assert.equal(res.query.weights, fx.checkpoint, 'the recorded weights');
  // The other videos' similarities are the cosines of row 0 (the query is row 0 again) with theirs.
  for (const h of res.hits.slice(1)) assert.ok(Math.abs(h.similarity - cosine(videoIndex, 0, h.row)) < 1e-4);

  const byRow = await searchIndex({ index: videoIndex, queryRow: 4, k: 2 });
  assert.equal(byRow.hits[0]!.row, 4);
  assert.ok(Math.abs(byRow.hits[0]!.similarity - 1) < 1e-6);
  assert.ok(Math.abs(byRow.hits[1]!.similarity - cosine(videoIndex, 4, byRow.hits[1]!.row)) < 1e-5);
  const capped = await searchIndex({ index: videoIndex, queryRow: 0, k: 50 });
  assert.equal(capped.hits.length, 6, 'k above the number of rows gives every row');
});

test('clip-level index: each clip of the query video finds itself (best query clip per row)', async () => {
  const res = await searchIndex({ index: clipIndex, query: fx.paths[2]!, k: 4 });
  assert.deepEqual(res.hits.slice(0, 3).map((h) => h.path), [fx.paths[2], fx.paths[2], fx.paths[2]]);
  assert.deepEqual(res.hits.slice(0, 3).map((h) => h.clip).sort(), [0, 1, 2]);
  for (const h of res.hits.slice(0, 3)) {
    assert.ok(h.similarity > 0.999, `clip ${h.clip}: ${h.similarity}`);
    assert.equal(h.queryClip, h.clip, 'matched by the same clip of the query');
  }
  assert.notEqual(res.hits[3]!.path, fx.paths[2]);
  assert.ok(res.hits[3]!.similarity < res.hits[2]!.similarity);
});

test('errors: missing index, index without its .jsonl, a dimension mismatch, a bad --query-row', async () => {
  const missing = await cli('search', fx.paths[0]!, '--index', join(dir, 'nope.npy'));
  assert.equal(missing.code, 1);
  assert.match(missing.err, /index not found: .*nope\.npy/);

  const lone = mkdtempSync(join(tmpdir(), 'gdt-search-lone-'));
  copyFileSync(videoIndex, join(lone, 'e.npy'));
  const noJsonl = await cli('search', fx.paths[0]!, '--index', join(lone, 'e.npy'));
  assert.equal(noJsonl.code, 1);
  assert.match(noJsonl.err, /e\.npy has no row index .*e\.jsonl/);

  copyFileSync(videoIndex.replace(/\.npy$/, '.jsonl'), join(lone, 'e.jsonl'));
  const noMeta = await cli('search', fx.paths[0]!, '--index', join(lone, 'e.npy'));
  assert.equal(noMeta.code, 1);
  assert.match(noMeta.err, /e\.meta\.json not found: without it the query cannot be embedded like the index/);
  const rowOnly = await cli('search', '--index', join(lone, 'e.npy'), '--query-row', '1', '--k', '1', '--json');
  assert.equal(rowOnly.code, 0, rowOnly.err);
  assert.equal((JSON.parse(rowOnly.out) as SearchResult).hits[0]!.row, 1);

  const wide = join(dir, 'wide.safetensors');
  await writeCheckpoint(wide, 0.5, 2);
  const mismatch = await cli('search', fx.paths[0]!, '--index', videoIndex, '--weights', wide);
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.err, /dimension mismatch: the query embedding would have 256 dimensions but .*videos\.npy has 128/);

  const badRow = await cli('search', '--index', videoIndex, '--query-row', '6');
  assert.equal(badRow.code, 1);
  assert.match(badRow.err, /--query-row must be a row of the index, 0\.\.5, got 6/);
  const both = await cli('search', fx.paths[0]!, '--index', videoIndex, '--query-row', '1');
  assert.equal(both.code, 1);
  assert.match(both.err, /give either a query video or --query-row/);

  // Rows and lines that do not belong together.
  const short = mkdtempSync(join(tmpdir(), 'gdt-search-short-'));
  copyFileSync(videoIndex, join(short, 'e.npy'));
  copyFileSync(clipIndex.replace(/\.npy$/, '.jsonl'), join(short, 'e.jsonl'));
  const mixed = await cli('search', '--index', join(short, 'e.npy'), '--query-row', '0');
  assert.equal(mixed.code, 1);
  assert.match(mixed.err, /e\.jsonl has 18 lines but .*e\.npy has 6 rows/);
});
