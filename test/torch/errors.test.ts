// Errors: libtorch's messages for shape errors, TypeErrors naming operator and argument, disposed
// tensors, out-of-range indices and dims; failures leak no handles and never crash the process.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, assertThrowsMsg, assertNoLeak } from './helpers.js';

describe('shape errors carry libtorch\'s (= PyTorch\'s) message', () => {
  test('mm of 2x3 and 2x3', () => {
    const e = assertThrowsMsg(() => torch.ones([2, 3]).mm(torch.ones([2, 3])), Error, 'mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)');
    assert.equal(e.constructor, Error);
    assert.ok(!e.message.includes('Exception raised from'), 'no C++ backtrace in the message');
    assert.equal(e.message, 'mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)');
  });

  test('matmul, broadcasting, view, cat, expand', () => {
    assertThrowsMsg(() => torch.ones([2, 3]).matmul(torch.ones([4, 5])), Error, 'mat1 and mat2 shapes cannot be multiplied (2x3 and 4x5)');
    assertThrowsMsg(() => torch.ones([3]).mul(torch.ones([4])), Error, 'The size of tensor a (3) must match the size of tensor b (4) at non-singleton dimension 0');
    assertThrowsMsg(() => torch.ones([6]).view(4, 2), Error, "shape '[4, 2]' is invalid for input of size 6");
    assertThrowsMsg(() => torch.ones([6]).reshape(-1, -1), Error, 'only one dimension can be inferred');
    assertThrowsMsg(() => torch.cat([]), Error, 'torch.cat(): expected a non-empty list of Tensors');
    assertThrowsMsg(() => torch.rand([-1]), Error, 'Trying to create tensor with negative dimension -1: [-1]');
  });

  test('dtype errors', () => {
    assertThrowsMsg(() => torch.ones([2]).bitwiseNot(), Error, `"bitwise_not_cpu" not implemented for 'Float'`);
    assertThrowsMsg(() => torch.randint(5, 2, [3]), Error, "random_ expects 'from' to be less than 'to', but got from=5 >= to=2");
  });

  test('failed operations leak no handles', () => {
    const a = torch.ones([2, 3]);
    assertNoLeak(() => assert.throws(() => a.mm(a)));
    assertNoLeak(() => assert.throws(() => a.view(4, 4)));
    const b = torch.ones([1, 2]);
    assertNoLeak(() => assert.throws(() => torch.cat([a, b], 1)));
    assertNoLeak(() => assert.throws(() => torch.F.conv2d(a, b)));
  });
});

describe('wrong argument types are TypeErrors naming the operator and the argument', () => {
  test('a string where a Scalar is expected', () => {
    const e = assertThrowsMsg(() => torch.ones([2]).add('1' as unknown as number), TypeError, "aten::add.Scalar: argument 'other' (position 2) must be Scalar but got string");
    assert.ok(e instanceof TypeError);
    assertThrowsMsg(() => torch.ones([2]).mul({} as unknown as number), TypeError, "aten::mul.Scalar: argument 'other' (position 2) must be Scalar but got object");
  });

  test('a non-integer where an int is expected', () => {
    assertThrowsMsg(() => torch.ones([2, 3]).select(0, 1.5), TypeError, "aten::select.int: argument 'index' (position 3) must be int but got a non-integer number");
    assertThrowsMsg(() => torch.ones([2, 3]).view(2.5, 2), TypeError, "aten::view: argument 'size' (position 2) must be int[]");
    assertThrowsMsg(() => torch.zeros([2.5]), TypeError, "aten::zeros: argument 'size' (position 1) must be int[]");
  });

  test('a number where a Tensor is expected names the operator and the argument', () => {
    assertThrowsMsg(() => torch.ones([2, 2]).mm(3 as unknown as torch.Tensor), TypeError, "aten::mm: argument 'mat2' (position 2) must be Tensor");
    assertThrowsMsg(() => torch.F.conv2d(torch.ones([1, 1, 2, 2]), 'w' as unknown as torch.Tensor), TypeError, "aten::conv2d: argument 'weight' (position 2) must be Tensor");
  });

  test(
    'the TypeError says what was passed instead of a Tensor',
    () => {
      assertThrowsMsg(() => torch.ones([2, 2]).mm(3 as unknown as torch.Tensor), TypeError, 'but got number');
    },
  );

  test('a bad string option', () => {
    assertThrowsMsg(() => torch.zeros([1], { dtype: 'float128' as torch.DType }), TypeError, "unknown dtype 'float128'");
    assertThrowsMsg(() => torch.F.crossEntropy(torch.ones([1, 2]), torch.tensor([0]), { reduction: 'avg' as 'mean' }), TypeError, "reduction must be 'none', 'mean' or 'sum'");
    assertThrowsMsg(() => torch.F.gelu(torch.ones([1]), 'fast' as 'tanh'), Error, /approximate/);
  });
});

