// Report pieces shared by the evaluations: fact lists, per-class accuracy and confusion sections,
// and example videos with thumbnails.
import { barChart, confusionSvg } from './svg.js';
import { type ReportExample, type ReportSection } from './html.js';
import { videoThumbnail } from './thumbnails.js';
import { perClassAccuracy } from '../metrics.js';
import type { CheckpointInfo } from '../results.js';
import type { Provenance } from '../provenance.js';

export function commonFacts(o: { dataset: string; checkpoint: CheckpointInfo; provenance: Provenance; extra?: [string, string][] }): [string, string][] {
  const c = o.checkpoint;
  const facts: [string, string][] = [
    ['dataset', o.dataset],
    ['weights', c.zooName ? `${c.zooName} (${c.path})` : (c.path ?? c.source)],
    ['weights format', c.format],
    ['weights SHA-256', c.sha256 ?? '-'],
  ];
  if (c.pretrain?.position) facts.push(['pretraining position', JSON.stringify(c.pretrain.position)]);
  else if (c.epoch !== undefined) facts.push(['checkpoint epoch', String(c.epoch)]);
  facts.push(
    ['gdt', `${o.provenance.gdtVersion}${o.provenance.gitCommit ? ` @ ${o.provenance.gitCommit}${o.provenance.gitDirty ? ' (uncommitted changes)' : ''}` : ''}`],
    ['created', o.provenance.createdAt],
    ['machine', `${o.provenance.cpu}, ${o.provenance.threads} threads, node ${o.provenance.node}`],
  );
  return [...facts, ...(o.extra ?? [])];
}

/** Per-class accuracy bars and the confusion matrix. */
export function classSections(confusion: number[][], classes: readonly string[], note: string): ReportSection[] {
  const pc = perClassAccuracy(confusion);
  return [
    {
      title: `Per-class accuracy (${note})`,
      html: barChart(
        pc.map((c) => ({ label: classes[c.class] ?? String(c.class), value: c.accuracy, note: `${c.correct}/${c.total}` })),
        { title: 'top-1 accuracy per class (%)', max: 100, width: 640 },
      ),
    },
    { title: `Confusion matrix (${note})`, html: confusionSvg(confusion, classes, { title: 'rows: true class, columns: predicted class' }) },
  ];
}

export interface ExampleCandidate {
  name: string;
  path: string;
  truth: string;
  predicted: string;
  correct: boolean;
  detail?: string;
  neighbours?: { name: string; path: string; label: string; hit: boolean }[];
}

/** Up to `max` correct and `max` wrong examples, with thumbnails decoded from the videos. */
export async function examples(cands: readonly ExampleCandidate[], max = 4): Promise<{ correct: ReportExample[]; wrong: ReportExample[] }> {
  const pick = (ok: boolean): ExampleCandidate[] => cands.filter((c) => c.correct === ok).slice(0, max);
  const thumbs = new Map<string, Promise<string | undefined>>();
  const thumb = (p: string, h: number): Promise<string | undefined> => {
    const k = `${p}@${h}`;
    if (!thumbs.has(k)) thumbs.set(k, videoThumbnail(p, { height: h }));
    return thumbs.get(k)!;
  };
  const make = async (c: ExampleCandidate): Promise<ReportExample> => ({
    name: c.name,
    truth: c.truth,
    predicted: c.predicted,
    correct: c.correct,
    detail: c.detail,
    thumbnail: await thumb(c.path, 64),
    neighbours: c.neighbours
      ? await Promise.all(c.neighbours.map(async (n) => ({ name: n.name, label: n.label, hit: n.hit, thumbnail: await thumb(n.path, 40) })))
      : undefined,
  });
  const correct: ReportExample[] = [];
  for (const c of pick(true)) correct.push(await make(c));
  const wrong: ReportExample[] = [];
  for (const c of pick(false)) wrong.push(await make(c));
  return { correct, wrong };
}
