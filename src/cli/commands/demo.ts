// `gdt demo`: the main job on the embedded default (src/demo/run-demo.ts).
import type { Command } from 'commander';
import { relative } from 'node:path';
import { runDemo } from '../../demo/run-demo.js';

interface DemoCliOptions {
  out: string;
  fast?: boolean;
  seed: string;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('demo')
    .description('generate the synthetic dataset, pretrain a tiny GDT, compare it with a random initialisation (linear probe, kNN, retrieval, finetune); writes results.json and report.html')
    .option('--out <dir>', 'output folder (an interrupted demo resumes there)', 'gdt-demo')
    .option('--fast', 'a few steps on a handful of videos: checks the pipeline in a minute or two (the gap is not expected)')
    .option('--seed <n>', 'seed of the dataset, the pretraining and the evaluations', '0')
    .option('--quiet', 'no progress bars')
    .action(async (o: DemoCliOptions) => {
      const seed = Number(o.seed);
      if (!Number.isInteger(seed) || seed < 0) throw new Error(`--seed must be a non-negative integer, got '${o.seed}'`);
      const r = await runDemo({ out: o.out, fast: o.fast, seed, progress: !o.quiet });
      const s = r.results.scores;
      // Relative to the working directory when inside it, else absolute.
      const rel = (p: string): string => {
        const r = relative(process.cwd(), p);
        return r === '' ? '.' : r.startsWith('..') ? p : r;
      };
      console.log('');
      console.log(`                    pretrained   random init`);
      console.log(`linear probe top-1  ${s.pretrained.linearTop1.toFixed(1).padStart(9)} %  ${s.random.linearTop1.toFixed(1).padStart(9)} %`);
      console.log(`kNN top-1           ${s.pretrained.knnTop1.toFixed(1).padStart(9)} %  ${s.random.knnTop1.toFixed(1).padStart(9)} %`);
      console.log(`retrieval R@1       ${s.pretrained.retrievalR1.toFixed(1).padStart(9)} %  ${s.random.retrievalR1.toFixed(1).padStart(9)} %`);
      console.log(`finetune top-1      ${s.pretrained.finetuneTop1.toFixed(1).padStart(9)} %  ${s.random.finetuneTop1.toFixed(1).padStart(9)} %`);
      const a = r.results.acceptance;
      console.log(`\nlinear-probe gap: ${a.gap.toFixed(1)} points (${a.passed ? 'at least' : 'below'} the ${a.threshold} expected${o.fast ? '; --fast is too short to expect it' : ''}), ${Math.round(r.results.totalSeconds)} s in all`);
      console.log(`report:  ${rel(r.reportPath)}`);
      console.log(`results: ${rel(r.resultsPath)}`);
      const ckpt = rel(r.results.pretrain.checkpoint);
      console.log(`next:    gdt embed ${rel(r.results.dataset.root)}/videos --weights ${ckpt} --out embeddings.npy`);
      console.log(`         gdt search <video> --index embeddings.npy`);
      console.log(`         gdt export --onnx video.onnx --weights ${ckpt} --part video`);
    });
}
