// Five steps of every optimiser and option set against torch.optim 1.13 (fixtures from
// scripts/fixtures/make_optim_fixtures.py; LARS against its hand-written reference there).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import { f32, fixture, flat, makeOptimizer, maxRelErr, type Tensor, type TrajectoryCase } from './helpers.js';

const fx = fixture<{ steps: number; cases: TrajectoryCase[] }>('trajectories.json');
const TOL = 1e-6;

function setGrads(params: Tensor[], grads: (number[] | null)[], shapes: number[][]): void {
  params.forEach((p, i) => {
    const g = grads[i];
    if (g === null || g === undefined) {
      p.grad = undefined;
    } else {
      const t = f32(g, shapes[i]!);
      p.grad = t;
      t.dispose();
    }
  });
}

describe('optimizer trajectories match torch.optim', () => {
  for (const c of fx.cases) {
    test(c.name, () => {
      const params = c.initial.map((v, i) => f32(v, c.shapes[i]!).requiresGrad_(true));
      const opt = makeOptimizer(
        c.optimizer,
        c.groups.map((g) => ({ params: g.params.map((i) => params[i]!), options: g.options })),
      );
      let worst = 0;
      for (let s = 0; s < c.trajectory.length; s++) {
        setGrads(params, c.grads[s]!, c.shapes);
        opt.step();
        params.forEach((p, i) => {
          const err = maxRelErr(flat(p), c.trajectory[s]![i]!);
          worst = Math.max(worst, err);
          assert.ok(err <= TOL, `${c.name} step ${s + 1} param ${i}: relative error ${err}`);
        });
      }
      // The state dict has PyTorch's layout: same group keys and values, same state keys and values.
      torch.tidy(() => {
        const sd = opt.stateDict();
        assert.deepEqual(
          sd.param_groups.map((g) => Object.keys(g).sort()),
          c.state_dict.param_groups.map((g) => Object.keys(g).sort()),
        );
        sd.param_groups.forEach((g, gi) => {
          for (const [k, v] of Object.entries(c.state_dict.param_groups[gi]!)) {
            const mine = g[k];
            if (typeof v === 'number') assert.ok(Math.abs((mine as number) - v) <= 1e-15 * Math.abs(v), `${k}: ${String(mine)} vs ${v}`);
            else assert.deepEqual(mine, v, k);
          }
        });
        assert.deepEqual(Object.keys(sd.state).sort(), Object.keys(c.state_dict.state).sort());
        for (const [idx, entry] of Object.entries(c.state_dict.state)) {
          const mine = sd.state[Number(idx)]!;
          assert.deepEqual(Object.keys(mine).sort(), Object.keys(entry).sort(), `state ${idx} keys`);
          for (const [k, v] of Object.entries(entry)) {
            const t = mine[k];
            if (v === null) {
              assert.equal(t, null);
              continue;
            }
            assert.ok(t instanceof torch.Tensor, `${k} is a tensor`);
            assert.deepEqual(t.shape, v.shape, `${k} shape`);
            assert.equal(t.dtype, v.dtype, `${k} dtype`);
            assert.ok(maxRelErr(flat(t), v.values) <= TOL, `state ${idx}.${k}`);
          }
        }
      });
      opt.dispose();
      for (const p of params) p.dispose();
      assert.ok(worst <= TOL);
    });
  }
});
