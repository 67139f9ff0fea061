// Training state in checkpoints: nested state (optimiser, scheduler) split into tensors (stored in
// safetensors under a prefix) and JSON (the rest, with `{ $tensor: key }` placeholders).
import { readdirSync, renameSync, rmSync, copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function flattenState(value: unknown, prefix: string, tensors: Map<string, Tensor>): Json {
  if (value instanceof torch.Tensor) {
    tensors.set(prefix, value);
    return { $tensor: prefix };
  }
  if (Array.isArray(value)) return value.map((v, i) => flattenState(v, `${prefix}/${i}`, tensors));
  if (value && typeof value === 'object') {
    const out: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) out[k] = flattenState(v, `${prefix}/${k}`, tensors);
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return { $number: String(value) };
  return (value ?? null) as Json;
}

export function unflattenState(json: unknown, tensors: Map<string, Tensor>): unknown {
  if (Array.isArray(json)) return json.map((v) => unflattenState(v, tensors));
  if (json && typeof json === 'object') {
    const o = json as Record<string, unknown>;
    if (typeof o.$tensor === 'string') {
      const t = tensors.get(o.$tensor);
      if (!t) throw new Error(`checkpoint is missing tensor '${o.$tensor}'`);
      return t;
    }
    if (typeof o.$number === 'string') return Number(o.$number);
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unflattenState(v, tensors)]));
  }
  return json;
}

export const LATEST = 'checkpoint.safetensors';

/** Rolling `checkpoint-step<N>.safetensors` files: keeps the newest `keep`. */
export function pruneStepCheckpoints(dir: string, keep: number): void {
  const steps = readdirSync(dir)
    .map((f) => /^checkpoint-step(\d+)\.safetensors$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => b - a);
  for (const s of steps.slice(keep)) rmSync(join(dir, `checkpoint-step${s}.safetensors`), { force: true });
}

/** Publishes a just-written checkpoint as the latest, atomically (rename), keeping a step copy. */
export function publishCheckpoint(dir: string, written: string, o: { step: number; epoch: number; keepLast: number; numbered: boolean }): void {
  const stepCopy = join(dir, `checkpoint-step${o.step}.safetensors`);
  copyFileSync(written, stepCopy);
  if (o.numbered) copyFileSync(written, join(dir, `checkpoint-epoch${o.epoch}.safetensors`));
  renameSync(written, join(dir, LATEST));
  pruneStepCheckpoints(dir, o.keepLast);
}

export function latestCheckpoint(dir: string): string | undefined {
  const p = join(dir, LATEST);
  return existsSync(p) ? p : undefined;
}
