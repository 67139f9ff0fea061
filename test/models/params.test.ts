// Parameter names, shapes and counts of every configuration against SPEC Appendix A (key sets,
// A.7) and 3.10 (counts, measured on the reference).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn } from '../../src/index.js';
import {
  VideoResNet,
  AudioResNet,
  Word2VecTextEncoder,
  MlpHead,
  linearHead,
  TransformerPooling,
  GDT,
  TextVidGDT,
  Stica,
  FinetuneModel,
  FinetuneModelAgg,
  finetuneFromGdt,
  finetuneFromStica,
  midPlanes,
  architectures,
} from '../../src/models/index.js';
import { A1_R2PLUS1D18, A2_RESNET9, A3_MLP_HEADS, A4_TRANSFORMER_POOLING, A5_TEXT, A6_RESNET18, expand, type Row } from './spec-tables.js';
import { keysAndShapes } from './weights.js';

type AnyModule = nn.Module<never[], unknown>;
const any = (m: unknown): AnyModule => m as AnyModule;

/** Builds, checks and frees a model (full-size models are large). */
function withModel<M>(build: () => M, check: (m: M) => void): void {
  const m = build();
  try {
    check(m);
  } finally {
    any(m).dispose();
  }
}

function assertKeys(m: AnyModule, expected: [string, number[]][], what: string): void {
  const got = keysAndShapes(m);
  assert.deepEqual(got.map(([k]) => k), expected.map(([k]) => k), `${what}: state-dict keys in order`);
  assert.deepEqual(got, expected, `${what}: shapes`);
  torch.tidy(() => {
    for (const [k, t] of any(m).stateDict()) {
      assert.equal(t.dtype, k.endsWith('num_batches_tracked') || k.endsWith('pos_ids') ? 'int64' : 'float32', `${what}: dtype of ${k}`);
    }
  });
}

const prefixed = (rows: readonly Row[], p: string): [string, number[]][] => expand(rows, p);
const linearKeys = (name: string, inF: number): [string, number[]][] => [
  [`${name}.weight`, [256, inF]],
  [`${name}.bias`, [256]],
];
const MLP_V = expand(A3_MLP_HEADS).filter(([k]) => k.startsWith('mlp_v.'));
const MLP_A = expand(A3_MLP_HEADS).filter(([k]) => k.startsWith('mlp_a.'));
const TEXT = expand(A5_TEXT).filter(([k]) => k.startsWith('text_network.'));
const MLP_T = expand(A5_TEXT).filter(([k]) => k.startsWith('mlp_t.'));
const POOL_FULL = expand(A4_TRANSFORMER_POOLING);
const POOL_PLAIN = POOL_FULL.filter(([k]) => !/(v_lin|out_lin|pos_ids|pos_embs)/.test(k));

/** A.7: R(2+1)D-34 repeats block 1's keys for blocks >= 1 of each stage. */
function r2plus1d34Keys(prefix: string): [string, number[]][] {
  const a1 = expand(A1_R2PLUS1D18);
  const out: [string, number[]][] = a1.filter(([k]) => k.startsWith('stem.')).map(([k, s]) => [prefix + k, s]);
  const blocks = [3, 4, 6, 3];
  for (let s = 1; s <= 4; s++) {
    for (let b = 0; b < blocks[s - 1]!; b++) {
      const src = `layer${s}.${Math.min(b, 1)}.`;
      for (const [k, sh] of a1) if (k.startsWith(src)) out.push([`${prefix}layer${s}.${b}.${k.slice(src.length)}`, sh]);
    }
  }
  return out;
}

test('mid-plane rule: computed once per block from (inplanes, planes), SPEC 3.2 table', () => {
  const table: [number, number, number][] = [
    [64, 64, 144],
    [64, 128, 230],
    [128, 128, 288],
    [128, 256, 460],
    [256, 256, 576],
    [256, 512, 921],
    [512, 512, 1152],
  ];
  for (const [i, p, mid] of table) assert.equal(midPlanes(i, p), mid, `(${i}, ${p})`);
});

