// `gdt demo`: the whole story on the embedded default in minutes on a CPU — generate the synthetic
// audio-visual dataset, pretrain a tiny GDT, then evaluate the pretrained encoder and a randomly
// initialised one of the same architecture (linear probe, kNN, retrieval, short finetune), and
// write results.json and report.html. Every stage is resumable: a stage whose output exists with
// the same recipe is read back, so an interrupted demo continues where it stopped.
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as torch from '../torch/index.js';
import { generateSyntheticDataset } from '../media/synth.js';
import { buildConfig } from '../train/config.js';
import { createGdtMethod } from '../train/gdt-method.js';
import { train } from '../train/trainer.js';
import { buildEvalConfig } from '../eval/config.js';
import { runFeatureEval, type FeatureFoldResult } from '../eval/run-features.js';
import { runFinetune, type FinetuneFoldResult } from '../eval/run-finetune.js';
import type { EvalResults } from '../eval/results.js';
import { writeJsonAtomic } from '../eval/results.js';
import { provenance, type Provenance } from '../eval/provenance.js';
import { writeFileAtomic } from '../io/atomic.js';
import { progress } from '../cli/progress.js';
import { demoRecipe, type DemoRecipe } from './recipe.js';
import { hypothesisStances, renderDemoReport } from './report.js';

export interface DemoOptions {
  out: string;
  /** A few steps on a handful of videos: checks the pipeline in about a minute (not the gap). */
  fast?: boolean;
  seed?: number;
  /** Progress bars / lines (default true). */
  progress?: boolean;
  log?: (line: string) => void;
}

export type DemoModel = 'pretrained' | 'random';
export const DEMO_MODELS: readonly DemoModel[] = ['pretrained', 'random'];

export interface DemoScores {
  linearTop1: number;
  linearTop5: number;
  knnTop1: number;
  retrievalR1: number;
  retrievalR5: number;
  finetuneTop1: number;
}

export interface DemoResults {
  version: 1;
  kind: 'gdt-demo';
  recipe: DemoRecipe;
  seed: number;
  dataset: { root: string; classes: number; videos: number };
  pretrain: { checkpoint: string; steps: number; firstLoss: number; lastLoss: number; hypothesis: number; parameters: number };
  scores: Record<DemoModel, DemoScores>;
  /** Pretrained minus random, in points. */
  gap: DemoScores;
  /** The acceptance check of the demo: the linear-probe gap of at least `threshold` points. */
  acceptance: { metric: 'linearTop1'; threshold: number; gap: number; passed: boolean };
  /** Where each evaluation wrote its own results.json / report.html. */
  runs: Record<DemoModel, Record<'linear' | 'knn' | 'retrieval' | 'finetune', string>>;
  timings: { stage: string; seconds: number }[];
  totalSeconds: number;
  provenance: Provenance;
}

export interface DemoOutput {
  results: DemoResults;
  resultsPath: string;
  reportPath: string;
}

export const GAP_THRESHOLD = 20;

const sameJson = (path: string, value: unknown): boolean => {
  try {
    return JSON.stringify(JSON.parse(readFileSync(path, 'utf8'))) === JSON.stringify(value);
  } catch {
    return false;
  }
};

