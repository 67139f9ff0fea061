// Every command in the docs runs here, so the docs cannot rot.
//
// Convention (see docs/getting-started.md): shell commands are in ```sh blocks; every line there
// that starts with `gdt ` (or `npx gdt `, `node bin/gdt.js `) is a command, continuation lines
// (`\`) joined. The test collects them from README.md and docs/*.md (not docs/cli.md, generated)
// and, for each:
//
//  1. parses it with the real command tree (src/cli/main.ts buildProgram()) whose actions are
//     replaced by no-ops: an unknown command or option, a missing required option or argument
//     fails with the page and line (`gdt launch ... -- <command>`: the inner command too);
//  2. runs it in-process (test/cli/helpers.ts cli()) on small data, with the limiting flags of
//     LIMITS below appended (later flags and --set overrides win), in document order within its
//     page (later commands may use earlier outputs), and requires exit status 0;
//  3. except a command ending in `# not run in CI: <reason>` (GPU, several nodes, days of compute,
//     covered by another test): only parsed, and a pretrain/eval command's configuration is
//     resolved with --print-config (so its presets, fields and values are valid); and a command
//     ending in `# expect error: <text>` must fail with that text.
//
// The pages' variables ($DATA, $UCF101, $HMDB51, $KINETICS, $HOWTO, $ESC50, $CKPT, $DEMO,
// $GDT_CACHE_DIR; $OUT is a fresh folder per page) point to small stand-ins built once
// (test/docs/fixture.ts); an undefined variable fails the test. Zoo names are served by a local
// stand-in of the download server (GDT_ZOO_URL). A block right after `<!-- file: PATH -->` is
// written to PATH before the commands that follow it.
//
// Also: the TypeScript examples of docs/api.md are the files under docs/examples/ (shown
// verbatim) and each runs (`node --import tsx`) to exit status 0 printing `ok <name>`;
// docs/config.md equals what scripts/gen-config-docs.ts generates; relative links resolve.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.js';
import { cli } from '../cli/helpers.js';
import { configDocs, readConfigDocs } from '../../scripts/gen-config-docs.js';
import { ROOT, docPages, readPage, shellWords, gdtArgs, type DocCommand, type DocItem, type DocExample } from './collect.js';
import { buildDocsFixture, pageOut, type DocsFixture } from './fixture.js';

/**
 * What is appended to a command before it runs, by command path (`launch`: to the command after
 * `--`). Everything keeps the command's own semantics and shrinks only its size.
 */
const LIMITS: Record<string, { append: string[] | ((args: string[]) => string[]); why: string }> = {
  synth: { append: ['--classes', '2', '--videos-per-class', '3', '--seconds', '2', '--size', '64x64'], why: '6 videos of 2 s at 64 px' },
  'pretrain gdt': {
    append: ['--max-steps', '1', '--batch-size', '2', '--workers', '1', '--set', 'model.width=0.25', '--set', 'data.numFrames=8', '--set', 'data.targetFps=15', '--set', 'data.cropSize=64', '--set', 'data.scales=[64,80]', '--set', 'data.audioSeconds=1', '--set', 'model.vocabulary=16'],
    why: 'one step of 2 samples at the tiny preset\'s size (quarter width, 8 frames of 64 px, 1 s of audio; a 16-word table for video-text)',
  },
  'pretrain stica': {
    // Reference mode assumes the reference's 4 x 7 x 7 feature map (SPEC 7.2): 30 frames of 112 px.
    append: (args) => ['--max-steps', '1', '--batch-size', '2', '--workers', '1', '--set', 'stica.preset=tiny', '--set', 'data.audioSeconds=1', ...(args.join(' ').includes('--mode reference') ? ['--set', 'data.numFrames=30', '--set', 'data.cropSize=112'] : ['--set', 'data.numFrames=16', '--set', 'data.cropSize=64'])],
    why: 'one step of 2 samples with the tiny crop preset (width 1/8, 16 frames of 64 px; reference mode: 30 frames of 112 px)',
  },
  'eval finetune': {
    append: ['--preset', 'tiny', '--fold', '1', '--workers', '1', '--device', 'cpu', '--quiet', '--set', 'data.numFrames=8', '--set', 'data.targetFps=6', '--set', 'data.cropSize=64', '--set', 'train.epochs=1', '--set', 'train.clipsPerVideo=1', '--set', 'train.evalFromEpoch=0', '--set', 'optim.warmupEpochs=0', '--set', 'test.clips=2', '--set', 'test.crops=1'],
    why: 'tiny preset, fold 1, one epoch of one clip per video, 2 test views, CPU',
  },
  'eval linear': { append: [], why: '' },
  'eval knn': { append: [], why: '' },
  'eval retrieval': { append: [], why: '' },
  'eval audio': {
    append: ['--preset', 'tiny', '--fold', '1', '--workers', '1', '--device', 'cpu', '--quiet', '--set', 'features.windows=2', '--set', 'linear.epochs=20'],
    why: 'tiny preset, test fold 1 only (each fold extracts its features again), 2 windows per file, 20 epochs of the linear classifier, CPU',
  },
  embed: { append: ['--clips', '2', '--frames', '8', '--fps', '8', '--size', '64', '--workers', '1', '--device', 'cpu', '--quiet'], why: '2 clips of 8 frames at 64 px, CPU' },
  search: { append: ['--device', 'cpu'], why: 'CPU' },
  export: { append: ['--frames', '8', '--size', '64', '--batch', '1'], why: 'an example clip of 8 frames at 64 px' },
};
for (const c of ['linear', 'knn', 'retrieval']) {
  LIMITS[`eval ${c}`] = {
    append: ['--preset', 'tiny', '--fold', '1', '--workers', '1', '--device', 'cpu', '--quiet', '--set', 'data.numFrames=8', '--set', 'data.targetFps=6', '--set', 'data.cropSize=64', '--set', 'features.trainClips=1', '--set', 'features.testClips=2', '--set', 'features.testCrops=1', '--set', 'linear.epochs=20'],
    why: 'tiny preset, fold 1, 1 training and 2 test clips per video, 20 epochs of the linear classifier, CPU',
  };
}

