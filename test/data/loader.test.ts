import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../src/index.js';
import { DataLoader, type Batch } from '../../src/data/loader.js';
import { BatchSampler } from '../../src/data/sampler.js';

const spec = (options: object) => ({ module: new URL('./toy-dataset.ts', import.meta.url).href, exportName: 'createToyDataset', options });

async function collect(loader: DataLoader, epoch: number, startStep = 0): Promise<{ x: number[][]; img: number[][][]; labels: unknown[]; idx: number[][] }> {
  const out = { x: [] as number[][], img: [] as number[][][], labels: [] as unknown[], idx: [] as number[][] };
  for await (const b of loader.epoch(epoch, { startStep })) {
    out.x.push(...(b.tensors.x!.toArray() as number[][]));
    out.img.push(...(b.tensors.img!.toArray() as number[][][]));
    out.labels.push(...b.values.label!);
    out.idx.push(b.indices);
    torch.disposeAll(b.tensors);
  }
  return out;
}

test('batches are identical with 0, 1 and 3 workers (seeded per sample, not per worker)', async () => {
  const runs = [];
  for (const workers of [0, 1, 3]) {
    const l = await DataLoader.create(spec({ length: 23 }), { batchSize: 4, workers, shuffle: true, seed: 5 });
    runs.push(await collect(l, 2));
    await l.close();
  }
  assert.deepEqual(runs[1], runs[0]);
  assert.deepEqual(runs[2], runs[0]);
  // x[0] is the index: values follow the sampler's order, and labels match.
  const r = runs[0]!;
  assert.deepEqual(r.x.map((v) => v[0]), r.idx.flat());
  assert.deepEqual(r.labels, r.idx.flat().map((i) => i % 3));
  assert.deepEqual(r.img[0], [[(r.idx[0]![0]! * 4) % 256, (r.idx[0]![0]! * 4 + 1) % 256], [(r.idx[0]![0]! * 4 + 2) % 256, (r.idx[0]![0]! * 4 + 3) % 256]]);
  assert.equal(r.idx.flat().length, 23);
  assert.deepEqual([...r.idx.flat()].sort((a, b) => a - b), Array.from({ length: 23 }, (_, i) => i));
});

test('shuffling: same seed and epoch reproduce, other epochs differ; resume from a step', async () => {
  const l = await DataLoader.create(spec({ length: 40 }), { batchSize: 5, workers: 2, shuffle: true, seed: 1 });
  const e0 = await collect(l, 0);
  const e0b = await collect(l, 0);
  const e1 = await collect(l, 1);
  assert.deepEqual(e0b, e0);
  assert.notDeepEqual(e1.idx, e0.idx);
  const resumed = await collect(l, 0, 3);
  assert.deepEqual(resumed.idx, e0.idx.slice(3));
  assert.deepEqual(resumed.x, e0.x.slice(15));
  const s = l.stats;
  assert.equal(s.batches, 5);
  assert.ok(s.samplesPerSecond > 0 && s.waitFraction >= 0 && s.waitFraction <= 1);
  await l.close();
});

test('sharding across ranks: disjoint, covering, padded like DistributedSampler; dropLast', () => {
  const n = 10;
  const r0 = new BatchSampler({ length: n, batchSize: 2, worldSize: 3, rank: 0, shuffle: true, seed: 9 }).indices(4);
  const r1 = new BatchSampler({ length: n, batchSize: 2, worldSize: 3, rank: 1, shuffle: true, seed: 9 }).indices(4);
  const r2 = new BatchSampler({ length: n, batchSize: 2, worldSize: 3, rank: 2, shuffle: true, seed: 9 }).indices(4);
  assert.deepEqual([r0.length, r1.length, r2.length], [4, 4, 4]); // ceil(10/3) = 4, padded to 12
  assert.deepEqual(new Set([...r0, ...r1, ...r2]).size, 10);
  const dl = [0, 1, 2].map((rank) => new BatchSampler({ length: n, batchSize: 2, worldSize: 3, rank, dropLast: true }).indices(0));
  assert.deepEqual(dl, [[0, 3, 6], [1, 4, 7], [2, 5, 8]]);
  const b = new BatchSampler({ length: 7, batchSize: 3, dropLast: true });
  assert.deepEqual(b.batches(0), [[0, 1, 2], [3, 4, 5]]);
  assert.equal(b.batchesPerEpoch(), 2);
  assert.equal(new BatchSampler({ length: 7, batchSize: 3 }).batchesPerEpoch(), 3);
  assert.throws(() => new BatchSampler({ length: 7, batchSize: 0 }), /batchSize must be a positive integer/);
});

test('bad samples are recorded and substituted; the run goes on', async () => {
  const l = await DataLoader.create(spec({ length: 12, bad: [2, 7] }), { batchSize: 4, workers: 2 });
  const r = await collect(l, 0);
  assert.equal(r.x.length, 12);
  assert.deepEqual(l.stats.failures.map((f) => [f.index, f.name]), [[2, 'toy/2.mp4'], [7, 'toy/7.mp4']]);
  assert.match(l.stats.failures[0]!.reason, /corrupt file/);
  // The substitute for index i is (i + 7919) % 12 (a reproducible walk).
  assert.equal(r.x[2]![0], (2 + 7919) % 12);
  await l.close();
});

test('prefetching keeps workers busy: slow samples overlap across workers', async () => {
  // Worker start-up is left out of the timing: only fetching overlaps.
  // (An async dataset also overlaps the batches in flight inside one worker: prefetch 1 makes
  // the single-worker run strictly sequential.)
  const timed = async (workers: number, prefetch: number): Promise<number> => {
    const l = await DataLoader.create(spec({ length: 16, delayMs: 50 }), { batchSize: 2, workers, prefetch });
    const t = performance.now();
    await collect(l, 0);
    const ms = performance.now() - t;
    await l.close();
    return ms;
  };
  const one = await timed(1, 1);
  const four = await timed(4, 2);
  // 16 samples × 50 ms of waiting: ≥ 800 ms with one worker, about a quarter with four.
  assert.ok(one >= 790, `1 worker took ${one.toFixed(0)} ms`);
  assert.ok(four < one * 0.6, `4 workers took ${four.toFixed(0)} ms vs ${one.toFixed(0)} ms for 1`);
});

test('tensors of consumed batches can be freed: live tensors return to baseline', async () => {
  const l = await DataLoader.create(spec({ length: 8 }), { batchSize: 4, workers: 1 });
  const base = torch.memory.liveTensors();
  for await (const b of l.epoch(0)) {
    const batch: Batch = b;
    assert.deepEqual(batch.tensors.x!.shape, [4, 3]);
    assert.equal(batch.tensors.img!.dtype, 'uint8');
    torch.disposeAll(batch.tensors);
  }
  assert.equal(torch.memory.liveTensors(), base);
  await l.close();
});
