// The seeded streams reproduce Python `random`, NumPy's legacy RandomState and torch draw for draw.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NumpyRandomState, PythonRandom, TorchRandom, seededStreams, sharedStream } from '../../src/transforms/index.js';
import { loadReference } from './helpers.js';

interface RngCase {
  seed: number;
  python: Record<string, unknown>;
  numpy: Record<string, unknown>;
  torch: Record<string, unknown>;
}
const ref = loadReference<{ rng: RngCase[]; pythonBigSeed: { seed: string; random: number[] } }>();
const times = <T>(n: number, f: () => T): T[] => Array.from({ length: n }, f);

for (const c of ref.rng) {
  test(`Python random, seed ${c.seed}`, () => {
    const r = new PythonRandom(c.seed);
    const p = c.python;
    assert.deepEqual(times(4, () => r.random()), p.random);
    assert.deepEqual(times(6, () => r.randint(0, 1000)), p.randint_0_1000);
    assert.deepEqual(times(6, () => r.randint(0, 3)), p.randint_0_3);
    assert.deepEqual(times(2, () => r.randint(0, 0)), p.randint_0_0);
    assert.deepEqual(times(6, () => r.randrange(-5, 5)), p.randrange_m5_5);
    assert.deepEqual(times(2, () => r.uniform(0.9, 1.1)), p.uniform);
    assert.deepEqual(r.permutation(6), p.shuffle6);
    assert.equal(r.random(), p.after);
  });

  test(`NumPy RandomState, seed ${c.seed}`, () => {
    const r = new NumpyRandomState(c.seed);
    const p = c.numpy;
    assert.deepEqual(times(4, () => r.random()), p.random);
    assert.deepEqual(times(6, () => r.randrange(0, 48)), p.randint_0_48);
    assert.deepEqual(times(2, () => r.randrange(0, 1)), p.randint_0_1);
    assert.deepEqual(times(6, () => r.randint(5, 299)), p.randint_5_300, 'randint(lo, hi) inclusive = np.randint(lo, hi + 1)');
    assert.deepEqual(times(3, () => r.uniform(-0.4, 0.4)), p.uniform);
    assert.deepEqual(times(4, () => r.permutation(3)), p.perm3);
    assert.deepEqual(r.permutation(10), p.perm10);
    assert.deepEqual(times(4, () => Math.round(r.uniform(128, 160))), p.round_uniform);
    assert.equal(r.random(), p.after);
  });

  test(`torch generator, seed ${c.seed}`, () => {
    const r = new TorchRandom(c.seed);
    const p = c.torch;
    assert.deepEqual(times(3, () => r.uniform(0.14, 1.0)), p.uniform);
    assert.deepEqual(times(4, () => r.randrange(0, 10)), p.randint_0_10);
    assert.deepEqual(r.permutation(5), p.randperm5);
    assert.deepEqual(times(2, () => r.random()), p.random);
  });
}

test('Python seeds wider than 32 bits are split into words', () => {
  const r = new PythonRandom(BigInt(ref.pythonBigSeed.seed));
  assert.deepEqual(times(3, () => r.random()), ref.pythonBigSeed.random);
});

test('randint includes the upper bound, randrange excludes it', () => {
  for (const r of [new PythonRandom(3), new NumpyRandomState(3), new TorchRandom(3)]) {
    const inc = new Set(times(400, () => r.randint(0, 2)));
    const exc = new Set(times(400, () => r.randrange(0, 2)));
    assert.deepEqual([...inc].sort(), [0, 1, 2]);
    assert.deepEqual([...exc].sort(), [0, 1]);
    assert.throws(() => r.randint(3, 2), RangeError);
    assert.throws(() => r.randrange(2, 2), RangeError);
  }
});

test('state save and restore resumes the same sequence', () => {
  for (const r of [new PythonRandom(9), new NumpyRandomState(9)]) {
    r.random();
    const s = r.getState();
    const a = times(5, () => r.randint(0, 100));
    r.setState(s);
    assert.deepEqual(times(5, () => r.randint(0, 100)), a);
  }
});

test('seededStreams seeds each library its own way; sharedStream uses one generator', () => {
  const s = seededStreams(7);
  assert.equal(s.python.random(), new PythonRandom(7).random());
  assert.equal(s.numpy.random(), new NumpyRandomState(7).random());
  const one = new NumpyRandomState(1);
  const sh = sharedStream(one);
  assert.equal(sh.python, sh.numpy);
  assert.equal(sh.torch, one);
  assert.throws(() => new NumpyRandomState(-1), RangeError);
});
