// A tiny views dataset for the feature-cache tests: sample i has one 3-value view derived from i.
import type { Dataset, Sample } from '../../src/data/sample.js';

export function createToyViews(o: { length: number }): Dataset {
  return {
    length: o.length,
    get(index: number): Sample {
      return {
        views: { data: Float32Array.from([index, index * 2, 1]), shape: [1, 3], dtype: 'float32' },
        label: index % 2,
        video: Math.floor(index / 2),
        clip: index % 2,
      };
    },
  };
}
