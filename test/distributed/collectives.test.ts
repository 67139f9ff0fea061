// c10d over Gloo with real processes on 127.0.0.1: rendezvous and every collective with 2 and 3
// ranks (values checked), unequal all-gather, differentiable collectives, DDP's unused parameters,
// and timeouts turning a missing or hung rank into an Error instead of an endless hang.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runRanks, results, skipReason } from './helpers.js';

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));

function checkWorld(rs: any[], W: number): void {
  const T = (W * (W + 1)) / 2; // sum of rank + 1
  const S = (W * (W - 1)) / 2; // sum of ranks
  for (const [rank, r] of rs.entries()) {
    const at = `world ${W}, rank ${rank}`;
    assert.equal(r.rank, rank, at);
    assert.equal(r.worldSize, W, at);
    assert.deepEqual(r.sum, [T, 10 * T, -T], `${at}: sum`);
    assert.deepEqual(r.avg, [T / W, (10 * T) / W, -T / W], `${at}: avg`);
    assert.deepEqual(r.max, [W, 10 * W, -1], `${at}: max`);
    assert.deepEqual(r.min, [1, 10, -W], `${at}: min`);
    assert.deepEqual(r.product, [factorial(W), 10 ** W * factorial(W), (-1) ** W * factorial(W)], `${at}: product`);
    assert.deepEqual(r.int64, [S, W * 2 ** 40 + S], `${at}: int64 sum`);
    assert.deepEqual(r.transposed, [[0, 3], [1, 4], [2, 5]].map((row) => row.map((v) => W * v + S)), `${at}: non-contiguous`);
    assert.deepEqual(r.multi, [[S, S], [2 * S, 2 * S, 2 * S]], `${at}: several tensors of two dtypes`);
    assert.deepEqual(r.gather, Array.from({ length: W }, (_, k) => [k, k, k, k]), `${at}: allGather`);
    assert.deepEqual(
      r.gatherVariable,
      Array.from({ length: W }, (_, k) => [k + 1, 2, ...Array(2 * (k + 1)).fill(k)]),
      `${at}: allGather of unequal sizes`,
    );
    assert.deepEqual(r.broadcast, [W - 1, W - 1, W - 1], `${at}: broadcast from the last rank`);
    assert.deepEqual(r.reduceScatter, [10 * S + W * rank, 10 * S + W * rank], `${at}: reduceScatter`);
    assert.deepEqual(r.collective, Array.from({ length: W }, (_, k) => [k, k]).flat(), `${at}: c10dCollective`);
    assert.deepEqual(r.withGradValue, [W, 2 * W], `${at}: allReduceWithGrad value`);
    assert.deepEqual(r.withGradGrad, [T, T], `${at}: allReduceWithGrad gradient is summed over ranks`);
    assert.deepEqual(r.gatherGradValue, Array.from({ length: W }, (_, k) => [k, 1]).flat(), `${at}: allGatherWithGrad value`);
    const gg = W * (rank + 1) + S;
    assert.deepEqual(r.gatherGradGrad, [gg, gg], `${at}: allGatherWithGrad gradient`);
    assert.deepEqual(r.async, [T, T, T, T], `${at}: allReduceAsync + waitAsync`);
    assert.equal(r.asyncCompleted, true);
    assert.equal(r.store, `from ${(rank + 1) % W}`, `${at}: store`);
    assert.equal(r.counter, true);
    // DDP: rank 0's initial weights everywhere; `used` only on rank 0 -> its grad / W; `never` none.
    assert.deepEqual(r.ddpWeights, rs[0].ddpWeights, `${at}: DDP broadcast rank 0's parameters`);
    assert.deepEqual(r.ddpGrads['shared.weight'], rs[0].ddpGrads['shared.weight'], `${at}: averaged gradients agree`);
    assert.deepEqual(r.ddpGrads['used.bias'], [Math.fround(1 / W), Math.fround(1 / W)], `${at}: a parameter used on rank 0 only`);
    assert.equal(r.ddpGrads['never.weight'], null, `${at}: a parameter unused everywhere keeps no gradient`);
    assert.deepEqual(r.ddpReport.unused, ['never.weight', 'never.bias']);
    assert.deepEqual(r.ddpReport.partiallyUsed, ['used.weight', 'used.bias']);
    assert.ok(r.ddpReport.buckets >= 2, 'a tiny bucket cap splits the gradients into several buckets');
    assert.match(r.strictError, /4 parameter\(s\) received no gradient on some rank: never\.weight/);
    assert.deepEqual(
      { ...r.setup, report: undefined },
      { rank, worldSize: W, isMain: rank === 0, bn: 'SyncBatchNorm', anyLast: true, anyNone: false, mean: (W - 1) / 2, collectiveWorld: W, report: undefined },
      `${at}: setupDistributedTraining`,
    );
    assert.equal(r.setup.report.reduced, 4);
  }
}

test('collectives with 2 and 3 ranks over Gloo', { skip: skipReason }, async () => {
  const [two, three] = await Promise.all([runRanks<any>('collectives', 2), runRanks<any>('collectives', 3)]);
  const r2 = results(two);
  const r3 = results(three);
  checkWorld(r2, 2);
  checkWorld(r3, 3);
  const fmt = (rs: any[]): string => `${rs[0].smallAllReduceUs.toFixed(0)} us per small all-reduce, ${rs[0].bigAllReduceMBps.toFixed(0)} MB/s for 16 MB`;
  console.log(`# Gloo on 127.0.0.1: 2 ranks ${fmt(r2)}; 3 ranks ${fmt(r3)}`);
});

test('a rank that never joins: every rank fails with a clear error within the rendezvous timeout', { skip: skipReason }, async () => {
  const [server, client] = await Promise.all([
    runRanks<any>('join', 2, { ranks: [0], args: ['2000'] }),
    runRanks<any>('join', 2, { ranks: [1], args: ['2000'] }),
  ]);
  const s = results(server)[0];
  assert.equal(s.joined, false);
  assert.equal(s.name, 'DistributedError');
  assert.match(s.error, /rank 0 of 2 could not create the gloo group: only 1 of 2 ranks reached the rendezvous at 127\.0\.0\.1:\d+ within 2000 ms/);
  assert.ok(s.ms < 6000, `rank 0 gave up after ${s.ms} ms`);
  const c = results(client)[0];
  assert.equal(c.joined, false);
  assert.match(c.error, /rank 1 of 2 could not rendezvous at 127\.0\.0\.1:\d+ within 2000 ms: .*timed out/);
  assert.ok(c.ms < 6000, `rank 1 gave up after ${c.ms} ms`);
});

test('a hung peer: the collective fails at the wait timeout, or at the group timeout', { skip: skipReason }, async () => {
  const [r0, r1] = results(await runRanks<any>('hang', 2, { args: ['1500', '4500', '800'] }));
  assert.equal(r1.rank, 1);
  assert.match(r0.waitTimeout.error, /^DistributedError: allReduce\(sum\) on rank 0 of 2 \(gloo\) failed: Operation timed out! \(timeout 800 ms/);
  assert.ok(r0.waitTimeout.ms >= 700 && r0.waitTimeout.ms < 3000, `wait timeout after ${r0.waitTimeout.ms} ms`);
  assert.match(r0.groupTimeout.error, /^DistributedError: allReduce\(sum\) on rank 0 of 2 \(gloo\) failed: .*timeout/i);
  assert.ok(r0.groupTimeout.ms < 3000, `group timeout after ${r0.groupTimeout.ms} ms`);
});
