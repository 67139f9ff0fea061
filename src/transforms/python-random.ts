// Python's `random` module (CPython 3.x, MT19937): random, uniform, randint, randrange, shuffle.
import { MT19937, type MT19937State } from './mt19937.js';
import { checkIntRange, type Rng } from './rng.js';

/** Python `random.Random(seed)`: the same draws as the reference's `random.*` calls. */
export class PythonRandom implements Rng {
  private readonly mt: MT19937;

  /** Integer seed as `random.seed(seed)` (the absolute value, split into 32-bit words). */
  constructor(seed: number | bigint) {
    this.mt = MT19937.fromKey(seedKey(seed));
  }

  random(): number {
    return this.mt.nextDouble();
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.random();
  }
  /** Both ends included: `random.randint(lo, hi)` = `randrange(lo, hi + 1)`. */
  randint(lo: number, hi: number): number {
    checkIntRange(lo, hi, 'randint');
    return lo + this.randbelow(hi - lo + 1);
  }
  /** Upper end excluded: `random.randrange(lo, hi)`. */
  randrange(lo: number, hi: number): number {
    checkIntRange(lo, hi - 1, 'randrange');
    return lo + this.randbelow(hi - lo);
  }
  /** `random.shuffle(list(range(n)))` (Python has no permutation; this is the idiom). */
  permutation(n: number): number[] {
    const x = Array.from({ length: n }, (_, i) => i);
    for (let i = n - 1; i >= 1; i--) {
      const j = this.randbelow(i + 1);
      [x[i], x[j]] = [x[j]!, x[i]!];
    }
    return x;
  }
  /** `random.getrandbits(k)` for 1 <= k <= 32: the top k bits of one output. */
  getrandbits(k: number): number {
    if (!Number.isInteger(k) || k < 1 || k > 32) throw new RangeError(`getrandbits supports 1..32 bits here, got ${k}`);
    return this.mt.nextUint32() >>> (32 - k);
  }

  getState(): MT19937State {
    return this.mt.getState();
  }
  setState(state: MT19937State): void {
    this.mt.setState(state);
  }

  // CPython's _randbelow_with_getrandbits: rejection sampling on bit_length(n) bits.
  private randbelow(n: number): number {
    if (n >= 2 ** 32) throw new RangeError(`ranges of 2**32 or more are not supported, got ${n}`);
    const k = 32 - Math.clz32(n); // n.bit_length()
    let r = this.getrandbits(k);
    while (r >= n) r = this.getrandbits(k);
    return r;
  }
}

function seedKey(seed: number | bigint): number[] {
  if (typeof seed === 'number' && !Number.isSafeInteger(seed)) throw new TypeError(`seed must be a safe integer, got ${seed}`);
  let s = BigInt(seed);
  if (s < 0n) s = -s;
  const key: number[] = [];
  while (s > 0n) {
    key.push(Number(s & 0xffffffffn));
    s >>= 32n;
  }
  return key.length ? key : [0];
}
