// Regenerates the tables of docs/config.md from the configuration schemas and presets
// (`npm run docs:config`): every field's type and default come from the zod schemas, the presets
// from the preset objects, and every field must have a description here (the script fails on a
// field without one, or on a description of a field that no longer exists). Only the regions
// between `<!-- generated: NAME -->` and `<!-- end generated -->` are rewritten; a test checks the
// committed file is current, so the reference cannot drift from the code.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { PretrainConfigSchema, PRESETS, STICA_PRESETS, type ConfigInput } from '../src/train/config.js';
import { FinetuneConfigSchema, FeatureEvalConfigSchema, AudioEvalConfigSchema, EVAL_COMMANDS, EVAL_PRESETS, evalPreset } from '../src/eval/config.js';
import { STICA_PRESETS as STICA_CROP_PRESETS } from '../src/ssl/stica/presets.js';

const OUT = fileURLToPath(new URL('../docs/config.md', import.meta.url));

// ---------------------------------------------------------------------------------------------
// Descriptions. Keys: `<group>:<path>`; an eval key may be command-specific (`eval/audio:...`),
// which wins over `eval:...`.

const D: Record<string, string> = {
  // ---- pretraining (gdt pretrain gdt | stica)
  'pretrain:method': '`gdt` or `stica`; set by the command (`gdt pretrain gdt` / `gdt pretrain stica`)',
  'pretrain:out': 'output folder: checkpoints, `metrics.jsonl`, `tensorboard/`, `config.json` (`--out`)',
  'pretrain:data.root': 'dataset folder (`--data`); see [datasets.md](datasets.md)',
  'pretrain:data.format': 'layout of `data.root`: `ucf101` / `hmdb51` (class folders + split files), `kinetics` (`<root>/<split>/<class>/`), `folder` (class folders, every video) (`--format`)',
  'pretrain:data.fold': 'UCF101 / HMDB51 split file used (fold 1-3)',
  'pretrain:data.split': 'UCF101 / HMDB51: `train` or `test` list; Kinetics: the split folder under the root (e.g. `train`, or the reference\'s `train_avi-480p`)',
  'pretrain:data.numFrames': 'frames per clip',
  'pretrain:data.targetFps': 'frame rate the clip is sampled at (frames are picked from the source at this rate)',
  'pretrain:data.samplingRate': 'frame stride at `targetFps`',
  'pretrain:data.cropSize': 'square crop fed to the video encoder (px)',
  'pretrain:data.scales': 'GDT: short-side jitter range `[min, max]` before the crop; default the reference\'s for the crop size (128-160 for 112 px)',
  'pretrain:data.audioSeconds': 'seconds of audio per clip; default: the clip\'s duration (GDT), the crop preset\'s `numSec` (STiCA)',
  'pretrain:data.specType': 'log-filterbank spectrogram: 1 = 40 filters (GDT), 2 = 257 filters (STiCA)',
  'pretrain:data.specAugment': 'SpecAugment masking strength (GDT; the reference uses `medium`)',
  'pretrain:data.zNormalize': 'z-normalise each spectrogram (GDT: yes, STiCA: no)',
  'pretrain:data.volumeJitter': 'random audio gain in [0.9, 1.1]',
  'pretrain:data.noAudio': 'videos without an audio stream: `skip` them (as the reference) or feed `silence`',
  'pretrain:data.manifest': 'probe cache file (JSON): videos are probed once and reused while unchanged; share it between runs',
  'pretrain:data.cacheMB': 'per loader worker: MB of whole decoded videos (frames and audio) that clips are cut from, for small collections (the demo uses it); 0: one ffmpeg run per clip',
  'pretrain:data.decodeCache': 'folder that keeps whole decoded videos and audio tracks on disk, shared by every loader worker and by later runs and evaluations: each video is decoded once (small collections of short clips; about 1 MB per 2 s of 64 × 64 video). An entry is named by the file\'s path, size and modification time. Implies `data.cacheMB` 256 if that is 0',
  'pretrain:data.compat': '`correct`, or `reference` to reproduce the reference\'s data bugs (SPEC 13.25-13.32, [concepts.md](concepts.md))',
  'pretrain:data.kind': '`audio-visual`, or `video-text` (HowTo100M captions, TextVid-GDT; `ht100m` preset)',
  'pretrain:data.captions': 'video-text: folder of `<video_id>.csv` caption files; default `<root>/captions`',
  'pretrain:data.dictionary': 'video-text: word list `dict.npy`; default `<root>/dict.npy`',
  'pretrain:data.index': 'video-text: `howto.csv` listing the video ids; default every `.mp4` of the video folder',
  'pretrain:model.videoDepth': 'R(2+1)D depth',
  'pretrain:model.audioDepth': 'audio ResNet depth',
  'pretrain:model.width': 'channel multiplier of the encoders (1 = the reference; `tiny`: 0.25). STiCA: 1 means the crop preset\'s width',
  'pretrain:model.useMlp': 'MLP projection heads (else linear)',
  'pretrain:model.word2vec': 'video-text: the reference\'s `word2vec.pth`; default a random frozen table',
  'pretrain:model.vocabulary': 'video-text without `word2vec`: rows of the random word table (at least the dictionary\'s size + 1)',
  'pretrain:objective.hypothesis': 'GDT hypothesis: 1-9 or a name such as `i_reversal_v_shift` (`--hypothesis`, [concepts.md](concepts.md))',
  'pretrain:objective.mode': '`paper` or `reference` (the reference\'s negative sets exactly, duplicates included) (`--mode`)',
  'pretrain:objective.temperature': 'NCE temperature τ',
  'pretrain:objective.numNegatives': 'subsample this many negatives per query row (default: all)',
  'pretrain:optim.lr': 'base learning rate; multiplied by the world size by the warm-up (GDT)',
  'pretrain:optim.momentum': 'SGD momentum',
  'pretrain:optim.weightDecay': 'SGD weight decay (all parameters)',
  'pretrain:optim.nesterov': 'Nesterov momentum',
  'pretrain:optim.warmupEpochs': 'GDT: gradual warm-up from `lr` to `lr × world size` over these epochs (0: none, no scaling)',
  'pretrain:optim.milestones': 'GDT: MultiStep decay epochs (absolute; the reference\'s 251 is never reached in 201 epochs)',
  'pretrain:optim.gamma': 'GDT: decay factor at each milestone',
  'pretrain:optim.scheduler': 'GDT: `multistep` or `cosine` after the warm-up (per epoch)',
  'pretrain:train.epochs': 'epochs (`--epochs`)',
  'pretrain:train.batchSize': 'samples per step **per process** (`--batch-size`)',
  'pretrain:train.workers': 'data loader threads; default cores − 1 (`--workers`)',
  'pretrain:train.prefetch': 'batches prepared ahead per worker',
  'pretrain:train.seed': 'seed of the weights, the sample order, augmentations and crops (`--seed`)',
  'pretrain:train.deterministic': 'deterministic kernels: a resumed run continues bit for bit on CPU (`--deterministic`)',
  'pretrain:train.checkpointEverySteps': 'also checkpoint every N steps (0: only at the end of each epoch)',
  'pretrain:train.keepLast': 'rolling step checkpoints kept besides the latest',
  'pretrain:train.numberedEveryEpochs': 'a numbered checkpoint every N epochs and at the end',
  'pretrain:train.maxSteps': 'stop after this many steps in all (`--max-steps`)',
  'pretrain:train.logEverySteps': 'progress line / TensorBoard every N steps (`metrics.jsonl` has every step)',
  'pretrain:train.syncBatchNorm': 'with several processes, BatchNorm statistics over every rank\'s samples ([distributed.md](distributed.md))',
  'pretrain:stica': 'STiCA only (set by the STiCA presets)',
  'pretrain:stica.preset': 'crop configuration, transformer layers and width (the crop presets above)',
  'pretrain:stica.mode': '`paper` or `reference` (the reference\'s crop sampling and crop terms exactly) (`--mode`)',
  'pretrain:stica.cropTemperature': 'temperature of the crop losses',
  'pretrain:stica.crossModalTemperature': 'temperature of the video-audio loss',
  'pretrain:stica.alpha': 'weight of the cross-modal loss: `(1 − α) · crops + α · cross-modal`',
  'pretrain:stica.warmupEpochs': 'per-iteration linear warm-up from `startWarmup` to `baseLr` over these epochs',
  'pretrain:stica.startWarmup': 'learning rate at the first step',
  'pretrain:stica.baseLr': 'learning rate after the warm-up',
  'pretrain:stica.cosine': 'cosine decay to 0 after the warm-up (else constant)',

  // ---- evaluation (gdt eval ...)
  'eval:command': 'the evaluation; set by the command',
  'eval/finetune:protocol': '`clean` or `reference` (eval_video.py: test after each epoch from `train.evalFromEpoch`, best reported) (`--protocol`)',
  'eval/linear:protocol': '`clean` or `reference` (random training clips and test views as the reference) (`--protocol`)',
  'eval/audio:protocol': 'only `clean`',
  'eval:out': 'output folder: `results.json`, `report.html`, per-fold files (`--out`)',
  'eval:weights': 'a `gdt pretrain` checkpoint, a reference `.pth`, a safetensors state dict, a zoo name, or `none` (`--weights`)',
  'eval:cache': 'feature cache folder; default `<out>/features`; share it between runs to extract once (`--cache`)',
  'eval:data.dataset': '`ucf101` or `hmdb51` (`--dataset`)',
  'eval:data.root': 'dataset folder: `<root>/videos/<Class>/<file>` or `<root>/<Class>/<file>` (`--root`)',
  'eval:data.splits': 'annotation folder; default `<root>/splits` (`--splits`)',
  'eval:data.folds': 'folds evaluated in turn (`--fold 1,2,3`)',
  'eval:data.numFrames': 'frames per clip (`--frames`)',
  'eval:data.targetFps': 'frame rate the clip is sampled at',
  'eval:data.samplingRate': 'frame stride at `targetFps`',
  'eval:data.cropSize': 'crop size (`--crop`)',
  'eval:data.scales': 'short-side range of random crops and reference test views; default (128, 160) for 112/128 px crops, else (crop, 1.25 crop)',
  'eval:data.ignoreExtension': 'match split entries without their extension (`.avi` lists, transcoded `.mp4` files) (`--ignore-extension`)',
  'eval:data.manifest': 'probe cache; default `probe-manifest.json` in the feature cache (finetune: in `--out`) (`--manifest`)',
  'eval:data.minDuration': 'leave out videos not longer than this (seconds)',
  'eval:data.frameCacheMB': 'per loader worker: MB of whole decoded videos kept to cut clips from (0: one ffmpeg run per clip)',
  'eval:data.decodeCache': 'folder that keeps whole decoded videos on disk, shared by every loader worker, model and later run (as pretraining\'s `data.decodeCache`; the demo uses one for all its stages)',
  'eval:data.compat': '`correct` or `reference` (the reference\'s data bugs)',
  'eval:model.kind': '`gdt`, `textvid` (R(2+1)D features) or `stica` (adds STiCA\'s transformer pooling) (`--model`)',
  'eval:model.width': 'channel multiplier; default: read from the weights',
  'eval:model.defaultWidth': 'channel multiplier when neither `model.width` nor the weights give one (`--weights none`)',
  'eval:model.videoDepth': 'R(2+1)D depth; default: from the weights, else 18',
  'eval/audio:model.audioDepth': 'audio ResNet depth; default: from the weights',
  'eval:model.numLayers': 'STiCA pooling layers (eval_video.py always builds 2)',
  'eval:model.transformerTimeDim': 'STiCA pooling: time steps the map is pooled to (eval_video.py: 8)',
  'eval:optim.classifierLr': 'learning rate of the classifier',
  'eval:optim.backboneLr': 'learning rate of the encoder',
  'eval:optim.transformerLr': 'learning rate of STiCA\'s pooling transformer',
  'eval:optim.classifierWd': 'weight decay of the classifier',
  'eval:optim.backboneWd': 'weight decay of the encoder',
  'eval:optim.transformerWd': 'weight decay of the pooling transformer',
  'eval:optim.momentum': 'SGD momentum',
  'eval:optim.warmupEpochs': 'gradual warm-up epochs (× `multiplier`)',
  'eval:optim.multiplier': 'warm-up multiplier',
  'eval:optim.milestones': 'absolute decay epochs, as `--lr-milestones` (the warm-up is subtracted, SPEC 9.1)',
  'eval:optim.gamma': 'decay factor',
  'eval:train.epochs': 'finetuning epochs (`--epochs`)',
  'eval:train.batchSize': 'clips per step (`--batch-size`)',
  'eval:train.clipsPerVideo': 'random training clips per video per epoch',
  'eval:train.randomResizedCrop': 'random resized crop (else scale jitter + random crop)',
  'eval:train.areaScale': 'area range of the random resized crop',
  'eval:train.colorJitter': 'colour jitter (p 0.8) on training clips (reference protocol: on test views too)',
  'eval:train.evalFromEpoch': 'reference protocol: test after every epoch ≥ this and report the best',
  'eval:train.workers': 'loader threads; default cores − 1 (`--workers`)',
  'eval:train.prefetch': 'batches prepared ahead per worker',
  'eval:train.seed': 'seed of the classifier, sample order and augmentations (`--seed`)',
  'eval:train.device': '`cpu` or `cuda` (`--device`)',
  'eval:test.clips': 'uniformly spaced clips per test video',
  'eval:test.crops': 'spatial crops per clip: 3 (left/centre/right) or 1 (centre)',
  'eval:test.batchSize': 'test clip positions per batch (each with all its crops)',
  'eval:features.pool': '`avg` (global average pool, 512·width) or `max2` (SeLaVi\'s MaxPool3d(2) of the last map, flattened) (`--pool`)',
  'eval:features.trainClips': 'clips per training video (clean: uniformly spaced, centre crop)',
  'eval:features.testClips': 'clips per test video',
  'eval:features.testCrops': 'spatial crops per test clip (3 or 1)',
  'eval:features.colorJitter': 'reference protocol: colour jitter on training clips',
  'eval:features.batchSize': 'clips per forward pass (`--batch-size`)',
  'eval:features.workers': 'loader threads; default cores − 1 (`--workers`)',
  'eval:features.prefetch': 'batches prepared ahead per worker',
  'eval:features.seed': 'seed of the views and the classifier (`--seed`)',
  'eval:features.shardSamples': 'samples per cache shard: an interrupted extraction resumes at the last finished shard',
  'eval:features.device': '`cpu` or `cuda` (`--device`)',
  'eval/audio:features.seconds': 'seconds per window; default the pretraining\'s audio length (from the checkpoint), else 1',
  'eval/audio:features.specType': 'spectrogram type; default from the checkpoint, else 1',
  'eval/audio:features.zNormalize': 'z-normalise spectrograms; default from the checkpoint',
  'eval/audio:features.windows': 'uniformly spaced windows per file; their logits are averaged',
  'eval/audio:features.batchSize': 'windows per forward pass (`--batch-size`)',
  'eval/audio:features.shardSamples': 'windows per cache shard',
  'eval:linear.l2Grid': 'L2 penalties λ tried on the validation split (loss = mean CE + λ/2 ‖W‖²)',
  'eval:linear.valFraction': 'fraction of the training videos held out for the search (whole groups per class)',
  'eval:linear.epochs': 'passes of Adam over the training features',
  'eval:linear.batchSize': 'minibatch size (0 = full batch)',
  'eval:linear.lr': 'Adam learning rate',
  'eval:linear.standardize': 'standardise features with the training mean and standard deviation',
  'eval:knn.k': 'neighbours that vote (`--k`)',
  'eval:knn.temperature': 'vote weight exp(cos / T) (`--temperature`)',
  'eval:retrieval.ks': 'recall@k reported for these k',
  'eval/audio:data.root': 'ESC-50-style folder: `meta/esc50.csv` and `audio/` (`--root`)',
  'eval/audio:data.folds': 'test folds, each in turn (the others train) (`--fold`)',
  'eval/audio:data.esc10': 'only the ESC-10 subset (`--esc10`)',
  'eval/audio:data.sampleRate': 'audio is resampled to this rate (Hz)',
};

