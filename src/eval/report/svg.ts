// Inline SVG charts for the self-contained report: line charts (training curves), horizontal bar
// charts (per-class accuracy) and a confusion-matrix heat map. No scripts, no external resources.

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

export interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  /** Draw dots (few points) instead of only a line. */
  markers?: boolean;
}

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  width?: number;
  height?: number;
  logY?: boolean;
}

function niceTicks(lo: number, hi: number, n = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(+v.toPrecision(12));
  return out;
}

/** Ticks of a log10 axis (values are log10 of the data): 1, 2 and 5 times powers of ten, thinned to about 6. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(lo); e <= Math.ceil(hi); e++) for (const m of [1, 2, 5]) {
    const t = e + Math.log10(m);
    if (t >= lo && t <= hi) out.push(t);
  }
  if (out.length <= 6) return out.length ? out : [lo];
  const powers = out.filter((t) => Number.isInteger(+t.toFixed(9)));
  return powers.length >= 2 ? powers : out.filter((_, i) => i % Math.ceil(out.length / 6) === 0);
}

function fmt(v: number): string {
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a >= 1e4 || a < 1e-3 ? v.toExponential(1) : +v.toPrecision(4) + '';
}

/** A line chart of one or more series; non-finite points are dropped. */
export function lineChart(series: readonly Series[], o: LineChartOptions): string {
  const W = o.width ?? 520;
  const H = o.height ?? 260;
  const m = { l: 58, r: 12, t: 28, b: 40 };
  const ty = (v: number): number => (o.logY ? Math.log10(v) : v);
  const pts = series.map((s) => s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(ty(y))));
  const xs = pts.flat().map((p) => p[0]);
  const ys = pts.flat().map((p) => ty(p[1]));
  const head = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(o.title)}">`;
  const title = `<text x="${W / 2}" y="16" text-anchor="middle" class="t">${escapeHtml(o.title)}</text>`;
  if (!xs.length) return `${head}${title}<text x="${W / 2}" y="${H / 2}" text-anchor="middle" class="n">no data</text></svg>`;
  let x0 = Math.min(...xs);
  let x1 = Math.max(...xs);
  let y0 = Math.min(...ys);
  let y1 = Math.max(...ys);
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - Math.max(1, Math.abs(y0) * 0.1), y1 + Math.max(1, Math.abs(y1) * 0.1)];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const sx = (x: number): number => m.l + ((x - x0) / (x1 - x0)) * (W - m.l - m.r);
  const sy = (y: number): number => H - m.b - ((y - y0) / (y1 - y0)) * (H - m.t - m.b);
  const parts: string[] = [head, title];
  for (const t of o.logY ? logTicks(y0, y1) : niceTicks(y0, y1)) {
    parts.push(`<line x1="${m.l}" x2="${W - m.r}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" class="g"/>`);
    parts.push(`<text x="${m.l - 4}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end" class="a">${fmt(o.logY ? 10 ** t : t)}</text>`);
  }
  for (const t of niceTicks(x0, x1)) {
    parts.push(`<text x="${sx(t).toFixed(1)}" y="${H - m.b + 14}" text-anchor="middle" class="a">${fmt(t)}</text>`);
  }
  parts.push(`<line x1="${m.l}" x2="${m.l}" y1="${m.t}" y2="${H - m.b}" class="x"/><line x1="${m.l}" x2="${W - m.r}" y1="${H - m.b}" y2="${H - m.b}" class="x"/>`);
  parts.push(`<text x="${(m.l + W - m.r) / 2}" y="${H - 6}" text-anchor="middle" class="a">${escapeHtml(o.xLabel)}</text>`);
  parts.push(`<text transform="translate(12 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle" class="a">${escapeHtml(o.yLabel)}</text>`);
  pts.forEach((p, i) => {
    const c = PALETTE[i % PALETTE.length]!;
    if (p.length > 1) parts.push(`<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${p.map(([x, y]) => `${sx(x).toFixed(1)},${sy(ty(y)).toFixed(1)}`).join(' ')}"/>`);
    if (series[i]!.markers || p.length === 1) for (const [x, y] of p) parts.push(`<circle cx="${sx(x).toFixed(1)}" cy="${sy(ty(y)).toFixed(1)}" r="3" fill="${c}"/>`);
  });
  if (series.length > 1) {
    parts.push(`<rect x="${W - m.r - 134}" y="${m.t}" width="132" height="${series.length * 14 + 6}" fill="#fff" fill-opacity="0.85"/>`);
    series.forEach((s, i) => {
      const y = m.t + 4 + i * 14;
      parts.push(`<rect x="${W - m.r - 130}" y="${y}" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/><text x="${W - m.r - 116}" y="${y + 9}" class="a">${escapeHtml(s.name)}</text>`);
    });
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Horizontal bars, one per label, values in 0..max (e.g. percent). */
export function barChart(items: readonly { label: string; value: number | null; note?: string }[], o: { title: string; max?: number; width?: number }): string {
  const W = o.width ?? 520;
  const row = 16;
  const labelW = Math.min(200, 8 + 6.5 * Math.max(4, ...items.map((i) => i.label.length)));
  const H = 28 + row * items.length + 8;
  const max = o.max ?? Math.max(1e-9, ...items.map((i) => i.value ?? 0));
  const bw = W - labelW - 60;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(o.title)}">`];
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" class="t">${escapeHtml(o.title)}</text>`);
  items.forEach((it, i) => {
    const y = 26 + i * row;
    parts.push(`<text x="${labelW - 4}" y="${y + 11}" text-anchor="end" class="a">${escapeHtml(it.label)}</text>`);
    if (it.value === null) parts.push(`<text x="${labelW + 4}" y="${y + 11}" class="n">no samples</text>`);
    else {
      const w = Math.max(0, (it.value / max) * bw);
      parts.push(`<rect x="${labelW}" y="${y + 2}" width="${w.toFixed(1)}" height="${row - 4}" fill="#1f77b4"><title>${escapeHtml(`${it.label}: ${it.value.toFixed(1)}${it.note ? ` (${it.note})` : ''}`)}</title></rect>`);
      parts.push(`<text x="${(labelW + w + 4).toFixed(1)}" y="${y + 11}" class="a">${it.value.toFixed(1)}${it.note ? ` (${escapeHtml(it.note)})` : ''}</text>`);
    }
  });
  parts.push('</svg>');
  return parts.join('');
}

