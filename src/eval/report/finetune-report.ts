// report.html of `gdt eval finetune`: per-fold training curves, test accuracy per evaluated epoch,
// per-class accuracy and confusion summed over folds, and example test videos.
import { renderReport, table, type ReportSection } from './html.js';
import { lineChart } from './svg.js';
import { classSections, commonFacts, examples, type ExampleCandidate } from './common.js';
import { sumConfusion } from '../metrics.js';
import type { EvalResults } from '../results.js';
import type { FinetuneFoldResult } from '../run-finetune.js';
import type { FinetuneConfig } from '../config.js';

export async function renderFinetuneReport(r: EvalResults<FinetuneFoldResult>): Promise<string> {
  const cfg = r.config as FinetuneConfig;
  const sections: ReportSection[] = [];
  for (const f of r.folds) {
    const charts = [
      lineChart(
        [
          { name: 'per step', points: f.iterations.map((p) => [p.step, p.loss] as const) },
          ...(f.training.length ? [{ name: 'epoch mean', points: f.training.map((t, i) => [f.training.slice(0, i + 1).reduce((n, x) => n + x.steps, 0), t.loss] as const), markers: true }] : []),
        ],
        { title: 'training loss (cross-entropy)', xLabel: 'step', yLabel: 'loss' },
      ),
      lineChart(
        (['classifier', 'backbone', 'transformer'] as const)
          .filter((role) => f.training.some((t) => t.lr[role] !== undefined))
          .map((role) => ({ name: role, points: f.training.map((t) => [t.epoch, t.lr[role] ?? NaN] as const), markers: true })),
        { title: 'learning rate per epoch', xLabel: 'epoch', yLabel: 'LR', logY: true },
      ),
      lineChart(
        [
          { name: 'train clip top-1', points: f.training.map((t) => [t.epoch, t.clipTop1] as const), markers: true },
          { name: 'test video top-1', points: f.evaluations.map((e) => [e.epoch, e.top1] as const), markers: true },
          { name: 'test video top-5', points: f.evaluations.map((e) => [e.epoch, e.top5] as const), markers: true },
          { name: 'test clip top-1', points: f.evaluations.map((e) => [e.epoch, e.clipTop1] as const), markers: true },
        ],
        { title: 'accuracy (%)', xLabel: 'epoch', yLabel: '%' },
      ),
    ];
    const evals = table({
      headers: ['epoch', 'video top-1', 'video top-5', 'clip top-1', 'test loss', 'videos', 'views'],
      rows: f.evaluations.map((e) => [e.epoch === f.selectedEpoch ? `${e.epoch} (reported)` : String(e.epoch), e.top1, e.top5, e.clipTop1, e.testLoss, e.videos, e.views]),
    });
    sections.push({ title: `Fold ${f.fold}: training and test curves`, html: `<div class="charts">${charts.join('')}</div>${evals}` });
  }
  const first = r.folds[0];
  const classes = first?.classes ?? [];
  if (first) sections.push(...classSections(sumConfusion(r.folds.map((f) => f.confusion)), classes, `reported epoch, ${r.folds.length > 1 ? `summed over ${r.folds.length} folds` : `fold ${first.fold}`}`));
  const cands: ExampleCandidate[] = [];
  const root = cfg.data.root;
  for (const f of r.folds) {
    for (const p of f.predictions) {
      cands.push({
        name: p.name,
        path: p.path,
        truth: f.classes[p.label] ?? String(p.label),
        predicted: f.classes[p.predicted] ?? String(p.predicted),
        correct: p.predicted === p.label,
        detail: `fold ${f.fold}; top-5: ${p.top5.map((t) => `${f.classes[t.class]} ${t.score.toFixed(2)}`).join(', ')}; ${p.views} views`,
      });
    }
  }
  return renderReport({
    title: `gdt eval finetune — ${r.dataset}, folds ${r.folds.map((f) => f.fold).join(',')}`,
    protocol: { name: r.protocol, description: r.protocolDescription },
    facts: commonFacts({
      dataset: `${r.dataset} (${root})`,
      checkpoint: r.checkpoint,
      provenance: r.provenance,
      extra: [
        ['model', `${cfg.model.kind}, ${cfg.data.numFrames} frames at ${cfg.data.targetFps} fps, ${cfg.data.cropSize} px crops`],
        ['schedule', `${cfg.train.epochs} epochs, warm-up ${cfg.optim.warmupEpochs} (x${cfg.optim.multiplier}), decay x${cfg.optim.gamma} at ${cfg.optim.milestones.join(', ')}`],
        ['time', `${r.timings.totalSeconds.toFixed(1)} s`],
      ],
    }),
    summary: {
      headers: ['fold', 'top-1 (%)', 'top-5 (%)', 'reported epoch', 'selection', 'train videos', 'test videos'],
      rows: [
        ...r.folds.map((f) => [String(f.fold), f.top1, f.top5, f.selectedEpoch, f.selection, f.trainVideos, f.testVideos]),
        ['mean', r.mean.top1 ?? null, r.mean.top5 ?? null, null, r.protocol, null, null],
      ],
    },
    sections,
    examples: await examples(cands),
    config: r.config,
  });
}

