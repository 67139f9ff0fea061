// Building a model leaves exactly its parameters and buffers alive: no native temporaries of the
// construction (the tensors layers are created from, discarded layers of the reference's draw
// order, init scratch) outlive the constructor, whether it runs outside any scope or inside one,
// and dispose() returns the live-tensor count to its baseline.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch, nn } from '../../src/index.js';
import { architectures, VideoResNet, AudioResNet, BasicBlock3d, BasicBlock2d, Conv2Plus1D, R2Plus1dStem, MlpHead, linearHead, TransformerPooling } from '../../src/models/index.js';

type AnyModule = nn.Module<never[], unknown>;

const live = (): number => torch.memory.liveTensors();

/** Builds outside any scope; checks the count against the model's own tensors, then disposes. */
function checkBuild(what: string, build: () => unknown): { tensors: number } {
  const base = live();
  const m = build() as AnyModule;
  const params = m.parameters();
  const buffers = m.buffers_();
  const own = new Set([...params, ...buffers]);
  assert.equal(own.size, params.length + buffers.length, `${what}: distinct parameter and buffer handles`);
  assert.ok(params.length > 0, `${what} has parameters`);
  assert.equal(live() - base, own.size, `${what}: ${params.length} parameters + ${buffers.length} buffers alive, ${live() - base - own.size} other tensors left by the construction`);
  m.dispose();
  assert.equal(live(), base, `${what}: dispose() frees everything the construction left`);
  return { tensors: own.size };
}

test('every architecture of the registry, built outside any scope, leaves only its parameters and buffers alive', () => {
  const names = Object.keys(architectures);
  for (const n of ['r2plus1d_18', 'r2plus1d_34', 'resnet9', 'resnet18', 'text_encoder', 'transformer_pooling', 'gdt', 'textvid_gdt', 'stica', 'finetune', 'finetune_agg']) {
    assert.ok(names.includes(n), `the registry has ${n}`);
  }
  const counts: Record<string, number> = {};
  for (const name of names) {
    counts[name] = checkBuild(name, () => architectures[name]!.build({ width: 0.125, numClasses: 5 })).tensors;
  }
  // The count is the model's own (parameters() and buffers_()): for r2plus1d_18 it is its state_dict.
  const r = architectures.r2plus1d_18!.build({ width: 0.125 }) as AnyModule;
  const sd = r.stateDict();
  assert.equal(counts.r2plus1d_18, sd.size);
  torch.disposeAll(sd);
  r.dispose();
});

test('the building blocks on their own leave no temporaries either', () => {
  checkBuild('Conv2Plus1D', () => new Conv2Plus1D(4, 8, 6, 2));
  checkBuild('R2Plus1dStem', () => new R2Plus1dStem(5, 8));
  checkBuild('BasicBlock3d', () => new BasicBlock3d(8, 8, 1));
  checkBuild('BasicBlock2d', () => new BasicBlock2d(8, 8, 1));
  checkBuild('MlpHead', () => new MlpHead(16, 8));
  checkBuild('linearHead', () => linearHead(16, 8));
  checkBuild('TransformerPooling (positional embedding, v/out projections)', () => new TransformerPooling({ dim: 16, numLayers: 1, numHeads: 2, positionalEmb: true, qkvMha: true }));
});

test('plain nn layers built outside any scope leave only their parameters and buffers', () => {
  checkBuild('Linear', () => new nn.Linear(6, 4));
  checkBuild('Conv3d', () => new nn.Conv3d(3, 4, 3));
  checkBuild('Conv2d without bias', () => new nn.Conv2d(3, 4, 3, { bias: false }));
  checkBuild('BatchNorm3d', () => new nn.BatchNorm3d(4));
  checkBuild('LayerNorm', () => new nn.LayerNorm([8]));
  checkBuild('Embedding', () => new nn.Embedding(10, 4));
  checkBuild('MultiheadAttention', () => new nn.MultiheadAttention(8, 2));
  checkBuild('MultiheadAttention with kdim/vdim', () => new nn.MultiheadAttention(8, 2, { kdim: 6, vdim: 5 }));
});

test('built inside a scope, the parameters survive the scope and only they stay alive', () => {
  const base = live();
  const m = torch.tidy(() => new VideoResNet({ width: 0.125 }));
  const own = m.parameters().length + m.buffers_().length;
  assert.equal(live() - base, own);
  assert.ok(m.parameters().every((p) => !p.isDisposed && p.requiresGrad));
  const { shape, sum } = torch.tidy(() => {
    const y = m.eval().forward(torch.ones([1, 3, 4, 16, 16]));
    return { shape: y.shape, sum: Number(y.sum().item()) };
  });
  assert.deepEqual(shape, [1, 64, 1, 1, 1]);
  assert.ok(Number.isFinite(sum) && sum !== 0);
  m.dispose();
  assert.equal(live(), base);
});

test('a scope around the construction changes no random draw: the same seed gives the same weights', () => {
  const weights = (seed: number, scoped: boolean): number[] => {
    torch.manualSeed(seed);
    const build = (): AnyModule[] => [new AudioResNet({ width: 0.125 }), new VideoResNet({ width: 0.125 }), new TransformerPooling({ dim: 16, numLayers: 1, numHeads: 2 })] as unknown as AnyModule[];
    const ms = scoped ? torch.tidy(build) : build();
    const sums = ms.flatMap((m) => m.parameters()).map((p) => torch.tidy(() => Number(p.abs().sum().item())));
    for (const m of ms) m.dispose();
    return sums;
  };
  const a = weights(3, false);
  assert.deepEqual(weights(3, true), a);
  assert.notDeepEqual(weights(4, false), a);
});
