// LR schedules: SPEC Appendix B tables exactly (1e-12), torch.optim.lr_scheduler 1.13 tables
// (fixtures), state dict round trips and use with a real optimiser.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as torch from '../../src/torch/index.js';
import * as optim from '../../src/optim/index.js';
import { fixture } from './helpers.js';

const {
  ConstantLR,
  CosineAnnealingLR,
  CosineDecayLR,
  GradualWarmupScheduler,
  LinearWarmup,
  MultiStepLR,
  SequentialLR,
  detachedTarget,
  finetuneSchedule,
  gdtPretrainSchedule,
  lrTable,
  sticaPretrainSchedule,
} = optim;

function assertTable(got: readonly (readonly number[])[], want: readonly (readonly number[])[], tol: number, what: string): void {
  assert.equal(got.length, want.length, `${what}: length`);
  got.forEach((row, t) =>
    row.forEach((v, g) => {
      const w = want[t]![g]!;
      assert.ok(Math.abs(v - w) <= tol, `${what}: step ${t} group ${g}: ${v} vs ${w}`);
    }),
  );
}

describe('SPEC Appendix B', () => {
  test('GDT pretraining, world size 16, per epoch', () => {
    const table = lrTable(gdtPretrainSchedule({ worldSize: 16, epochs: 201 }), 201).map((r) => r[0]!);
    const head = [0.01, 0.025, 0.04, 0.055, 0.07, 0.085, 0.1, 0.115, 0.13, 0.145];
    const want = [...head, ...Array<number>(191).fill(0.16)];
    assertTable(table.map((v) => [v]), want.map((v) => [v]), 1e-12, 'GDT W=16');
  });

  test('finetuning, classifier and backbone groups, per epoch', () => {
    const table = lrTable(finetuneSchedule({ baseLrs: [0.0025, 0.00025, 0.00025] }), 12);
    const classifier = [0.0025, 0.01125, 0.02, 0.02, 0.02, 0.02, 0.02, 0.001, 0.001, 0.001, 0.001, 0.00005];
    const backbone = [0.00025, 0.001125, 0.002, 0.002, 0.002, 0.002, 0.002, 0.0001, 0.0001, 0.0001, 0.0001, 0.000005];
    assertTable(table, classifier.map((c, i) => [c, backbone[i]!, backbone[i]!]), 1e-12, 'finetune');
    // As multiples of the base LR: 1, 4.5, 8 x5, 0.4 x4, 0.02.
    const factors = [1, 4.5, 8, 8, 8, 8, 8, 0.4, 0.4, 0.4, 0.4, 0.02];
    table.forEach((row, e) => assert.ok(Math.abs(row[0]! / 0.0025 - factors[e]!) < 1e-12));
  });

  test('STiCA pretraining, I = 5, per iteration', () => {
    const I = 5;
    const table = lrTable(sticaPretrainSchedule({ itersPerEpoch: I }), 151 * I).map((r) => r[0]!);
    table.forEach((v, t) => {
      const want = t < 10 * I ? 0.01 + ((0.64 - 0.01) * t) / (10 * I - 1) : 0.64;
      assert.ok(Math.abs(v - want) <= 1e-12, `iteration ${t}: ${v} vs ${want}`);
    });
    assert.equal(table[0], 0.01);
    assert.ok(Math.abs(table[1]! - 0.022857) < 1e-6);
    assert.ok(Math.abs(table[2]! - 0.035714) < 1e-6);
    assert.ok(Math.abs(table[48]! - 0.627143) < 1e-6);
    assert.equal(table[49], 0.64);
    assert.equal(table[50], 0.64);
  });
});

interface ScheduleCase {
  name: string;
  base_lrs: number[];
  table: number[][];
}
interface SticaCase {
  name: string;
  iters_per_epoch: number;
  warmup_epochs: number;
  start_warmup: number;
  base_lr: number;
  epochs: number;
  cosine: boolean;
  final_lr: number;
  table: number[];
}
const fx = fixture<{ cases: ScheduleCase[]; stica: SticaCase[] }>('schedules.json');

