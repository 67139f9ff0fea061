import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn } from '../../src/index.js';
import type { Tensor } from '../../src/torch/index.js';

class Head extends nn.Module {
  readonly block: nn.Sequential;
  readonly proj: nn.Linear;
  constructor() {
    super();
    this.block = this.registerModule('block_forward', new nn.Sequential(new nn.Linear(4, 8, { bias: false }), new nn.BatchNorm1d(8)));
    this.proj = this.registerModule('proj', new nn.Linear(8, 2));
  }
  forward(x: Tensor): Tensor {
    return torch.tidy(() => this.proj.forward(torch.F.relu(this.block.forward(x))));
  }
}

test('parameter and buffer names follow PyTorch state_dict keys, Sequential children by index', () => {
  const m = new Head();
  assert.deepEqual(
    [...m.stateDict().keys()],
    [
      'block_forward.0.weight',
      'block_forward.1.weight',
      'block_forward.1.bias',
      'block_forward.1.running_mean',
      'block_forward.1.running_var',
      'block_forward.1.num_batches_tracked',
      'proj.weight',
      'proj.bias',
    ],
  );
  assert.deepEqual([...m.namedParameters()].map(([n]) => n), ['block_forward.0.weight', 'block_forward.1.weight', 'block_forward.1.bias', 'proj.weight', 'proj.bias']);
  assert.equal(m.numParameters(), 4 * 8 + 8 + 8 + 8 * 2 + 2);
  assert.equal(m.stateDict().get('block_forward.1.num_batches_tracked')!.dtype, 'int64');
  m.dispose();
});

test('loadStateDict copies values, reports missing/unexpected/mis-shaped keys, strict throws', () => {
  const a = new Head();
  const b = new Head();
  torch.tidy(() => {
    const sd = a.stateDict();
    const r = b.loadStateDict(sd);
    assert.equal(r.loaded.length, 8);
    for (const [k, v] of b.stateDict()) assert.ok(v.to('float64').allclose(sd.get(k)!.to('float64'), 0, 0), k);
    // Identity is kept: the optimiser's references stay valid.
    const w = b.proj.weight;
    b.loadStateDict(sd);
    assert.equal(b.proj.weight, w);

    const bad = new Map(sd);
    bad.delete('proj.bias');
    bad.set('extra.weight', torch.zeros([1]));
    bad.set('proj.weight', torch.zeros([3, 8]));
    assert.throws(() => b.loadStateDict(bad), (e: Error) => {
      assert.match(e.message, /missing keys \(1\): proj\.bias/);
      assert.match(e.message, /unexpected keys \(1\): extra\.weight/);
      assert.match(e.message, /shape mismatch for proj\.weight: the model has \[2, 8\], the file has \[3, 8\]/);
      return true;
    });
    const rep = b.loadStateDict(bad, { strict: false });
    assert.deepEqual(rep.missingKeys, ['proj.bias']);
    assert.deepEqual(rep.unexpectedKeys, ['extra.weight']);
    assert.equal(rep.shapeMismatches.length, 1);
    assert.equal(rep.loaded.length, 6);
    assert.match(nn.formatLoadReport(rep), /loaded 6 tensors/);
  });
  a.dispose();
  b.dispose();
});

test('loadStateDict casts to the parameter dtype (float64 file into float32 model)', () => {
  const m = new nn.Linear(2, 1);
  torch.tidy(() => {
    m.loadStateDict({ weight: torch.tensor([[0.5, -1.25]], { dtype: 'float64' }), bias: torch.tensor([3], { dtype: 'float64' }) });
    assert.equal(m.weight.dtype, 'float32');
    assert.deepEqual(m.weight.toArray(), [[0.5, -1.25]]);
    const y = m.forward(torch.tensor([[2, 4]], { dtype: 'float32' }));
    assert.deepEqual(y.toArray(), [[0.5 * 2 - 1.25 * 4 + 3]]);
  });
  m.dispose();
});

test('to(dtype) casts floating parameters and buffers, keeps int64 buffers; train/eval propagate', () => {
  const m = new Head();
  m.to('float64');
  for (const [k, t] of m.stateDict()) assert.equal(t.dtype, k.endsWith('num_batches_tracked') ? 'int64' : 'float64', k);
  m.eval();
  for (const sub of m.modules()) assert.equal(sub.training, false);
  m.train();
  assert.equal(m.block.at(1).training, true);
  m.requiresGrad_(false);
  assert.ok(m.parameters().every((p) => !p.requiresGrad));
  m.dispose();
});

test('forward/backward through modules; gradients reach every parameter; memory returns to baseline', () => {
  const m = new Head();
  const base = torch.memory.liveTensors();
  for (let i = 0; i < 20; i++) {
    torch.tidy(() => {
      const x = torch.randn([5, 4]);
      m.forward(x).pow(2).mean().backward();
      for (const [n, p] of m.namedParameters()) {
        const g = p.grad;
        assert.ok(g && g.abs().sum().item() as number > 0, `gradient reaches ${n}`);
      }
      m.zeroGrad();
    });
  }
  assert.equal(torch.memory.liveTensors(), base);
  m.dispose();
});

test('default init statistics match PyTorch formulas on large layers', () => {
  torch.manualSeed(7);
  const lin = new nn.Linear(400, 300);
  const conv = new nn.Conv3d(16, 32, [3, 3, 3]);
  const emb = new nn.Embedding(500, 64);
  torch.tidy(() => {
    const check = (t: Tensor, lo: number, hi: number, what: string): void => {
      const max = t.max().item() as number;
      const min = t.min().item() as number;
      assert.ok(max <= hi && min >= lo, `${what} in [${lo}, ${hi}]`);
      assert.ok(max > hi * 0.98 && min < lo * 0.98, `${what} fills its range`);
      const std = t.std().item() as number;
      assert.ok(Math.abs(std - (hi - lo) / Math.sqrt(12)) / std < 0.02, `${what} std ${std}`);
    };
    check(lin.weight, -1 / Math.sqrt(400), 1 / Math.sqrt(400), 'Linear weight');
    check(conv.weight, -1 / Math.sqrt(16 * 27), 1 / Math.sqrt(16 * 27), 'Conv3d weight');
    const s = emb.weight.std().item() as number;
    const mean = emb.weight.mean().item() as number;
    assert.ok(Math.abs(s - 1) < 0.02 && Math.abs(mean) < 0.02, `Embedding N(0,1): mean ${mean} std ${s}`);
  });
  for (const m of [lin, conv, emb]) m.dispose();
});

test('Embedding.fromPretrained is frozen and returns rows', () => {
  torch.tidy(() => {
    const w = torch.tensor([[1, 2], [3, 4], [5, 6]], { dtype: 'float32' });
    const e = nn.Embedding.fromPretrained(w);
    assert.equal(e.weight.requiresGrad, false);
    assert.deepEqual(e.forward(torch.tensor([2, 0])).toArray(), [[5, 6], [1, 2]]);
  });
});

test('bad configurations give clear errors', () => {
  assert.throws(() => new nn.Conv2d(3, 4, 3, { groups: 2 }), /divisible by groups/);
  assert.throws(() => new nn.MultiheadAttention(10, 3), /divisible by num_heads/);
  assert.throws(() => new nn.Dropout(1.5), /between 0 and 1/);
  const bn = new nn.BatchNorm2d(3);
  assert.throws(() => torch.tidy(() => bn.forward(torch.zeros([2, 3]))), /expected 4D input \(got 2D input\)/);
});
