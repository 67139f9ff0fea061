// The autograd API: backward (explicit gradient, retainGraph, inputs), .grad accumulation, detach,
// grad modes (noGrad/enableGrad/inferenceMode), autograd.grad (createGraph, allowUnused).
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, flat, assertClose, t64, assertThrowsMsg } from './helpers.js';

const leaf = (vals: number[], shape = [vals.length]) => t64(vals, shape, true);

describe('backward', () => {
  test('scalar loss: gradient of sum(x^2 * w) by hand', () => {
    const x = leaf([1, -2, 3]);
    const w = leaf([0.5, 2, -1]);
    x.pow(2).mul(w).sum().backward();
    assert.deepEqual(flat(x.grad!), [2 * 1 * 0.5, 2 * -2 * 2, 2 * 3 * -1]);
    assert.deepEqual(flat(w.grad!), [1, 4, 9]);
  });

  test('non-scalar output with an explicit gradient (vector-Jacobian product)', () => {
    const x = leaf([1, 2, 3]);
    const y = x.mul(x).mul(3); // dy/dx = 6x
    y.backward(t64([1, 0.5, -2], [3]));
    assert.deepEqual(flat(x.grad!), [6, 6, -36]);
  });

  test('non-scalar output without a gradient is libtorch\'s error', () => {
    const x = leaf([1, 2]);
    assertThrowsMsg(() => x.mul(2).backward(), Error, 'grad can be implicitly created only for scalar outputs');
  });

  test('retainGraph allows a second backward; without it libtorch refuses', () => {
    const x = leaf([2]);
    const y = x.exp().mul(x).sum(); // saved tensors: exp result and x
    y.backward(undefined, { retainGraph: true });
    const g1 = x.grad!.item() as number;
    assertClose([g1], [Math.exp(2) * 3], { rtol: 1e-14 });
    y.backward(); // second pass frees the graph
    assertClose(x.grad!, [2 * g1], { rtol: 1e-14 });
    assertThrowsMsg(() => y.backward(), Error, 'Trying to backward through the graph a second time');
    assertThrowsMsg(() => y.backward(), Error, 'Specify retain_graph=True');
  });

  test('gradients accumulate across backward calls until reset', () => {
    const x = leaf([1, 2]);
    x.mul(3).sum().backward();
    x.mul(4).sum().backward();
    assert.deepEqual(flat(x.grad!), [7, 7]);
    x.grad!.zero_(); // the handle aliases the stored grad
    assert.deepEqual(flat(x.grad!), [0, 0]);
    x.mul(2).sum().backward();
    assert.deepEqual(flat(x.grad!), [2, 2]);
    x.grad = undefined;
    assert.equal(x.grad, undefined);
    x.mul(5).sum().backward();
    assert.deepEqual(flat(x.grad!), [5, 5]);
    x.grad = t64([10, 20], [2]);
    x.sum().backward();
    assert.deepEqual(flat(x.grad!), [11, 21]);
  });

  test('the inputs option restricts accumulation to the given leaves', () => {
    const a = leaf([1]);
    const b = leaf([2]);
    a.mul(b).sum().backward(undefined, { inputs: [a] });
    assert.deepEqual(flat(a.grad!), [2]);
    assert.equal(b.grad, undefined);
  });

  test('autograd.backward over several roots with their gradients', () => {
    const x = leaf([1, 2]);
    const y1 = x.mul(2);
    const y2 = x.pow(2).sum();
    torch.autograd.backward([y1, y2], [t64([1, 1], [2]), undefined]);
    assert.deepEqual(flat(x.grad!), [2 + 2, 2 + 4]);
  });

  test('non-leaf tensors do not keep .grad; leaves are leaves', () => {
    const x = leaf([1]);
    const y = x.mul(2);
    assert.equal(x.isLeaf, true);
    assert.equal(y.isLeaf, false);
    assert.equal(y.requiresGrad, true);
    y.sum().backward();
    assert.equal(y.grad, undefined);
    assert.deepEqual(flat(x.grad!), [2]);
  });

  test('gradFn names the autograd node', () => {
    const x = leaf([1, 2]);
    assert.equal(x.gradFn, undefined);
    assert.equal(x.mul(x).gradFn, 'MulBackward0');
    assert.equal(x.mul(2).gradFn, 'MulBackward1'); // aten::mul.Scalar
    assert.equal(x.add(x).gradFn, 'AddBackward0');
    assert.equal(x.sum().gradFn, 'SumBackward0');
    assert.equal(x.matmul(x).gradFn, 'DotBackward0');
    assert.equal(torch.ones([2]).mul(2).gradFn, undefined);
  });

  test('an in-place change of a saved tensor is detected by libtorch', () => {
    const x = leaf([1, 2]);
    const e = x.exp();
    const y = e.mul(e).sum();
    e.add_(1);
    assertThrowsMsg(() => y.backward(), Error, 'one of the variables needed for gradient computation has been modified by an inplace operation');
  });

  test('in-place on a leaf that requires grad is refused outside noGrad, allowed inside', () => {
    const p = leaf([1, 2]);
    assertThrowsMsg(() => p.add_(1), Error, 'a leaf Variable that requires grad is being used in an in-place operation.');
    torch.noGrad(() => p.sub_(t64([0.5, 0.5], [2])));
    assert.deepEqual(flat(p), [0.5, 1.5]);
    assert.equal(p.requiresGrad, true);
    assert.equal(p.isLeaf, true);
  });

  test('only floating tensors can require grad (libtorch\'s message)', () => {
    assertThrowsMsg(() => torch.tensor([1, 2]).requiresGrad_(), Error, 'Only Tensors of floating point and complex dtype can require gradients');
    const f = torch.zeros([1]);
    f.requiresGrad = true;
    assert.equal(f.requiresGrad, true);
    f.requiresGrad = false;
    assert.equal(f.requiresGrad, false);
  });
});

