// Seeded runs reproduce exactly: manualSeed, Generator objects, getState/setState.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, flat, assertThrowsMsg } from './helpers.js';

const draw = (g?: torch.Generator) => flat(torch.randn([16], { generator: g, dtype: 'float64' }));

describe('manualSeed', () => {
  test('the same seed gives identical randn arrays', () => {
    torch.manualSeed(42);
    const a = draw();
    torch.manualSeed(42);
    const b = draw();
    assert.deepEqual(a, b);
    assert.equal(new Set(a).size, 16, 'values are not degenerate');
  });

  test('successive draws differ; different seeds differ', () => {
    torch.manualSeed(1);
    const a = draw();
    const a2 = draw();
    assert.notDeepEqual(a, a2);
    torch.manualSeed(2);
    const b = draw();
    assert.notDeepEqual(a, b);
    assert.ok(a.every((v, i) => v !== b[i]));
  });

  test('every random creation function is reproducible', () => {
    const run = () => {
      torch.manualSeed(7);
      return [
        flat(torch.rand([5])),
        flat(torch.randint(0, 100, [5])),
        flat(torch.randperm(8)),
        flat(torch.normal(1, 2, [3])),
        flat(torch.bernoulli(torch.zeros([8]), 0.5)),
        flat(torch.multinomial(torch.tensor([0.2, 0.3, 0.5]), 6, true)),
        flat(torch.F.dropout(torch.ones([10]), 0.5)),
        flat(torch.randLike(torch.zeros([3]))),
        flat(torch.empty([4]).uniform_(-1, 1)),
        flat(torch.empty([4]).normal_()),
      ];
    };
    assert.deepEqual(run(), run());
  });

  test('bigint seeds, including ones above 2^53', () => {
    torch.manualSeed(2n ** 60n + 3n);
    const a = draw();
    torch.manualSeed(2n ** 60n + 3n);
    assert.deepEqual(draw(), a);
    torch.manualSeed(2n ** 60n + 4n);
    assert.notDeepEqual(draw(), a);
  });

  test('known first values of the default CPU generator match PyTorch (seed 0)', () => {
    // PyTorch: torch.manual_seed(0); torch.rand(3) -> [0.4963, 0.7682, 0.0885]; torch.randn(3) -> [1.5410, -0.2934, -2.1788]
    torch.manualSeed(0);
    const r = flat(torch.rand([3]));
    r.forEach((v, i) => assert.ok(Math.abs(v - [0.4963, 0.7682, 0.0885][i]!) < 1e-4, `rand[${i}] = ${v}`));
    torch.manualSeed(0);
    const n = flat(torch.randn([3]));
    n.forEach((v, i) => assert.ok(Math.abs(v - [1.541, -0.2934, -2.1788][i]!) < 1e-4, `randn[${i}] = ${v}`));
    const g = new torch.Generator({ seed: 0 });
    assert.deepEqual(flat(torch.rand([3], { generator: g })), r);
  });
});

describe('Generator', () => {
  test('a Generator seeded like the default one draws the same stream', () => {
    torch.manualSeed(99);
    const a = draw();
    const g = new torch.Generator({ seed: 99 });
    assert.deepEqual(draw(g), a);
  });

  test('manualSeed on a Generator restarts its stream; initialSeed reports it', () => {
    const g = new torch.Generator();
    assert.equal(g.manualSeed(5), g);
    assert.equal(g.initialSeed(), 5n);
    const a = draw(g);
    g.manualSeed(5);
    assert.deepEqual(draw(g), a);
    assert.equal(new torch.Generator({ seed: 2n ** 63n }).initialSeed(), 2n ** 63n);
  });

  test('generators are independent of each other and of the default generator', () => {
    torch.manualSeed(3);
    const ref = draw();
    torch.manualSeed(3);
    const g = new torch.Generator({ seed: 11 });
    draw(g);
    draw(g);
    assert.deepEqual(draw(), ref, 'drawing from g did not advance the default generator');
    const g1 = new torch.Generator({ seed: 1 });
    const g2 = new torch.Generator({ seed: 1 });
    const x1 = draw(g1);
    draw(new torch.Generator({ seed: 1 }));
    assert.deepEqual(draw(g2), x1);
  });

  test('getState/setState restore the stream exactly', () => {
    const g = new torch.Generator({ seed: 21 });
    draw(g);
    const state = g.getState();
    assert.equal(state.dtype, 'uint8');
    assert.ok(state.numel > 0);
    const a = draw(g);
    const b = flat(torch.randint(0, 1000, [8], { generator: g }));
    assert.equal(g.setState(state), g);
    assert.deepEqual(draw(g), a);
    assert.deepEqual(flat(torch.randint(0, 1000, [8], { generator: g })), b);
    // a state copied to another generator continues there
    const h = new torch.Generator({ seed: 0 });
    h.setState(state);
    assert.deepEqual(draw(h), a);
  });

  test('getRngState/setRngState for the default generator', () => {
    torch.manualSeed(8);
    draw();
    const s = torch.getRngState();
    const a = draw();
    draw();
    torch.setRngState(s);
    assert.deepEqual(draw(), a);
  });

  test('an invalid state is libtorch\'s error', () => {
    const g = new torch.Generator();
    assert.throws(() => g.setState(torch.zeros([3], { dtype: 'uint8' })), /state|size/i);
    if (!torch.buildInfo().cudaCompiled) assertThrowsMsg(() => new torch.Generator({ device: 'cuda' }), Error, 'this gdt build has no CUDA');
  });
});
