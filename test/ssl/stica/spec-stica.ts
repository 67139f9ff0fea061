// SPEC 7.1-7.4 written out in plain float64 JavaScript, independently of src/ssl/stica: the
// contrastive term (value and gradient w.r.t. its queries), the crop losses of the reference
// (7.3, transcribed from the SPEC's pseudo-code) and of paper mode (as src/ssl/stica/README.md
// defines it), and the total loss (7.4).

export type Mat = number[][];
export type ListName = 'spaceLarge' | 'spaceSmall' | 'timeLarge' | 'timeSmall';
export interface JsView {
  video: Mat;
  audio: Mat;
  crops: Record<ListName, Mat[]>;
}
export interface JsCounts {
  spaceLarge: number;
  spaceSmall: number;
  timeLarge: number;
  timeSmall: number;
}
/** The two views of this rank and, per gathered label, the other ranks' blocks in rank order. */
export interface JsWorld {
  views: [JsView, JsView];
  others: Record<string, Mat[]>;
}
export interface JsResult {
  loss: number;
  av: number;
  crop: number;
  /** Sum of each type's terms, and their number. */
  sums: Record<string, number>;
  counts: Record<string, number>;
  /** Query-only gradient of the loss per tensor id (`view0.video`, `view1.spaceSmall.3`, ...). */
  grads: Record<string, Mat>;
}

/** Deterministic uniform numbers (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rows of random values in [-1, 1); unit rows when `unit`. */
export function randMat(rand: () => number, rows: number, cols: number, unit = true): Mat {
  return Array.from({ length: rows }, () => {
    const r = Array.from({ length: cols }, () => 2 * rand() - 1);
    const n = Math.hypot(...r);
    return unit ? r.map((v) => v / n) : r;
  });
}

const dot = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * b[i]!, 0);
const unitRow = (r: number[]): number[] => {
  const n = Math.max(Math.hypot(...r), 1e-12);
  return r.map((v) => v / n);
};
export const zeros = (m: Mat): Mat => m.map((r) => r.map(() => 0));

/**
 * SPEC 7.1, one direction: `mean_i CE(q_i . K^T / tau, i)` with `K = [keys; others...]`, and its
 * derivative w.r.t. q with K held constant (the keys are detached).
 */
export function nceJs(q: Mat, keys: Mat, others: Mat[], tau: number, normalize: boolean): { value: number; grad: Mat } {
  const bank = [...keys, ...others.flat()].map((r) => (normalize ? unitRow(r) : r));
  const n = q.length;
  let value = 0;
  const grad: Mat = [];
  q.forEach((raw, i) => {
    const qi = normalize ? unitRow(raw) : raw;
    const logits = bank.map((k) => dot(qi, k) / tau);
    const m = Math.max(...logits);
    const z = logits.reduce((s, l) => s + Math.exp(l - m), 0);
    const p = logits.map((l) => Math.exp(l - m) / z);
    value += (m + Math.log(z) - logits[i]!) / n;
    // d/dq_hat = (sum_j p_j k_j - k_i) / (tau n)
    const g = qi.map((_, d) => (bank.reduce((s, k, j) => s + p[j]! * k[d]!, 0) - bank[i]![d]!) / (tau * n));
    if (!normalize) grad.push(g);
    else {
      const nr = Math.hypot(...raw);
      const proj = dot(qi, g);
      grad.push(g.map((v, d) => (v - qi[d]! * proj) / nr));
    }
  });
  return { value, grad };
}

interface Acc {
  grads: Record<string, Mat>;
  world: JsWorld;
  normalize: boolean;
}
const get = (w: JsWorld, id: string): Mat => {
  const [view, list, index] = id.split('.') as [string, string, string?];
  const v = w.views[Number(view!.slice(4))]!;
  return index === undefined ? (v as unknown as Record<string, Mat>)[list]! : v.crops[list as ListName][Number(index)]!;
};
function addGrad(acc: Acc, id: string, g: Mat, weight: number): void {
  const cur = acc.grads[id] ?? zeros(g);
  acc.grads[id] = cur.map((r, i) => r.map((v, d) => v + weight * g[i]![d]!));
}

/**
 * `gdt_loss(fv, fa, symmetric, temp)`: returns the value and registers `weight` x the query-only
 * gradients of this call under the ids of fv / fa.
 */