// ---------------------------------------------------------------------------------------------
// Schema introspection (zod 4).

type Def = { type: string; [k: string]: unknown };
type AnySchema = { _zod: { def: Def }; shape?: Record<string, AnySchema> };

const def = (s: AnySchema): Def => s._zod.def;

/** Strips default/prefault/optional wrappers: the inner schema, its default, whether optional. */
function unwrap(s: AnySchema): { inner: AnySchema; default?: unknown; hasDefault: boolean; optional: boolean } {
  let cur = s;
  let dflt: unknown;
  let hasDefault = false;
  let optional = false;
  for (;;) {
    const d = def(cur);
    if (d.type === 'default' || d.type === 'prefault') {
      if (!hasDefault) {
        dflt = d.defaultValue;
        hasDefault = true;
      }
      cur = d.innerType as AnySchema;
    } else if (d.type === 'optional') {
      optional = true;
      cur = d.innerType as AnySchema;
    } else return { inner: cur, default: dflt, hasDefault, optional };
  }
}

function numberConstraints(d: Def, integerWord: string, numberWord: string): string {
  const checks = (d.checks as { _zod: { def: { check: string; value?: number; inclusive?: boolean; format?: string } } }[] | undefined) ?? [];
  let isInt = false;
  const parts: string[] = [];
  for (const c of checks) {
    const cd = c._zod.def;
    if (cd.check === 'number_format' && cd.format === 'safeint') isInt = true;
    else if (cd.check === 'greater_than') parts.push(`${cd.inclusive ? '≥' : '>'} ${cd.value}`);
    else if (cd.check === 'less_than') parts.push(`${cd.inclusive ? '≤' : '<'} ${cd.value}`);
  }
  return [isInt ? integerWord : numberWord, ...parts].join(' ');
}

