// Reading one batch from a dataset, substituting failed samples (a bad file never stops a run).
import { hashSeed } from '../media/rng.js';
import { collate, type Dataset, type RawBatch, type Sample, type SampleFailure } from './sample.js';

export const MAX_SUBSTITUTIONS = 16;

/** The index tried after `attempt` failures: a fixed stride walk, so substitutes are reproducible. */
export function substituteIndex(index: number, attempt: number, length: number): number {
  return (index + attempt * 7919) % length;
}

export async function fetchBatch(ds: Dataset, indices: number[], seed: number, epoch: number): Promise<RawBatch> {
  const samples: Sample[] = [];
  const failures: SampleFailure[] = [];
  for (const index of indices) {
    let sample: Sample | undefined;
    for (let attempt = 0; attempt < MAX_SUBSTITUTIONS && !sample; attempt++) {
      const i = substituteIndex(index, attempt, ds.length);
      try {
        sample = await ds.get(i, { seed: hashSeed(seed, epoch, i, attempt), epoch, index: i, attempt });
      } catch (e) {
        failures.push({ index: i, name: ds.describe?.(i) ?? `#${i}`, reason: e instanceof Error ? e.message : String(e) });
      }
    }
    if (!sample) {
      throw new Error(
        `${MAX_SUBSTITUTIONS} samples in a row failed to load around index ${index}; last error: ${failures[failures.length - 1]?.reason}`,
      );
    }
    samples.push(sample);
  }
  return collate(samples, indices, failures);
}

export async function buildDataset(spec: { module: string; exportName: string; options?: unknown }): Promise<Dataset> {
  const mod = (await import(spec.module)) as Record<string, unknown>;
  const factory = mod[spec.exportName];
  if (typeof factory !== 'function') throw new Error(`${spec.module} has no exported function '${spec.exportName}'`);
  return (await (factory as (o: unknown) => Dataset | Promise<Dataset>)(spec.options)) as Dataset;
}
