// GDT, TextVid_GDT, STiCA and the finetuning wrappers against compositions written in PyTorch
// from the SPEC (torchvision blocks inside), on identical hashed weights, width 0.25.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn } from '../../src/index.js';
import type { Tensor } from '../../src/torch/index.js';
import {
  GDT,
  TextVidGDT,
  Stica,
  VideoResNet,
  FinetuneModel,
  FinetuneModelAgg,
  sticaVideoPooling,
  cropParamsFromNested,
  sticaDuration,
  type SpaceCrop,
  type TimeCrop,
} from '../../src/models/index.js';
import { fixture, fillHashed, hashInput, hashIds, relError, keysAndShapes, type Case } from './weights.js';

type AnyModule = nn.Module<never[], unknown>;
const fx = fixture();

function compare(name: string, model: AnyModule, run: (c: Case) => Record<string, Tensor>): void {
  const c = fx.cases[name]!;
  try {
    assert.deepEqual(keysAndShapes(model), c.keys, `${name}: keys`);
    fillHashed(model, fx.seed);
    model.eval();
    torch.tidy(() =>
      torch.noGrad(() => {
        const outs = run(c);
        assert.deepEqual(Object.keys(outs).sort(), Object.keys(c.outputs).sort(), `${name}: outputs`);
        for (const [k, want] of Object.entries(c.outputs)) {
          assert.deepEqual(outs[k]!.shape, want.shape, `${name}: shape of ${k}`);
          const err = relError(outs[k]!, want);
          assert.ok(err <= 1e-5, `${name}: ${k} max relative error ${err}`);
        }
      }),
    );
  } finally {
    model.dispose();
  }
}

const video = (c: Case): Tensor => hashInput(c.config.video_key as string, c.config.video as number[]);
const audio = (c: Case): Tensor => hashInput(c.config.audio_key as string, c.config.audio as number[]);

test('GDT (MLP heads, and linear heads): L2-normalised video and audio embeddings = PyTorch', () => {
  for (const [name, useMlp] of [['gdt_w025', true], ['gdt_w025_linear', false]] as const) {
    const m = new GDT({ width: 0.25, useMlp });
    compare(name, m as unknown as AnyModule, (c) => {
      const [v, a] = m.forward(video(c), audio(c));
      return { v, a };
    });
  }
});

test('TextVid_GDT: video and text embeddings = PyTorch', () => {
  const m = new TextVidGDT({ width: 0.25, text: { numEmbeddings: 50, embeddingDim: 12 } });
  compare('textvid_w025', m as unknown as AnyModule, (c) => {
    const [v, t] = m.forward(video(c), hashIds('t3x20', [3, 20], 50).narrow(0, 0, 2));
    return { v, t };
  });
});

const numSecOf = (duration: number): number => ({ 4: 1, 8: 2 })[duration]!;

for (const name of ['stica_w025_l2', 'stica_w025_gap', 'stica_w025_l2_qkv_pos_t8', 'stica_w025_l2_regroup']) {
  test(`STiCA ${name}: global, crop and audio embeddings = PyTorch`, () => {
    const cfg = fx.cases[name]!.config;
    const m = new Stica({
      width: 0.25,
      numLayers: cfg.num_layer as number,
      numSec: numSecOf(cfg.duration as number),
      transformerTimeDim: cfg.tdim as number,
      positionalEmb: (cfg.pos as boolean | undefined) ?? false,
      qkvMha: (cfg.qkv as boolean | undefined) ?? false,
    });
    compare(name, m as unknown as AnyModule, (c) => {
      const params = cropParamsFromNested(c.config.crops as [[SpaceCrop[], SpaceCrop[]], [TimeCrop[], TimeCrop[]]]);
      const out = m.forward(video(c), audio(c), params);
      const r: Record<string, Tensor> = { v: out.video, a: out.audio };
      for (const [k, list] of Object.entries(out.crops)) (list as Tensor[]).forEach((t, i) => (r[`${k}.${i}`] = t));
      return r;
    });
  });
}