const builders: Record<string, (t: optim.LRTarget) => optim.LRScheduler> = {
  multistep: (t) => new MultiStepLR(t, { milestones: [3, 3, 7], gamma: 0.5 }),
  cosine: (t) => new CosineAnnealingLR(t, { tMax: 6, etaMin: 0.001 }),
  constant: (t) => new ConstantLR(t, { factor: 0.25, totalIters: 3 }),
  sequential_constant_multistep: (t) =>
    new SequentialLR(t, [new ConstantLR(t, { factor: 0.5, totalIters: 10 }), new MultiStepLR(t, { milestones: [2, 4], gamma: 0.1 })], [3]),
  sequential_constant_cosine: (t) =>
    new SequentialLR(t, [new ConstantLR(t, { factor: 0.5, totalIters: 10 }), new CosineAnnealingLR(t, { tMax: 5 })], [2]),
  gdt_w16_multistep: (t) => gdtPretrainSchedule({ optimizer: t, worldSize: 16, epochs: 201 }),
  gdt_w16_cosine: (t) => gdtPretrainSchedule({ optimizer: t, worldSize: 16, epochs: 201, type: 'cosine' }),
  gdt_w8_multistep_decay: (t) => gdtPretrainSchedule({ optimizer: t, worldSize: 8, epochs: 40, milestones: [20, 30] }),
  gdt_w1_multistep: (t) => gdtPretrainSchedule({ optimizer: t, worldSize: 1, epochs: 30, milestones: [25] }),
  gdt_no_warmup_multistep: (t) =>
    gdtPretrainSchedule({ optimizer: t, worldSize: 16, epochs: 200, warmupEpochs: 0, milestones: [150, 175] }),
  gdt_no_warmup_cosine: (t) => gdtPretrainSchedule({ optimizer: t, worldSize: 16, epochs: 30, warmupEpochs: 0, type: 'cosine' }),
  finetune: (t) => finetuneSchedule({ optimizer: t }),
};

describe('schedules match torch.optim.lr_scheduler 1.13 and the reference warm-up', () => {
  for (const c of fx.cases) {
    test(c.name, () => {
      const build = builders[c.name];
      assert.ok(build, `no builder for ${c.name}`);
      const got = lrTable(build(detachedTarget(c.base_lrs)), c.table.length);
      // Same operations in the same order as Python: equal up to libm's cos rounding.
      assertTable(got, c.table, 1e-15, c.name);
    });
  }
  for (const c of fx.stica) {
    test(c.name, () => {
      const s = sticaPretrainSchedule({
        itersPerEpoch: c.iters_per_epoch,
        warmupEpochs: c.warmup_epochs,
        startWarmup: c.start_warmup,
        baseLr: c.base_lr,
        epochs: c.epochs,
        cosine: c.cosine,
        finalLr: c.final_lr,
      });
      const got = lrTable(s, c.table.length).map((r) => r[0]!);
      got.forEach((v, t) => assert.ok(Math.abs(v - c.table[t]!) <= 1e-15, `${c.name} iteration ${t}: ${v} vs ${c.table[t]}`));
      // numpy's linspace arithmetic is reproduced exactly.
      for (let t = 0; t < c.iters_per_epoch * c.warmup_epochs; t++) assert.equal(got[t], c.table[t]);
    });
  }
});