export async function runDemo(o: DemoOptions): Promise<DemoOutput> {
  const t0 = performance.now();
  const out = resolve(o.out);
  const seed = o.seed ?? 0;
  const fast = o.fast ?? false;
  const log = o.log ?? ((s: string) => console.log(s));
  const showProgress = o.progress ?? true;
  const recipe = demoRecipe(fast, seed);
  mkdirSync(out, { recursive: true });
  const timings: { stage: string; seconds: number }[] = [];
  const stages = 4;
  let stageNo = 0;
  const stage = async <T>(name: string, f: () => Promise<T>): Promise<T> => {
    stageNo++;
    log(`\n[${stageNo}/${stages}] ${name}`);
    const s = performance.now();
    const r = await f();
    timings.push({ stage: name, seconds: (performance.now() - s) / 1000 });
    return r;
  };

  // 1. The synthetic dataset (kept when it was generated with the same options).
  const dataRoot = join(out, 'data');
  const dataStamp = join(dataRoot, 'demo-recipe.json');
  const dataset = await stage('synthetic audio-visual dataset', async () => {
    if (sameJson(dataStamp, recipe.data) && existsSync(join(dataRoot, 'splits', 'trainlist01.txt'))) {
      log(`reusing ${dataRoot}`);
    } else {
      const total = (recipe.data.classes ?? 10) * (recipe.data.videosPerClass ?? 30);
      const bar = showProgress ? progress('synth', total, { unit: 'videos' }) : undefined;
      const r = await generateSyntheticDataset(dataRoot, { ...recipe.data, onProgress: (d) => bar?.update(d) });
      bar?.stop();
      await writeFileAtomic(dataStamp, JSON.stringify(recipe.data) + '\n');
      log(`${r.videos.length} videos of ${r.classes.length} classes (class = motion and sound pattern; colours are random, backgrounds shared by all classes) in ${(r.elapsedMs / 1000).toFixed(1)} s`);
    }
    const meta = JSON.parse(readFileSync(join(dataRoot, 'meta.json'), 'utf8')) as { classes: string[]; videos: unknown[] };
    return { root: dataRoot, classes: meta.classes.length, videos: meta.videos.length };
  });

  // Every stage reads the videos' probe results and whole decodes from here: each video is probed
  // and decoded once per demo, not once per loader thread, model and stage.
  const manifest = join(out, 'probe-manifest.json');
  const decodeCache = join(out, 'decoded');

  // 2. Tiny GDT pretraining (resumes from its own checkpoint).
  const ptOut = join(out, 'pretrain');
  const pretrain = await stage(`GDT pretraining: hypothesis ${recipe.hypothesis} (${hypothesisStances(recipe.hypothesis)})`, async () => {
    const cfg = buildConfig({
      method: 'gdt',
      preset: 'tiny',
      overrides: [{ out: ptOut, data: { root: dataRoot, manifest, decodeCache }, objective: { hypothesis: recipe.hypothesis } }, recipe.pretrain],
    });
    torch.manualSeed(cfg.train.seed);
    const m = await createGdtMethod(cfg);
    const parameters = m.model.numParameters();
    log(`${parameters.toLocaleString('en-US')} parameters; ${cfg.train.maxSteps} steps of ${cfg.train.batchSize} clips (${cfg.data.numFrames} frames, ${cfg.data.cropSize} px, ${cfg.data.audioSeconds} s of audio)`);
    try {
      const r = await train(cfg, m, { progress: showProgress, log });
      if (r.status === 'interrupted') throw new Error(`pretraining was interrupted at step ${r.globalStep}; run the demo again to resume`);
    } finally {
      m.model.dispose();
    }
    const losses = readFileSync(join(ptOut, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { loss: number }).loss);
    return { checkpoint: join(ptOut, 'checkpoint.safetensors'), steps: losses.length, firstLoss: losses[0]!, lastLoss: losses[losses.length - 1]!, hypothesis: recipe.hypothesis, parameters };
  });

  // 3. Frozen features: linear probe, kNN and retrieval share one extraction per model.
  const weightsOf = (m: DemoModel): string => (m === 'pretrained' ? pretrain.checkpoint : 'none');
  const runs = { pretrained: {}, random: {} } as DemoResults['runs'];
  const feature: Record<DemoModel, Record<'linear' | 'knn' | 'retrieval', EvalResults<FeatureFoldResult>>> = { pretrained: {}, random: {} } as never;
  await stage('frozen-feature evaluations of the pretrained and the randomly initialised encoder (linear probe, kNN, retrieval)', async () => {
    for (const m of DEMO_MODELS) {
      for (const command of ['linear', 'knn', 'retrieval'] as const) {
        const dir = join(out, 'eval', m, command);
        const cfg = buildEvalConfig(command, {
          preset: 'tiny',
          overrides: [{ out: dir, weights: weightsOf(m), cache: join(out, 'eval', m, 'features'), data: { dataset: 'ucf101', root: dataRoot, manifest, decodeCache } }, recipe.features],
        });
        log(`${m} encoder, ${command}`);
        const r = await runFeatureEval(cfg, { progress: showProgress, threads: torch.getNumThreads(), log });
        feature[m][command] = r.results;
        runs[m][command] = r.reportPath;
      }
    }
  });

  // 4. Short finetuning of both encoders.
  const finetune = { pretrained: undefined, random: undefined } as Record<DemoModel, EvalResults<FinetuneFoldResult> | undefined>;
  await stage('short finetuning of both encoders', async () => {
    for (const m of DEMO_MODELS) {
      const dir = join(out, 'eval', m, 'finetune');
      const cfg = buildEvalConfig('finetune', {
        preset: 'tiny',
        overrides: [{ out: dir, weights: weightsOf(m), data: { dataset: 'ucf101', root: dataRoot, manifest, decodeCache } }, recipe.finetune],
      });
      log(`${m} encoder, finetune`);
      const r = await runFinetune(cfg, { progress: showProgress, threads: torch.getNumThreads(), log });
      finetune[m] = r.results;
      runs[m].finetune = r.reportPath;
    }
  });

  const scoreOf = (m: DemoModel): DemoScores => ({
    linearTop1: feature[m].linear.mean.top1!,
    linearTop5: feature[m].linear.mean.top5!,
    knnTop1: feature[m].knn.mean.top1!,
    retrievalR1: feature[m].retrieval.mean['R@1']!,
    retrievalR5: feature[m].retrieval.mean['R@5']!,
    finetuneTop1: finetune[m]!.mean.top1!,
  });
  const scores = { pretrained: scoreOf('pretrained'), random: scoreOf('random') };
  const gap = Object.fromEntries(Object.keys(scores.pretrained).map((k) => [k, scores.pretrained[k as keyof DemoScores] - scores.random[k as keyof DemoScores]])) as unknown as DemoScores;
  const results: DemoResults = {
    version: 1,
    kind: 'gdt-demo',
    recipe,
    seed,
    dataset,
    pretrain,
    scores,
    gap,
    acceptance: { metric: 'linearTop1', threshold: GAP_THRESHOLD, gap: gap.linearTop1, passed: gap.linearTop1 >= GAP_THRESHOLD },
    runs,
    timings,
    totalSeconds: (performance.now() - t0) / 1000,
    provenance: provenance(torch.getNumThreads()),
  };
  const resultsPath = join(out, 'results.json');
  await writeJsonAtomic(resultsPath, results);
  const html = await renderDemoReport(results, { outDir: out, metricsPath: join(ptOut, 'metrics.jsonl'), retrieval: { pretrained: feature.pretrained.retrieval, random: feature.random.retrieval } });
  const reportPath = join(out, 'report.html');
  await writeFileAtomic(reportPath, html);
  // The decodes only served this run's stages (an interrupted demo resumes with them); a few hundred MB.
  rmSync(decodeCache, { recursive: true, force: true });
  return { results, resultsPath, reportPath };
}
