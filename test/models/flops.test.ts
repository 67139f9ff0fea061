// The MAC counter: figures measured with forward hooks on torchvision's models (conv: output
// elements x in/groups x kernel volume; BN: one per element; pools as documented in flops.ts),
// and its shape walk against real forwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn } from '../../src/index.js';
import { VideoResNet, AudioResNet, GDT, Stica, TextVidGDT, countMacs, formatMacs, architectures } from '../../src/models/index.js';

type AnyModule = nn.Module<never[], unknown>;
const any = (m: unknown): AnyModule => m as AnyModule;

test('R(2+1)D-18 at 16x112x112: 40.52 GMAC (torchvision quotes 40.52 GFLOPS)', () => {
  const m = new VideoResNet({ width: 1 });
  try {
    const r = countMacs(any(m), [[1, 3, 16, 112, 112]]);
    assert.equal(r.byKind.conv, 40_518_876_160);
    assert.equal(r.byKind.norm, 62_906_102);
    assert.equal(r.byKind.pool, 50_176);
    assert.equal(r.macs, 40_518_876_160);
    assert.equal(formatMacs(r.macs), '40.52 GMAC');
    assert.deepEqual(r.outputs, [[1, 512, 1, 1, 1]]);
    assert.equal(r.parameters, 31_300_125);
    const r30 = countMacs(any(m), [[1, 3, 30, 112, 112]]);
    assert.equal(r30.byKind.conv, 76_809_677_952);
    assert.equal(r30.byKind.norm, 118_325_788);
  } finally {
    m.dispose();
  }
});

test('audio ResNet-9 / ResNet-18 MACs on 40x99 and 257x99 spectrograms', () => {
  const want: Record<number, [number, number, number][]> = {
    9: [
      [40, 85_105_152, 148_096],
      [257, 479_741_056, 954_432],
    ],
    18: [
      [40, 185_227_776, 148_096],
      [257, 1_036_313_728, 954_432],
    ],
  };
  for (const depth of [9, 18] as const) {
    const m = new AudioResNet({ depth });
    try {
      for (const [f, conv, pool] of want[depth]!) {
        const r = countMacs(any(m), [[1, 1, f, 99]]);
        assert.equal(r.byKind.conv, conv, `resnet${depth} ${f}x99`);
        assert.equal(r.byKind.pool, pool, `resnet${depth} ${f}x99 pools`);
      }
    } finally {
      m.dispose();
    }
  }
});

test('feature-map shapes of SPEC 3.2 from the shape walk (no compute)', () => {
  const m = new VideoResNet({ prePool: true, width: 0.125 });
  try {
    const table: [number[], number[]][] = [
      [[30, 112, 112], [4, 7, 7]],
      [[32, 128, 128], [4, 8, 8]],
      [[60, 112, 112], [8, 7, 7]],
      [[90, 112, 112], [12, 7, 7]],
      [[120, 112, 112], [15, 7, 7]],
      [[8, 64, 64], [1, 4, 4]],
    ];
    for (const [inp, out] of table) {
      assert.deepEqual(countMacs(any(m), [[1, 3, ...inp]]).outputs, [[1, 64, ...out]], inp.join('x'));
    }
  } finally {
    m.dispose();
  }
});

test('shape walk agrees with real forwards (GDT, STiCA, TextVid_GDT, finetuning wrappers)', () => {
  const cases: [string, AnyModule, number[][], () => number[][]][] = [];
  const gdt = new GDT({ width: 0.125 });
  const stica = new Stica({ width: 0.125, numLayers: 2 });
  const tv = new TextVidGDT({ width: 0.125, text: { numEmbeddings: 20, embeddingDim: 6 } });
  try {
    torch.tidy(() =>
      torch.noGrad(() => {
        for (const m of [gdt, stica, tv]) m.eval();
        const v = torch.randn([2, 3, 30, 64, 64]);
        const a = torch.randn([2, 1, 40, 99]);
        const ids = torch.randint(0, 20, [2, 7]);
        cases.push(['gdt', any(gdt), [v.shape, a.shape], () => gdt.forward(v, a).map((t) => t.shape)]);
        cases.push(['stica', any(stica), [v.shape, a.shape], () => {
          const o = stica.forward(v, a);
          return [o.video.shape, o.audio.shape];
        }]);
        cases.push(['textvid', any(tv), [v.shape, ids.shape], () => tv.forward(v, ids).map((t) => t.shape)]);
        for (const [name, m, shapes, run] of cases) {
          const r = countMacs(m, shapes);
          assert.deepEqual(r.outputs, run(), name);
          assert.ok(r.macs > 0 && r.byKind.linear > 0, name);
        }
      }),
    );
  } finally {
    gdt.dispose();
    stica.dispose();
    tv.dispose();
  }
  for (const name of ['finetune', 'finetune_agg']) {
    const m = architectures[name]!.build({ width: 0.125 });
    try {
      torch.tidy(() =>
        torch.noGrad(() => {
          m.eval();
          const x = torch.randn([1, 3, 32, 64, 64]);
          const r = countMacs(m, [x.shape]);
          assert.deepEqual(r.outputs, [(m as unknown as nn.Module<[torch.Tensor], torch.Tensor>).forward(x).shape], name);
        }),
      );
    } finally {
      m.dispose();
    }
  }
});

test('every registered architecture can be counted on its example inputs', () => {
  for (const a of Object.values(architectures)) {
    const m = a.build({ width: 0.125 });
    try {
      const r = countMacs(m, a.inputShapes);
      assert.ok(r.macs > 0, a.name);
      assert.ok(r.entries.length > 0, a.name);
    } finally {
      m.dispose();
    }
  }
});

test('an unknown leaf module is reported by name', () => {
  class Odd extends nn.Module {
    forward(x: torch.Tensor): torch.Tensor {
      return x;
    }
  }
  assert.throws(() => countMacs(any(new Odd()), [[1]]), /no shape rule for Odd/);
});
