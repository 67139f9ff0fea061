// Tensors: creation, dtypes, operations, indexing and autograd.
// Run: node --import tsx docs/examples/tensors.ts
import assert from 'node:assert/strict';
import { torch } from '../../src/index.js';
const { F } = torch;

const before = torch.memory.liveTensors();
torch.tidy(() => {
  // every tensor made in here is freed when tidy returns (docs/memory.md)

  // Creation. Integers give int64, other numbers float32 (as torch.tensor); JavaScript cannot
  // tell 1.0 from 1, so pass a dtype for float data written as whole numbers.
  const a = torch.tensor([[1, 2, 3], [4, 5, 6]]); // int64 [2, 3]
  const b = torch.tensor([0.5, 1.5, 2.5]); // float32 [3]
  const z = torch.zeros([2, 3], { dtype: 'float64' });
  const r = torch.randn([4, 3], { generator: new torch.Generator({ seed: 0 }) });
  const s = torch.arange(0, 10, 2); // 0 2 4 6 8
  console.log(a.dtype, b.dtype, z.dtype, a.shape, s.toArray());

  // Operations broadcast as in PyTorch; dtypes promote (int64 + float32 -> float32).
  const c = a.add(b).mul(2);
  assert.equal(c.dtype, 'float32');
  assert.deepEqual(c.toArray(), [[3, 7, 11], [9, 13, 17]]);
  assert.deepEqual(r.matmul(b.reshape(3, 1)).shape, [4, 1]);
  assert.equal(a.float().mean().item(), 3.5);
  assert.deepEqual(a.sum(1).toArray(), [6, 15]);
  assert.ok(Math.abs((F.softmax(b, 0).sum().item() as number) - 1) < 1e-6);
  const y = F.relu(F.conv3d(torch.randn([2, 3, 8, 16, 16]), torch.randn([4, 3, 3, 3, 3]), undefined, { padding: 1 }));
  assert.deepEqual(y.shape, [2, 4, 8, 16, 16]); // N, C, T, H, W

  // Indexing with Python's syntax, or with items.
  assert.deepEqual(a.index('0, 1:').toArray(), [2, 3]);
  assert.deepEqual(a.index(':, ::2').toArray(), [[1, 3], [4, 6]]);
  assert.deepEqual(a.index(1, torch.slice(0, 2)).toArray(), [4, 5]);

  // Autograd: gradients of a scalar with respect to leaves that require them.
  const w = torch.tensor([1, -2, 3], { dtype: 'float32', requiresGrad: true });
  w.mul(w).sum().backward(); // d(Σ w²)/dw = 2w
  assert.deepEqual(w.grad!.toArray(), [2, -4, 6]);
  const [g] = torch.autograd.grad(w.pow(3).sum(), w); // 3w²
  assert.deepEqual(g!.toArray(), [3, 12, 27]);
  torch.noGrad(() => w.sub_(w.grad!, 0.1)); // an SGD step, in place
  assert.deepEqual((w.toArray() as number[]).map((v) => Math.round(v * 10) / 10), [0.8, -1.6, 2.4]);

  // JavaScript values only when asked: item(), toArray(), toTypedArray().
  const data = r.toTypedArray() as Float32Array;
  assert.equal(data.length, 12);
});
assert.equal(torch.memory.liveTensors(), before); // nothing leaked
console.log('ok tensors');
