// Optimiser state dicts: PyTorch's layout, round trips that continue with identical updates,
// loading torch.optim's own state dicts, validation, zeroGrad.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import * as optim from '../../src/optim/index.js';
import { f32, fixture, flat, makeOptimizer, type Tensor, type TensorJson, type TrajectoryCase } from './helpers.js';

const fx = fixture<{ cases: TrajectoryCase[] }>('trajectories.json');

function setGrads(params: Tensor[], grads: (number[] | null)[], shapes: number[][]): void {
  params.forEach((p, i) => {
    const g = grads[i];
    if (!g) {
      p.grad = undefined;
      return;
    }
    const t = f32(g, shapes[i]!);
    p.grad = t;
    t.dispose();
  });
}

/** A checkpoint-like deep copy: tensors become plain data and back (as torch.save/load would). */
function throughCheckpoint(sd: optim.OptimizerStateDict): optim.OptimizerStateDict {
  const state: optim.OptimizerStateDict['state'] = {};
  for (const [k, entry] of Object.entries(sd.state)) {
    state[Number(k)] = Object.fromEntries(
      Object.entries(entry).map(([key, v]) => [key, v instanceof torch.Tensor ? f32(flat(v), v.shape) : v]),
    );
  }
  return { state, param_groups: JSON.parse(JSON.stringify(sd.param_groups)) as optim.OptimizerStateDict['param_groups'] };
}

function fromJsonState(sd: TrajectoryCase['state_dict']): optim.OptimizerStateDict {
  const state: optim.OptimizerStateDict['state'] = {};
  for (const [k, entry] of Object.entries(sd.state)) {
    state[Number(k)] = Object.fromEntries(
      Object.entries(entry).map(([key, v]: [string, TensorJson | null]) => [key, v === null ? null : f32(v.values, v.shape)]),
    );
  }
  return { state, param_groups: sd.param_groups as optim.OptimizerStateDict['param_groups'] };
}

const roundTripCases = ['sgd_nesterov_weight_decay', 'sgd_momentum_missing_grad', 'adam_amsgrad_weight_decay', 'adam_missing_grad', 'adamw_groups', 'lars'];

describe('state dict round trip', () => {
  for (const name of roundTripCases) {
    test(`${name}: a restored optimiser continues with identical updates`, () => {
      const c = fx.cases.find((x) => x.name === name)!;
      const build = (params: Tensor[]): optim.Optimizer<optim.GroupOptions, object> =>
        makeOptimizer(c.optimizer, c.groups.map((g) => ({ params: g.params.map((i) => params[i]!), options: g.options })));
      const pa = c.initial.map((v, i) => f32(v, c.shapes[i]!).requiresGrad_(true));
      const a = build(pa);
      for (let s = 0; s < 3; s++) {
        setGrads(pa, c.grads[s]!, c.shapes);
        a.step();
      }
      // A fresh optimiser with different options (they come from the state dict) on copies.
      const pb = pa.map((p) => f32(flat(p), p.shape).requiresGrad_(true));
      const b = build(pb);
      for (const g of b.paramGroups) g.lr = 123;
      torch.tidy(() => b.loadStateDict(throughCheckpoint(a.stateDict())));
      assert.deepEqual(b.paramGroups.map((g) => g.lr), a.paramGroups.map((g) => g.lr));
      for (let s = 3; s < 5; s++) {
        setGrads(pa, c.grads[s]!, c.shapes);
        setGrads(pb, c.grads[s]!, c.shapes);
        a.step();
        b.step();
        pa.forEach((p, i) => assert.deepEqual(flat(pb[i]!), flat(p), `step ${s + 1} param ${i}`));
      }
      a.dispose();
      b.dispose();
      torch.disposeAll([pa, pb]);
    });
  }

  test("torch.optim's own state dicts load and continue like gdt's", () => {
    for (const name of ['sgd_momentum_weight_decay', 'adam_amsgrad', 'adamw_weight_decay']) {
      const c = fx.cases.find((x) => x.name === name)!;
      const ours = c.initial.map((v, i) => f32(v, c.shapes[i]!).requiresGrad_(true));
      const build = (params: Tensor[]): optim.Optimizer<optim.GroupOptions, object> =>
        makeOptimizer(c.optimizer, c.groups.map((g) => ({ params: g.params.map((i) => params[i]!), options: g.options })));
      const a = build(ours);
      for (let s = 0; s < 5; s++) {
        setGrads(ours, c.grads[s]!, c.shapes);
        a.step();
      }
      // Parameters and state exactly where torch left them after 5 steps.
      const theirs = c.trajectory[4]!.map((v, i) => f32(v, c.shapes[i]!).requiresGrad_(true));
      const b = build(theirs);
      const sd = fromJsonState(c.state_dict);
      b.loadStateDict(sd);
      torch.disposeAll(sd.state);
      // The torch-only keys round-trip.
      const back = b.stateDict();
      assert.deepEqual(back.param_groups, c.state_dict.param_groups);
      torch.disposeAll(back.state);
      // One more step from both sides.
      setGrads(ours, c.grads[4]!, c.shapes);
      setGrads(theirs, c.grads[4]!, c.shapes);
      a.step();
      b.step();
      ours.forEach((p, i) => assert.deepEqual(flat(theirs[i]!), flat(p), `${name} param ${i}`));
      a.dispose();
      b.dispose();
      torch.disposeAll([ours, theirs]);
    }
  });

  test('Adam keeps step as a float32 0-d tensor in the dict and as a count inside', () => {
    const p = torch.keep(torch.ones([2], { requiresGrad: true }));
    const opt = new optim.Adam([p], { lr: 0.1 });
    for (let i = 0; i < 3; i++) {
      p.grad = torch.tidy(() => torch.onesLike(p));
      opt.step();
    }
    torch.tidy(() => {
      const step = opt.stateDict().state[0]!.step;
      assert.ok(step instanceof torch.Tensor);
      assert.equal(step.dtype, 'float32');
      assert.deepEqual(step.shape, []);
      assert.equal(step.item(), 3);
    });
    opt.dispose();
    p.dispose();
  });
});

