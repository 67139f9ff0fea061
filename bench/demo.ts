// npm run bench:demo — the demo's acceptance measure: `gdt demo` (full recipe) for several seeds,
// each in its own folder and its own process (as a user runs it: a process that has already run a
// demo is larger, and each ffmpeg it starts costs more), printing per seed the linear-probe top-1
// of the pretrained and the random encoder, the gap, the wall time and the stages' times; then the
// mean gap and the slowest run.
// GDT_BENCH_SEEDS=0,1,2 (default) picks the seeds; GDT_BENCH_OUT the parent folder (default a
// temporary one). Last line: demo_min_gap=<points> demo_max_seconds=<s>.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch } from '../src/index.js';
import { runDemo } from '../src/demo/run-demo.js';

interface SeedRow {
  seed: number;
  pre: number;
  rnd: number;
  gap: number;
  knnGap: number;
  ftGap: number;
  seconds: number;
  stages: string;
  report: string;
}

/** One seed, in this process: the row as a JSON line on stdout. */
async function child(seed: number, out: string): Promise<void> {
  torch.setNumThreads(availableParallelism());
  const r = await runDemo({ out, seed, progress: false, log: () => undefined });
  const s = r.results.scores;
  const row: SeedRow = {
    seed,
    pre: s.pretrained.linearTop1,
    rnd: s.random.linearTop1,
    gap: r.results.gap.linearTop1,
    knnGap: r.results.gap.knnTop1,
    ftGap: r.results.gap.finetuneTop1,
    seconds: r.results.totalSeconds,
    stages: r.results.timings.map((t) => `${t.stage.split(/[:(]/)[0]!.trim()} ${t.seconds.toFixed(0)} s`).join('; '),
    report: r.reportPath,
  };
  console.log(JSON.stringify(row));
}

async function main(): Promise<void> {
  const seeds = (process.env.GDT_BENCH_SEEDS ?? '0,1,2').split(',').map(Number);
  const parent = process.env.GDT_BENCH_OUT ?? mkdtempSync(join(tmpdir(), 'gdt-bench-demo-'));
  const rows: SeedRow[] = [];
  for (const seed of seeds) {
    const p = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
      env: { ...process.env, GDT_BENCH_CHILD: `${seed}:${join(parent, `seed${seed}`)}` },
      stdio: ['ignore', 'pipe', 'inherit'],
      encoding: 'utf8',
    });
    if (p.status !== 0) throw new Error(`seed ${seed}: the demo failed (exit ${p.status ?? p.signal})`);
    const x = JSON.parse(p.stdout.trim().split('\n').pop()!) as SeedRow;
    rows.push(x);
    console.log(`seed ${seed}: linear top-1 pretrained ${x.pre.toFixed(1)} %, random ${x.rnd.toFixed(1)} %, gap ${x.gap.toFixed(1)} points (kNN gap ${x.knnGap.toFixed(1)}, finetune gap ${x.ftGap.toFixed(1)}); ${x.seconds.toFixed(0)} s; ${x.report}`);
    console.log(`  stages: ${x.stages}`);
  }
  const minGap = Math.min(...rows.map((r) => r.gap));
  const meanGap = rows.reduce((a, r) => a + r.gap, 0) / rows.length;
  const maxSeconds = Math.max(...rows.map((r) => r.seconds));
  console.log(`mean gap ${meanGap.toFixed(1)} points over ${rows.length} seeds; ${availableParallelism()} cores`);
  console.log(`demo_min_gap=${minGap.toFixed(1)} demo_max_seconds=${maxSeconds.toFixed(0)}`);
}

const childSpec = process.env.GDT_BENCH_CHILD;
if (childSpec) {
  const at = childSpec.indexOf(':');
  await child(Number(childSpec.slice(0, at)), childSpec.slice(at + 1));
} else {
  await main();
}
