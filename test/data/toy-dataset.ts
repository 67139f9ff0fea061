// A tiny dataset for loader tests: deterministic values from the sample seed; some indices fail.
import { mulberry32 } from '../../src/media/rng.js';
import type { Dataset, Sample, SampleContext } from '../../src/data/sample.js';

export function createToyDataset(o: { length: number; bad?: number[]; delayMs?: number }): Dataset {
  const bad = new Set(o.bad ?? []);
  return {
    length: o.length,
    describe: (i) => `toy/${i}.mp4`,
    async get(index: number, ctx: SampleContext): Promise<Sample> {
      if (o.delayMs) await new Promise((r) => setTimeout(r, o.delayMs));
      if (bad.has(index)) throw new Error(`corrupt file (index ${index})`);
      const rnd = mulberry32(ctx.seed);
      return {
        x: { data: Float32Array.from([index, rnd(), rnd()]), shape: [3], dtype: 'float32' },
        img: { data: Uint8Array.from({ length: 4 }, (_, k) => (index * 4 + k) % 256), shape: [2, 2], dtype: 'uint8' },
        label: index % 3,
        name: `toy/${index}.mp4`,
      };
    },
  };
}
