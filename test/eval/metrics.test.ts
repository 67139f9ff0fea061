// Metrics against hand-computed values: top-k, logit averaging, confusion, recall@k, kNN, the
// validation hold-out, logistic regression and the PNG encoder of the report.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';
import { torch } from '../../src/index.js';
import { argmax, confusionMatrix, labelRank, perClassAccuracy, topClasses, topkAccuracy, sumConfusion } from '../../src/eval/metrics.js';
import { VideoLogitAverager } from '../../src/eval/aggregate.js';
import { averageByVideo, retrievalRecall } from '../../src/eval/retrieval.js';
import { knnClassify } from '../../src/eval/knn.js';
import { holdoutSplit, ucfGroup } from '../../src/eval/holdout.js';
import { fitLogisticRegression } from '../../src/eval/logistic.js';
import { searchL2 } from '../../src/eval/reg-search.js';
import { encodePng } from '../../src/eval/report/png.js';
import { crc32 } from '../../src/io/crc32.js';

const close = (a: number, b: number, eps = 1e-9): void => assert.ok(Math.abs(a - b) <= eps, `${a} != ${b}`);

test('top-k accuracy, ranks with ties, confusion matrix and per-class accuracy', () => {
  const rows = [
    [0.1, 0.5, 0.2, 0.9], // label 1: rank 1 (0.9 higher)
    [3, 1, 2, 0], // label 0: rank 0
    [1, 1, 1, 1], // label 2: ties count lower indices first: rank 2
    [0, 0.2, 0.3, 0.1], // label 0: rank 3
  ];
  const labels = [1, 0, 2, 0];
  assert.deepEqual(rows.map((r, i) => labelRank(r, labels[i]!)), [1, 0, 2, 3]);
  const acc = topkAccuracy(rows, labels, [1, 2, 3, 5]);
  assert.equal(acc[1], 25);
  assert.equal(acc[2], 50);
  assert.equal(acc[3], 75);
  assert.equal(acc[5], 100);
  assert.deepEqual(rows.map(argmax), [3, 0, 0, 2]);
  assert.deepEqual(topClasses([0.1, 0.5, 0.2, 0.9], 2), [3, 1]);
  const cm = confusionMatrix(rows.map(argmax), labels, 4);
  assert.deepEqual(cm, [
    [1, 0, 1, 0],
    [0, 0, 0, 1],
    [1, 0, 0, 0],
    [0, 0, 0, 0],
  ]);
  const pc = perClassAccuracy(cm);
  assert.deepEqual(pc.map((c) => c.accuracy), [50, 0, 0, null]);
  assert.deepEqual(sumConfusion([cm, cm])[0], [2, 0, 2, 0]);
});

test('video-level aggregation averages logits (not softmax probabilities) over the views', () => {
  const avg = new VideoLogitAverager(2);
  // Video 7: the softmax mean prefers class 1 (one confident view), the logit mean class 0.
  avg.add(7, 0, [10, 0]);
  avg.add(7, 0, [0, 2]);
  avg.add(7, 0, [0, 2]);
  avg.addBatch([3, 3], [1, 1], Float32Array.from([1, 2, 3, 6]));
  const r = avg.result();
  assert.deepEqual(r.map((v) => v.video), [3, 7]);
  assert.deepEqual(r[0]!.scores, [2, 4]);
  assert.equal(r[0]!.views, 2);
  close(r[1]!.scores[0]!, 10 / 3);
  close(r[1]!.scores[1]!, 4 / 3);
  assert.equal(argmax(r[1]!.scores), 0);
  const softmax = (x: number[]): number[] => x.map((v) => Math.exp(v) / x.reduce((s, u) => s + Math.exp(u), 0));
  const probMean = [[10, 0], [0, 2], [0, 2]].map(softmax).reduce((a, b) => a.map((v, i) => v + b[i]!));
  assert.equal(argmax(probMean), 1, 'averaging probabilities would have predicted class 1');
  assert.throws(() => avg.add(7, 1, [0, 0]), /labels 0 and 1/);
});

test('recall@k (SeLaVi): a hit when any of the k nearest training videos has the query class', () => {
  torch.tidy(() => {
    // Gallery on a line: x = 0, 1, 2, 3, 10 with labels a, b, a, c, c.
    const gallery = torch.tensor([[0], [1], [2], [3], [10]]);
    const gl = [0, 1, 0, 2, 2];
    // Query 0.9 (label 2): neighbours 1 (b), 0 (a), 2 (a), 3 (c), ... -> first hit at k = 4.
    // Query 9 (label 2): nearest is 10 (c) -> hit at 1.  Query 2.4 (label 1): 2 (a), 3 (c), 1 (b) -> hit at 3.
    const q = torch.tensor([[0.9], [9], [2.4]]);
    const r = retrievalRecall(gallery, gl, q, [2, 2, 1], [1, 2, 3, 4, 5]);
    assert.deepEqual(r.neighbours[0]!.slice(0, 4), [1, 0, 2, 3]);
    close(r.recall[1]!, 100 / 3);
    close(r.recall[2]!, 100 / 3);
    close(r.recall[3]!, 200 / 3);
    close(r.recall[4]!, 100);
    close(r.distances[1]![0]!, 1, 1e-6);
  });
});