function gdtJs(acc: Acc, fvId: string, faId: string, symmetric: boolean, tau: number, weight: () => number): { value: number; record: () => void } {
  const fv = get(acc.world, fvId);
  const fa = get(acc.world, faId);
  const others = (id: string): Mat[] => {
    const o = acc.world.others[id];
    if (o === undefined && Object.keys(acc.world.others).length > 0) throw new Error(`no other-rank blocks for ${id}`);
    return o ?? [];
  };
  const av = nceJs(fa, fv, others(fvId), tau, acc.normalize);
  if (!symmetric) return { value: av.value, record: () => addGrad(acc, faId, av.grad, weight()) };
  const va = nceJs(fv, fa, others(faId), tau, acc.normalize);
  return {
    value: 0.5 * (av.value + va.value),
    record: () => {
      addGrad(acc, faId, av.grad, 0.5 * weight());
      addGrad(acc, fvId, va.grad, 0.5 * weight());
    },
  };
}

export interface JsOptions {
  mode: 'paper' | 'reference';
  counts: JsCounts;
  alpha?: number;
  cropTau?: number;
  avTau?: number;
  normalize?: boolean;
}

/** SPEC 7.3 + 7.4 (reference) or the paper-mode variant, on one rank's features. */
export function sticaJs(world: JsWorld, o: JsOptions): JsResult {
  const alpha = o.alpha ?? 0.5;
  const cropTau = o.cropTau ?? 0.5;
  const avTau = o.avTau ?? 0.1;
  const acc: Acc = { grads: {}, world, normalize: o.normalize ?? o.mode === 'paper' };
  const sums: Record<string, number> = { 'L-L': 0, 'S-L': 0, 'TL-TL': 0, 'TS-TL': 0 };
  const counts: Record<string, number> = { 'L-L': 0, 'S-L': 0, 'TL-TL': 0, 'TS-TL': 0 };
  const records: (() => void)[] = [];
  let cropWeight = 0;
  const w = (): number => cropWeight;

  const block = (nl: number, ns: number, large: ListName, small: ListName, ll: string, sl: string): void => {
    if (o.mode === 'reference') {
      // SPEC 7.3, verbatim: gated; L-L only for i == 1; the first ns small crops of view 1.
      if (!(ns > 0 || nl > 1)) return;
      for (let i = 0; i < nl; i++) {
        const L = `view0.${large}.${i}`;
        if (i === 1) {
          const r = gdtJs(acc, `view1.${large}.1`, L, true, cropTau, w);
          sums[ll]! += r.value;
          counts[ll]!++;
          records.push(r.record);
        }
        for (let j = 0; j < ns; j++) {
          const r = gdtJs(acc, L, `view1.${small}.${j}`, false, cropTau, w);
          sums[sl]! += r.value;
          counts[sl]!++;
          records.push(r.record);
        }
      }
      return;
    }
    // Paper: every large crop i pairs with the other view's large crop i; view 1's small crops
    // drawn for large crop i (computed alongside it) query view 0's large crop i.
    for (let i = 0; i < nl; i++) {
      const L = `view0.${large}.${i}`;
      const r = gdtJs(acc, `view1.${large}.${i}`, L, true, cropTau, w);
      sums[ll]! += r.value;
      counts[ll]!++;
      records.push(r.record);
      for (let j = 0; j < ns; j++) {
        const s = gdtJs(acc, L, `view1.${small}.${i * nl * ns + i * ns + j}`, false, cropTau, w);
        sums[sl]! += s.value;
        counts[sl]!++;
        records.push(s.record);
      }
    }
  };
  block(o.counts.spaceLarge, o.counts.spaceSmall, 'spaceLarge', 'spaceSmall', 'L-L', 'S-L');
  block(o.counts.timeLarge, o.counts.timeSmall, 'timeLarge', 'timeSmall', 'TL-TL', 'TS-TL');

  const n = Object.values(counts).reduce((a, b) => a + b, 0);
  const total = Object.values(sums).reduce((a, b) => a + b, 0);
  const crop = n > 0 ? total / n : o.mode === 'reference' ? 0 / 0 : 0;
  cropWeight = n > 0 ? (1 - alpha) / n : 0;
  records.forEach((r) => r());

  let av = 0;
  if (alpha > 0) {
    const p0 = gdtJs(acc, 'view0.video', 'view0.audio', true, avTau, () => 0.5 * alpha);
    const p1 = gdtJs(acc, 'view1.video', 'view1.audio', true, avTau, () => 0.5 * alpha);
    av = 0.5 * (p0.value + p1.value);
    p0.record();
    p1.record();
  }
  let loss: number;
  if (o.mode === 'reference') loss = alpha > 0 ? (1 - alpha) * crop + alpha * av : (1 - alpha) * crop;
  else loss = n > 0 ? (1 - alpha) * crop + alpha * av : alpha * av;
  return { loss, av, crop, sums, counts, grads: acc.grads };
}
