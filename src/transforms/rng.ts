// The random-number interface every transform takes, and the three streams of the reference.
//
// The reference draws from three different generators (SPEC 12): Python's `random`, NumPy's global
// `RandomState` and torch's default generator. Each transform documents which stream it uses, so
// seeding the three like the reference (`seededStreams`) reproduces its draws exactly, while
// `sharedStream` runs everything from one generator when bit-exactness does not matter.

/**
 * A seeded source of random numbers. Integer draws come in two flavours, because the reference
 * mixes them and the difference decides whether the last crop offset can ever be chosen:
 * `randint` includes the upper bound (Python `random.randint`, SPEC "U{a..b}"), `randrange`
 * excludes it (NumPy `np.random.randint`, Python `random.randrange`, SPEC "numpy randint").
 */
export interface Rng {
  /** A double uniform in [0, 1). */
  random(): number;
  /** A real uniform in [lo, hi): `lo + (hi - lo) * random()` (NumPy `uniform`, Python `random.uniform`). */
  uniform(lo: number, hi: number): number;
  /** An integer uniform in [lo, hi], **both ends included** (Python `random.randint`). */
  randint(lo: number, hi: number): number;
  /** An integer uniform in [lo, hi), **upper end excluded** (NumPy `randint`, Python `randrange`). */
  randrange(lo: number, hi: number): number;
  /** A random permutation of 0..n-1 (NumPy `permutation`; Python `shuffle` of `range(n)`). */
  permutation(n: number): number[];
}

/** The reference's three generators (SPEC 12). One object may serve as several of them. */
export interface RandomStreams {
  /** Python `random`: clip positions, SpecAugment mask positions, time-warp points. */
  python: Rng;
  /** NumPy global RNG: scale jitter, crop offsets, flips, colour jitter, coin flips, volume, mask widths. */
  numpy: Rng;
  /** torch default generator: random-resized-crop geometry. */
  torch: Rng;
}

/** All three streams drawn from one generator (simple, not the reference's exact sequence). */
export function sharedStream(rng: Rng): RandomStreams {
  return { python: rng, numpy: rng, torch: rng };
}

/** @internal Throws unless `lo <= hi` are integers (as Python/NumPy raise for empty ranges). */
export function checkIntRange(lo: number, hi: number, what: string): void {
  if (!Number.isInteger(lo) || !Number.isInteger(hi)) throw new TypeError(`${what}: bounds must be integers, got ${lo}, ${hi}`);
  if (hi < lo) throw new RangeError(`${what}: empty range [${lo}, ${hi}]`);
}