function typeOf(s: AnySchema): string {
  const { inner } = unwrap(s);
  const d = def(inner);
  switch (d.type) {
    case 'string': {
      const min = ((d.checks as { _zod: { def: { check: string; minimum?: number } } }[] | undefined) ?? []).some((c) => c._zod.def.check === 'min_length');
      return min ? 'non-empty string' : 'string';
    }
    case 'number':
      return numberConstraints(d, 'integer', 'number');
    case 'boolean':
      return 'boolean';
    case 'enum':
      return Object.values(d.entries as Record<string, string>).map((v) => `\`${v}\``).join(' \\| ');
    case 'literal':
      return (d.values as unknown[]).map((v) => `\`${String(v)}\``).join(' \\| ');
    case 'union':
      return (d.options as AnySchema[]).map(typeOf).join(' \\| ');
    case 'tuple':
      return `[${(d.items as AnySchema[]).map(typeOf).join(', ')}]`;
    case 'array': {
      const el = typeOf(d.element as AnySchema);
      return `list of ${el.includes(' ') ? `(${el})` : el}`;
    }
    case 'object':
      return 'section';
    default:
      throw new Error(`gen-config-docs: no rendering for zod type '${d.type}'`);
  }
}

function defaultOf(s: AnySchema): string {
  const u = unwrap(s);
  if (u.hasDefault) return `\`${JSON.stringify(u.default).replaceAll('|', '\\|')}\``;
  if (u.optional) return '—';
  return '**required**';
}

