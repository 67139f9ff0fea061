// `gdt eval finetune|linear|knn|retrieval|audio`: downstream evaluations of pretrained weights
// (SPEC 9), each writing results.json and a self-contained report.html.
import type { Command } from 'commander';
import * as torch from '../../torch/index.js';
import { parseOverride, type ConfigInput } from '../../train/config.js';
import { buildEvalConfig, parseFolds, EVAL_PRESETS, MODEL_KINDS, PROTOCOLS, type EvalCommand } from '../../eval/config.js';
import { runFinetune } from '../../eval/run-finetune.js';
import { runFeatureEval } from '../../eval/run-features.js';
import { runAudioEval } from '../../eval/run-audio.js';

interface CommonOptions {
  weights: string;
  out: string;
  preset: string;
  config?: string;
  set: string[];
  workers?: string;
  batchSize?: string;
  seed?: string;
  device?: string;
  fresh?: boolean;
  printConfig?: boolean;
  quiet?: boolean;
}

interface VideoOptions extends CommonOptions {
  dataset: string;
  root: string;
  splits?: string;
  fold: string;
  model: string;
  protocol: string;
  frames?: string;
  crop?: string;
  ignoreExtension?: boolean;
  manifest?: string;
}

interface FinetuneOptions extends VideoOptions {
  epochs?: string;
}

interface FeatureOptions extends VideoOptions {
  cache?: string;
  pool?: string;
  k?: string;
  temperature?: string;
}

interface AudioOptions extends CommonOptions {
  root: string;
  fold: string;
  cache?: string;
  esc10?: boolean;
}

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || v.trim() === '') throw new Error(`${name} must be a number, got '${v}'`);
  return n;
}

/** Flags -> a nested override object (`a.b` paths). */
class Overrides {
  readonly value: ConfigInput = {};
  put(path: string, v: unknown): this {
    if (v === undefined) return this;
    const keys = path.split('.');
    let o: ConfigInput = this.value;
    for (const k of keys.slice(0, -1)) o = (o[k] ??= {}) as ConfigInput;
    o[keys[keys.length - 1]!] = v as never;
    return this;
  }
}

function commonOptions(c: Command): Command {
  return c
    .requiredOption('--weights <ckpt>', "gdt checkpoint (.safetensors from gdt pretrain), reference .pth, zoo name, or 'none'")
    .requiredOption('--out <dir>', 'output folder: results.json, report.html, per-fold files')
    .option('--preset <name>', `${EVAL_PRESETS.join(' | ')} (tiny: CPU-sized, matches gdt pretrain --preset tiny)`, 'reference')
    .option('--config <file>', 'YAML or JSON config merged over the preset')
    .option('--set <key=value>', 'override any config field, e.g. --set data.targetFps=15 (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--workers <n>', 'data loader threads')
    .option('--batch-size <n>', 'batch size')
    .option('--seed <n>', 'random seed')
    .option('--device <d>', 'cpu | cuda')
    .option('--fresh', 'finetune: train finished folds again; others: extract features again')
    .option('--print-config', 'print the resolved configuration and exit')
    .option('--quiet', 'no progress bars');
}

function videoOptions(c: Command): Command {
  return commonOptions(c)
    .requiredOption('--dataset <name>', 'ucf101 | hmdb51')
    .requiredOption('--root <dir>', 'dataset folder (<root>/<Class>/<file> or <root>/videos/<Class>/<file>)')
    .option('--splits <dir>', 'annotation folder (default <root>/splits)')
    .option('--fold <list>', 'comma-separated folds, e.g. 1,2,3', '1')
    .option('--model <kind>', MODEL_KINDS.join(' | '), 'gdt')
    .option('--protocol <p>', `${PROTOCOLS.join(' | ')} (see the report for what each means)`, 'clean')
    .option('--frames <n>', 'frames per clip (data.numFrames)')
    .option('--crop <px>', 'crop size (data.cropSize)')
    .option('--ignore-extension', 'match split entries without their extension (transcoded videos)')
    .option('--manifest <file>', 'probe cache of the videos, to share between runs (data.manifest)');
}

