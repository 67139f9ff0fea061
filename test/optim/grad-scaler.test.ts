// GradScaler on the CPU path (libtorch 1.13 has no CPU kernels for the fused AMP ops):
// scaling, unscaling, skipped steps on inf/nan, backoff and growth, state dicts, misuse.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import * as optim from '../../src/optim/index.js';
import { flat, type Tensor } from './helpers.js';

function setup(options: optim.GradScalerOptions = {}): { p: Tensor; opt: optim.SGD; scaler: optim.GradScaler } {
  const p = torch.keep(torch.tensor([1, 2, 3], { dtype: 'float32', requiresGrad: true }));
  return { p, opt: new optim.SGD([p], { lr: 0.1 }), scaler: new optim.GradScaler(options) };
}

/** loss = sum(p^2) / 2 (grad = p), scaled; or a grad with an inf when `poison`. */
function backward(scaler: optim.GradScaler, p: Tensor, poison = false): void {
  torch.tidy(() => {
    const loss = p.mul(p).sum().div(2);
    const scaled = scaler.scale(loss);
    scaled.backward();
    if (poison) {
      const g = p.grad!;
      g.indexPut_([0], Infinity);
    }
  });
}

describe('GradScaler', () => {
  test('scale multiplies by 2^16; step unscales and updates like an unscaled step', () => {
    const { p, opt, scaler } = setup();
    torch.tidy(() => {
      const loss = torch.tensor(1.5);
      assert.equal(scaler.scale(loss).item(), 1.5 * 65536);
    });
    backward(scaler, p);
    torch.tidy(() => assert.deepEqual(flat(p.grad!), [65536, 131072, 196608]));
    scaler.step(opt);
    scaler.update();
    // p - 0.1 * p
    assert.deepEqual(flat(p), [1, 2, 3].map((x) => Math.fround(x - Math.fround(0.1 * x))));
    assert.equal(scaler.getScale(), 65536);
    assert.equal(scaler.getGrowthTracker(), 1);
    opt.dispose();
    scaler.dispose();
    p.dispose();
  });

  test('unscale_ before clipping; grads end up unscaled', () => {
    const { p, opt, scaler } = setup({ initScale: 8 });
    backward(scaler, p);
    scaler.unscale_(opt);
    torch.tidy(() => assert.deepEqual(flat(p.grad!), [1, 2, 3]));
    const total = optim.clipGradNorm_([p], 1);
    assert.ok(Math.abs(Number(total.item()) - Math.sqrt(14)) < 1e-6);
    total.dispose();
    assert.throws(() => scaler.unscale_(opt), /already been called/);
    scaler.step(opt);
    assert.throws(() => scaler.step(opt), /already been called since the last update/);
    assert.throws(() => scaler.unscale_(opt), /after step/);
    scaler.update();
    opt.dispose();
    scaler.dispose();
    p.dispose();
  });

  test('an inf gradient skips the step and backs the scale off; growth after the interval', () => {
    const { p, opt, scaler } = setup({ initScale: 1024, growthInterval: 3 });
    const before = flat(p);
    backward(scaler, p, true);
    assert.equal(scaler.step(opt), undefined);
    scaler.update();
    assert.deepEqual(flat(p), before, 'parameters untouched by the skipped step');
    assert.equal(scaler.getScale(), 512);
    assert.equal(scaler.getGrowthTracker(), 0);
    // nan also counts as an overflow
    torch.tidy(() => {
      opt.zeroGrad();
      const scaled = scaler.scale(p.mul(Number.NaN).sum());
      scaled.backward();
    });
    scaler.step(opt);
    scaler.update();
    assert.equal(scaler.getScale(), 256);
    assert.deepEqual(flat(p), before);
    // three clean steps: the tracker counts 1, 2, then the scale doubles and the tracker resets
    const scales: number[] = [];
    const trackers: number[] = [];
    for (let i = 0; i < 4; i++) {
      opt.zeroGrad();
      backward(scaler, p);
      scaler.step(opt);
      scaler.update();
      scales.push(scaler.getScale());
      trackers.push(scaler.getGrowthTracker());
    }
    assert.deepEqual(scales, [256, 256, 512, 512]);
    assert.deepEqual(trackers, [1, 2, 0, 1]);
    assert.notDeepEqual(flat(p), before);
    opt.dispose();
    scaler.dispose();
    p.dispose();
  });

  test('the scale does not grow past float32 to inf', () => {
    const { p, opt, scaler } = setup({ initScale: 3e38, growthInterval: 1 });
    torch.tidy(() => scaler.scale(p.mul(0).sum()).backward()); // finite (zero) gradients
    scaler.unscale_(opt);
    scaler.update();
    assert.equal(scaler.getScale(), Math.fround(3e38));
    opt.dispose();
    scaler.dispose();
    p.dispose();
  });

  test('state dict round trip and update(newScale)', () => {
    const { p, opt, scaler } = setup({ growthInterval: 5 });
    backward(scaler, p);
    scaler.step(opt);
    scaler.update();
    const sd = scaler.stateDict();
    assert.deepEqual(sd, { scale: 65536, growth_factor: 2, backoff_factor: 0.5, growth_interval: 5, _growth_tracker: 1 });
    const other = new optim.GradScaler();
    other.loadStateDict(sd);
    assert.deepEqual(other.stateDict(), sd);
    scaler.update(4);
    assert.equal(scaler.getScale(), 4);
    opt.dispose();
    scaler.dispose();
    other.dispose();
    p.dispose();
  });

  test('misuse is reported as in PyTorch', () => {
    const { p, opt, scaler } = setup();
    assert.throws(() => scaler.step(opt), /scale\(loss or outputs\)/);
    torch.tidy(() => scaler.scale(torch.ones([1])));
    assert.throws(() => scaler.update(), /No inf checks were recorded prior to update/);
    const h = torch.keep(torch.ones([2], { dtype: 'float16', requiresGrad: true }));
    const hopt = new optim.SGD([h], { lr: 0.1 });
    h.grad = torch.tidy(() => torch.onesLike(h));
    assert.throws(() => scaler.unscale_(hopt), /FP16 gradients/);
    opt.dispose();
    hopt.dispose();
    scaler.dispose();
    torch.disposeAll([p, h]);
  });

  test('disabled: a pass-through', () => {
    const { p, opt, scaler } = setup({ enabled: false });
    const loss = torch.keep(torch.tensor(2));
    assert.equal(scaler.scale(loss), loss);
    backward(scaler, p);
    scaler.step(opt);
    scaler.update();
    assert.deepEqual(scaler.stateDict(), {});
    assert.equal(scaler.getScale(), 1);
    opt.dispose();
    torch.disposeAll([p, loss]);
  });
});
