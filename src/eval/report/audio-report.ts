// report.html of `gdt eval audio`: results per fold, the regularisation search, per-class
// accuracy and confusion (summed over folds), and example files (no thumbnails: audio only).
import { renderReport, table, type ReportSection } from './html.js';
import { lineChart } from './svg.js';
import { classSections, commonFacts } from './common.js';
import { sumConfusion } from '../metrics.js';
import type { EvalResults } from '../results.js';
import type { AudioFoldResult } from '../run-audio.js';
import type { AudioEvalConfig } from '../config.js';

export function renderAudioReport(r: EvalResults<AudioFoldResult>): string {
  const cfg = r.config as AudioEvalConfig;
  const sections: ReportSection[] = r.folds.map((f) => ({
    title: `Fold ${f.fold}`,
    html:
      table({ headers: ['train files', 'test files', 'feature size', 'λ', 'search train / val files'], rows: [[f.trainFiles, f.testFiles, f.featureDim, String(f.linear.l2), `${f.linear.searchTrainFiles} / ${f.linear.valFiles}`]] }) +
      `<div class="charts">${lineChart([{ name: 'validation top-1', points: f.linear.search.points.map((p) => [Math.log10(Math.max(p.l2, 1e-12)), p.valTop1] as const), markers: true }], { title: `L2 search: chosen λ = ${f.linear.l2}`, xLabel: 'log10 λ', yLabel: 'validation top-1 (%)' })}${lineChart([{ name: 'objective', points: f.linear.losses.map((l, i) => [i + 1, l] as const) }], { title: 'final fit: training objective', xLabel: 'epoch', yLabel: 'CE + λ/2 |W|²' })}</div>`,
  }));
  const first = r.folds[0];
  if (first) sections.push(...classSections(sumConfusion(r.folds.map((f) => f.confusion)), first.classes, r.folds.length > 1 ? `summed over ${r.folds.length} folds` : `fold ${first.fold}`));
  const rows = r.folds.flatMap((f) => f.predictions.filter((p) => p.predicted !== p.label).slice(0, 10).map((p) => [String(f.fold), p.name, f.classes[p.label] ?? String(p.label), f.classes[p.predicted] ?? String(p.predicted)]));
  sections.push({ title: 'Misclassified files (first 10 per fold)', html: rows.length ? table({ headers: ['fold', 'file', 'true', 'predicted'], rows }) : '<p>none</p>' });
  return renderReport({
    title: `gdt eval audio — ${r.dataset}, folds ${r.folds.map((f) => f.fold).join(',')}`,
    protocol: { name: r.protocol, description: r.protocolDescription },
    facts: commonFacts({ dataset: `${r.dataset} (${cfg.data.root})`, checkpoint: r.checkpoint, provenance: r.provenance, extra: [['windows', `${cfg.features.windows} per file`], ['time', `${r.timings.totalSeconds.toFixed(1)} s`]] }),
    summary: {
      headers: ['fold', 'top-1 (%)', 'top-5 (%)'],
      rows: [...r.folds.map((f) => [String(f.fold), f.metrics.top1, f.metrics.top5]), ['mean', r.mean.top1 ?? null, r.mean.top5 ?? null]],
    },
    sections,
    config: r.config,
  });
}