function videoOverrides(o: VideoOptions, command: EvalCommand): Overrides {
  if (!(MODEL_KINDS as readonly string[]).includes(o.model)) throw new Error(`--model must be one of ${MODEL_KINDS.join(', ')}, got '${o.model}'`);
  if (!(PROTOCOLS as readonly string[]).includes(o.protocol)) throw new Error(`--protocol must be one of ${PROTOCOLS.join(', ')}, got '${o.protocol}'`);
  const batchKey = command === 'finetune' ? 'train.batchSize' : 'features.batchSize';
  const runKey = command === 'finetune' ? 'train' : 'features';
  return new Overrides()
    .put('protocol', o.protocol)
    .put('out', o.out)
    .put('weights', o.weights)
    .put('data.dataset', o.dataset)
    .put('data.root', o.root)
    .put('data.splits', o.splits)
    .put('data.folds', parseFolds(o.fold, 3))
    .put('data.numFrames', num(o.frames, '--frames'))
    .put('data.cropSize', num(o.crop, '--crop'))
    .put('data.ignoreExtension', o.ignoreExtension ? true : undefined)
    .put('data.manifest', o.manifest)
    .put('model.kind', o.model)
    .put(batchKey, num(o.batchSize, '--batch-size'))
    .put(`${runKey}.workers`, num(o.workers, '--workers'))
    .put(`${runKey}.seed`, num(o.seed, '--seed'))
    .put(`${runKey}.device`, o.device);
}

const runOptions = (o: CommonOptions): { fresh?: boolean; progress: boolean; threads: number } => ({ fresh: o.fresh, progress: !o.quiet, threads: torch.getNumThreads() });

export function register(program: Command): void {
  const ev = program.command('eval').description('downstream evaluation of pretrained weights (results.json + report.html)');

  videoOptions(ev.command('finetune').description('finetune on UCF101/HMDB51 folds (eval_video.py protocol, SPEC 9.1) and test on 10x3 views per video'))
    .option('--epochs <n>', 'train.epochs')
    .action(async (o: FinetuneOptions) => {
      const flags = videoOverrides(o, 'finetune').put('train.epochs', num(o.epochs, '--epochs')).value;
      const cfg = buildEvalConfig('finetune', { preset: o.preset, file: o.config, overrides: [flags, ...o.set.map(parseOverride)] });
      if (o.printConfig) return void console.log(JSON.stringify(cfg, null, 2));
      await runFinetune(cfg, runOptions(o));
    });

  for (const command of ['linear', 'knn', 'retrieval'] as const) {
    const what = {
      linear: 'linear classification of frozen features (logistic regression, L2 penalty chosen on a validation split)',
      knn: 'weighted kNN classification of frozen video features',
      retrieval: "video retrieval, SeLaVi's recall@1/5/10/20: test videos query training videos",
    }[command];
    let c = videoOptions(ev.command(command).description(what))
      .option('--cache <dir>', 'feature cache folder (default <out>/features; share it between runs to extract once)')
      .option('--pool <op>', "avg (global average) | max2 (SeLaVi's MaxPool3d(2), flattened)");
    if (command === 'knn') c = c.option('--k <n>', 'neighbours (knn.k)').option('--temperature <t>', 'vote temperature (knn.temperature)');
    c.action(async (o: FeatureOptions) => {
      const flags = videoOverrides(o, command)
        .put('cache', o.cache)
        .put('features.pool', o.pool)
        .put('knn.k', num(o.k, '--k'))
        .put('knn.temperature', num(o.temperature, '--temperature')).value;
      const cfg = buildEvalConfig(command, { preset: o.preset, file: o.config, overrides: [flags, ...o.set.map(parseOverride)] });
      if (o.printConfig) return void console.log(JSON.stringify(cfg, null, 2));
      await runFeatureEval(cfg, runOptions(o));
    });
  }

  commonOptions(ev.command('audio').description('linear classification of frozen audio features on ESC-50-style folds'))
    .requiredOption('--root <dir>', 'ESC-50-style folder: meta/esc50.csv and audio/')
    .option('--fold <list>', 'comma-separated test folds (leave one fold out)', '1,2,3,4,5')
    .option('--cache <dir>', 'feature cache folder (default <out>/features)')
    .option('--esc10', 'only the ESC-10 subset')
    .action(async (o: AudioOptions) => {
      const flags = new Overrides()
        .put('out', o.out)
        .put('weights', o.weights)
        .put('cache', o.cache)
        .put('data.root', o.root)
        .put('data.folds', parseFolds(o.fold, 5))
        .put('data.esc10', o.esc10 ? true : undefined)
        .put('features.batchSize', num(o.batchSize, '--batch-size'))
        .put('features.workers', num(o.workers, '--workers'))
        .put('features.seed', num(o.seed, '--seed'))
        .put('features.device', o.device).value;
      const cfg = buildEvalConfig('audio', { preset: o.preset, file: o.config, overrides: [flags, ...o.set.map(parseOverride)] });
      if (o.printConfig) return void console.log(JSON.stringify(cfg, null, 2));
      await runAudioEval(cfg, runOptions(o));
    });
}
