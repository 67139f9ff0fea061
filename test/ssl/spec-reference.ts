// SPEC 6.4 transcribed independently of src/ssl (the rows below are the SPEC's tables as text,
// `+` marking the † duplicates) and a plain-JavaScript float64 evaluation of SPEC 6.1 (value and
// gradient w.r.t. the queries) for the GDT tests.

/** SPEC 6.4 rows: `| term of | q | k | M |` (hypotheses 1 and 2 have one partial loss, `l1`). */
const ROWS: Record<number, string> = {
  1: `
    | l1 | V | A | O:A |
    | l1 | A | V | O:V |
  `,
  2: `
    | l1 | V | A | O:A, O:AR, L:AR |
    | l1 | A | V | O:V, O:VR, L:VR |
    | l1 | VR | AR | O:A, O:AR, L:A |
    | l1 | AR | VR | O:V, O:VR, L:V |
  `,
  3: `
    | lb | V | A | O:A, O:AR |
    | lb | A | V | O:V, O:VR |
    | lb | VR | AR | O:A, O:AR |
    | lb | AR | VR | O:V, O:VR |
    | l1 | V | AR | O:AR, O:A, O:AR+ |
    | l1 | A | VR | O:VR, O:V, O:VR+ |
    | l1 | VR | A | O:AR, O:A, O:AR+ |
    | l1 | AR | V | O:VR, O:V, O:VR+ |
  `,
  6: `
    | l1 | V | A | O:A, O:AR, L:AR |
    | l1 | A | V | O:V, O:VR, L:VR |
    | l1 | VR | AR | O:A, O:AR, L:A |
    | l1 | AR | VR | O:V, O:VR, L:V |
    | l2 | V2 | A2 | O:A2, O:A2R, L:A2R |
    | l2 | A2 | V2 | O:V2, O:V2R, L:V2R |
    | l2 | V2R | A2R | O:A2, O:A2R, L:A2 |
    | l2 | A2R | V2R | O:V2, O:V2R, L:V2 |
    | l3 | V | A | O:A, O:AR, O:A2, O:A2R, L:A2 |
    | l3 | A | V | O:V, O:VR, O:V2, O:V2R, L:V2 |
    | l3 | V2 | A2 | O:A, O:AR, O:A2, O:A2R, L:A |
    | l3 | A2 | V2 | O:V, O:VR, O:V2, O:V2R, L:V |
    | l4 | VR | AR | O:AR, O:A2R, L:A2R |
    | l4 | AR | VR | O:VR, O:V2R, L:V2R |
    | l4 | V2R | A2R | O:AR, O:A2R, L:AR |
    | l4 | A2R | V2R | O:VR, O:V2R, L:VR |
  `,
  7: `
    | lb1 | V | A | O:A, O:AR |
    | lb1 | A | V | O:V, O:VR |
    | lb1 | VR | AR | O:A, O:AR |
    | lb1 | AR | VR | O:V, O:VR |
    | l1 | V | AR | O:AR, O:A, O:AR+ |
    | l1 | A | VR | O:VR, O:V, O:VR+ |
    | l1 | VR | A | O:AR, O:A, O:AR+ |
    | l1 | AR | V | O:VR, O:V, O:VR+ |
    | l2 | V2 | A2R | O:A2R, O:A2 |
    | l2 | A2 | V2R | O:V2R, O:V2 |
    | l2 | V2R | A2 | O:A2R, O:A2 |
    | l2 | A2R | V2 | O:V2R, O:V2 |
    | l3 | V | A | O:A, O:AR, O:A2, L:A2 |
    | l3 | A | V | O:V, O:VR, O:V2, L:V2 |
    | l3 | V2 | A2 | O:A, O:AR, O:A2, L:A |
    | l3 | A2 | V2 | O:V, O:VR, O:V2, L:V |
    | l4 | VR | AR | O:AR, O:A, O:AR+, O:A2R, O:A2, L:A2R |
    | l4 | AR | VR | O:VR, O:V, O:VR+, O:V2R, O:V2, L:V2R |
    | l4 | V2R | A2R | O:AR, O:A, O:AR+, O:A2R, O:A2, L:AR |
    | l4 | A2R | V2R | O:VR, O:V, O:VR+, O:V2R, O:V2, L:VR |
  `,
  8: `
    | lb2 | V | A | O:A, O:A2 |
    | lb2 | A | V | O:V, O:V2 |
    | lb2 | V2 | A2 | O:A, O:A2 |
    | lb2 | A2 | V2 | O:V, O:V2 |
    | l1 | V | A | O:A, O:A2, O:AR, L:AR |
    | l1 | A | V | O:V, O:V2, O:VR, L:VR |
    | l1 | VR | AR | O:A, O:A2, O:AR, L:A |
    | l1 | AR | VR | O:V, O:V2, O:VR, L:V |
    | l2 | V2 | A2 | O:A2, O:A2R, L:A2R |
    | l2 | A2 | V2 | O:V2, O:V2R, L:V2R |
    | l2 | V2R | A2R | O:A2, O:A2R, L:A2 |
    | l2 | A2R | V2R | O:V2, O:V2R, L:V2 |
    | l3 | V | A2 | O:A2, O:A2R, O:A, O:A2+, O:AR |
    | l3 | A | V2 | O:V2, O:V2R, O:V, O:V2+, O:VR |
    | l3 | V2 | A | O:A2, O:A2R, O:A, O:A2+, O:AR |
    | l3 | A2 | V | O:V2, O:V2R, O:V, O:V2+, O:VR |
    | l4 | VR | A2R | O:A2R, O:AR |
    | l4 | AR | V2R | O:V2R, O:VR |
    | l4 | V2R | AR | O:A2R, O:AR |
    | l4 | A2R | VR | O:V2R, O:VR |
  `,
  9: `
    | lb1 | V | A | O:A, O:AR |
    | lb1 | A | V | O:V, O:VR |
    | lb1 | VR | AR | O:A, O:AR |
    | lb1 | AR | VR | O:V, O:VR |
    | lb2 | V | A | O:A, O:AR, O:A2 |
    | lb2 | A | V | O:V, O:VR, O:V2 |
    | lb2 | V2 | A2 | O:A, O:AR, O:A2 |
    | lb2 | A2 | V2 | O:V, O:VR, O:V2 |
    | l1 | V | AR | O:AR, O:A, O:AR+, O:A2 |
    | l1 | A | VR | O:VR, O:V, O:VR+, O:V2 |
    | l1 | VR | A | O:AR, O:A, O:AR+, O:A2 |
    | l1 | AR | V | O:VR, O:V, O:VR+, O:V2 |
    | l2 | V2 | A2R | O:A2R, O:A2 |
    | l2 | A2 | V2R | O:V2R, O:V2 |
    | l2 | V2R | A2 | O:A2R, O:A2 |
    | l2 | A2R | V2 | O:V2R, O:V2 |
    | l3 | V | A2 | O:A2, O:A, O:AR, O:A2+ |
    | l3 | A | V2 | O:V2, O:V, O:VR, O:V2+ |
    | l3 | V2 | A | O:A2, O:A, O:AR, O:A2+ |
    | l3 | A2 | V | O:V2, O:V, O:VR, O:V2+ |
    | l4 | VR | A2R | O:A2R, O:A2, O:AR, O:A, O:AR+, O:A2+ |
    | l4 | AR | V2R | O:V2R, O:V2, O:VR, O:V, O:VR+, O:V2+ |
    | l4 | V2R | AR | O:A2R, O:A2, O:AR, O:A, O:AR+, O:A2+ |
    | l4 | A2R | VR | O:V2R, O:V2, O:VR, O:V, O:VR+, O:V2+ |
  `,
};
// Hypotheses 4 and 5: "identical to 2 and 3 with R replaced by 2".
ROWS[4] = ROWS[2]!.replace(/R/g, '2');
ROWS[5] = ROWS[3]!.replace(/R/g, '2');

