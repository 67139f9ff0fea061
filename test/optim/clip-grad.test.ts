// Gradient clipping against closed forms and torch.nn.utils.clip_grad_norm_ 1.13.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { clipGradNorm_, clipGradValue_ } from '../../src/optim/index.js';
import { f32, fixture, flat, maxRelErr, type Tensor } from './helpers.js';

interface ClipCase {
  name: string;
  max_norm: number;
  norm_type: number | 'inf';
  grads: number[][];
  total_norm: number;
  clipped: number[][];
}
const fx = fixture<{ cases: ClipCase[] }>('clip_grad.json');
const SHAPES = [[3, 4], [4], [2, 3]];

function withGrads(grads: number[][], shapes: number[][]): Tensor[] {
  return grads.map((g, i) => {
    const p = torch.keep(torch.zeros(shapes[i]!, { requiresGrad: true }));
    const t = f32(g, shapes[i]!);
    p.grad = t;
    t.dispose();
    return p;
  });
}

function gradValues(p: Tensor): number[] {
  return torch.tidy(() => flat(p.grad!));
}

describe('clipGradNorm_', () => {
  for (const c of fx.cases) {
    test(`matches torch: ${c.name}`, () => {
      const ps = withGrads(c.grads, SHAPES);
      const total = clipGradNorm_(ps, c.max_norm, c.norm_type === 'inf' ? Infinity : c.norm_type);
      assert.ok(Math.abs(Number(total.item()) - c.total_norm) <= 1e-6 * c.total_norm);
      ps.forEach((p, i) => assert.ok(maxRelErr(gradValues(p), c.clipped[i]!) <= 1e-6, `param ${i}`));
      total.dispose();
      torch.disposeAll(ps);
    });
  }

  test('closed form: L2 norm of all gradients, scaled by maxNorm / (norm + 1e-6)', () => {
    const ps = withGrads([[3, 0], [0, 4]], [[2], [2]]);
    const total = clipGradNorm_(ps, 1);
    assert.equal(total.item(), 5);
    const coef = Math.fround(1 / Math.fround(5 + 1e-6));
    assert.deepEqual(gradValues(ps[0]!), [Math.fround(3 * coef), 0]);
    assert.deepEqual(gradValues(ps[1]!), [0, Math.fround(4 * coef)]);
    total.dispose();
    torch.disposeAll(ps);
  });

  test('closed form: inf norm is the largest |g|; below maxNorm nothing changes', () => {
    const ps = withGrads([[-7, 2], [1, 0.5]], [[2], [2]]);
    const total = clipGradNorm_(ps, 10, Infinity);
    assert.equal(total.item(), 7);
    assert.deepEqual(gradValues(ps[0]!), [-7, 2]);
    assert.deepEqual(gradValues(ps[1]!), [1, 0.5]);
    total.dispose();
    torch.disposeAll(ps);
  });

  test('parameters without gradients are skipped; none at all gives 0', () => {
    const p = torch.keep(torch.zeros([2], { requiresGrad: true }));
    const t0 = clipGradNorm_([p], 1);
    assert.equal(t0.item(), 0);
    t0.dispose();
    const [q] = withGrads([[0, 2]], [[2]]);
    const t1 = clipGradNorm_([p, q!], 1, 1);
    assert.equal(t1.item(), 2);
    assert.equal(p.grad, undefined);
    t1.dispose();
    torch.disposeAll([p, q]);
  });

  test('errorIfNonfinite', () => {
    const ps = withGrads([[Infinity, 1]], [[2]]);
    assert.throws(() => clipGradNorm_(ps, 1, 2, { errorIfNonfinite: true }), /non-finite/);
    const t = clipGradNorm_(ps, 1);
    assert.equal(t.item(), Infinity);
    t.dispose();
    torch.disposeAll(ps);
  });
});

describe('clipGradValue_', () => {
  test('clamps every gradient into [-v, v]', () => {
    const ps = withGrads([[-3, 0.5, 2], [0.1, -0.2]], [[3], [2]]);
    clipGradValue_(ps, 1);
    assert.deepEqual(gradValues(ps[0]!), [-1, 0.5, 1]);
    assert.deepEqual(gradValues(ps[1]!), [0.1, -0.2].map(Math.fround));
    torch.disposeAll(ps);
  });
});