describe('validation', () => {
  test('mismatched state dicts are rejected and leave the optimiser unchanged', () => {
    const ps = [torch.keep(torch.zeros([2], { requiresGrad: true })), torch.keep(torch.zeros([2], { requiresGrad: true }))];
    const one = new optim.SGD(ps, { lr: 0.1, momentum: 0.9 });
    const two = new optim.SGD([{ params: [ps[0]!] }, { params: [ps[1]!] }], { lr: 0.1 });
    assert.throws(() => one.loadStateDict(two.stateDict()), /different number of parameter groups/);
    const three = new optim.SGD([{ params: [ps[0]!, ps[1]!] }], { lr: 0.1 });
    const sd = three.stateDict();
    sd.param_groups[0]!.params = [0];
    assert.throws(() => three.loadStateDict(sd), /doesn't match the size/);
    const bad = one.stateDict();
    bad.param_groups[0]!.momentum = true;
    assert.throws(() => one.loadStateDict(bad), /momentum/);
    assert.equal(one.paramGroups[0]!.momentum, 0.9);
    torch.disposeAll(ps);
  });

  test('constructor checks', () => {
    const p = torch.keep(torch.zeros([2], { requiresGrad: true }));
    assert.throws(() => new optim.SGD([], { lr: 0.1 }), /empty parameter list/);
    assert.throws(() => new optim.SGD([p], { lr: -1 }), /Invalid learning rate/);
    assert.throws(() => new optim.SGD([p], { lr: 0.1, nesterov: true }), /Nesterov/);
    assert.throws(() => new optim.Adam([p], { betas: [1, 0.9] }), /beta parameter at index 0/);
    assert.throws(() => new optim.SGD([{ params: [p] }, { params: [p] }], { lr: 0.1 }), /more than one parameter group/);
    assert.throws(() => new optim.Adam([p], { fused: true }), /CUDA/);
    const nonLeaf = torch.tidy(() => p.mul(2));
    assert.throws(() => new optim.SGD([nonLeaf], { lr: 0.1 }), /non-leaf/);
    nonLeaf.dispose();
    p.dispose();
  });

  test('addParamGroup takes defaults for missing options', () => {
    const a = torch.keep(torch.zeros([2], { requiresGrad: true }));
    const b = torch.keep(torch.zeros([3], { requiresGrad: true }));
    const opt = new optim.SGD([a], { lr: 0.1, momentum: 0.9 });
    opt.addParamGroup({ params: b, lr: 0.01 });
    assert.deepEqual(opt.paramGroups.map((g) => [g.lr, g.momentum, g.params.length]), [
      [0.1, 0.9, 1],
      [0.01, 0.9, 1],
    ]);
    torch.disposeAll([a, b]);
  });
});

describe('zeroGrad', () => {
  test('sets gradients to none by default, or zeroes them in place', () => {
    const p = torch.keep(torch.ones([3], { requiresGrad: true }));
    const opt = new optim.SGD([p], { lr: 0.1 });
    torch.tidy(() => p.mul(2).sum().backward());
    opt.zeroGrad({ setToNone: false });
    torch.tidy(() => assert.deepEqual(p.grad!.toArray(), [0, 0, 0]));
    opt.zeroGrad();
    assert.equal(p.grad, undefined);
    p.dispose();
  });
});

describe('step(closure)', () => {
  test('re-evaluates the loss with grad mode on and returns it', () => {
    const p = torch.keep(torch.tensor([2, -1], { dtype: 'float32', requiresGrad: true }));
    const opt = new optim.SGD([p], { lr: 0.25 });
    const loss = torch.noGrad(() =>
      opt.step(() =>
        torch.tidy(() => {
          opt.zeroGrad();
          const l = p.mul(p).sum();
          l.backward();
          return Number(l.item());
        }),
      ),
    );
    assert.equal(loss, 5);
    assert.deepEqual(flat(p), [1, -0.5]); // p - 0.25 * 2p
    opt.dispose();
    p.dispose();
  });
});