test('STiCA: small crops are recomputed per large crop; no params = no crops; batch of one works', () => {
  const m = new Stica({ width: 0.125, numLayers: 1 });
  try {
    m.eval();
    torch.tidy(() =>
      torch.noGrad(() => {
        const x = torch.randn([1, 3, 32, 56, 56]);
        const s = torch.randn([1, 1, 40, 99]);
        const out = m.forward(x, s, {
          spaceLarge: [[0, 3, 0, 3], [1, 4, 1, 4]],
          spaceSmall: [[0, 2, 0, 2]],
          timeLarge: [[0, 3]],
          timeSmall: [[0, 2], [1, 3], [2, 4]],
        });
        assert.equal(out.crops.spaceSmall.length, 2);
        assert.equal(out.crops.timeSmall.length, 3);
        assert.deepEqual(out.video.shape, [1, 256]);
        assert.deepEqual(out.audio.shape, [1, 256]);
        // Eval mode: the recomputed small crop is the same embedding.
        assert.ok(out.crops.spaceSmall[0]!.allclose(out.crops.spaceSmall[1]!));
        const none = m.forward(x, s);
        assert.equal(none.crops.spaceLarge.length + none.crops.timeSmall.length, 0);
        assert.ok(none.video.allclose(out.video, 1e-5, 1e-6));
      }),
    );
  } finally {
    m.dispose();
  }
  assert.throws(() => sticaDuration(5), /num_sec 1, 2, 3 or 4/);
  assert.deepEqual([1, 2, 3, 4].map(sticaDuration), [4, 8, 12, 15]);
});

test('Finetune_Model and Finetune_Model_Agg logits = PyTorch', () => {
  const f = new FinetuneModel(new VideoResNet({ width: 0.25 }), { numClasses: 10 });
  compare('finetune_w025', f as unknown as AnyModule, (c) => ({ logits: f.forward(hashInput(c.config.input_key as string, c.config.input as number[])) }));
  const base = new VideoResNet({ width: 0.25, prePool: true });
  const g = new FinetuneModelAgg(base, sticaVideoPooling({ featureDim: 128, duration: 8, transformerTimeDim: 8, numLayers: 2 }), { numClasses: 10 });
  compare('finetune_agg_w025', g as unknown as AnyModule, (c) => ({ logits: g.forward(hashInput(c.config.input_key as string, c.config.input as number[])) }));
});

test('Finetune_Model classifier: orthogonal weight, zero bias; options l2 norm / dropout / BN run', () => {
  const f = new FinetuneModel(new VideoResNet({ width: 0.125 }), { numClasses: 7, useBn: true, useDropout: true, useL2Norm: true });
  try {
    torch.tidy(() => {
      const w = (f.classifier as nn.Sequential).at(1) as unknown as nn.Linear;
      const wwt = w.weight.matmul(w.weight.t());
      assert.ok(wwt.allclose(torch.eye(7), 1e-4, 1e-5), 'rows orthonormal');
      assert.equal(w.bias!.abs().sum().item(), 0);
      f.train();
      assert.deepEqual(f.forward(torch.randn([2, 3, 8, 32, 32])).shape, [2, 7]);
    });
  } finally {
    f.dispose();
  }
});

test('forwards free every intermediate tensor (no handle leaks, eval and train, with autograd)', () => {
  const gdt = new GDT({ width: 0.125 });
  const stica = new Stica({ width: 0.125, numLayers: 2, qkvMha: true, positionalEmb: true });
  const fin = new FinetuneModel(new VideoResNet({ width: 0.125 }), { numClasses: 4 });
  const x = torch.randn([2, 3, 32, 56, 56]);
  const s = torch.randn([2, 1, 40, 99]);
  const crops = { spaceLarge: [[0, 3, 0, 3]], spaceSmall: [[1, 3, 1, 3]], timeLarge: [[0, 3]], timeSmall: [[1, 3]] } as const;
  try {
    for (const train of [false, true]) {
      for (const m of [gdt, stica, fin]) m.train(train);
      const before = torch.memory.liveTensors();
      const outs: Tensor[] = [...gdt.forward(x, s), fin.forward(x)];
      const o = stica.forward(x, s, crops);
      outs.push(o.video, o.audio, ...o.crops.spaceLarge, ...o.crops.spaceSmall, ...o.crops.timeLarge, ...o.crops.timeSmall);
      assert.equal(torch.memory.liveTensors() - before, outs.length, `train=${train}: only the outputs are alive`);
      torch.disposeAll(outs);
    }
  } finally {
    torch.disposeAll([x, s]);
    gdt.dispose();
    stica.dispose();
    fin.dispose();
  }
});
