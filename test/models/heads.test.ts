// Heads, transformer pooling and the text encoder against the fixture script's independent
// PyTorch versions; tokenisation against Python's re; the .npy reader against numpy files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { torch, nn } from '../../src/index.js';
import type { Tensor } from '../../src/torch/index.js';
import {
  MlpHead,
  linearHead,
  l2Normalize,
  TransformerPooling,
  Word2VecTextEncoder,
  WordDictionary,
  splitWords,
  textEncoderFromPretrained,
  readNpy,
  readNpyStrings,
  parseNpy,
  countMacs,
} from '../../src/models/index.js';
import { fixture, fixtureDir, fillHashed, hashInput, hashTensor, hashIds, relError, keysAndShapes } from './weights.js';

type AnyModule = nn.Module<never[], unknown>;
const fx = fixture();

function compare(name: string, model: AnyModule, run: () => Record<string, Tensor>): void {
  const c = fx.cases[name]!;
  try {
    assert.deepEqual(keysAndShapes(model), c.keys, `${name}: keys`);
    fillHashed(model, fx.seed);
    model.eval();
    torch.tidy(() =>
      torch.noGrad(() => {
        const outs = run();
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

test('MLP head (block_forward 0..8) and linear head = PyTorch', () => {
  const mlp = new MlpHead(512);
  compare('mlp_head', mlp as unknown as AnyModule, () => ({ out: mlp.forward(hashInput('f3x512', [3, 512])) }));
  const lin = linearHead(512);
  compare('linear_head', lin as unknown as AnyModule, () => ({ out: lin.forward(hashInput('f3x512', [3, 512])) }));
});

test('MLP head in training mode uses batch statistics and dropout; p = 0.3 by default', () => {
  const mlp = new MlpHead(8, 4);
  try {
    torch.tidy(() => {
      mlp.train();
      const y = mlp.forward(torch.randn([5, 8]));
      assert.deepEqual(y.shape, [5, 4]);
      assert.equal((mlp.blockForward.at(1) as unknown as nn.Dropout).p, 0.3);
      assert.equal((mlp.blockForward.at(4) as unknown as nn.BatchNorm).numBatchesTracked!.item(), 1);
    });
  } finally {
    mlp.dispose();
  }
});

test('L2 normalisation: x / max(||x||, 1e-12) along dim 1', () => {
  torch.tidy(() => {
    const x = torch.tensor([
      [3, 4],
      [0, 0],
      [1e-14, 0],
    ]);
    assert.deepEqual(
      (l2Normalize(x).toArray() as number[][]).map((r) => r.map((v) => Math.round(v * 1e6) / 1e6)),
      [
        [0.6, 0.8],
        [0, 0],
        [0.01, 0],
      ],
    );
  });
});

test('transformer pooling (plain, and qkv_mha + positional_emb) = the SPEC 3.8 PyTorch version', () => {
  const plain = new TransformerPooling({ numLayers: 2 });
  compare('tpool_plain', plain as unknown as AnyModule, () => ({ out: plain.forward(hashInput('s3x4x512', [3, 4, 512])) }));
  const full = new TransformerPooling({ numLayers: 2, qkvMha: true, positionalEmb: true });
  compare('tpool_qkv_pos', full as unknown as AnyModule, () => ({ out: full.forward(hashInput('s3x4x512', [3, 4, 512])) }));
});

test('transformer pooling init: Linear N(0, 0.02) with zero bias, LayerNorm 1/0 (eps 1e-12)', () => {
  const p = new TransformerPooling({ numLayers: 1 });
  try {
    torch.tidy(() => {
      const l = p.transformer.at(0);
      const w = l.ffn.lin1.weight;
      const std = w.std().item() as number;
      assert.ok(Math.abs(std - 0.02) < 0.001, `std ${std}`);
      assert.equal(l.ffn.lin1.bias!.abs().sum().item(), 0);
      assert.equal(l.norm1.eps, 1e-12);
      assert.equal(l.mha.vLin, undefined);
    });
  } finally {
    p.dispose();
  }
});

test('transformer pooling counts attention matmuls in MACs', () => {
  const p = new TransformerPooling({ numLayers: 2 });
  try {
    const r = countMacs(p as unknown as AnyModule, [[2, 8, 512]]);
    assert.deepEqual(r.outputs, [[2, 512]]);
    // Per layer: q, k (2·512²), FFN (2·512·2048) per token; attention 2·L·L·512 per sample.
    const perLayer = 16 * (2 * 512 * 512 + 2 * 512 * 2048) + 2 * 2 * 8 * 8 * 512;
    assert.equal(r.macs, 2 * perLayer);
  } finally {
    p.dispose();
  }
});

test('text encoder: frozen lookup, fc1, ReLU, max over words (padding not masked) = PyTorch', () => {
  const w2v = hashTensor('word2vec', [50, 12], fx.seed);
  const { encoder, dictionary } = textEncoderFromPretrained(w2v, Array.from({ length: 49 }, (_, i) => `w${i}`));
  assert.equal(dictionary.size, 49);
  assert.equal(encoder.wordEmbd.weight.requiresGrad, false);
  compare('text_encoder', encoder as unknown as AnyModule, () => {
    const ids = hashIds('t3x20', [3, 20], 50);
    ids.select(0, 2).fill_(0);
    return { out: encoder.forward(ids) };
  });
  w2v.dispose();
});

test('text encoder gives no gradient to the embedding even when it is trainable', () => {
  const enc = new Word2VecTextEncoder({ numEmbeddings: 10, embeddingDim: 4, outputDim: 6 });
  try {
    torch.tidy(() => {
      const y = enc.forward(torch.tensor([[1, 2, 0]], { dtype: 'int64' }));
      y.sum().backward();
      assert.equal(enc.wordEmbd.weight.grad, undefined);
      assert.ok(enc.fc1.weight.grad);
    });
  } finally {
    enc.dispose();
  }
});

test("tokenisation = Python re.findall(r\"[\\w']+\") + exact dictionary lookup, ids i + 1, 20 words", () => {
  const t = fx.tokens;
  const dict = new WordDictionary(t.words);
  t.captions.forEach((c, i) => {
    assert.deepEqual(splitWords(c), t.splits[i], `split of ${JSON.stringify(c)}`);
    assert.deepEqual(dict.tokenize(c), t.ids[i], `ids of ${JSON.stringify(c)}`);
  });
  assert.equal(dict.idOf('the'), 13, 'a repeated word keeps its last position');
  torch.tidy(() => assert.deepEqual(dict.encode(['cat mat', ''], 3).toArray(), [[2, 12, 0], [0, 0, 0]]));
});

test('.npy reader: unicode word list (dict.npy), byte strings, float32 and int64 arrays', () => {
  const path = (n: string): string => fileURLToPath(new URL(n, fixtureDir));
  assert.deepEqual(readNpyStrings(path('dict.npy')), fx.tokens.words);
  assert.deepEqual(readNpy(path('bytes.npy')).data, ['ab', 'c', '']);
  const f = readNpy(path('floats.npy'));
  assert.deepEqual(f.shape, [2, 3]);
  assert.deepEqual(Array.from(f.data as Float32Array), [0, 0.25, 0.5, 0.75, 1, 1.25]);
  assert.deepEqual(Array.from(readNpy(path('ints.npy')).data as BigInt64Array, Number), [1, -2, 3]);
  assert.throws(() => readNpyStrings(path('floats.npy')), /numbers, not strings/);
  assert.throws(() => parseNpy(new Uint8Array(16)), /bad magic/);
  const header = "{'descr': '|O', 'fortran_order': False, 'shape': (2,), }\n";
  const obj = Buffer.concat([Buffer.from([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length, 0]), Buffer.from(header, 'latin1')]);
  assert.throws(() => parseNpy(obj), /object arrays/);
});