/** The loss column of the overview table: coefficient of each partial loss. */
const LOSS: Record<number, Record<string, number>> = {
  1: { l1: 1 }, // 0.5 P(V,A) + 0.5 P(A,V): get_losses with one pair set
  2: { l1: 1 },
  3: { lb: 0.5, l1: 0.5 },
  4: { l1: 1 },
  5: { lb: 0.5, l1: 0.5 },
  6: { l1: 0.25, l2: 0.25, l3: 0.25, l4: 0.25 },
  7: { lb1: 0.2, l1: 0.2, l2: 0.2, l3: 0.2, l4: 0.2 },
  8: { lb2: 0.2, l1: 0.2, l2: 0.2, l3: 0.2, l4: 0.2 },
  9: { lb1: 1 / 6, lb2: 1 / 6, l1: 1 / 6, l2: 1 / 6, l3: 1 / 6, l4: 1 / 6 },
};

export interface SpecNeg {
  src: 'O' | 'L';
  feat: string;
  dagger: boolean;
}
export interface SpecTerm {
  group: string;
  q: string;
  k: string;
  m: SpecNeg[];
}

/** The terms of a hypothesis in SPEC order; paper mode drops the dagger entries. */
export function specTerms(h: number, mode: 'paper' | 'reference'): SpecTerm[] {
  return ROWS[h]!.trim()
    .split('\n')
    .map((line) => {
      const [group, q, k, m] = line.trim().replace(/^\||\|$/g, '').split('|').map((c) => c.trim()) as [string, string, string, string];
      const negs = m.split(',').map((e): SpecNeg => {
        const t = e.trim();
        const dagger = t.endsWith('+');
        const [src, feat] = t.replace('+', '').split(':') as ['O' | 'L', string];
        return { src, feat, dagger };
      });
      return { group, q, k, m: mode === 'paper' ? negs.filter((n) => !n.dagger) : negs };
    });
}

