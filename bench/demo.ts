// npm run bench:demo — the demo's acceptance measure: `gdt demo` (full recipe) for several seeds,
// each in its own folder, printing per seed the linear-probe top-1 of the pretrained and the
// random encoder, the gap, and the wall time; then the mean gap and the slowest run.
// GDT_BENCH_SEEDS=0,1,2 (default) picks the seeds; GDT_BENCH_OUT the parent folder (default a
// temporary one). Last line: demo_min_gap=<points> demo_max_seconds=<s>.
import { mkdtempSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { torch } from '../src/index.js';
import { runDemo } from '../src/demo/run-demo.js';

async function main(): Promise<void> {
  torch.setNumThreads(availableParallelism());
  const seeds = (process.env.GDT_BENCH_SEEDS ?? '0,1,2').split(',').map(Number);
  const parent = process.env.GDT_BENCH_OUT ?? mkdtempSync(join(tmpdir(), 'gdt-bench-demo-'));
  const rows: { seed: number; pre: number; rnd: number; gap: number; knnGap: number; ftGap: number; seconds: number }[] = [];
  for (const seed of seeds) {
    const r = await runDemo({ out: join(parent, `seed${seed}`), seed, progress: false, log: () => undefined });
    const s = r.results.scores;
    rows.push({ seed, pre: s.pretrained.linearTop1, rnd: s.random.linearTop1, gap: r.results.gap.linearTop1, knnGap: r.results.gap.knnTop1, ftGap: r.results.gap.finetuneTop1, seconds: r.results.totalSeconds });
    const x = rows[rows.length - 1]!;
    console.log(`seed ${seed}: linear top-1 pretrained ${x.pre.toFixed(1)} %, random ${x.rnd.toFixed(1)} %, gap ${x.gap.toFixed(1)} points (kNN gap ${x.knnGap.toFixed(1)}, finetune gap ${x.ftGap.toFixed(1)}); ${x.seconds.toFixed(0)} s; ${r.reportPath}`);
  }
  const minGap = Math.min(...rows.map((r) => r.gap));
  const meanGap = rows.reduce((a, r) => a + r.gap, 0) / rows.length;
  const maxSeconds = Math.max(...rows.map((r) => r.seconds));
  console.log(`mean gap ${meanGap.toFixed(1)} points over ${rows.length} seeds; ${availableParallelism()} cores`);
  console.log(`demo_min_gap=${minGap.toFixed(1)} demo_max_seconds=${maxSeconds.toFixed(0)}`);
}

await main();
