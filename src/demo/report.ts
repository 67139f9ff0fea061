// report.html of `gdt demo`: the pretraining loss, the pretrained-vs-random comparison, retrieval
// examples with thumbnails for both encoders, and what each number means. Self-contained (inline
// CSS, SVG and data-URI images), like the evaluation reports.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { renderReport, table, type ReportExample, type ReportSection } from '../eval/report/html.js';
import { barChart, escapeHtml, lineChart } from '../eval/report/svg.js';
import { videoThumbnail } from '../eval/report/thumbnails.js';
import type { EvalResults } from '../eval/results.js';
import type { FeatureFoldResult } from '../eval/run-features.js';
import { getHypothesis } from '../ssl/hypotheses.js';
import type { DemoModel, DemoResults, DemoScores } from './run-demo.js';

const METRICS: { key: keyof DemoScores; label: string; meaning: string }[] = [
  {
    key: 'linearTop1',
    label: 'linear probe top-1 (%)',
    meaning: 'Encoder frozen; a logistic regression on its features (penalty chosen on a validation split of the training videos); video-level accuracy on the test split. The headline measure of what the features contain.',
  },
  { key: 'linearTop5', label: 'linear probe top-5 (%)', meaning: 'The true class among the five highest scores of the linear probe.' },
  { key: 'knnTop1', label: 'kNN top-1 (%)', meaning: 'Encoder frozen; each test video takes the weighted vote of its nearest training videos (cosine similarity). No training at all: only the geometry of the features.' },
  { key: 'retrievalR1', label: 'retrieval R@1 (%)', meaning: 'Test videos query the training videos; R@1 is the share whose nearest neighbour has the same class.' },
  { key: 'retrievalR5', label: 'retrieval R@5 (%)', meaning: 'The same class among the five nearest training videos.' },
  { key: 'finetuneTop1', label: 'short finetune top-1 (%)', meaning: 'The whole network trained on the labels for a few epochs from each starting point; shows how much a good initialisation helps with little supervised training.' },
];

export interface DemoReportInputs {
  /** The demo's output folder: links in the report are relative to it. */
  outDir: string;
  metricsPath: string;
  retrieval: Record<DemoModel, EvalResults<FeatureFoldResult>>;
}

function lossCurve(path: string): string {
  const points: [number, number][] = [];
  try {
    for (const line of readFileSync(path, 'utf8').trim().split('\n')) {
      const r = JSON.parse(line) as { step: number; loss: number };
      if (Number.isFinite(r.loss)) points.push([r.step, r.loss]);
    }
  } catch {
    return '<p>no pretraining metrics found</p>';
  }
  return lineChart([{ name: 'GDT loss', points, markers: points.length < 30 }], { title: 'pretraining loss (mean over the hypothesis terms)', xLabel: 'step', yLabel: 'NCE loss' });
}