const used = new Set<string>();

function describe(group: string, command: string | undefined, path: string): string {
  const keys = command ? [`${group}/${command}:${path}`, `${group}:${path}`] : [`${group}:${path}`];
  for (const k of keys) {
    if (D[k] !== undefined) {
      used.add(k);
      return D[k]!;
    }
  }
  throw new Error(`gen-config-docs: no description for ${keys.at(-1)} (add one to scripts/gen-config-docs.ts)`);
}

interface Section {
  /** Dotted path of the section ('' = top level). */
  path: string;
  object: AnySchema;
  usedBy: string[];
  group: string;
  command?: string;
}

/** The object sections of a schema, depth first, top level first. */
function sectionsOf(schema: AnySchema, group: string, label: string, command: string | undefined, path = ''): Section[] {
  const out: Section[] = [{ path, object: schema, usedBy: [label], group, command }];
  for (const [k, v] of Object.entries(schema.shape ?? {})) {
    const { inner } = unwrap(v);
    if (def(inner).type === 'object') out.push(...sectionsOf(inner, group, label, command, path ? `${path}.${k}` : k));
  }
  return out;
}

function renderSection(s: Section): string {
  const rows = ['| field | type | default | meaning |', '| --- | --- | --- | --- |'];
  for (const [k, v] of Object.entries(s.object.shape ?? {})) {
    const path = s.path ? `${s.path}.${k}` : k;
    const { inner } = unwrap(v);
    if (def(inner).type === 'object') {
      // A section: its own table follows; a wrapper without a default (optional) is described here.
      if (unwrap(v).optional && !unwrap(v).hasDefault) rows.push(`| \`${path}\` | section | — | ${describe(s.group, s.command, path)} |`);
      continue;
    }
    rows.push(`| \`${path}\` | ${typeOf(v)} | ${defaultOf(v)} | ${describe(s.group, s.command, path)} |`);
  }
  return rows.join('\n');
}

