// Optimiser steps free every temporary: 200 steps of each optimiser (with clipping, a scheduler
// and loss scaling around them) leave torch.memory.liveTensors() where it was after the first.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import * as optim from '../../src/optim/index.js';
import type { Tensor } from './helpers.js';

function model(): Tensor[] {
  torch.manualSeed(0);
  return [torch.randn([8, 5]), torch.randn([8]), torch.randn([3, 8]), torch.randn([3])].map((t) =>
    torch.keep(t.requiresGrad_(true)),
  );
}

function loss(ps: Tensor[], x: Tensor): Tensor {
  const [w1, b1, w2, b2] = ps as [Tensor, Tensor, Tensor, Tensor];
  return x.matmul(w1.t()).add(b1).relu().matmul(w2.t()).add(b2).pow(2).mean();
}

const makers: Record<string, (ps: Tensor[]) => optim.Optimizer<optim.GroupOptions, object>> = {
  'SGD nesterov + weight decay': (ps) => new optim.SGD(ps, { lr: 0.01, momentum: 0.9, nesterov: true, weightDecay: 1e-5 }),
  'Adam amsgrad + weight decay': (ps) => new optim.Adam(ps, { lr: 1e-3, amsgrad: true, weightDecay: 1e-4 }),
  AdamW: (ps) => new optim.AdamW(ps, { lr: 1e-3 }),
  LARS: (ps) => new optim.LARS(optim.larsParamGroups(ps, { weightDecay: 1e-6 }), { lr: 0.1 }),
};

describe('optimiser memory', () => {
  for (const [name, make] of Object.entries(makers)) {
    test(`${name}: 200 steps keep liveTensors flat`, () => {
      const ps = model();
      const x = torch.keep(torch.randn([16, 5]));
      const opt = make(ps);
      const sched = optim.gdtPretrainSchedule({ optimizer: opt, worldSize: 4, epochs: 300, warmupEpochs: 5 });
      const scaler = new optim.GradScaler({ initScale: 256, growthInterval: 7 });
      const iteration = (): number =>
        torch.tidy(() => {
          opt.zeroGrad();
          const l = loss(ps, x);
          scaler.scale(l).backward();
          scaler.unscale_(opt);
          optim.clipGradNorm_(ps, 1.0);
          scaler.step(opt);
          scaler.update();
          sched.step();
          return Number(l.item());
        });
      iteration(); // creates the optimiser and scaler state
      opt.zeroGrad();
      const base = torch.memory.liveTensors();
      const first = iteration();
      let last = first;
      for (let i = 0; i < 199; i++) {
        last = iteration();
        opt.zeroGrad();
      }
      assert.equal(torch.memory.liveTensors(), base, `${name}: live tensors after 200 steps`);
      assert.ok(Number.isFinite(last));
      // State dicts are new handles on the state: freed by the scope, the state stays alive.
      torch.tidy(() => {
        opt.stateDict();
      });
      assert.equal(torch.memory.liveTensors(), base, 'stateDict handles freed by the scope');
      const before = torch.memory.liveTensors();
      opt.dispose();
      scaler.dispose();
      assert.ok(torch.memory.liveTensors() < before, 'dispose() frees the state');
      torch.disposeAll([ps, x]);
    });
  }
});
