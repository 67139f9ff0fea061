// The self-contained report page: inline CSS, inline SVG charts and data-URI thumbnails, no
// scripts and no external resources, so it opens from disk in any browser without a server.
import { escapeHtml, SVG_CSS } from './svg.js';

export interface ReportExample {
  name: string;
  truth: string;
  predicted: string;
  correct: boolean;
  /** data: URI of a frame strip. */
  thumbnail?: string;
  /** Extra text, e.g. the top-5 classes with scores. */
  detail?: string;
  /** Retrieval: the nearest training videos. */
  neighbours?: { name: string; label: string; hit: boolean; thumbnail?: string }[];
}

export interface ReportTable {
  headers: string[];
  rows: (string | number | null)[][];
}

export interface ReportSection {
  title: string;
  /** Trusted HTML (charts made by svg.ts, tables made by table()). */
  html: string;
}

export interface ReportInput {
  title: string;
  protocol: { name: string; description: string };
  /** Key facts shown under the title (checkpoint, SHA-256, commit, dataset...). */
  facts: [string, string][];
  summary: ReportTable;
  sections: ReportSection[];
  examples?: { correct: ReportExample[]; wrong: ReportExample[] };
  config: unknown;
}

function cell(v: string | number | null): string {
  if (v === null) return '<td class="na">–</td>';
  if (typeof v === 'number') return `<td class="num">${Number.isInteger(v) ? v : v.toFixed(2)}</td>`;
  return `<td>${escapeHtml(v)}</td>`;
}

export function table(t: ReportTable): string {
  return `<table><thead><tr>${t.headers.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${t.rows.map((r) => `<tr>${r.map(cell).join('')}</tr>`).join('')}</tbody></table>`;
}

function thumb(src: string | undefined, alt: string): string {
  return src ? `<img src="${src}" alt="${escapeHtml(alt)}">` : `<div class="nothumb">no thumbnail</div>`;
}

function example(e: ReportExample): string {
  const nb = e.neighbours?.length
    ? `<div class="nbs">${e.neighbours.map((n) => `<figure class="${n.hit ? 'hit' : 'miss'}">${thumb(n.thumbnail, n.name)}<figcaption>${escapeHtml(n.label)}</figcaption></figure>`).join('')}</div>`
    : '';
  return `<div class="ex ${e.correct ? 'ok' : 'bad'}">${thumb(e.thumbnail, e.name)}<div class="cap"><b>${escapeHtml(e.name)}</b><br>true: ${escapeHtml(e.truth)}<br>predicted: ${escapeHtml(e.predicted)}${e.detail ? `<br><span class="det">${escapeHtml(e.detail)}</span>` : ''}</div>${nb}</div>`;
}

const CSS = `body{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}h1{font-size:22px;margin:0 0 6px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.badge{display:inline-block;padding:2px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#e8f0fe;color:#1a4fa0}.badge.reference{background:#fdecea;color:#a01a1a}
.proto{font-size:13px;color:#444;margin:6px 0 12px}dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;font-size:13px;margin:0}dt{color:#666}dd{margin:0;font-family:ui-monospace,monospace;word-break:break-all}
table{border-collapse:collapse;font-size:13px;margin:6px 0}th,td{border:1px solid #ddd;padding:3px 8px;text-align:left}td.num{text-align:right;font-variant-numeric:tabular-nums}td.na{color:#999;text-align:center}th{background:#f5f5f5}
.charts{display:flex;flex-wrap:wrap;gap:12px}.exs{display:flex;flex-wrap:wrap;gap:10px}.ex{border:2px solid #ccc;border-radius:6px;padding:6px;font-size:12px;max-width:560px}.ex.ok{border-color:#2ca02c}.ex.bad{border-color:#d62728}
.ex img{display:block;image-rendering:pixelated;max-width:100%}.cap{margin-top:4px}.det{color:#555}.nothumb{width:96px;height:48px;background:#eee;color:#888;font-size:11px;display:flex;align-items:center;justify-content:center}
.nbs{display:flex;gap:4px;margin-top:4px;flex-wrap:wrap}.nbs figure{margin:0;border:2px solid #ccc;font-size:10px}.nbs figure.hit{border-color:#2ca02c}.nbs figure.miss{border-color:#d62728}.nbs img{height:40px}
details{margin-top:8px}pre{font-size:12px;background:#f7f7f7;padding:8px;overflow:auto;max-height:480px}${SVG_CSS}`;

export function renderReport(r: ReportInput): string {
  const facts = r.facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('');
  const sections = r.sections.map((s) => `<h2>${escapeHtml(s.title)}</h2>${s.html}`).join('\n');
  const ex = r.examples
    ? `<h2>Examples</h2><h3>Correct</h3><div class="exs">${r.examples.correct.map(example).join('') || '<p>none</p>'}</div><h3>Wrong</h3><div class="exs">${r.examples.wrong.map(example).join('') || '<p>none</p>'}</div>`
    : '';
  const config = JSON.stringify(r.config, null, 2);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<link rel="icon" href="data:,"><title>${escapeHtml(r.title)}</title><style>${CSS}</style></head>
<body>
<h1>${escapeHtml(r.title)}</h1>
<div><span class="badge ${escapeHtml(r.protocol.name)}">protocol: ${escapeHtml(r.protocol.name)}</span></div>
<p class="proto">${escapeHtml(r.protocol.description)}</p>
<dl>${facts}</dl>
<h2>Results</h2>${table(r.summary)}
${sections}
${ex}
<h2>Configuration</h2><details><summary>resolved configuration (JSON)</summary><pre>${escapeHtml(config)}</pre></details>
</body></html>
`;
}
