// NumPy's legacy global generator (`np.random.seed`, `RandomState`): the draws the reference makes
// with np.random.uniform / randint / permutation.
import { MT19937, type MT19937State } from './mt19937.js';
import { checkIntRange, type Rng } from './rng.js';

/** NumPy `RandomState(seed)` (legacy seeding, masked rejection sampling for integers). */
export class NumpyRandomState implements Rng {
  private readonly mt: MT19937;

  /** Seed in [0, 2**32), as `np.random.seed(seed)`. */
  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`Seed must be between 0 and 2**32 - 1, got ${seed}`);
    this.mt = MT19937.fromSeed(seed);
  }

  /** `np.random.random_sample()`. */
  random(): number {
    return this.mt.nextDouble();
  }
  /** `np.random.uniform(lo, hi)`. */
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.random();
  }
  /** Both ends included: `np.random.randint(lo, hi + 1)`. */
  randint(lo: number, hi: number): number {
    checkIntRange(lo, hi, 'randint');
    return lo + this.bounded(hi - lo);
  }
  /** Upper end excluded: `np.random.randint(lo, hi)` (raises when lo >= hi, as NumPy). */
  randrange(lo: number, hi: number): number {
    if (hi <= lo) throw new RangeError(`randrange: low >= high (${lo} >= ${hi})`);
    checkIntRange(lo, hi - 1, 'randrange');
    return lo + this.bounded(hi - 1 - lo);
  }
  /** `np.random.permutation(n)`: Fisher-Yates from the end with `random_interval`. */
  permutation(n: number): number[] {
    const x = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i >= 1; i--) {
      const j = this.bounded(i);
      [x[i], x[j]] = [x[j]!, x[i]!];
    }
    return x;
  }

  getState(): MT19937State {
    return this.mt.getState();
  }
  setState(state: MT19937State): void {
    this.mt.setState(state);
  }

  // A value in [0, max] by masked rejection on the LOW bits of one 32-bit output (NumPy's
  // buffered_bounded_masked_uint32 and random_interval agree for max < 2**32).
  private bounded(max: number): number {
    if (max === 0) return 0;
    if (max > 0xffffffff) throw new RangeError(`ranges above 2**32 are not supported, got ${max + 1}`);
    if (max === 0xffffffff) return this.mt.nextUint32();
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    mask >>>= 0;
    let v: number;
    do v = (this.mt.nextUint32() & mask) >>> 0;
    while (v > max);
    return v;
  }
}