describe('detach', () => {
  test('detached values stop the gradient', () => {
    const x = leaf([3]);
    const d = x.detach();
    assert.equal(d.requiresGrad, false);
    assert.equal(d.isLeaf, true);
    x.mul(d).sum().backward(); // d is a constant 3
    assert.deepEqual(flat(x.grad!), [3]);
  });
});

describe('grad modes', () => {
  test('noGrad: nothing recorded; restores the previous mode, also after a throw', () => {
    const x = leaf([1]);
    assert.equal(torch.isGradEnabled(), true);
    const y = torch.noGrad(() => {
      assert.equal(torch.isGradEnabled(), false);
      return x.mul(2);
    });
    assert.equal(y.requiresGrad, false);
    assert.equal(y.gradFn, undefined);
    assert.equal(torch.isGradEnabled(), true);
    assert.throws(() => torch.noGrad(() => {
      throw new Error('boom');
    }), /boom/);
    assert.equal(torch.isGradEnabled(), true);
  });

  test('enableGrad inside noGrad records again; nesting unwinds correctly', () => {
    const x = leaf([1]);
    const [a, b, c] = torch.noGrad(() => {
      const inner = torch.enableGrad(() => {
        assert.equal(torch.isGradEnabled(), true);
        const r = x.mul(2);
        const nested = torch.noGrad(() => x.mul(3));
        assert.equal(torch.isGradEnabled(), true, 'restored after nested noGrad');
        return [r, nested] as const;
      });
      assert.equal(torch.isGradEnabled(), false, 'restored after enableGrad');
      return [inner[0], inner[1], x.mul(4)];
    });
    assert.equal(a.requiresGrad, true);
    assert.equal(b.requiresGrad, false);
    assert.equal(c.requiresGrad, false);
    assert.equal(torch.isGradEnabled(), true);
  });

  test('grad-mode scopes refuse async functions', () => {
    assertThrowsMsg(() => torch.noGrad(async () => 1), TypeError, 'grad-mode scopes are synchronous');
    assert.equal(torch.isGradEnabled(), true);
  });

  test(
    'inferenceMode refuses async functions like noGrad does',
    async () => {
      let p: unknown;
      assert.throws(() => {
        p = torch.inferenceMode(async () => {
          await null;
          return torch.isInferenceModeEnabled();
        });
      }, TypeError);
      await p;
    },
  );

  test('setGradEnabled switches globally', () => {
    const x = leaf([1]);
    torch.setGradEnabled(false);
    try {
      assert.equal(x.mul(2).requiresGrad, false);
    } finally {
      torch.setGradEnabled(true);
    }
    assert.equal(x.mul(2).requiresGrad, true);
  });

  test('inferenceMode: no recording, inference tensors, restored after (also on throw), nestable', () => {
    const x = leaf([1]);
    assert.equal(torch.isInferenceModeEnabled(), false);
    const y = torch.inferenceMode(() => {
      assert.equal(torch.isInferenceModeEnabled(), true);
      assert.equal(torch.isGradEnabled(), false);
      const inner = torch.inferenceMode(() => torch.isInferenceModeEnabled(), false);
      assert.equal(inner, false, 'inferenceMode(fn, false) disables it inside');
      assert.equal(torch.isInferenceModeEnabled(), true);
      return x.mul(2);
    });
    assert.equal(y.requiresGrad, false);
    assert.deepEqual(flat(y), [2]);
    assert.equal(torch.isInferenceModeEnabled(), false);
    assert.equal(torch.isGradEnabled(), true);
    assert.throws(() => torch.inferenceMode(() => {
      throw new Error('inside');
    }), /inside/);
    assert.equal(torch.isInferenceModeEnabled(), false);
    // inference tensors cannot be saved for backward outside inference mode
    const z = leaf([2]);
    assertThrowsMsg(() => z.mul(y).sum().backward(), Error, 'Inference tensors cannot be saved for backward');
  });
});

