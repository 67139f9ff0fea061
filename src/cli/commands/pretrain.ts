// `gdt pretrain gdt`: self-supervised pretraining from a preset, a config file and overrides.
import type { Command } from 'commander';
import { buildConfig, parseOverride, type ConfigInput } from '../../train/config.js';
import { createGdtMethod } from '../../train/gdt-method.js';
import { createSticaMethod } from '../../train/stica-method.js';
import { train } from '../../train/trainer.js';
import * as torch from '../../torch/index.js';

interface PretrainOptions {
  preset?: string;
  config?: string;
  data?: string;
  format?: string;
  out?: string;
  hypothesis?: string;
  mode?: string;
  epochs?: string;
  batchSize?: string;
  workers?: string;
  seed?: string;
  maxSteps?: string;
  deterministic?: boolean;
  set: string[];
  resume?: string;
  fresh?: boolean;
  printConfig?: boolean;
}

function num(v: string | undefined): number | string | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return Number.isFinite(n) && v.trim() !== '' ? n : v;
}

function addCommon(cmd: Command, presetHelp: string, presetDefault: string): Command {
  return cmd
    .option('--preset <name>', presetHelp, presetDefault)
    .option('--config <file>', 'YAML or JSON config merged over the preset')
    .option('--data <root>', 'dataset folder (data.root)')
    .option('--format <f>', 'ucf101 | hmdb51 | kinetics | folder (data.format)')
    .option('--out <dir>', 'output folder: checkpoints, metrics.jsonl, tensorboard/')
    .option('--mode <m>', 'paper (default) | reference (the reference objective exactly)')
    .option('--epochs <n>', 'train.epochs')
    .option('--batch-size <n>', 'train.batchSize')
    .option('--workers <n>', 'data loader threads (train.workers)')
    .option('--seed <n>', 'train.seed')
    .option('--max-steps <n>', 'stop after this many steps (train.maxSteps)')
    .option('--deterministic', 'deterministic kernels (exact resume)')
    .option('--set <key=value>', 'override any config field, e.g. --set optim.lr=0.1 (repeatable)', (v: string, acc: string[]) => [...acc, v], [])
    .option('--resume <checkpoint>', 'resume from this checkpoint (default: the latest in --out, if any)')
    .option('--fresh', 'ignore checkpoints already in --out')
    .option('--print-config', 'print the resolved configuration and exit');
}

async function run(method: 'gdt' | 'stica', o: PretrainOptions): Promise<void> {
  const flags: ConfigInput = {};
  const put = (path: string, v: unknown): void => {
    if (v === undefined) return;
    const [a, b] = path.split('.') as [string, string | undefined];
    if (b === undefined) flags[a] = v as never;
    else flags[a] = { ...((flags[a] as ConfigInput | undefined) ?? {}), [b]: v as never };
  };
  put('out', o.out);
  put('data.root', o.data);
  put('data.format', o.format);
  if (method === 'gdt') {
    put('objective.hypothesis', num(o.hypothesis));
    put('objective.mode', o.mode);
  } else put('stica.mode', o.mode);
  put('train.epochs', num(o.epochs));
  put('train.batchSize', num(o.batchSize));
  put('train.workers', num(o.workers));
  put('train.seed', num(o.seed));
  put('train.maxSteps', num(o.maxSteps));
  if (o.deterministic) put('train.deterministic', true);
  const cfg = buildConfig({ method, preset: o.preset, file: o.config, overrides: [flags, ...o.set.map(parseOverride)] });
  if (o.printConfig) {
    console.log(JSON.stringify(cfg, null, 2));
    return;
  }
  torch.manualSeed(cfg.train.seed);
  if (cfg.train.deterministic) torch.useDeterministicAlgorithms(true);
  const m = method === 'gdt' ? await createGdtMethod(cfg) : createSticaMethod(cfg);
  const what =
    method === 'gdt'
      ? `GDT pretraining (${cfg.data.kind}): hypothesis ${cfg.objective.hypothesis} (${cfg.objective.mode})`
      : `STiCA pretraining: crops '${cfg.stica?.preset}' (${cfg.stica?.mode})`;
  console.log(`${what}, ${m.model.numParameters().toLocaleString('en-US')} parameters, output ${cfg.out}`);
  const r = await train(cfg, m, { resume: o.fresh ? false : o.resume });
  m.model.dispose();
  if (r.status === 'interrupted') console.log(`stopped at step ${r.globalStep}; run the same command again to resume from ${r.checkpoint}`);
  else console.log(`finished: ${r.globalStep} steps; checkpoint ${r.checkpoint}`);
}

export function register(program: Command): void {
  const pretrain = program.command('pretrain').description('self-supervised pretraining');
  addCommon(
    pretrain.command('gdt').description('audio-visual GDT pretraining (the nine hypotheses of the paper)'),
    'k400 | ht100m | tiny (CPU-sized)',
    'k400',
  )
    .option('--hypothesis <h>', 'GDT hypothesis: 1-9 or a name such as i_reversal_v_shift')
    .action((o: PretrainOptions) => run('gdt', o));
  addCommon(
    pretrain.command('stica').description('STiCA pretraining: feature crops, transformer pooling, cross-modal and crop losses'),
    'script | readme | tiny (CPU-sized)',
    'script',
  ).action((o: PretrainOptions) => run('stica', o));
}
