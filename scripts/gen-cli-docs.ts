// Writes docs/cli.md from the commands' own --help texts (`npm run docs:cli`); a test checks the
// committed file is current, so the reference cannot drift from the CLI.
import { writeFileSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { buildProgram } from '../src/cli/main.js';

const OUT = fileURLToPath(new URL('../docs/cli.md', import.meta.url));

function walk(cmd: Command, path: string[], out: string[]): void {
  const name = [...path, cmd.name()].join(' ');
  if (path.length) {
    out.push(`## \`${name}\``, '', '```text', cmd.helpInformation().trimEnd(), '```', '');
  }
  for (const sub of cmd.commands) if (sub.name() !== 'help') walk(sub, path.length ? [...path, cmd.name()] : ['gdt'], out);
}

export function cliReference(): string {
  const program = buildProgram();
  program.configureHelp({ helpWidth: 100 });
  for (const c of program.commands) c.configureHelp({ helpWidth: 100 });
  const out = ['# Command-line reference', '', 'Generated from the commands\' `--help` by `npm run docs:cli`.', '', '```text', program.helpInformation().trimEnd(), '```', ''];
  walk(program, [], out);
  return out.join('\n');
}

const isMain = process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1];
if (isMain) {
  const text = cliReference();
  if (process.argv.includes('--check')) {
    const same = readFileSync(OUT, 'utf8') === text;
    console.log(same ? 'docs/cli.md is up to date' : 'docs/cli.md is out of date: run npm run docs:cli');
    process.exit(same ? 0 : 1);
  }
  writeFileSync(OUT, text);
  console.log(`wrote ${OUT}`);
}
