// The `gdt` command line: one file per command under commands/.
import { availableParallelism } from 'node:os';
import { Command, CommanderError } from 'commander';
import { torch } from '../index.js';
import { packageVersion } from './version.js';
import * as info from './commands/info.js';
import * as checkpointFiles from './commands/checkpoint-files.js';
import * as data from './commands/data.js';
import * as models from './commands/models.js';
import * as pretrain from './commands/pretrain.js';
import * as launch from './commands/launch.js';
import * as evaluate from './commands/eval.js';
import * as exportCmd from './commands/export.js';
import * as embed from './commands/embed.js';
import * as search from './commands/search.js';
import * as demo from './commands/demo.js';

/** Commands register themselves here; each module exports `register(program)`. */
const commands = [demo, info, checkpointFiles, data, pretrain, models, evaluate, exportCmd, embed, search, launch];

export function buildProgram(): Command {
  const program = new Command('gdt')
    .description('Multi-modal self-supervised video learning (GDT, STiCA) in TypeScript over libtorch')
    .version(packageVersion())
    .option('--threads <n>', 'CPU threads for libtorch (default: all cores, or OMP_NUM_THREADS)')
    .showHelpAfterError()
    .exitOverride();
  program.hook('preAction', (cmd) => {
    const t = cmd.opts<{ threads?: string }>().threads;
    const n = t !== undefined ? Number(t) : process.env.OMP_NUM_THREADS ? Number(process.env.OMP_NUM_THREADS) : availableParallelism();
    if (!Number.isInteger(n) || n < 1) throw new CommanderError(2, 'gdt.threads', `--threads must be a positive integer, got '${t}'`);
    torch.setNumThreads(n);
  });
  for (const c of commands) c.register(program);
  return program;
}

/** Runs the CLI; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return 0;
      if (!e.code.startsWith('commander.')) console.error(`gdt: ${e.message}`);
      return e.exitCode || 1;
    }
    console.error(`gdt: ${e instanceof Error ? e.message : String(e)}`);
    if (process.env.GDT_DEBUG && e instanceof Error) console.error(e.stack);
    return 1;
  }
}
