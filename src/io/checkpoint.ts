// gdt's training checkpoint: one safetensors file whose tensors are the model, optimiser and RNG
// state (under prefixed names) and whose metadata carries a JSON document (config, epoch, step,
// scheduler, loader position). Written atomically: a crash never leaves a half-written file.
import type { Tensor } from '../torch/index.js';
import { loadSafetensors, saveSafetensors } from './tensors.js';

export const CHECKPOINT_FORMAT = 'gdt-checkpoint';
export const CHECKPOINT_VERSION = 1;

export interface Checkpoint<D = Record<string, unknown>> {
  tensors: Map<string, Tensor>;
  document: D;
}

export async function saveCheckpoint(path: string, c: Checkpoint<object>): Promise<void> {
  await saveSafetensors(path, c.tensors, {
    format: CHECKPOINT_FORMAT,
    version: String(CHECKPOINT_VERSION),
    document: JSON.stringify(c.document),
  });
}

export async function loadCheckpoint<D = Record<string, unknown>>(path: string): Promise<Checkpoint<D>> {
  const { tensors, metadata } = await loadSafetensors(path);
  if (metadata?.format !== CHECKPOINT_FORMAT) {
    for (const t of tensors.values()) t.dispose();
    throw new Error(`${path} is a safetensors file but not a gdt training checkpoint (no '${CHECKPOINT_FORMAT}' metadata)`);
  }
  if (Number(metadata.version) > CHECKPOINT_VERSION) {
    for (const t of tensors.values()) t.dispose();
    throw new Error(`${path} was written by a newer gdt (checkpoint version ${metadata.version}); upgrade gdt to read it`);
  }
  let document: D;
  try {
    document = JSON.parse(metadata.document ?? '{}') as D;
  } catch (e) {
    for (const t of tensors.values()) t.dispose();
    throw new Error(`${path}: the checkpoint's JSON document is corrupt (${(e as Error).message})`);
  }
  return { tensors, document };
}

/** Tensors under `prefix/` with the prefix removed (e.g. 'model/' → the model's state dict). */
export function section(tensors: Map<string, Tensor>, prefix: string): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  const p = prefix.endsWith('/') ? prefix : `${prefix}/`;
  for (const [k, t] of tensors) if (k.startsWith(p)) out.set(k.slice(p.length), t);
  return out;
}
