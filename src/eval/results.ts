// results.json: per-fold and mean results with the protocol, the resolved configuration, the
// checkpoint (path, SHA-256) and provenance (gdt version, git commit), written atomically.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { EvalCommand, EvalProtocol } from './config.js';
import type { Provenance } from './provenance.js';
import type { EvalWeights, PretrainSummary, WeightsFormat } from './weights.js';

export const RESULTS_VERSION = 1;

export interface CheckpointInfo {
  source: string;
  path?: string;
  sha256?: string;
  format: WeightsFormat;
  zooName?: string;
  epoch?: number;
  pretrain?: PretrainSummary;
}

export function checkpointInfo(w: EvalWeights): CheckpointInfo {
  return { source: w.source, path: w.path, sha256: w.sha256, format: w.format, zooName: w.zooName, epoch: w.epoch, pretrain: w.pretrain };
}

export interface EvalResults<F> {
  version: typeof RESULTS_VERSION;
  command: EvalCommand;
  protocol: EvalProtocol;
  protocolDescription: string;
  dataset: string;
  folds: F[];
  /** Mean over folds of each headline metric. */
  mean: Record<string, number>;
  checkpoint: CheckpointInfo;
  config: unknown;
  provenance: Provenance;
  timings: { totalSeconds: number; foldSeconds: number[] };
}

/** Mean of a metric over folds. */
export function meanOver<F>(folds: readonly F[], get: (f: F) => number): number {
  return folds.length ? folds.reduce((s, f) => s + get(f), 0) / folds.length : NaN;
}

export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

export async function writeResults<F>(out: string, results: EvalResults<F>): Promise<string> {
  mkdirSync(out, { recursive: true });
  const path = join(out, 'results.json');
  await writeJsonAtomic(path, results);
  return path;
}

export async function writeReport(out: string, html: string): Promise<string> {
  mkdirSync(out, { recursive: true });
  const path = join(out, 'report.html');
  await writeFileAtomic(path, html);
  return path;
}