/** The first few test videos with their nearest training videos under each encoder. */
async function retrievalExamples(r: Record<DemoModel, EvalResults<FeatureFoldResult>>, max = 4): Promise<string> {
  const pre = r.pretrained.folds[0];
  const rnd = r.random.folds[0];
  if (!pre || !rnd) return '<p>no retrieval results</p>';
  const thumbs = new Map<string, Promise<string | undefined>>();
  const thumb = (p: string, h: number): Promise<string | undefined> => {
    const k = `${p}@${h}`;
    if (!thumbs.has(k)) thumbs.set(k, videoThumbnail(p, { height: h }));
    return thumbs.get(k)!;
  };
  // One query per class where possible, so the examples are varied.
  const seen = new Set<number>();
  const queries = pre.predictions.filter((p) => (seen.has(p.label) ? false : (seen.add(p.label), true))).slice(0, max);
  const name = (c: number): string => pre.classes[c] ?? String(c);
  const blocks: string[] = [];
  for (const q of queries) {
    const rows: string[] = [];
    for (const [label, fold] of [['pretrained', pre], ['random init', rnd]] as const) {
      const p = fold.predictions.find((x) => x.video === q.video);
      const nbs = p?.neighbours?.slice(0, 3) ?? [];
      const ex: ReportExample = {
        name: label,
        truth: name(q.label),
        predicted: nbs[0] ? name(nbs[0].label) : '–',
        correct: nbs[0]?.label === q.label,
        neighbours: await Promise.all(nbs.map(async (n) => ({ name: n.name, label: `${name(n.label)} (${(1 - n.distance).toFixed(2)})`, hit: n.label === q.label, thumbnail: await thumb(n.path, 40) }))),
      };
      const figs = ex.neighbours!.map((n) => `<figure class="${n.hit ? 'hit' : 'miss'}">${n.thumbnail ? `<img src="${n.thumbnail}" alt="${escapeHtml(n.name)}">` : ''}<figcaption>${escapeHtml(n.label)}</figcaption></figure>`).join('');
      rows.push(`<div class="ex ${ex.correct ? 'ok' : 'bad'}"><div class="cap"><b>${escapeHtml(label)}</b>: nearest training videos</div><div class="nbs">${figs}</div></div>`);
    }
    const qt = await thumb(q.path, 64);
    blocks.push(
      `<div class="ex"><div class="cap"><b>query</b> ${escapeHtml(q.name)} — ${escapeHtml(name(q.label))}</div>${qt ? `<img src="${qt}" alt="${escapeHtml(q.name)}">` : ''}${rows.join('')}</div>`,
    );
  }
  return `<p>Each test video (left strip: three frames) and its three nearest training videos under the pretrained and the random encoder, with the class and cosine similarity; green = same class.</p><div class="exs">${blocks.join('')}</div>`;
}

/** The hypothesis's stance on each transformation, e.g. "variant to time reversal, invariant to time shift" (the demo's use both). */
export function hypothesisStances(id: number): string {
  const h = getHypothesis(id);
  return `${h.reversal} to time reversal, ${h.shift} to time shift`;
}

/** What the hypothesis asks of a clip, in words. */
function describeHypothesis(id: number): string {
  const h = getHypothesis(id);
  const matches = ['its own audio'];
  const not = ['the audio of other videos'];
  if (h.reversal === 'variant') not.push('the same audio played backwards');
  if (h.reversal === 'invariant') matches.push('its audio played backwards when the clip is reversed too');
  if (h.shift === 'variant') not.push('the audio of another moment of the same video');
  if (h.shift === 'invariant') matches.push('the audio of another moment of the same video');
  return `${hypothesisStances(id)}: a video clip must match ${matches.join(' and ')}, and not ${not.join(' nor ')}`;
}