const CONFIG_COMMANDS = /^(pretrain (gdt|stica)|eval (finetune|linear|knn|retrieval|audio))$/;

interface Parsed {
  /** Command path, e.g. 'pretrain gdt', 'launch'. */
  path: string;
  /** For `gdt launch` without --exec: the inner gdt command. */
  inner?: Parsed & { args: string[] };
}

/** Parses `args` with the real command tree, every action replaced by a no-op. */
async function parseOnly(args: string[]): Promise<Parsed> {
  const program = buildProgram();
  let hit: { cmd: Command; positional: unknown[] } | undefined;
  const errors: string[] = [];
  const stub = (c: Command): void => {
    c.exitOverride();
    c.configureOutput({ writeOut: () => undefined, writeErr: (s) => void errors.push(s), outputError: (s) => void errors.push(s) });
    if ((c as unknown as { _actionHandler?: unknown })._actionHandler) {
      c.action((...a: unknown[]) => {
        hit = { cmd: a[a.length - 1] as Command, positional: a.slice(0, -2) };
      });
    }
    for (const sub of c.commands) stub(sub);
  };
  stub(program);
  try {
    await program.parseAsync(['node', 'gdt', ...args]);
  } catch (e) {
    throw new Error(`${(e as Error).message}${errors.length ? `\n${errors.join('').trim()}` : ''}`);
  }
  if (!hit) throw new Error('no command ran (a command group without a subcommand?)');
  const names: string[] = [];
  for (let c: Command | null = hit.cmd; c && c.parent; c = c.parent) names.unshift(c.name());
  const path = names.join(' ');
  if (path === 'launch' && !hit.cmd.opts<{ exec?: boolean }>().exec) {
    const innerArgs = hit.positional[0] as string[];
    const inner = await parseOnly(innerArgs);
    return { path, inner: { ...inner, args: innerArgs } };
  }
  return { path };
}

function limits(path: string, args: string[]): string[] {
  const a = LIMITS[path]?.append ?? [];
  return typeof a === 'function' ? a(args) : a;
}

let fx: DocsFixture;
const savedEnv: Record<string, string | undefined> = {};
const timings: { where: string; seconds: number; mode: string }[] = [];

before(async () => {
  const t0 = performance.now();
  fx = await buildDocsFixture();
  for (const [k, v] of Object.entries(fx.processEnv)) {
    savedEnv[k] = process.env[k];
    process.env[k] = v;
  }
  timings.push({ where: 'fixture', seconds: (performance.now() - t0) / 1000, mode: 'build' });
});