/** Confusion matrix heat map: rows true class, columns predicted, shaded by row-normalised count. */
export function confusionSvg(matrix: readonly (readonly number[])[], classes: readonly string[], o: { title: string; maxSize?: number }): string {
  const n = matrix.length;
  const maxSize = o.maxSize ?? 640;
  const cell = Math.max(4, Math.min(28, Math.floor((maxSize - 140) / Math.max(1, n))));
  const showLabels = cell >= 10;
  const lab = showLabels ? Math.min(130, 8 + 6 * Math.max(...classes.map((c) => c.length), 4)) : 20;
  const W = Math.max(lab + n * cell + 10, Math.ceil(o.title.length * 7.2) + 10);
  const H = 24 + lab + n * cell + 10;
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(o.title)}">`];
  parts.push(`<text x="${W / 2}" y="16" text-anchor="middle" class="t">${escapeHtml(o.title)}</text>`);
  const top = 24 + lab;
  matrix.forEach((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    if (showLabels) parts.push(`<text x="${lab - 3}" y="${top + i * cell + cell * 0.7}" text-anchor="end" class="a">${escapeHtml(classes[i] ?? String(i))}</text>`);
    row.forEach((v, j) => {
      const f = total ? v / total : 0;
      const shade = Math.round(255 - 200 * f);
      const fill = i === j ? `rgb(${shade},${Math.round(255 - 120 * f)},${shade})` : `rgb(255,${shade},${shade})`;
      parts.push(`<rect x="${lab + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="${v ? fill : '#fff'}" stroke="#ddd" stroke-width="0.5"><title>${escapeHtml(`${classes[i] ?? i} → ${classes[j] ?? j}: ${v}`)}</title></rect>`);
      if (cell >= 18 && v) parts.push(`<text x="${lab + j * cell + cell / 2}" y="${top + i * cell + cell * 0.68}" text-anchor="middle" class="c">${v}</text>`);
    });
  });
  if (showLabels) {
    classes.forEach((c, j) => {
      const x = lab + j * cell + cell * 0.7;
      parts.push(`<text transform="translate(${x} ${top - 3}) rotate(-60)" class="a">${escapeHtml(c)}</text>`);
    });
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Shared CSS for the chart classes. */
export const SVG_CSS = `svg text{font-family:system-ui,sans-serif}svg .t{font-size:13px;font-weight:600}svg .a{font-size:10px;fill:#333}svg .n{font-size:11px;fill:#888}svg .c{font-size:9px;fill:#000}svg .g{stroke:#eee}svg .x{stroke:#999}`;
