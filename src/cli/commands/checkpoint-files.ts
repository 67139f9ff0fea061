// `gdt inspect` and `gdt convert`: look into and convert checkpoint files (torch .pth in zip or
// legacy format, safetensors, gdt training checkpoints) without executing anything from them.
import type { Command } from 'commander';
import { readTorchFile } from '../../io/torch-file.js';
import { readSafetensors } from '../../io/safetensors.js';
import { isTensorRecord, type TensorRecord } from '../../io/tensor-record.js';
import { CHECKPOINT_FORMAT } from '../../io/checkpoint.js';
import { extractStateDict, loadSafetensors, loadTorchFile, saveSafetensors, saveTorchFile } from '../../io/tensors.js';
import { sniffCheckpoint } from '../../io/sniff.js';

export type FileKind = 'safetensors' | 'gdt-checkpoint' | 'torch-zip' | 'torch-legacy';

export interface TensorInfo {
  name: string;
  shape: number[];
  dtype: string;
  numel: number;
}

export interface InspectReport {
  path: string;
  kind: FileKind;
  tensors: TensorInfo[];
  parameters: number;
  structure: unknown;
  metadata?: Record<string, string>;
}

/** Replaces tensors by a short description and cuts long containers, for a readable overview. */
function describe(value: unknown, depth: number, tensors: TensorInfo[], path: string): unknown {
  if (isTensorRecord(value)) {
    const r = value as TensorRecord;
    tensors.push({ name: path, shape: r.shape, dtype: r.dtype, numel: r.shape.reduce((a, b) => a * b, 1) });
    return `Tensor[${r.shape.join(', ')}] ${r.dtype}`;
  }
  const entries: [string, unknown][] | undefined =
    value instanceof Map
      ? [...value].map(([k, v]) => [String(k), v])
      : Array.isArray(value)
        ? value.map((v, i) => [String(i), v])
        : value && typeof value === 'object'
          ? Object.entries(value)
          : undefined;
  if (!entries) return typeof value === 'bigint' ? value.toString() : value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of entries) {
    const d = describe(v, depth + 1, tensors, path ? `${path}.${k}` : k);
    if (depth < 2) out[k] = d;
  }
  return depth < 2 ? out : `${value instanceof Map ? 'dict' : Array.isArray(value) ? 'list' : 'object'} of ${entries.length}`;
}

export async function inspectFile(path: string): Promise<InspectReport> {
  const kind = await sniffCheckpoint(path);
  const tensors: TensorInfo[] = [];
  if (kind === 'safetensors') {
    const f = await readSafetensors(path);
    const structure = describe(f.tensors, 0, tensors, '');
    const isCkpt = f.metadata?.format === CHECKPOINT_FORMAT;
    return {
      path,
      kind: isCkpt ? 'gdt-checkpoint' : 'safetensors',
      tensors,
      parameters: tensors.reduce((n, t) => n + t.numel, 0),
      structure: isCkpt ? { document: JSON.parse(f.metadata!.document ?? '{}') as unknown, tensors: structure } : structure,
      metadata: f.metadata,
    };
  }
  const loaded = await readTorchFile(path);
  const structure = describe(loaded, 0, tensors, '');
  return { path, kind: kind === 'zip' ? 'torch-zip' : 'torch-legacy', tensors, parameters: tensors.reduce((n, t) => n + t.numel, 0), structure };
}

export function formatReport(r: InspectReport, maxRows = 60): string {
  const lines = [`${r.path}: ${r.kind}, ${r.tensors.length} tensors, ${r.parameters.toLocaleString('en-US')} elements`];
  lines.push('structure: ' + JSON.stringify(r.structure, null, 2).split('\n').slice(0, 40).join('\n'));
  const w = Math.min(70, Math.max(4, ...r.tensors.map((t) => t.name.length)));
  for (const t of r.tensors.slice(0, maxRows)) lines.push(`  ${t.name.padEnd(w)}  ${t.dtype.padEnd(9)} [${t.shape.join(', ')}]`);
  if (r.tensors.length > maxRows) lines.push(`  ... ${r.tensors.length - maxRows} more (use --json for all)`);
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('inspect')
    .description('list the keys, shapes and dtypes of a checkpoint (.pth zip or legacy, .safetensors, gdt checkpoint)')
    .argument('<file>', 'the checkpoint file')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { json?: boolean }) => {
      const r = await inspectFile(file);
      console.log(opts.json ? JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2) : formatReport(r));
    });

  program
    .command('convert')
    .description('convert a state dict between .pth (torch zip format) and .safetensors')
    .argument('<in>', 'input checkpoint (.pth zip or legacy, or .safetensors)')
    .argument('<out>', 'output file; its extension (.pth/.pt or .safetensors) picks the format')
    .option('--key <key>', "top-level key holding the state dict (e.g. 'model' or 'state_dict'); default: found automatically")
    .option('--strip-prefix <prefix>', "remove this prefix from every key (e.g. 'module.')")
    .action(async (input: string, output: string, opts: { key?: string; stripPrefix?: string }) => {
      const toSafetensors = /\.safetensors$/i.test(output);
      if (!toSafetensors && !/\.(pth|pt|bin)$/i.test(output)) {
        throw new Error(`output '${output}' must end in .safetensors, .pth or .pt`);
      }
      const kind = await sniffCheckpoint(input);
      const loaded = kind === 'safetensors' ? (await loadSafetensors(input)).tensors : await loadTorchFile(input);
      const sd = extractStateDict(loaded, { key: kind === 'safetensors' ? undefined : opts.key, stripPrefix: opts.stripPrefix });
      if (toSafetensors) await saveSafetensors(output, sd);
      else await saveTorchFile(output, sd);
      console.log(`wrote ${output}: ${sd.size} tensors`);
      for (const t of sd.values()) t.dispose();
    });
}