function renderSections(list: { schema: AnySchema; label: string; command?: string }[], group: string): string {
  // Sections shared by several schemas (the same zod object) are printed once.
  const merged: Section[] = [];
  for (const { schema, label, command } of list) {
    for (const s of sectionsOf(schema, group, label, command)) {
      const same = merged.find((m) => m.object === s.object);
      if (same) same.usedBy.push(label);
      else merged.push(s);
    }
  }
  const out: string[] = [];
  for (const s of merged) {
    const title = s.path ? `\`${s.path}\`` : 'top level';
    const by = list.length > 1 ? ` (${s.usedBy.join(', ')})` : '';
    out.push(`#### ${title}${by}`, '', renderSection(s), '');
  }
  return out.join('\n').trimEnd();
}

// ---------------------------------------------------------------------------------------------
// Presets.

function flatten(o: ConfigInput, prefix = ''): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [k, v] of Object.entries(o)) {
    const p = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object' && !Array.isArray(v)) for (const [kk, vv] of flatten(v as ConfigInput, p)) out.set(kk, vv);
    else out.set(p, v);
  }
  return out;
}

function presetTable(columns: { name: string; preset: ConfigInput }[]): string {
  const flat = columns.map((c) => flatten(c.preset));
  const keys: string[] = [];
  for (const f of flat) for (const k of f.keys()) if (!keys.includes(k)) keys.push(k);
  const rows = [`| field | ${columns.map((c) => c.name).join(' | ')} |`, `| --- | ${columns.map(() => '---').join(' | ')} |`];
  for (const k of keys) rows.push(`| \`${k}\` | ${flat.map((f) => (f.has(k) ? `\`${JSON.stringify(f.get(k))}\`` : '')).join(' | ')} |`);
  return rows.join('\n');
}

function evalPresetTable(preset: string): string {
  // Commands whose preset is identical share a column.
  const cols: { name: string; preset: ConfigInput }[] = [];
  for (const c of EVAL_COMMANDS) {
    const p = evalPreset(c, preset);
    const same = cols.find((x) => JSON.stringify(x.preset) === JSON.stringify(p));
    if (same) same.name += `, ${c}`;
    else cols.push({ name: c, preset: p });
  }
  const empty = cols.filter((c) => Object.keys(c.preset).length === 0).map((c) => c.name);
  const rest = cols.filter((c) => Object.keys(c.preset).length > 0);
  const note = empty.length ? `\n\n${empty.join(', ')}: no overrides (the schema defaults above are the reference's settings).` : '';
  return (rest.length ? presetTable(rest) : '') + note;
}

