// Video and audio encoders against torchvision (fixtures from make_model_fixtures.py) on identical
// hashed weights, and the seeded initialisation against torchvision's constructors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn } from '../../src/index.js';
import type { Tensor } from '../../src/torch/index.js';
import { VideoResNet, AudioResNet } from '../../src/models/index.js';
import { fixture, fillHashed, hashInput, relError, keysAndShapes, hashTensor, type Case } from './weights.js';

type AnyModule = nn.Module<never[], unknown>;
const TOL = 1e-5;
// Train-mode BatchNorm normalises by statistics of a few values per channel at small inputs: the
// case is ill-conditioned in float32 (PyTorch's own float32 result is 1.9e-5 away from its
// float64 result, and 2.4e-5 from itself with 1 vs 2 threads), so reduction order alone moves
// it by ~1e-5. Eval-mode comparisons keep 1e-5.
const TRAIN_TOL = 1e-4;
const fx = fixture();

function check(name: string, model: AnyModule, run: (c: Case) => Record<string, Tensor>, train = false): void {
  const c = fx.cases[name]!;
  try {
    assert.deepEqual(keysAndShapes(model), c.keys, `${name}: state-dict keys and shapes equal the PyTorch model's`);
    fillHashed(model, fx.seed);
    model.train(train);
    torch.tidy(() =>
      torch.noGrad(() => {
        const outs = run(c);
        for (const [k, want] of Object.entries(c.outputs)) {
          const got = outs[k];
          assert.ok(got, `${name}: output ${k}`);
          assert.deepEqual(got.shape, want.shape, `${name}: shape of ${k}`);
          const err = relError(got, want);
          assert.ok(err <= (train ? TRAIN_TOL : TOL), `${name}: ${k} max relative error ${err}`);
        }
      }),
    );
  } finally {
    model.dispose();
  }
}

const input = (c: Case, key = 'input'): Tensor => hashInput(c.config[`${key}_key`] as string, c.config[key] as number[]);

test('hashed weights equal the fixture script bit for bit (sums of the full-width R(2+1)D-18 tensors)', () => {
  const sums = fx.cases['r2plus1d18_full']!.weight_sums!;
  torch.tidy(() => {
    for (const [k, shape] of fx.cases['r2plus1d18_full']!.keys) {
      if (!(k in sums)) continue;
      const s = hashTensor(k, shape, fx.seed).double().sum().item() as number;
      assert.ok(Math.abs(s - sums[k]!) <= 1e-9 * Math.max(1, Math.abs(sums[k]!)), `${k}: ${s} vs ${sums[k]}`);
    }
  });
});

test('R(2+1)D-18 full width = torchvision r2plus1d_18 (1x3x4x32x32, pooled and pre-pool map)', () => {
  // One prePool model gives both: the map, and its (1,1,1) average = the pooled output.
  const m = new VideoResNet({ prePool: true });
  check('r2plus1d18_full_prepool', m as unknown as AnyModule, (c) => {
    const map = m.forward(input(c));
    return { map };
  });
  const m2 = new VideoResNet();
  check('r2plus1d18_full', m2 as unknown as AnyModule, (c) => ({ pooled: m2.forward(input(c)) }));
});

test('R(2+1)D-18 width 0.25 = torchvision blocks (eval, duration 2, train-mode BN statistics)', () => {
  const a = new VideoResNet({ width: 0.25 });
  check('r2plus1d18_w025', a as unknown as AnyModule, (c) => ({ pooled: a.forward(input(c)) }));
  const b = new VideoResNet({ width: 0.25, duration: 2 });
  check('r2plus1d18_w025_duration2', b as unknown as AnyModule, (c) => ({ pooled: b.forward(input(c)) }));
  const t = new VideoResNet({ width: 0.25 });
  check(
    'r2plus1d18_w025_train',
    t as unknown as AnyModule,
    (c) => {
      const pooled = t.forward(input(c));
      const bn = (s: nn.Sequential, i: number): nn.BatchNorm => s.at(i) as unknown as nn.BatchNorm;
      const last = (t.layer4.at(1) as unknown as { conv2: nn.Sequential }).conv2;
      return { pooled, stem_running_mean: bn(t.stem, 1).runningMean!.clone(), last_running_var: bn(last, 1).runningVar!.clone() };
    },
    true,
  );
});

test('R(2+1)D-34 width 0.25 = torchvision blocks in the 3/4/6/3 layout', () => {
  const m = new VideoResNet({ depth: 34, width: 0.25 });
  check('r2plus1d34_w025', m as unknown as AnyModule, (c) => ({ pooled: m.forward(input(c)) }));
});