describe('autograd.grad', () => {
  test('first derivative without touching .grad', () => {
    const x = leaf([1, 2, 3]);
    const [g] = torch.autograd.grad(x.pow(3).sum(), x);
    assert.deepEqual(flat(g!), [3, 12, 27]);
    assert.equal(x.grad, undefined);
    assert.equal(g!.requiresGrad, false);
  });

  test('createGraph gives differentiable gradients: d²/dx² x³ = 6x, d³/dx³ = 6', () => {
    const x = leaf([1, 2, -0.5]);
    const [g1] = torch.autograd.grad(x.pow(3).sum(), x, { createGraph: true });
    assert.equal(g1!.requiresGrad, true);
    assertClose(g1!, [3, 12, 0.75], { rtol: 1e-14 });
    const [g2] = torch.autograd.grad(g1!.sum(), x, { createGraph: true });
    assertClose(g2!, [6, 12, -3], { rtol: 1e-14 });
    const [g3] = torch.autograd.grad(g2!.sum(), x);
    assertClose(g3!, [6, 6, 6], { rtol: 1e-14 });
  });

  test('createGraph through backward: gradient penalty', () => {
    const x = leaf([1, 2]);
    const [g] = torch.autograd.grad(x.pow(2).sum(), x, { createGraph: true }); // 2x
    g!.pow(2).sum().backward(); // d/dx sum((2x)^2) = 8x
    assert.deepEqual(flat(x.grad!), [8, 16]);
  });

  test('several outputs and inputs, gradOutputs', () => {
    const a = leaf([1, 2]);
    const b = leaf([3]);
    const y1 = a.mul(b); // [3, 6]
    const y2 = a.sum().mul(b); // [9]
    const [ga, gb] = torch.autograd.grad([y1, y2], [a, b], { gradOutputs: [t64([1, -1], [2]), t64([2], [1])] });
    // ga = b * [1, -1] + 2 * b = [9, 3]; gb = a·[1, -1] + 2 * sum(a) = -1 + 6 = 5
    assert.deepEqual(flat(ga!), [9, 3]);
    assert.deepEqual(flat(gb!), [5]);
  });

  test('an unused input: libtorch\'s error, or undefined with allowUnused', () => {
    const x = leaf([1]);
    const unused = leaf([2]);
    assertThrowsMsg(() => torch.autograd.grad(x.mul(2).sum(), [x, unused]), Error, 'One of the differentiated Tensors appears to not have been used in the graph');
    const [gx, gu] = torch.autograd.grad(x.mul(2).sum(), [x, unused], { allowUnused: true });
    assert.deepEqual(flat(gx!), [2]);
    assert.equal(gu, undefined);
  });

  test('retainGraph in autograd.grad', () => {
    const x = leaf([1]);
    const y = x.exp().sum();
    torch.autograd.grad(y, x, { retainGraph: true });
    const [g] = torch.autograd.grad(y, x);
    assertClose(g!, [Math.E], { rtol: 1e-14 });
    assertThrowsMsg(() => torch.autograd.grad(y, x), Error, 'Trying to backward through the graph a second time');
  });

  test('an output that does not require grad is libtorch\'s error', () => {
    const x = leaf([1]);
    assertThrowsMsg(() => torch.autograd.grad(torch.ones([1]).sum(), x), Error, 'element 0 of tensors does not require grad and does not have a grad_fn');
  });
});
