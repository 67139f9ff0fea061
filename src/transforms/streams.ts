// The reference's three generators seeded at once, as `random.seed(s); np.random.seed(s);
// torch.manual_seed(s)` would.
import { NumpyRandomState } from './numpy-random.js';
import { PythonRandom } from './python-random.js';
import type { RandomStreams } from './rng.js';
import { TorchRandom } from './torch-random.js';

/** Python, NumPy and torch streams seeded with the same integer (each seeded as its library does). */
export function seededStreams(seed: number): RandomStreams {
  return { python: new PythonRandom(seed), numpy: new NumpyRandomState(seed), torch: new TorchRandom(seed) };
}