test('R(2+1)D-18: Appendix A.1 keys and shapes, 31,300,125 parameters, 222 entries', () => {
  withModel(
    () => new VideoResNet(),
    (m) => {
      assertKeys(any(m), expand(A1_R2PLUS1D18), 'R(2+1)D-18');
      assert.equal(m.numParameters(), 31_300_125);
      // Block mids are shared by both convs of a block (layer2.0 uses 230 twice).
      assert.deepEqual(
        [...m.layer2].map((b) => (b as unknown as { mid: number }).mid),
        [230, 288],
      );
    },
  );
});

test('R(2+1)D-34: A.7 key rule, 61,626,461 parameters', () => {
  withModel(
    () => new VideoResNet({ depth: 34 }),
    (m) => {
      assertKeys(any(m), r2plus1d34Keys(''), 'R(2+1)D-34');
      assert.equal(m.numParameters(), 61_626_461);
    },
  );
});

test('R(2+1)D prePool / duration options change no keys; width scales channels', () => {
  withModel(
    () => new VideoResNet({ width: 0.25, prePool: true }),
    (m) => {
      const keys = keysAndShapes(any(m));
      assert.equal(keys.length, 222);
      assert.deepEqual(keys[0], ['stem.0.weight', [11, 3, 1, 7, 7]]);
      assert.equal(m.outChannels, 128);
    },
  );
});

test('ResNet-9 audio encoder: A.2 (with the unused fc), 5,412,520 parameters', () => {
  withModel(
    () => new AudioResNet({ depth: 9 }),
    (m) => {
      assertKeys(any(m), expand(A2_RESNET9), 'ResNet-9');
      assert.equal(m.numParameters(), 5_412_520);
      assert.equal(m.fc.numParameters(), 513_000);
    },
  );
});

test('ResNet-18 audio encoder: A.6 (no fc), 11,170,240 parameters', () => {
  withModel(
    () => new AudioResNet({ depth: 18 }),
    (m) => {
      assertKeys(any(m), expand(A6_RESNET18), 'ResNet-18');
      assert.equal(m.numParameters(), 11_170_240);
    },
  );
});

test('text encoder: 20,491,448 parameters (embedding 19,875,000); a pretrained table is frozen', () => {
  withModel(
    () => new Word2VecTextEncoder(),
    (m) => {
      assertKeys(any(m), TEXT.map(([k, s]) => [k.slice('text_network.'.length), s]), 'text encoder');
      assert.equal(m.numParameters(), 20_491_448);
      assert.equal(m.wordEmbd.numParameters(), 19_875_000);
    },
  );
  const table = torch.randn([10, 6]);
  withModel(
    () => new Word2VecTextEncoder({ embedding: table, outputDim: 8 }),
    (m) => {
      assert.equal(m.wordEmbd.weight.requiresGrad, false);
      assert.equal(m.numParameters(true), 6 * 8 + 8);
    },
  );
  table.dispose();
});

test('heads: MLP(512) 394,496, MLP(2048) 1,180,928, Linear 131,328 / 524,544, A.3 indices', () => {
  withModel(
    () => new MlpHead(512),
    (m) => {
      assertKeys(any(m), MLP_V.map(([k, s]) => [k.slice('mlp_v.'.length), s]), 'MLP head');
      assert.equal(m.numParameters(), 394_496);
    },
  );
  withModel(
    () => new MlpHead(2048),
    (m) => assert.equal(m.numParameters(), 1_180_928),
  );
  withModel(
    () => linearHead(512),
    (m) => assert.equal(m.numParameters(), 131_328),
  );
  withModel(
    () => linearHead(2048),
    (m) => assert.equal(m.numParameters(), 524_544),
  );
});

test('transformer pooling: 2,627,072 per layer, qkv +262,656·2 per layer, positional +32,768, A.4 keys', () => {
  withModel(
    () => new TransformerPooling({ numLayers: 2 }),
    (m) => {
      assert.equal(m.numParameters(), 5_254_144);
      assert.equal(m.transformer.at(0).numParameters(), 2_627_072);
      assertKeys(any(m), POOL_PLAIN.map(([k, s]) => [k.slice('video_pooling.2.'.length), s]), 'pooling');
    },
  );
  withModel(
    () => new TransformerPooling({ numLayers: 2, qkvMha: true, positionalEmb: true }),
    (m) => {
      assert.equal(m.numParameters(), 5_254_144 + 1_050_624 + 32_768);
      assertKeys(any(m), POOL_FULL.map(([k, s]) => [k.slice('video_pooling.2.'.length), s]), 'pooling qkv+pos');
      assert.deepEqual(m.posIds!.toArray(), [Array.from({ length: 64 }, (_, i) => i)]);
    },
  );
});