test('ResNet-9 / ResNet-18 audio encoders = torchvision ResNets with a 1-channel conv1', () => {
  for (const depth of [9, 18] as const) {
    const m = new AudioResNet({ depth });
    check(`resnet${depth}_full`, m as unknown as AnyModule, (c) => ({ out: m.forward(input(c)) }));
  }
  const w = new AudioResNet({ depth: 9, width: 0.5 });
  check('resnet9_w05_spec257', w as unknown as AnyModule, (c) => ({ out: w.forward(input(c)) }));
  const t = new AudioResNet({ depth: 18, width: 0.25 });
  check('resnet18_w025_train', t as unknown as AnyModule, (c) => ({ out: t.forward(input(c)) }), true);
});

test('audio output shapes of SPEC 3.3 (after maxpool ... layer4)', () => {
  const m = new AudioResNet({ width: 0.125 });
  try {
    torch.tidy(() =>
      torch.noGrad(() => {
        m.eval();
        const cases: [number, number, number[][]][] = [
          [40, 99, [[10, 25], [5, 13], [3, 7], [2, 4]]],
          [257, 99, [[65, 25], [33, 13], [17, 7], [9, 4]]],
          [257, 199, [[65, 50], [33, 25], [17, 13], [9, 7]]],
        ];
        for (const [f, s, want] of cases) {
          let h = m.maxpool.forward(m.relu.forward(m.bn1.forward(m.conv1.forward(torch.zeros([1, 1, f, s])))));
          assert.deepEqual(h.shape.slice(2), want[0]);
          h = m.layer1.forward(h);
          for (const [i, l] of [m.layer2, m.layer3, m.layer4].entries()) {
            h = l.forward(h);
            assert.deepEqual(h.shape.slice(2), want[i + 1], `${f}x${s} layer${i + 2}`);
          }
        }
        assert.deepEqual(m.forward(torch.zeros([2, 1, 40, 99])).shape, [2, 64, 1, 1]);
      }),
    );
  } finally {
    m.dispose();
  }
});

test('R(2+1)D feature-map shapes of SPEC 3.2 (ceil(L/2) per stride-2 stage)', () => {
  const m = new VideoResNet({ width: 0.0625, prePool: true });
  try {
    torch.tidy(() =>
      torch.noGrad(() => {
        m.eval();
        for (const [t, h, want] of [
          [8, 64, [1, 4, 4]],
          [30, 32, [4, 2, 2]],
          [60, 16, [8, 1, 1]],
        ] as [number, number, number[]][]) {
          assert.deepEqual(m.forward(torch.zeros([1, 3, t, h, h])).shape, [1, 32, ...want]);
        }
      }),
    );
  } finally {
    m.dispose();
  }
});

function assertSums(model: AnyModule, want: Record<string, [number, number]>, what: string): void {
  torch.tidy(() => {
    const sd = model.stateDict();
    const floats = [...sd].filter(([, t]) => t.dtype === 'float32');
    assert.deepEqual(floats.map(([k]) => k), Object.keys(want), `${what}: keys`);
    for (const [k, t] of floats) {
      const d = t.double();
      const s = d.sum().item() as number;
      const q = d.mul(d).sum().item() as number;
      const [ws, wq] = want[k]!;
      assert.ok(Math.abs(q - wq) <= 1e-9 * Math.max(1, wq), `${what}: ${k} sum of squares ${q} vs ${wq} (random draws differ)`);
      assert.ok(Math.abs(s - ws) <= 1e-9 * Math.max(1, Math.sqrt(wq) * 100), `${what}: ${k} sum ${s} vs ${ws}`);
    }
  });
}

test('seeded init equals torchvision r2plus1d_18() (+ the reference’s random_weight_init repeat)', () => {
  for (const [name, repeat] of [['r2plus1d18_once', false], ['r2plus1d18_repeat', true]] as const) {
    const f = fx.init[name]!;
    torch.manualSeed(f.seed);
    const m = new VideoResNet({ randomWeightInit: repeat });
    try {
      assertSums(m as unknown as AnyModule, f.sums, name);
    } finally {
      m.dispose();
    }
  }
});

test('seeded init equals torchvision ResNet + the reference’s 1-channel conv1 (ResNet-9, ResNet-18)', () => {
  for (const depth of [9, 18] as const) {
    const f = fx.init[`resnet${depth}`]!;
    torch.manualSeed(f.seed);
    const m = new AudioResNet({ depth });
    try {
      assertSums(m as unknown as AnyModule, f.sums, `resnet${depth}`);
      // conv1 keeps PyTorch's default init U(-1/7, 1/7) (fan_in 49).
      const w = m.conv1.weight;
      assert.ok((w.abs().max().item() as number) <= 1 / 7);
    } finally {
      m.dispose();
    }
  }
});
