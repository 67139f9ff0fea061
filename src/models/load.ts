// Loading pretrained weights from the reference's checkpoint layouts (SPEC 4.2) the way
// eval_video.py does (SPEC 4.3): strip `module.`, copy a tensor only when the name exists in
// the model with the same shape, skip everything else, leave missing entries at their init.
import { torch, nn } from '../index.js';
import type { Tensor } from '../torch/index.js';
import { loadTorchFile } from '../io/index.js';
import { FinetuneModel, FinetuneModelAgg } from './finetune.js';

export type WeightMap = ReadonlyMap<string, Tensor>;

/**
 * A checkpoint's top level, already read: main_gdt.py / eval_video.py write
 * `{model, optimizer, lr_scheduler, epoch, args}` (no prefix), main_stica.py writes
 * `{epoch, state_dict, optimizer}` with `module.`-prefixed keys.
 */
export interface CheckpointDict {
  state_dict?: WeightMap;
  model?: WeightMap;
  epoch?: number;
  [key: string]: unknown;
}

export interface CheckpointWeights {
  weights: WeightMap;
  /** Which entry held the weights ('flat' for a bare state dict). */
  source: 'state_dict' | 'model' | 'flat';
  epoch: number | undefined;
}

/** A checkpoint's top level as torch.save files load (Python dicts become Maps). */
export type LoadedCheckpoint = ReadonlyMap<unknown, unknown>;

function tensorsOf(m: ReadonlyMap<unknown, unknown>): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const [k, v] of m) if (v instanceof torch.Tensor) out.set(String(k), v);
  return out;
}

/**
 * The weight dict of a checkpoint: `state_dict` if present, else `model` (as eval_video.py);
 * a map of tensors is taken as a bare state dict. Accepts plain objects and the Maps that
 * loadTorchFile returns.
 */
export function checkpointWeights(ckpt: WeightMap | CheckpointDict | LoadedCheckpoint): CheckpointWeights {
  if (ckpt instanceof Map) {
    const m = ckpt as ReadonlyMap<unknown, unknown>;
    const epochValue = m.get('epoch');
    const epoch = typeof epochValue === 'number' ? epochValue : typeof epochValue === 'bigint' ? Number(epochValue) : undefined;
    for (const key of ['state_dict', 'model'] as const) {
      const inner = m.get(key);
      if (inner instanceof Map) return { weights: tensorsOf(inner), source: key, epoch };
    }
    const flat = tensorsOf(m);
    if (!flat.size && m.size) throw new Error(`checkpoint has neither 'state_dict' nor 'model' (keys: ${[...m.keys()].map(String).join(', ')})`);
    return { weights: flat, source: 'flat', epoch };
  }
  const c = ckpt as CheckpointDict;
  const epoch = typeof c.epoch === 'number' ? c.epoch : undefined;
  if (c.state_dict) return { weights: c.state_dict, source: 'state_dict', epoch };
  if (c.model) return { weights: c.model, source: 'model', epoch };
  throw new Error(`checkpoint has neither 'state_dict' nor 'model' (keys: ${Object.keys(c).join(', ')})`);
}

export interface RenamedKey {
  from: string;
  to: string;
}

export interface SkippedKey {
  /** Name in the checkpoint. */
  key: string;
  /** Name after renaming. */
  name: string;
  reason: 'not in model' | 'shape mismatch' | 'duplicate';
  expected?: number[];
  got?: number[];
}

export interface PretrainedLoadReport {
  /** Model keys that received a checkpoint tensor. */
  loaded: string[];
  /** Loaded entries whose name changed (`module.` removed, finetuning prefixes). */
  renamed: RenamedKey[];
  /** Checkpoint entries not copied (eval_video.py's "didnt load <name>"). */
  skipped: SkippedKey[];
  /** Model keys with no checkpoint tensor: they keep their initialisation. */
  missing: string[];
  source: CheckpointWeights['source'];
  epoch: number | undefined;
}

export interface LoadPretrainedOptions {
  /**
   * Apply the finetuning renames `video_network.base.X -> base.X` and
   * `video_pooling.Y -> pooling_arch.Y`. Default: when the model is a finetuning wrapper.
   */
  finetune?: boolean;
  /** Fail when the checkpoint has no `epoch` (eval_video.py reads it unconditionally). */
  requireEpoch?: boolean;
}

/** The name a checkpoint key gets in the target model (SPEC 4.3). */
export function renameCheckpointKey(key: string, finetune: boolean): string {
  // eval_video.py deletes every occurrence of 'module.', not only a leading one (SPEC 13.42).
  let name = key.split('module.').join('');
  if (finetune) {
    if (name.startsWith('video_network.base.')) name = `base.${name.slice('video_network.base.'.length)}`;
    else if (name.startsWith('video_pooling.')) name = `pooling_arch.${name.slice('video_pooling.'.length)}`;
  }
  return name;
}