/** Each term's weight: partial-loss coefficient x 1/(terms in that partial loss). */
export function specWeight(h: number, group: string): number {
  const n = specTerms(h, 'reference').filter((t) => t.group === group).length;
  return LOSS[h]![group]! / n;
}

export type Mat = number[][];

/** A rank's view of the world: its own features and, per feature, the other ranks' blocks in rank order. */
export interface World {
  local: Record<string, Mat>;
  others: Record<string, Mat[]>;
}

const dot = (a: number[], b: number[]): number => a.reduce((s, v, i) => s + v * b[i]!, 0);
const norm = (a: number[]): number => Math.sqrt(dot(a, a));
const unit = (a: number[]): number[] => a.map((v) => v / norm(a));

/** For row i, the columns kept when subsampling (positive excluded), or undefined for all. */
export type Pick = (row: number, columns: number) => number[] | undefined;

/**
 * SPEC 6.1 in float64: loss = mean_i CE([q_i.k_1..q_i.k_N, q_i.m_1..] / tau, i) on L2-normalised
 * rows; with `pick`, row i's logits are [z_ii, z_i,c for c in pick(i)] with target 0. Returns the
 * value and d loss / d q (keys are constants).
 */
export function nceJs(q: Mat, k: Mat, m: Mat, tau: number, pick?: Pick): { value: number; grad: Mat } {
  const n = q.length;
  const keys = [...k, ...m].map(unit);
  const qn = q.map(unit);
  let value = 0;
  const grad: Mat = q.map((r) => r.map(() => 0));
  for (let i = 0; i < n; i++) {
    const cols = pick?.(i, keys.length) ?? keys.map((_, j) => j);
    const order = pick ? [i, ...cols] : cols;
    const target = pick ? 0 : i;
    const z = order.map((j) => dot(qn[i]!, keys[j]!) / tau);
    const mx = Math.max(...z);
    const se = z.reduce((s, v) => s + Math.exp(v - mx), 0);
    value += (mx + Math.log(se) - z[target]!) / n;
    // d/dz = (softmax - onehot) / n; z = qn . key / tau; qn = q / |q|.
    const gqn = q[i]!.map(() => 0);
    order.forEach((j, c) => {
      const dz = (Math.exp(z[c]! - mx) / se - (c === target ? 1 : 0)) / n;
      keys[j]!.forEach((kv, d) => (gqn[d]! += (dz * kv) / tau));
    });
    const r = norm(q[i]!);
    const proj = dot(qn[i]!, gqn);
    grad[i] = gqn.map((g, d) => (g - proj * qn[i]![d]!) / r);
  }
  return { value, grad };
}

/** Rows of a negative entry: O:X = the other ranks' blocks in rank order, L:X = the local rows. */
function rowsOf(w: World, n: SpecNeg): Mat {
  return n.src === 'L' ? w.local[n.feat]! : (w.others[n.feat] ?? []).flat();
}

export interface JsLoss {
  total: number;
  terms: { name: string; value: number }[];
  /** d total / d feature, for every feature of `w.local`. */
  grads: Record<string, Mat>;
}

/** The total loss of SPEC 6.4 on a world, with `rename` spelling the feature names (text variant). */
export function gdtJs(h: number, mode: 'paper' | 'reference', w: World, tau = 0.07, o: { rename?: (f: string) => string; pick?: Pick } = {}): JsLoss {
  const rn = o.rename ?? ((f: string) => f);
  const r = (f: string): string => rn(f);
  const grads: Record<string, Mat> = {};
  for (const [f, x] of Object.entries(w.local)) grads[f] = x.map((row) => row.map(() => 0));
  const partial: Record<string, number> = {};
  const terms: { name: string; value: number }[] = [];
  for (const t of specTerms(h, mode)) {
    const m = t.m.flatMap((n) => rowsOf(w, { ...n, feat: r(n.feat) }));
    const { value, grad } = nceJs(w.local[r(t.q)]!, w.local[r(t.k)]!, m, tau, o.pick);
    terms.push({ name: `${t.group}:${r(t.q)}->${r(t.k)}`, value });
    partial[t.group] = (partial[t.group] ?? 0) + value;
    const wt = specWeight(h, t.group);
    grad.forEach((row, i) => row.forEach((g, d) => (grads[r(t.q)]![i]![d]! += wt * g)));
  }
  // SPEC's formula: sum of coefficient x (1/terms) x sum of the partial loss' terms.
  let total = 0;
  for (const [g, s] of Object.entries(partial)) total += specWeight(h, g) * s;
  return { total, terms, grads };
}

/** Deterministic pseudo-random numbers (mulberry32) mapped to roughly N(0, 1). */
export function randMat(seed: number, rows: number, cols: number): Mat {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return Array.from({ length: rows }, () =>
    Array.from({ length: cols }, () => {
      const u = Math.max(next(), 1e-12);
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }),
  );
}