after(async () => {
  for (const [k, v] of Object.entries(savedEnv)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await fx?.close();
  const total = timings.reduce((a, t) => a + t.seconds, 0);
  const rows = timings.map((t) => `${t.seconds.toFixed(1).padStart(6)} s  ${t.mode.padEnd(7)} ${t.where}`);
  console.log(`docs commands: ${total.toFixed(0)} s in all\n${rows.join('\n')}`);
});

const pages = docPages().map((page) => ({ page, ...readPage(page) }));
const commands = pages.flatMap((p) => p.items.filter((i): i is DocCommand => i.kind === 'command'));
const examples: DocExample[] = pages.flatMap((p) => p.examples);
const where = (c: { page: string; line: number }): string => `${c.page}:${c.line}`;

/** Variables for parsing only (values do not matter, names must be defined). */
const PARSE_ENV: Record<string, string> = Object.fromEntries(['DATA', 'UCF101', 'HMDB51', 'KINETICS', 'HOWTO', 'ESC50', 'CKPT', 'DEMO', 'GDT_CACHE_DIR', 'OUT'].map((k) => [k, `/${k.toLowerCase()}`]));

test('the docs have commands, and every one parses (its command, options and arguments exist)', async () => {
  assert.ok(commands.length >= 40, `only ${commands.length} commands found`);
  const failures: string[] = [];
  for (const c of commands) {
    try {
      await parseOnly(gdtArgs(shellWords(c.text, PARSE_ENV)));
      if (c.notRun) {
        const ref = /test\/[\w/.-]+\.test\.ts/.exec(c.notRun);
        if (ref && !existsSync(join(ROOT, ref[0]))) throw new Error(`the reason names ${ref[0]}, which does not exist`);
      }
    } catch (e) {
      failures.push(`${where(c)}: ${c.text}\n    ${(e as Error).message.split('\n').join('\n    ')}`);
    }
  }
  assert.deepEqual(failures, []);
});

for (const { page, items } of pages) {
  const cmds = items.filter((i): i is DocCommand => i.kind === 'command');
  if (!cmds.length) continue;
  const runnable = cmds.filter((c) => !c.notRun).length;
  test(`${page}: ${runnable} commands run on small data, ${cmds.length - runnable} only parsed (configuration resolved where they have one)`, async () => {
    const out = pageOut(fx, page);
    const env = { ...fx.env, OUT: out };
    const done = new Set<string>();
    for (const item of items as DocItem[]) {
      if (item.kind === 'file') {
        const path = shellWords(item.path, env)[0]!;
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, item.content);
        continue;
      }
      // A command repeated on the same page (shown again in another context) runs once.
      if (done.has(item.text)) continue;
      done.add(item.text);
      const args = gdtArgs(shellWords(item.text, env));
      const parsed = await parseOnly(args);
      const t0 = performance.now();
      let mode: string;
      let r: Awaited<ReturnType<typeof cli>>;
      if (item.notRun) {
        // Resolve the configuration of a pretrain/eval command (directly or under gdt launch).
        const target = parsed.inner ?? { ...parsed, args };
        if (!CONFIG_COMMANDS.test(target.path)) continue;
        mode = 'config';
        r = await cli(...target.args, '--print-config');
      } else {
        mode = 'run';
        const full = [...args, ...(parsed.inner ? limits(parsed.inner.path, parsed.inner.args) : limits(parsed.path, args))];
        r = await cli(...full);
      }
      timings.push({ where: `${where(item)} ${item.text.slice(0, 90)}`, seconds: (performance.now() - t0) / 1000, mode });
      const output = `${r.out}\n${r.err}`.trim().split('\n').slice(-25).join('\n');
      if (item.expectError) {
        assert.notEqual(r.code, 0, `${where(item)}: expected to fail: ${item.text}`);
        assert.ok(output.includes(item.expectError), `${where(item)}: expected '${item.expectError}' in:\n${output}`);
      } else {
        assert.equal(r.code, 0, `${where(item)}: ${item.text}\nexit status ${r.code}:\n${output}`);
      }
    }
  });
}

test('docs/config.md equals what scripts/gen-config-docs.ts generates from the schemas (npm run docs:config)', () => {
  const current = readConfigDocs();
  assert.equal(configDocs(current), current);
});

test('the TypeScript shown in the docs is the files of docs/examples/, and every example file is shown', () => {
  const files = readdirSync(join(ROOT, 'docs', 'examples')).filter((f) => f.endsWith('.ts'));
  assert.ok(files.length >= 3);
  for (const e of examples) {
    assert.ok(existsSync(join(ROOT, e.file)), `${where(e)}: ${e.file} does not exist`);
    assert.equal(e.code, readFileSync(join(ROOT, e.file), 'utf8').trimEnd(), `${where(e)}: the code shown differs from ${e.file}`);
  }
  for (const f of files) assert.ok(examples.some((e) => e.file === `docs/examples/${f}`), `docs/examples/${f} is not shown in any page`);
});

for (const f of existsSync(join(ROOT, 'docs', 'examples')) ? readdirSync(join(ROOT, 'docs', 'examples')).filter((x) => x.endsWith('.ts')).sort() : []) {
  test(`docs/examples/${f} runs and prints 'ok ${f.replace(/\.ts$/, '')}'`, () => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['--import', 'tsx', join('docs', 'examples', f)], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' }, timeout: 120_000 });
    timings.push({ where: `docs/examples/${f}`, seconds: (performance.now() - t0) / 1000, mode: 'example' });
    assert.equal(r.status, 0, `${f}: exit status ${r.status}\n${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, new RegExp(`^ok ${f.replace(/\.ts$/, '')}$`, 'm'));
  });
}

test('relative links of the docs resolve, and README.md links every page of docs/', () => {
  const broken: string[] = [];
  for (const page of docPages()) {
    const text = readFileSync(join(ROOT, page), 'utf8');
    for (const m of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1]!.split('#')[0]!;
      if (!target || /^[a-z]+:/i.test(target)) continue;
      if (!existsSync(join(ROOT, dirname(page), target))) broken.push(`${page}: ${m[1]}`);
    }
  }
  assert.deepEqual(broken, []);
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const unlinked = readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .filter((f) => !readme.includes(`](docs/${f})`));
  assert.deepEqual(unlinked, [], 'pages of docs/ not linked from README.md');
});
