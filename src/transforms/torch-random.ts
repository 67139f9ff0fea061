// torch's generator as an Rng: the draws the reference makes with torch.empty(1).uniform_,
// torch.randint and torch.randperm (random resized crop geometry).
import * as torch from '../torch/index.js';
import { checkIntRange, type Rng } from './rng.js';

/**
 * A libtorch CPU generator. Seeded with `s` it produces the same stream as `torch.manual_seed(s)`.
 * `uniform` draws a **float32** value (`torch.empty(1).uniform_(lo, hi).item()`), as the reference.
 */
export class TorchRandom implements Rng {
  readonly generator: torch.Generator;

  constructor(seedOrGenerator: number | bigint | torch.Generator) {
    this.generator = seedOrGenerator instanceof torch.Generator ? seedOrGenerator : new torch.Generator({ seed: seedOrGenerator });
  }

  /** `torch.rand(1, dtype=float64).item()`. */
  random(): number {
    return torch.tidy(() => torch.rand([1], { generator: this.generator, dtype: 'float64' }).item() as number);
  }
  /** `torch.empty(1).uniform_(lo, hi).item()`: a float32 draw, returned as a double. */
  uniform(lo: number, hi: number): number {
    return torch.tidy(() => torch.empty([1]).uniform_(lo, hi, this.generator).item() as number);
  }
  /** Both ends included: `torch.randint(lo, hi + 1, (1,)).item()`. */
  randint(lo: number, hi: number): number {
    checkIntRange(lo, hi, 'randint');
    return this.randrange(lo, hi + 1);
  }
  /** Upper end excluded: `torch.randint(lo, hi, (1,)).item()`. */
  randrange(lo: number, hi: number): number {
    checkIntRange(lo, hi - 1, 'randrange');
    return torch.tidy(() => torch.randint(lo, hi, [1], { generator: this.generator }).item() as number);
  }
  /** `torch.randperm(n)`. */
  permutation(n: number): number[] {
    return torch.tidy(() => torch.randperm(n, { generator: this.generator }).toArray() as number[]);
  }
}