test('per-video features: L2-normalised clip features averaged per video', () => {
  torch.tidy(() => {
    const f = torch.tensor([[3, 4], [0, 2], [1, 0], [0, 0]]);
    const { features, videos } = averageByVideo(f, [5, 5, 2, 2]);
    assert.deepEqual(videos, [2, 5]);
    const v = features.toArray() as number[][];
    close(v[0]![0]!, 0.5, 1e-6); // (1,0) and a zero row
    close(v[1]![0]!, 0.3, 1e-6); // ((0.6, 0.8) + (0, 1)) / 2
    close(v[1]![1]!, 0.9, 1e-6);
  });
});

test('weighted kNN: votes exp(cos / T) of the k most similar bank entries', () => {
  torch.tidy(() => {
    const bank = torch.tensor([[1, 0], [0, 1], [1, 1], [-1, 0]]);
    const labels = [0, 1, 1, 0];
    const q = torch.tensor([[2, 0.2]]); // cos: 0.995, 0.0995, 0.7739, -0.995
    const r = knnClassify(bank, labels, q, { k: 2, temperature: 0.5, numClasses: 2 });
    assert.deepEqual(r.neighbours[0], [0, 2]);
    const c0 = 2 / Math.hypot(2, 0.2);
    const c2 = 2.2 / (Math.hypot(2, 0.2) * Math.SQRT2);
    close(r.scores[0]![0]!, Math.exp(c0 / 0.5), 1e-4);
    close(r.scores[0]![1]!, Math.exp(c2 / 0.5), 1e-4);
    // k larger than the bank is capped.
    const all = knnClassify(bank, labels, q, { k: 10, temperature: 1, numClasses: 2 });
    assert.equal(all.neighbours[0]!.length, 4);
  });
});

test('validation hold-out: per class, whole groups, seeded', () => {
  const items = Array.from({ length: 40 }, (_, i) => ({ label: i % 2, group: `c${i % 2}_g${Math.floor(i / 8)}` }));
  const a = holdoutSplit(items, { fraction: 0.25, seed: 1 });
  const b = holdoutSplit(items, { fraction: 0.25, seed: 1 });
  assert.deepEqual(a, b);
  assert.equal(a.train.length + a.val.length, 40);
  for (const label of [0, 1]) {
    const val = a.val.filter((i) => items[i]!.label === label).length;
    assert.ok(val >= 4 && val <= 8, `class ${label}: ${val} held out`);
    assert.ok(a.train.some((i) => items[i]!.label === label));
  }
  const groupsIn = (idx: number[]): Set<string> => new Set(idx.map((i) => items[i]!.group));
  for (const g of groupsIn(a.val)) assert.ok(!groupsIn(a.train).has(g), `group ${g} split across train and validation`);
  assert.equal(ucfGroup('/x/ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi'), 'ApplyEyeMakeup_g08');
  assert.equal(ucfGroup('clip.mp4'), undefined);
});

test('logistic regression: separates separable data; a larger L2 penalty shrinks the weights; the search picks on validation', () => {
  torch.manualSeed(0);
  torch.tidy(() => {
    const n = 60;
    const x = torch.randn([n, 5]);
    const labels = Array.from({ length: n }, (_, i) => i % 3);
    // Class c shifts feature c by +3.
    const shift = torch.tensor(labels.map((l) => [0, 1, 2, 3, 4].map((j) => (j === l ? 3 : 0))));
    const feats = x.add(shift);
    const weak = fitLogisticRegression(feats, labels, { numClasses: 3, l2: 1e-4, epochs: 150, lr: 0.05 });
    const strong = fitLogisticRegression(feats, labels, { numClasses: 3, l2: 1, epochs: 150, lr: 0.05 });
    const pred = (weak.logits(feats).argmax(1).toTypedArray() as BigInt64Array);
    const acc = labels.filter((l, i) => Number(pred[i]) === l).length / n;
    assert.ok(acc > 0.9, `training accuracy ${acc}`);
    assert.ok((weak.losses[weak.losses.length - 1] ?? 9) < (weak.losses[0] ?? 0));
    const norm = (m: typeof weak): number => m.weight.norm().item() as number;
    assert.ok(norm(strong) < norm(weak) / 2, `${norm(strong)} vs ${norm(weak)}`);
    weak.dispose();
    strong.dispose();
    const videos = labels.map((_, i) => i);
    const s = searchL2({ features: feats, labels, videos }, { features: feats, labels, videos }, [100, 1e-3], { numClasses: 3, epochs: 100, lr: 0.05 });
    assert.equal(s.best, 1e-3);
    assert.equal(s.points.length, 2);
  });
});

test('PNG thumbnails: valid signature, chunk CRCs and pixel data', () => {
  const rgb = Uint8Array.from({ length: 2 * 3 * 3 }, (_, i) => (i * 37) % 256);
  const png = encodePng(rgb, 3, 2);
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  let off = 8;
  const chunks: Record<string, Buffer> = {};
  while (off < png.length) {
    const len = png.readUInt32BE(off);
    const type = png.toString('ascii', off + 4, off + 8);
    const data = png.subarray(off + 8, off + 8 + len);
    assert.equal(png.readUInt32BE(off + 8 + len), crc32(png.subarray(off + 4, off + 8 + len)), `${type} CRC`);
    chunks[type] = data;
    off += 12 + len;
  }
  assert.equal(chunks.IHDR!.readUInt32BE(0), 3);
  assert.equal(chunks.IHDR!.readUInt32BE(4), 2);
  const raw = inflateSync(chunks.IDAT!);
  assert.deepEqual([...raw.subarray(1, 10)], [...rgb.subarray(0, 9)]);
  assert.deepEqual([...raw.subarray(11, 20)], [...rgb.subarray(9, 18)]);
});