describe('scheduler behaviour', () => {
  test('GradualWarmupScheduler: the after-scheduler lags by one step', () => {
    const target = detachedTarget([1]);
    const after = new MultiStepLR(target, { milestones: [1], gamma: 0.5 });
    const warm = new GradualWarmupScheduler(target, { multiplier: 4, totalEpoch: 2, afterScheduler: after });
    const table = lrTable(warm, 7).map((r) => r[0]);
    // warm-up 1, 2.5, 4; step 3 hands over (after.lastEpoch 0), milestone 1 lands on step 4.
    assert.deepEqual(table, [1, 2.5, 4, 4, 2, 2, 2]);
    assert.equal(warm.finished, true);
    assert.equal(after.lastEpoch, 3);
    assert.deepEqual(after.baseLrs, [4]);
    assert.deepEqual(warm.getLastLr(), [2]);
  });

  test('GradualWarmupScheduler without an after-scheduler holds base * multiplier', () => {
    const t = lrTable(new GradualWarmupScheduler(detachedTarget([0.1]), { multiplier: 3, totalEpoch: 2 }), 6).map((r) => r[0]!);
    assertTable(t.map((v) => [v]), [0.1, 0.2, 0.3, 0.3, 0.3, 0.3].map((v) => [v]), 1e-15, 'no after');
  });

  test('step(epoch) jumps with the closed form', () => {
    const m = new MultiStepLR(detachedTarget([1]), { milestones: [2, 5], gamma: 0.1 });
    m.step(6);
    assert.ok(Math.abs(m.getLastLr()[0]! - 0.01) < 1e-15);
    m.step(1);
    assert.deepEqual(m.getLastLr(), [1]);
    const c = new CosineAnnealingLR(detachedTarget([1]), { tMax: 4 });
    c.step(2);
    assert.ok(Math.abs(c.getLastLr()[0]! - 0.5) < 1e-15);
  });

  test('LinearWarmup is numpy.linspace with both endpoints, then the base LR', () => {
    const t = lrTable(new LinearWarmup(detachedTarget([1, 2]), { steps: 5, startFactor: 0 }), 7);
    assert.deepEqual(t, [[0, 0], [0.25, 0.5], [0.5, 1], [0.75, 1.5], [1, 2], [1, 2], [1, 2]]);
    assert.deepEqual(lrTable(new LinearWarmup(detachedTarget([1]), { steps: 1, startLr: 0.5 }), 3), [[0.5], [1], [1]]);
  });

  test('CosineDecayLR holds finalLr past its end', () => {
    const t = lrTable(new CosineDecayLR(detachedTarget([1]), { totalSteps: 4, finalLr: 0.1 }), 7).map((r) => r[0]!);
    assert.equal(t[0], 1);
    assert.ok(Math.abs(t[2]! - 0.55) < 1e-15);
    assert.deepEqual(t.slice(4), [0.1, 0.1, 0.1]);
  });

  test('state dict round trip: a restored scheduler continues identically', () => {
    const make = (): { s: optim.LRScheduler; t: optim.LRTarget } => {
      const t = detachedTarget([0.0025, 0.00025]);
      return { s: finetuneSchedule({ optimizer: t }), t };
    };
    for (const k of [1, 3, 5, 9]) {
      const a = make();
      for (let i = 0; i < k; i++) a.s.step();
      const sd = JSON.parse(JSON.stringify(a.s.stateDict())) as optim.SchedulerStateDict;
      const b = make();
      b.s.loadStateDict(sd);
      // The optimiser's LRs travel in its own state dict; copy them as a checkpoint would.
      b.t.paramGroups.forEach((g, i) => (g.lr = a.t.paramGroups[i]!.lr));
      assert.deepEqual(lrTable(b.s, 12 - k), lrTable(a.s, 12 - k), `resumed after ${k} steps`);
    }
    const seq = (): { s: optim.LRScheduler; t: optim.LRTarget } => {
      const t = detachedTarget([0.5]);
      return { s: sticaPretrainSchedule({ optimizer: t, itersPerEpoch: 3, warmupEpochs: 2, epochs: 6, cosine: true, baseLr: 0.5 }), t };
    };
    const a = seq();
    for (let i = 0; i < 7; i++) a.s.step();
    const sd = a.s.stateDict();
    assert.equal((sd._schedulers as unknown[]).length, 2);
    const b = seq();
    b.s.loadStateDict(JSON.parse(JSON.stringify(sd)) as optim.SchedulerStateDict);
    b.t.paramGroups[0]!.lr = a.t.paramGroups[0]!.lr;
    assert.deepEqual(lrTable(b.s, 10), lrTable(a.s, 10));
  });

  test('drives a real optimiser: per-tensor groups, initial_lr in its state dict', () => {
    const ps = [torch.keep(torch.zeros([2], { requiresGrad: true })), torch.keep(torch.zeros([3], { requiresGrad: true }))];
    const opt = new optim.SGD(
      [
        { params: [ps[0]!], lr: 0.0025, weightDecay: 0.005 },
        { params: [ps[1]!], lr: 0.00025, weightDecay: 0.005 },
      ],
      { lr: 0.0025, momentum: 0.9 },
    );
    const sched = finetuneSchedule({ optimizer: opt });
    sched.step();
    const lrs = [0.0025 * 4.5, 0.00025 * 4.5];
    assertTable([opt.paramGroups.map((g) => g.lr)], [lrs], 1e-15, 'epoch 1');
    const sd = opt.stateDict();
    assert.deepEqual(sd.param_groups.map((g) => g.initial_lr), [0.0025, 0.00025]);
    assert.deepEqual(sd.param_groups.map((g) => g.lr), opt.paramGroups.map((g) => g.lr));
    // A new optimiser loaded from it resumes with the scheduler's LRs and initial_lr.
    const opt2 = new optim.SGD([{ params: [ps[0]!] }, { params: [ps[1]!] }], { lr: 1 });
    opt2.loadStateDict(sd);
    assert.deepEqual(
      opt2.paramGroups.map((g) => [g.lr, g.initialLr, g.weightDecay, g.momentum]),
      opt.paramGroups.map((g) => [g.lr, g.initialLr, 0.005, 0.9]),
    );
    opt.dispose();
    opt2.dispose();
    torch.disposeAll(ps);
  });

  test('validation', () => {
    assert.throws(() => new GradualWarmupScheduler(detachedTarget([1]), { multiplier: 0.5, totalEpoch: 2 }), /multiplier/);
    assert.throws(() => new ConstantLR(detachedTarget([1]), { factor: 2 }), /between 0 and 1/);
    const t = detachedTarget([1]);
    assert.throws(() => new SequentialLR(t, [new ConstantLR(t)], [3]), /one more than the number of milestone/);
    assert.throws(() => new MultiStepLR(detachedTarget([1]), { milestones: [1] }, 3), /initial_lr/);
  });
});