interface Config {
  name: string;
  build: () => AnyModule;
  params: number;
  entries?: number;
  trainable?: number;
  keys: () => [string, number[]][];
}

const V = (): [string, number[]][] => prefixed(A1_R2PLUS1D18, 'video_network.base.');
const A9 = (): [string, number[]][] => prefixed(A2_RESNET9, 'audio_network.base.');
const configs: Config[] = [
  { name: 'GDT r2plus1d_18 + resnet9, MLP heads', build: () => any(new GDT()), params: 37_501_637, entries: 312, keys: () => [...V(), ...A9(), ...MLP_V, ...MLP_A] },
  {
    name: 'GDT linear heads',
    build: () => any(new GDT({ useMlp: false })),
    params: 36_975_301,
    entries: 300,
    keys: () => [...V(), ...A9(), ...linearKeys('mlp_v', 512), ...linearKeys('mlp_a', 512)],
  },
  {
    name: 'GDT r2plus1d_34 linear heads',
    build: () => any(new GDT({ videoDepth: 34, useMlp: false })),
    params: 67_301_637,
    entries: 492,
    keys: () => [...r2plus1d34Keys('video_network.base.'), ...A9(), ...linearKeys('mlp_v', 512), ...linearKeys('mlp_a', 512)],
  },
  {
    name: 'GDT resnet18 audio, linear heads',
    build: () => any(new GDT({ audioDepth: 18, useMlp: false })),
    params: 42_733_021,
    keys: () => [...V(), ...prefixed(A6_RESNET18, 'audio_network.base.'), ...linearKeys('mlp_v', 512), ...linearKeys('mlp_a', 512)],
  },
  { name: 'TextVid_GDT MLP heads', build: () => any(new TextVidGDT()), params: 53_366_997, entries: 241, keys: () => [...V(), ...TEXT, ...MLP_V, ...MLP_T] },
  {
    name: 'TextVid_GDT linear heads',
    build: () => any(new TextVidGDT({ useMlp: false })),
    params: 52_447_445,
    keys: () => [...V(), ...TEXT, ...linearKeys('mlp_v', 512), ...linearKeys('mlp_t', 2048)],
  },
  { name: 'STiCA num_layer 0', build: () => any(new Stica({ numLayers: 0 })), params: 37_501_637, entries: 312, keys: () => [...V(), ...A9(), ...MLP_V, ...MLP_A] },
  { name: 'STiCA num_layer 2', build: () => any(new Stica({ numLayers: 2 })), params: 42_755_781, entries: 336, keys: () => [...V(), ...A9(), ...POOL_PLAIN, ...MLP_V, ...MLP_A] },
  {
    name: 'STiCA num_layer 2, qkv_mha',
    build: () => any(new Stica({ numLayers: 2, qkvMha: true })),
    params: 43_806_405,
    keys: () => [...V(), ...A9(), ...POOL_FULL.filter(([k]) => !/pos_/.test(k)), ...MLP_V, ...MLP_A],
  },
  {
    name: 'STiCA num_layer 2, positional_emb',
    build: () => any(new Stica({ numLayers: 2, positionalEmb: true })),
    params: 42_788_549,
    keys: () => [...V(), ...A9(), ...POOL_FULL.filter(([k]) => !/(v_lin|out_lin)/.test(k)), ...MLP_V, ...MLP_A],
  },
  {
    name: 'STiCA num_layer 2, qkv_mha + positional_emb',
    build: () => any(new Stica({ numLayers: 2, qkvMha: true, positionalEmb: true })),
    params: 43_839_173,
    entries: 346,
    keys: () => [...V(), ...A9(), ...POOL_FULL, ...MLP_V, ...MLP_A],
  },
  {
    name: 'Finetune_Model on R(2+1)D-18, 101 classes',
    build: () => any(new FinetuneModel(new VideoResNet(), { numClasses: 101 })),
    params: 31_351_938,
    keys: () => [...prefixed(A1_R2PLUS1D18, 'base.'), ['classifier.weight', [101, 512]], ['classifier.bias', [101]]],
  },
  {
    name: 'Finetune_Model_Agg (2-layer pooling), 51 classes',
    build: () => {
      const s = new Stica({ numLayers: 2, numSec: 2, transformerTimeDim: 8, useMlp: false, normFeat: false });
      const f = finetuneFromStica(s, { numClasses: 51 });
      s.audioNetwork.dispose();
      s.mlpV.dispose();
      s.mlpA.dispose();
      return any(f);
    },
    params: 36_580_432,
    keys: () => [
      ...prefixed(A1_R2PLUS1D18, 'base.'),
      ...POOL_PLAIN.map(([k, s]) => [k.replace('video_pooling.', 'pooling_arch.'), s] as [string, number[]]),
      ['classifier.weight', [51, 512]],
      ['classifier.bias', [51]],
    ],
  },
];