export async function renderDemoReport(r: DemoResults, inputs: DemoReportInputs): Promise<string> {
  const outDir = inputs.outDir;
  const sections: ReportSection[] = [];
  sections.push({
    title: 'What happened',
    html: `<ol>
<li>A synthetic audio-visual dataset: ${r.dataset.videos} videos of ${r.dataset.classes} classes. A class is a motion and sound pattern (bouncing with decaying impacts, growing, shrinking — the time reverse of growing —, colliding, swinging, raining, ...); colours, sizes and positions are random; ${r.recipe.data.scenes === 'shared' ? 'a background is shared by one group of videos of every class (so it says nothing of the class), and a group is either all in training or all in test' : 'backgrounds are random and shared within a group of videos that is either all in training or all in test, so a shortcut through the scene does not transfer'}. Sounds are synchronised with the visual events; their timbre depends on ${r.recipe.data.timbre === 'class' ? 'the class' : 'the object\'s shape'} and their pitch on ${r.recipe.data.pitch === 'class' ? 'the class' : 'the object\'s size'}.</li>
<li>GDT pretraining without labels: hypothesis ${r.pretrain.hypothesis} (${describeHypothesis(r.pretrain.hypothesis)}). ${r.pretrain.steps} steps; loss ${r.pretrain.firstLoss.toFixed(3)} → ${r.pretrain.lastLoss.toFixed(3)}.</li>
<li>The pretrained video encoder and a randomly initialised one of the same architecture (${r.pretrain.parameters.toLocaleString('en-US')} parameters in the whole GDT model) evaluated on the test split with the labels.</li>
</ol>`,
  });
  sections.push({
    title: 'Pretrained vs random initialisation',
    html:
      table({
        headers: ['measure', 'pretrained', 'random init', 'gap (points)'],
        rows: METRICS.map((m) => [m.label, r.scores.pretrained[m.key], r.scores.random[m.key], r.gap[m.key]]),
      }) +
      `<p><b>${r.acceptance.passed ? 'Passed' : 'Not passed'}</b>: the linear-probe gap is ${r.acceptance.gap.toFixed(1)} points (the demo expects at least ${r.acceptance.threshold}). Chance is ${(100 / r.dataset.classes).toFixed(1)} %.</p>` +
      `<div class="charts">${barChart(
        METRICS.filter((m) => m.key !== 'linearTop5').flatMap((m) => [
          { label: `${m.label.replace(' (%)', '')} — pretrained`, value: r.scores.pretrained[m.key] },
          { label: `${m.label.replace(' (%)', '')} — random`, value: r.scores.random[m.key] },
        ]),
        { title: 'test-split scores (%)', max: 100 },
      )}</div>`,
  });
  sections.push({ title: 'Pretraining', html: `<div class="charts">${lossCurve(inputs.metricsPath)}</div>` });
  sections.push({ title: 'Retrieval examples', html: await retrievalExamples(inputs.retrieval) });
  sections.push({
    title: 'What each number means',
    html: `<dl>${METRICS.map((m) => `<dt>${escapeHtml(m.label)}</dt><dd style="font-family:inherit">${escapeHtml(m.meaning)}</dd>`).join('')}</dl>`,
  });
  const link = (p: string): string => `<a href="${escapeHtml(relative(outDir, p))}">${escapeHtml(relative(outDir, p))}</a>`;
  sections.push({
    title: 'Details and next steps',
    html:
      `<p>Each evaluation wrote its own report: ${(['pretrained', 'random'] as const).map((m) => `${m}: ${Object.values(r.runs[m]).map(link).join(', ')}`).join('; ')}.</p>` +
      table({ headers: ['stage', 'seconds'], rows: [...r.timings.map((t) => [t.stage, Math.round(t.seconds)]), ['total', Math.round(r.totalSeconds)]] }) +
      `<p>Next: embed videos with <code>gdt embed &lt;videos&gt; --weights ${escapeHtml(relative(outDir, r.pretrain.checkpoint))} --out emb.npy</code>, search them with <code>gdt search &lt;video&gt; --index emb.npy</code>, export the encoder with <code>gdt export --onnx video.onnx --weights ${escapeHtml(relative(outDir, r.pretrain.checkpoint))}</code>, or pretrain on your own videos with <code>gdt pretrain gdt --data &lt;folder&gt;</code>.</p>`,
  });
  return renderReport({
    title: `gdt demo — GDT pretraining vs random initialisation (${r.recipe.name} recipe, seed ${r.seed})`,
    protocol: { name: 'clean', description: 'Deterministic evaluation views, last-epoch results, no model selection on the test split.' },
    facts: [
      ['dataset', `${r.dataset.root} (${r.dataset.videos} videos, ${r.dataset.classes} classes)`],
      ['checkpoint', r.pretrain.checkpoint],
      ['gdt', `${r.provenance.gdtVersion}${r.provenance.gitCommit ? ` (${r.provenance.gitCommit.slice(0, 12)}${r.provenance.gitDirty ? ', modified' : ''})` : ''}`],
      ['machine', `${r.provenance.cpu}, ${r.provenance.threads} threads, Node ${r.provenance.node}`],
      ['total time', `${Math.round(r.totalSeconds)} s`],
    ],
    summary: {
      headers: ['measure', 'pretrained', 'random init', 'gap'],
      rows: [
        ['linear probe top-1 (%)', r.scores.pretrained.linearTop1, r.scores.random.linearTop1, r.gap.linearTop1],
        ['kNN top-1 (%)', r.scores.pretrained.knnTop1, r.scores.random.knnTop1, r.gap.knnTop1],
        ['short finetune top-1 (%)', r.scores.pretrained.finetuneTop1, r.scores.random.finetuneTop1, r.gap.finetuneTop1],
      ],
    },
    sections,
    config: r.recipe,
  });
}