describe('disposed tensors', () => {
  test('every use of a disposed tensor gives a clear error', () => {
    const t = torch.ones([2]);
    t.dispose();
    assert.equal(t.isDisposed, true);
    assert.equal(String(t), 'Tensor(disposed)');
    const msg = 'this tensor was disposed (by dispose() or by the scope that created it)';
    assertThrowsMsg(() => t.add(1), Error, msg);
    assertThrowsMsg(() => t.shape, Error, msg);
    assertThrowsMsg(() => t.item(), Error, msg);
    assertThrowsMsg(() => t.toArray(), Error, msg);
    assertThrowsMsg(() => torch.ones([2]).add(t), Error, msg);
    assertThrowsMsg(() => torch.cat([torch.ones([2]), t]), Error, msg);
    assertThrowsMsg(() => t.backward(), Error, msg);
  });

  test('a raw handle of a disposed tensor is refused by the addon', () => {
    const t = torch.ones([2]);
    const h = t.handle;
    t.dispose();
    assertThrowsMsg(() => torch.aten.relu(h), Error, 'aten::relu: the tensor was already disposed');
  });

  test('dispose is idempotent; Symbol.dispose disposes', () => {
    const t = torch.ones([2]);
    t.dispose();
    t.dispose();
    const u = torch.ones([2]);
    u[Symbol.dispose]();
    assert.equal(u.isDisposed, true);
  });

  test('views outlive the tensor they came from', () => {
    const base = torch.arange(6).view(2, 3);
    const v = base.index('1');
    base.dispose();
    assert.deepEqual(v.toArray(), [3, 4, 5]);
  });
});

describe('indices and dims out of range', () => {
  test('select/index/indexSelect: RangeError with libtorch\'s message', () => {
    const x = torch.ones([2, 3]);
    assertThrowsMsg(() => x.select(1, 3), RangeError, 'select(): index 3 out of range for tensor of size [2, 3] at dimension 1');
    assertThrowsMsg(() => x.index('2'), RangeError, 'index 2 out of range');
    assertThrowsMsg(() => x.index([0, 2]), RangeError, 'index 2 is out of bounds for dimension 0 with size 2');
    assertThrowsMsg(() => x.indexSelect(0, torch.tensor([2])), RangeError, 'index out of range in self');
    // libtorch 1.13's CPU kernel for other dims words it differently (and as a plain error)
    assertThrowsMsg(() => x.indexSelect(1, torch.tensor([3])), Error, 'INDICES element is out of DATA bounds, id=3 axis_dim=3');
    assertThrowsMsg(() => torch.F.embedding(torch.tensor([9]), x), RangeError, 'index out of range in self');
  });

  test('gather out of range is libtorch\'s error', () => {
    assertThrowsMsg(() => torch.ones([2, 3]).gather(1, torch.tensor([[5]])), Error, 'index 5 is out of bounds for dimension 1 with size 3');
  });

  test('dims out of range: RangeError (libtorch IndexError)', () => {
    const x = torch.ones([2, 3]);
    assertThrowsMsg(() => x.sum(5), RangeError, 'Dimension out of range (expected to be in range of [-2, 1], but got 5)');
    assertThrowsMsg(() => x.transpose(0, 2), RangeError, 'Dimension out of range (expected to be in range of [-2, 1], but got 2)');
    assertThrowsMsg(() => x.size(-3), RangeError, 'Dimension out of range (expected to be in range of [-2, 1], but got -3)');
    assertThrowsMsg(() => x.unflatten(4, [1]), RangeError, 'Dimension out of range');
  });
});