for (const c of configs) {
  test(`${c.name}: ${c.params.toLocaleString('en')} parameters, A.7 key set`, () => {
    withModel(c.build, (m) => {
      assert.equal(m.numParameters(), c.params);
      assertKeys(m, c.keys(), c.name);
      if (c.entries !== undefined) assert.equal(keysAndShapes(m).length, c.entries);
    });
  });
}

test('TextVid_GDT with the frozen word2vec table: 33,491,997 trainable parameters', () => {
  const table = torch.zeros([66250, 300]);
  withModel(
    () => new TextVidGDT({ text: { embedding: table } }),
    (m) => {
      assert.equal(m.numParameters(), 53_366_997);
      assert.equal(m.numParameters(true), 33_491_997);
    },
  );
  table.dispose();
});

test('Finetune_Model with use_bn: final_bn / linear_layer and classifier.0 / classifier.1 share tensors', () => {
  withModel(
    () => new FinetuneModel(new VideoResNet({ width: 0.125 }), { numClasses: 5, useBn: true, useDropout: true }),
    (m) => {
      const keys = keysAndShapes(any(m)).map(([k]) => k).filter((k) => !k.startsWith('base.'));
      assert.deepEqual(keys, [
        'final_bn.weight', 'final_bn.bias', 'final_bn.running_mean', 'final_bn.running_var', 'final_bn.num_batches_tracked',
        'linear_layer.weight', 'linear_layer.bias',
        'classifier.0.weight', 'classifier.0.bias', 'classifier.0.running_mean', 'classifier.0.running_var', 'classifier.0.num_batches_tracked',
        'classifier.1.weight', 'classifier.1.bias',
      ]);
      // Shared parameters count once.
      assert.equal(m.numParameters() - m.base.numParameters(), 2 * 64 + 64 * 5 + 5);
    },
  );
});

test('Finetune_Model_Agg refuses global-average pooling (the reference fails there too)', () => {
  withModel(
    () => new Stica({ width: 0.125, numLayers: 0 }),
    (s) => assert.throws(() => finetuneFromStica(s, { numClasses: 3 }), /num_layer > 0/),
  );
  withModel(
    () => new GDT({ width: 0.125 }),
    (g) => assert.equal(finetuneFromGdt(g, { numClasses: 3 }).base, g.videoNetwork.base),
  );
  assert.ok(FinetuneModelAgg);
});

test('the architecture registry builds every entry at its reference size', () => {
  for (const a of Object.values(architectures)) {
    withModel(
      () => a.build({ width: 0.125 }),
      (m) => assert.ok(m.numParameters() > 0, a.name),
    );
  }
  // Reference sizes of the cheap entries (the large ones are covered above).
  for (const name of ['resnet9', 'resnet18', 'transformer_pooling', 'finetune']) {
    const a = architectures[name]!;
    withModel(
      () => a.build(),
      (m) => assert.equal(m.numParameters(), a.referenceParameters, name),
    );
  }
});