/**
 * Loads checkpoint weights into a pretraining model (GDT, TextVid_GDT, STiCA) or a finetuning
 * wrapper, eval_video.py style, and reports what happened. Never throws on mismatches.
 */
export function loadPretrained(model: nn.Module<never[], unknown>, ckpt: WeightMap | CheckpointDict | LoadedCheckpoint, o: LoadPretrainedOptions = {}): PretrainedLoadReport {
  const { weights, source, epoch } = checkpointWeights(ckpt);
  if (o.requireEpoch && epoch === undefined) throw new Error("checkpoint has no 'epoch' entry");
  const finetune = o.finetune ?? (model instanceof FinetuneModel || model instanceof FinetuneModelAgg);

  const shapes = new Map<string, number[]>();
  torch.tidy(() => {
    for (const [k, t] of model.stateDict()) shapes.set(k, t.shape);
  });

  const report: PretrainedLoadReport = { loaded: [], renamed: [], skipped: [], missing: [], source, epoch };
  const take = new Map<string, { key: string; tensor: Tensor }>();
  for (const [key, tensor] of weights) {
    const name = renameCheckpointKey(key, finetune);
    const expected = shapes.get(name);
    if (!expected) {
      report.skipped.push({ key, name, reason: 'not in model' });
      continue;
    }
    const got = tensor.shape;
    if (got.length !== expected.length || got.some((d, i) => d !== expected[i])) {
      report.skipped.push({ key, name, reason: 'shape mismatch', expected, got });
      continue;
    }
    const prev = take.get(name);
    // Two checkpoint keys can collapse to one name ('module.x' and 'x'): the later one wins, as
    // the reference's sequential copies.
    if (prev) report.skipped.push({ key: prev.key, name, reason: 'duplicate' });
    take.set(name, { key, tensor });
  }

  const subset = new Map<string, Tensor>([...take].map(([name, e]) => [name, e.tensor]));
  model.loadStateDict(subset, { strict: false });
  for (const name of shapes.keys()) {
    const e = take.get(name);
    if (!e) {
      report.missing.push(name);
      continue;
    }
    report.loaded.push(name);
    if (e.key !== name) report.renamed.push({ from: e.key, to: name });
  }
  return report;
}

/**
 * Reads a reference checkpoint file (torch.save: main_gdt.py, main_stica.py or eval_video.py
 * layouts, or a bare state dict) and loads it with loadPretrained. Every tensor read from the
 * file (optimizer state included) is freed afterwards.
 */
export async function loadPretrainedFile(model: nn.Module<never[], unknown>, path: string, o: LoadPretrainedOptions = {}): Promise<PretrainedLoadReport> {
  const loaded = await loadTorchFile(path);
  try {
    if (!(loaded instanceof Map)) throw new Error(`${path}: expected a dict at the top level of the checkpoint`);
    return loadPretrained(model, loaded as LoadedCheckpoint, o);
  } finally {
    torch.disposeAll(loaded);
  }
}

/** The report in nn's LoadReport form (skipped names as unexpected keys / shape mismatches). */
export function toLoadReport(r: PretrainedLoadReport): nn.LoadReport {
  return {
    loaded: r.loaded,
    missingKeys: r.missing,
    unexpectedKeys: r.skipped.filter((s) => s.reason !== 'shape mismatch').map((s) => s.key),
    shapeMismatches: r.skipped.filter((s) => s.reason === 'shape mismatch').map((s) => ({ key: s.key, expected: s.expected!, got: s.got! })),
  };
}

/** A readable summary: nn.formatLoadReport plus the renames, the weight source and the epoch. */
export function formatPretrainedLoadReport(r: PretrainedLoadReport): string {
  const lines = [nn.formatLoadReport(toLoadReport(r))];
  if (r.renamed.length) {
    const ex = r.renamed.slice(0, 3).map((x) => `${x.from} -> ${x.to}`);
    lines.push(`renamed (${r.renamed.length}): ${ex.join(', ')}${r.renamed.length > 3 ? ', ...' : ''}`);
  }
  lines.push(`weights from '${r.source}'${r.epoch === undefined ? '' : `, epoch ${r.epoch}`}`);
  return lines.join('\n');
}

/** Groups skipped keys by their top-level module (e.g. `audio_network`: 62) for summaries. */
export function skippedByModule(r: PretrainedLoadReport): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of r.skipped) {
    const top = s.name.split('.')[0]!;
    out.set(top, (out.get(top) ?? 0) + 1);
  }
  return out;
}
