// Collectives: the local identity, simulated other ranks, dropping the local block in rank order,
// and splitting a GDT batch into the inputs behind each feature name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../src/index.js';
import { localCollective, simulatedCollective, gatherOthers, splitGdtBatch } from '../../src/ssl/index.js';

const rows = (t: torch.Tensor): number[] => (t.toArray() as number[][]).map((r) => r[0]!);

test('localCollective: world size 1, detached copy, no other rows', () => {
  torch.tidy(() => {
    const x = torch.tensor([[1], [2]], { dtype: 'float64', requiresGrad: true });
    const g = localCollective.allGather(x);
    assert.equal(localCollective.worldSize, 1);
    assert.equal(g.requiresGrad, false);
    assert.deepEqual(rows(g), [1, 2]);
    assert.deepEqual(gatherOthers(localCollective, x).shape, [0, 1]);
  });
});

test('simulatedCollective puts the local block at its rank; gatherOthers keeps the rest in rank order', () => {
  torch.tidy(() => {
    const x = torch.tensor([[10], [11]], { dtype: 'float64' });
    const b0 = torch.tensor([[0], [1]], { dtype: 'float64' });
    const b2 = torch.tensor([[20], [21]], { dtype: 'float64' });
    const c = simulatedCollective(1, { V: [b0, b2] });
    assert.equal(c.worldSize, 3);
    assert.deepEqual(rows(c.allGather(x, 'V')), [0, 1, 10, 11, 20, 21]);
    assert.deepEqual(rows(gatherOthers(c, x, 'V')), [0, 1, 20, 21]);
    const c0 = simulatedCollective(0, { V: [b0, b2] });
    assert.deepEqual(rows(gatherOthers(c0, x, 'V')), [0, 1, 20, 21]);
    const c2 = simulatedCollective(2, { V: [b0, b2] });
    assert.deepEqual(rows(c2.allGather(x, 'V')), [0, 1, 20, 21, 10, 11]);
    assert.throws(() => c.allGather(x, 'A'), /no fabricated blocks for 'A'/);
    assert.throws(() => simulatedCollective(3, { V: [b0, b2] }), /rank 3 is outside \[0, 3\)/);
    assert.throws(() => simulatedCollective(0, { V: [b0], A: [b0, b2] }), /same number of blocks/);
    assert.throws(() => c.allGather(torch.zeros([3, 1], { dtype: 'float64' }), 'V'), /has shape/);
  });
});

test('gatherOthers checks the gathered size', () => {
  torch.tidy(() => {
    const liar = { rank: 0, worldSize: 2, allGather: (t: torch.Tensor) => t.detach() };
    assert.throws(() => gatherOthers(liar, torch.zeros([2, 1])), /expected worldSize \* N = 2 \* 2/);
  });
});

test('splitGdtBatch: [clip 1, clip 1 reversed, clip 2, clip 2 reversed] for audio and text', () => {
  torch.tidy(() => {
    const video = torch.arange(12).view(1, 12, 1, 1, 1).expand(2, 12, 2, 3, 3).contiguous();
    const spec = torch.arange(4).view(1, 4, 1, 1).expand(2, 4, 5, 6).contiguous();
    const a = splitGdtBatch(video, spec);
    assert.deepEqual(a.V!.shape, [2, 3, 2, 3, 3]);
    assert.deepEqual(a.A2R!.shape, [2, 1, 5, 6]);
    const first = (t: torch.Tensor | undefined): number => (t!.flatten().toArray() as number[])[0]!;
    assert.deepEqual(['V', 'VR', 'V2', 'V2R'].map((k) => first(a[k as 'V'])), [0, 3, 6, 9]);
    assert.deepEqual(['A', 'AR', 'A2', 'A2R'].map((k) => first(a[k as 'A'])), [0, 1, 2, 3]);
    const ids = torch.arange(80).view(1, 80).expand(2, 80).contiguous();
    const t = splitGdtBatch(video, ids, 'text');
    assert.equal(t.A, undefined);
    assert.deepEqual(t.TR!.shape, [2, 20]);
    assert.deepEqual(['T', 'TR', 'T2', 'T2R'].map((k) => first(t[k as 'T'])), [0, 20, 40, 60]);
    assert.throws(() => splitGdtBatch(torch.zeros([2, 9, 1]), spec), /\(B, 12, \.\.\.\)/);
    assert.throws(() => splitGdtBatch(video, torch.zeros([2, 6])), /\(B, 4k, \.\.\.\)/);
  });
});
