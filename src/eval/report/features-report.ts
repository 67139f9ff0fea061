// report.html of `gdt eval linear | knn | retrieval`: results per fold, the regularisation search
// and training loss (linear), recall@k (retrieval), per-class accuracy, confusion, examples.
import { renderReport, table, type ReportSection } from './html.js';
import { lineChart } from './svg.js';
import { classSections, commonFacts, examples, type ExampleCandidate } from './common.js';
import { sumConfusion } from '../metrics.js';
import type { EvalResults } from '../results.js';
import type { FeatureFoldResult } from '../run-features.js';
import type { FeatureEvalConfig } from '../config.js';

export async function renderFeatureReport(r: EvalResults<FeatureFoldResult>): Promise<string> {
  const cfg = r.config as FeatureEvalConfig;
  const keys = Object.keys(r.mean);
  const sections: ReportSection[] = [];
  for (const f of r.folds) {
    const charts: string[] = [];
    if (f.linear) {
      charts.push(
        lineChart(
          [
            { name: 'validation top-1 (%)', points: f.linear.search.points.map((p) => [Math.log10(Math.max(p.l2, 1e-12)), p.valTop1] as const), markers: true },
          ],
          { title: `L2 search: chosen λ = ${f.linear.l2}`, xLabel: 'log10 λ', yLabel: 'validation video top-1 (%)' },
        ),
        lineChart([{ name: 'objective', points: f.linear.losses.map((l, i) => [i + 1, l] as const) }], { title: 'final fit: training objective', xLabel: 'epoch', yLabel: 'CE + λ/2 |W|²' }),
      );
    }
    if (cfg.command === 'retrieval') {
      charts.push(lineChart([{ name: `fold ${f.fold}`, points: cfg.retrieval.ks.map((k) => [k, f.metrics[`R@${k}`]!] as const), markers: true }], { title: 'recall@k', xLabel: 'k', yLabel: 'R@k (%)' }));
    }
    const facts = table({
      headers: ['train videos', 'test videos', 'train rows', 'test rows', 'feature size', ...(f.knn ? ['k', 'T'] : []), ...(f.linear ? ['λ', 'search train / val videos'] : [])],
      rows: [[f.trainVideos, f.testVideos, f.trainRows, f.testRows, f.featureDim, ...(f.knn ? [f.knn.k, f.knn.temperature] : []), ...(f.linear ? [String(f.linear.l2), `${f.linear.searchTrainVideos} / ${f.linear.valVideos}`] : [])]],
    });
    sections.push({ title: `Fold ${f.fold}`, html: `${facts}${charts.length ? `<div class="charts">${charts.join('')}</div>` : ''}` });
  }
  const first = r.folds[0];
  if (first) {
    const note = cfg.command === 'retrieval' ? 'class of the nearest training video' : 'video level';
    sections.push(...classSections(sumConfusion(r.folds.map((f) => f.confusion)), first.classes, `${note}, ${r.folds.length > 1 ? `summed over ${r.folds.length} folds` : `fold ${first.fold}`}`));
  }
  const cands: ExampleCandidate[] = [];
  for (const f of r.folds) {
    for (const p of f.predictions) {
      const name = (c: number): string => f.classes[c] ?? String(c);
      cands.push({
        name: p.name,
        path: p.path,
        truth: name(p.label),
        predicted: name(p.predicted),
        correct: cfg.command === 'retrieval' ? p.neighbours?.[0]?.label === p.label : p.predicted === p.label,
        detail: p.neighbours
          ? `fold ${f.fold}; nearest: ${p.neighbours.map((n) => `${name(n.label)} (${n.distance.toFixed(3)})`).join(', ')}`
          : `fold ${f.fold}; top-5: ${p.top5.map((t) => `${name(t.class)} ${t.score.toFixed(2)}`).join(', ')}`,
        neighbours: p.neighbours?.map((n) => ({ name: n.name, path: n.path, label: name(n.label), hit: n.label === p.label })),
      });
    }
  }
  return renderReport({
    title: `gdt eval ${r.command} — ${r.dataset}, folds ${r.folds.map((f) => f.fold).join(',')}`,
    protocol: { name: r.protocol, description: r.protocolDescription },
    facts: commonFacts({
      dataset: `${r.dataset} (${cfg.data.root})`,
      checkpoint: r.checkpoint,
      provenance: r.provenance,
      extra: [
        ['model', `${cfg.model.kind}, ${cfg.data.numFrames} frames at ${cfg.data.targetFps} fps, ${cfg.data.cropSize} px, features '${cfg.features.pool}'`],
        ['views', `training: ${cfg.features.trainClips} clips per video; test: ${cfg.features.testClips} clips x ${cfg.features.testCrops} crops`],
        ['time', `${r.timings.totalSeconds.toFixed(1)} s`],
      ],
    }),
    summary: {
      headers: ['fold', ...keys.map((k) => `${k} (%)`)],
      rows: [...r.folds.map((f) => [String(f.fold), ...keys.map((k) => f.metrics[k] ?? null)]), ['mean', ...keys.map((k) => r.mean[k] ?? null)]],
    },
    sections,
    examples: await examples(cands),
    config: r.config,
  });
}