function sticaCropPresets(): string {
  const rows = ['| `stica.preset` | frames | seconds | crop | large / small spatial crops | large / small temporal crops | transformer layers | width | what |', '| --- | --- | --- | --- | --- | --- | --- | --- | --- |'];
  for (const p of Object.values(STICA_CROP_PRESETS)) {
    rows.push(`| \`${p.name}\` | ${p.numFrames} | ${p.numSec} | ${p.cropSize} | ${p.crops.spaceLarge} / ${p.crops.spaceSmall} | ${p.crops.timeLarge} / ${p.crops.timeSmall} | ${p.numLayers} | ${p.width} | ${p.description.replaceAll('|', '\\|')} |`);
  }
  return rows.join('\n');
}

// ---------------------------------------------------------------------------------------------

export function generatedRegions(): Record<string, string> {
  used.clear();
  const regions: Record<string, string> = {
    'pretrain-presets': [
      '`gdt pretrain gdt --preset` (default `k400`):',
      '',
      presetTable(Object.entries(PRESETS).map(([name, preset]) => ({ name: `\`${name}\``, preset }))),
      '',
      '`gdt pretrain stica --preset` (default `script`):',
      '',
      presetTable(Object.entries(STICA_PRESETS).map(([name, preset]) => ({ name: `\`${name}\``, preset }))),
    ].join('\n'),
    'stica-crop-presets': sticaCropPresets(),
    'eval-presets': EVAL_PRESETS.map((p) => [`\`--preset ${p}\`${p === 'reference' ? ' (default)' : ''}:`, '', evalPresetTable(p)].join('\n')).join('\n\n'),
    'pretrain-fields': renderSections([{ schema: PretrainConfigSchema as unknown as AnySchema, label: 'pretrain' }], 'pretrain'),
    'eval-fields': renderSections(
      [
        { schema: FinetuneConfigSchema as unknown as AnySchema, label: 'finetune', command: 'finetune' },
        { schema: FeatureEvalConfigSchema as unknown as AnySchema, label: 'linear, knn, retrieval', command: 'linear' },
        { schema: AudioEvalConfigSchema as unknown as AnySchema, label: 'audio', command: 'audio' },
      ],
      'eval',
    ),
  };
  const stale = Object.keys(D).filter((k) => !used.has(k));
  if (stale.length) throw new Error(`gen-config-docs: descriptions of fields that no longer exist: ${stale.join(', ')}`);
  return regions;
}

const REGION = /(<!-- generated: ([a-z-]+) -->)[\s\S]*?(<!-- end generated -->)/g;

/** The text of docs/config.md with its generated regions rewritten. */
export function configDocs(current: string): string {
  const regions = generatedRegions();
  const seen = new Set<string>();
  const text = current.replace(REGION, (_m, open: string, name: string, close: string) => {
    const body = regions[name];
    if (body === undefined) throw new Error(`gen-config-docs: unknown region '${name}' in docs/config.md`);
    seen.add(name);
    return `${open}\n\n${body}\n\n${close}`;
  });
  const missing = Object.keys(regions).filter((n) => !seen.has(n));
  if (missing.length) throw new Error(`gen-config-docs: docs/config.md lacks the regions ${missing.join(', ')}`);
  return text;
}

export function readConfigDocs(): string {
  return readFileSync(OUT, 'utf8');
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const current = readConfigDocs();
  const text = configDocs(current);
  if (process.argv.includes('--check')) {
    const same = current === text;
    console.log(same ? 'docs/config.md is up to date' : 'docs/config.md is out of date: run npm run docs:config');
    process.exit(same ? 0 : 1);
  }
  writeFileSync(OUT, text);
  console.log(`wrote ${OUT}`);
}
