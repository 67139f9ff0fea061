// The nine GDT hypotheses (SPEC 6.4) as data: per hypothesis a table of NCE terms (query,
// positive, extra negative sets, weight) over the named features. The loss evaluates any table
// with one generic NCE function; nothing here is code that branches per hypothesis.
import type { FeatureName } from './features.js';

export type HypothesisId = 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
export const HYPOTHESIS_IDS: readonly HypothesisId[] = [1, 2, 3, 4, 5, 6, 7, 8, 9];

/**
 * `paper`: the reference's negative sets with every gathered block used once (the † duplicates
 * of SPEC 6.4 dropped, as SPEC 6.3 suggests for the paper's intent). `reference`: exactly the sets
 * of SPEC 6.4, duplicates from the reference's list aliasing included.
 */
export type LossMode = 'paper' | 'reference';

/** `others`: the other ranks' rows of a feature (SPEC `O:X`); `local`: this rank's rows (`L:X`). */
export type NegativeSource = 'others' | 'local';

export interface NegativeRef {
  readonly feature: FeatureName;
  readonly source: NegativeSource;
  /** † in SPEC 6.4: a gathered block the reference repeats through list aliasing; dropped in paper mode. */
  readonly duplicate: boolean;
}

/**
 * One NCE term `P(query, positive | negatives)` of SPEC 6.1: row i of `positive` is the positive of
 * row i of `query`, every other local row of `positive` is a negative, then `negatives` in order.
 */
export interface HypothesisTerm {
  /** The reference's partial loss the term belongs to (`l1`, `lb`, `lb1`, ...). */
  readonly group: string;
  readonly query: FeatureName;
  readonly positive: FeatureName;
  readonly negatives: readonly NegativeRef[];
  /** Its weight in the total: group weight x get_losses' 0.5 (two terms) or 0.25 (four). */
  readonly weight: number;
}

/** How a hypothesis treats a transformation: not used, invariant (positive) or variant (negative). */
export type Stance = 'unused' | 'invariant' | 'variant';

export interface Hypothesis {
  readonly id: HypothesisId;
  /** Our snake-case name, e.g. `i_reversal_v_shift` (also accepted by parseHypothesis). */
  readonly name: string;
  /** The README's wording. */
  readonly readmeName: string;
  /** The label(s) `main_gdt.py` passes to `get_pos_neg`. */
  readonly codeLabel: string;
  readonly reversal: Stance;
  readonly shift: Stance;
  /** The model's forward passes, (video, second modality) each, in the reference's order. */
  readonly forwardPasses: readonly (readonly [FeatureName, FeatureName])[];
  /** All terms in the reference's evaluation order, with the reference's († marked) negatives. */
  readonly terms: readonly HypothesisTerm[];
}

// ---- table notation: O('A') = O:A, L('A') = L:A, D('A') = O:A† ----
const O = (feature: FeatureName): NegativeRef => ({ feature, source: 'others', duplicate: false });
const L = (feature: FeatureName): NegativeRef => ({ feature, source: 'local', duplicate: false });
const D = (feature: FeatureName): NegativeRef => ({ feature, source: 'others', duplicate: true });
type Row = readonly [FeatureName, FeatureName, readonly NegativeRef[]];

/** A get_losses value times its weight in the total: every row gets weight / rows. */
function group(name: string, weight: number, rows: readonly Row[]): HypothesisTerm[] {
  return rows.map(([query, positive, negatives]) => ({ group: name, query, positive, negatives, weight: weight / rows.length }));
}

/** Hypotheses 4/5 are 2/3 with reversal replaced by the shift (SPEC 6.4: VR -> V2, AR -> A2). */
function reversalToShift(terms: readonly HypothesisTerm[]): HypothesisTerm[] {
  const m = (f: FeatureName): FeatureName => (f === 'VR' ? 'V2' : f === 'AR' ? 'A2' : f);
  return terms.map((t) => ({ ...t, query: m(t.query), positive: m(t.positive), negatives: t.negatives.map((r) => ({ ...r, feature: m(r.feature) })) }));
}

// ---- SPEC 6.4, row by row ----
const H2_L1: Row[] = [
  ['V', 'A', [O('A'), O('AR'), L('AR')]],
  ['A', 'V', [O('V'), O('VR'), L('VR')]],
  ['VR', 'AR', [O('A'), O('AR'), L('A')]],
  ['AR', 'VR', [O('V'), O('VR'), L('V')]],
];
/** Basecase on (V, A) and (VR, AR) with the reversed blocks as extra negatives (hyp 3 lb, 7/9 lb1). */
const REV_LB: Row[] = [
  ['V', 'A', [O('A'), O('AR')]],
  ['A', 'V', [O('V'), O('VR')]],
  ['VR', 'AR', [O('A'), O('AR')]],
  ['AR', 'VR', [O('V'), O('VR')]],
];
/** Invariance to reversal after REV_LB extended the lists (hyp 3 l1, 7 l1). */
const REV_INV: Row[] = [
  ['V', 'AR', [O('AR'), O('A'), D('AR')]],
  ['A', 'VR', [O('VR'), O('V'), D('VR')]],
  ['VR', 'A', [O('AR'), O('A'), D('AR')]],
  ['AR', 'V', [O('VR'), O('V'), D('VR')]],
];
/** Variance to reversal on clip 2 (hyp 6 and 8 l2). */
const REV2_VAR: Row[] = [
  ['V2', 'A2', [O('A2'), O('A2R'), L('A2R')]],
  ['A2', 'V2', [O('V2'), O('V2R'), L('V2R')]],
  ['V2R', 'A2R', [O('A2'), O('A2R'), L('A2')]],
  ['A2R', 'V2R', [O('V2'), O('V2R'), L('V2')]],
];
/** Invariance to reversal on clip 2 (hyp 7 and 9 l2). */
const REV2_INV: Row[] = [
  ['V2', 'A2R', [O('A2R'), O('A2')]],
  ['A2', 'V2R', [O('V2R'), O('V2')]],
  ['V2R', 'A2', [O('A2R'), O('A2')]],
  ['A2R', 'V2', [O('V2R'), O('V2')]],
];

const TERMS: Record<HypothesisId, HypothesisTerm[]> = {
  1: group('l1', 1, [
    ['V', 'A', [O('A')]],
    ['A', 'V', [O('V')]],
  ]),
  2: group('l1', 1, H2_L1),
  3: [...group('lb', 0.5, REV_LB), ...group('l1', 0.5, REV_INV)],
  4: [],
  5: [],
  6: [
    ...group('l1', 0.25, H2_L1),
    ...group('l2', 0.25, REV2_VAR),
    ...group('l3', 0.25, [
      ['V', 'A', [O('A'), O('AR'), O('A2'), O('A2R'), L('A2')]],
      ['A', 'V', [O('V'), O('VR'), O('V2'), O('V2R'), L('V2')]],
      ['V2', 'A2', [O('A'), O('AR'), O('A2'), O('A2R'), L('A')]],
      ['A2', 'V2', [O('V'), O('VR'), O('V2'), O('V2R'), L('V')]],
    ]),
    ...group('l4', 0.25, [
      ['VR', 'AR', [O('AR'), O('A2R'), L('A2R')]],
      ['AR', 'VR', [O('VR'), O('V2R'), L('V2R')]],
      ['V2R', 'A2R', [O('AR'), O('A2R'), L('AR')]],
      ['A2R', 'V2R', [O('VR'), O('V2R'), L('VR')]],
    ]),
  ],
  7: [
    ...group('lb1', 0.2, REV_LB),
    ...group('l1', 0.2, REV_INV),
    ...group('l2', 0.2, REV2_INV),
    ...group('l3', 0.2, [
      ['V', 'A', [O('A'), O('AR'), O('A2'), L('A2')]],
      ['A', 'V', [O('V'), O('VR'), O('V2'), L('V2')]],
      ['V2', 'A2', [O('A'), O('AR'), O('A2'), L('A')]],
      ['A2', 'V2', [O('V'), O('VR'), O('V2'), L('V')]],
    ]),
    ...group('l4', 0.2, [
      ['VR', 'AR', [O('AR'), O('A'), D('AR'), O('A2R'), O('A2'), L('A2R')]],
      ['AR', 'VR', [O('VR'), O('V'), D('VR'), O('V2R'), O('V2'), L('V2R')]],
      ['V2R', 'A2R', [O('AR'), O('A'), D('AR'), O('A2R'), O('A2'), L('AR')]],
      ['A2R', 'V2R', [O('VR'), O('V'), D('VR'), O('V2R'), O('V2'), L('VR')]],
    ]),
  ],
  8: [
    ...group('lb2', 0.2, [
      ['V', 'A', [O('A'), O('A2')]],
      ['A', 'V', [O('V'), O('V2')]],
      ['V2', 'A2', [O('A'), O('A2')]],
      ['A2', 'V2', [O('V'), O('V2')]],
    ]),
    ...group('l1', 0.2, [
      ['V', 'A', [O('A'), O('A2'), O('AR'), L('AR')]],
      ['A', 'V', [O('V'), O('V2'), O('VR'), L('VR')]],
      ['VR', 'AR', [O('A'), O('A2'), O('AR'), L('A')]],
      ['AR', 'VR', [O('V'), O('V2'), O('VR'), L('V')]],
    ]),
    ...group('l2', 0.2, REV2_VAR),
    ...group('l3', 0.2, [
      ['V', 'A2', [O('A2'), O('A2R'), O('A'), D('A2'), O('AR')]],
      ['A', 'V2', [O('V2'), O('V2R'), O('V'), D('V2'), O('VR')]],
      ['V2', 'A', [O('A2'), O('A2R'), O('A'), D('A2'), O('AR')]],
      ['A2', 'V', [O('V2'), O('V2R'), O('V'), D('V2'), O('VR')]],
    ]),
    ...group('l4', 0.2, [
      ['VR', 'A2R', [O('A2R'), O('AR')]],
      ['AR', 'V2R', [O('V2R'), O('VR')]],
      ['V2R', 'AR', [O('A2R'), O('AR')]],
      ['A2R', 'VR', [O('V2R'), O('VR')]],
    ]),
  ],
  9: [
    ...group('lb1', 1 / 6, REV_LB),
    ...group('lb2', 1 / 6, [
      ['V', 'A', [O('A'), O('AR'), O('A2')]],
      ['A', 'V', [O('V'), O('VR'), O('V2')]],
      ['V2', 'A2', [O('A'), O('AR'), O('A2')]],
      ['A2', 'V2', [O('V'), O('VR'), O('V2')]],
    ]),
    ...group('l1', 1 / 6, [
      ['V', 'AR', [O('AR'), O('A'), D('AR'), O('A2')]],
      ['A', 'VR', [O('VR'), O('V'), D('VR'), O('V2')]],
      ['VR', 'A', [O('AR'), O('A'), D('AR'), O('A2')]],
      ['AR', 'V', [O('VR'), O('V'), D('VR'), O('V2')]],
    ]),
    ...group('l2', 1 / 6, REV2_INV),
    ...group('l3', 1 / 6, [
      ['V', 'A2', [O('A2'), O('A'), O('AR'), D('A2')]],
      ['A', 'V2', [O('V2'), O('V'), O('VR'), D('V2')]],
      ['V2', 'A', [O('A2'), O('A'), O('AR'), D('A2')]],
      ['A2', 'V', [O('V2'), O('V'), O('VR'), D('V2')]],
    ]),
    ...group('l4', 1 / 6, [
      ['VR', 'A2R', [O('A2R'), O('A2'), O('AR'), O('A'), D('AR'), D('A2')]],
      ['AR', 'V2R', [O('V2R'), O('V2'), O('VR'), O('V'), D('VR'), D('V2')]],
      ['V2R', 'AR', [O('A2R'), O('A2'), O('AR'), O('A'), D('AR'), D('A2')]],
      ['A2R', 'VR', [O('V2R'), O('V2'), O('VR'), O('V'), D('VR'), D('V2')]],
    ]),
  ],
};
TERMS[4] = reversalToShift(TERMS[2]);
TERMS[5] = reversalToShift(TERMS[3]);

const PASS_1 = [['V', 'A']] as const;
const PASS_R = [['V', 'A'], ['VR', 'AR']] as const;
const PASS_S = [['V', 'A'], ['V2', 'A2']] as const;
// main_gdt.py runs clip 1, clip 2, clip 1 reversed, clip 2 reversed (BatchNorm running statistics see them in this order).
const PASS_ALL = [['V', 'A'], ['V2', 'A2'], ['VR', 'AR'], ['V2R', 'A2R']] as const;

type Meta = Omit<Hypothesis, 'terms' | 'id'>;
const META: Record<HypothesisId, Meta> = {
  1: { name: 'baseline', readmeName: 'cross-modal baseline', codeLabel: 'basecase', reversal: 'unused', shift: 'unused', forwardPasses: PASS_1 },
  2: { name: 'v_reversal', readmeName: 'variant to time reversal', codeLabel: 'vtime', reversal: 'variant', shift: 'unused', forwardPasses: PASS_R },
  3: { name: 'i_reversal', readmeName: 'invariant to time reversal', codeLabel: 'itime', reversal: 'invariant', shift: 'unused', forwardPasses: PASS_R },
  4: { name: 'v_shift', readmeName: 'variant to time shift', codeLabel: 'vasync', reversal: 'unused', shift: 'variant', forwardPasses: PASS_S },
  5: { name: 'i_shift', readmeName: 'invariant to time shift', codeLabel: 'iasync', reversal: 'unused', shift: 'invariant', forwardPasses: PASS_S },
  6: { name: 'v_reversal_v_shift', readmeName: 'variant reversal, variant shift', codeLabel: 'vtime+vasynced', reversal: 'variant', shift: 'variant', forwardPasses: PASS_ALL },
  7: { name: 'i_reversal_v_shift', readmeName: 'invariant reversal, variant shift', codeLabel: 'itime+vasynced', reversal: 'invariant', shift: 'variant', forwardPasses: PASS_ALL },
  8: { name: 'v_reversal_i_shift', readmeName: 'variant reversal, invariant shift', codeLabel: 'vtime+iasynced', reversal: 'variant', shift: 'invariant', forwardPasses: PASS_ALL },
  9: { name: 'i_reversal_i_shift', readmeName: 'invariant reversal, invariant shift', codeLabel: 'itime+iasynced', reversal: 'invariant', shift: 'invariant', forwardPasses: PASS_ALL },
};

const freezeTerm = (t: HypothesisTerm): HypothesisTerm => Object.freeze({ ...t, negatives: Object.freeze(t.negatives.map((r) => Object.freeze({ ...r }))) });

/** Every hypothesis, by id. */
export const HYPOTHESES: Readonly<Record<HypothesisId, Hypothesis>> = Object.freeze(
  Object.fromEntries(
    HYPOTHESIS_IDS.map((id) => [id, Object.freeze({ id, ...META[id], terms: Object.freeze(TERMS[id].map(freezeTerm)) })]),
  ) as Record<HypothesisId, Hypothesis>,
);

/** A hypothesis by id or any name parseHypothesis accepts. */
export function getHypothesis(h: HypothesisId | number | string): Hypothesis {
  return HYPOTHESES[parseHypothesis(h)];
}

/** The terms a mode evaluates: reference = SPEC 6.4 as is; paper = the same without † blocks. */
export function hypothesisTerms(h: Hypothesis, mode: LossMode): readonly HypothesisTerm[] {
  if (mode === 'reference') return h.terms;
  if (mode !== 'paper') throw new TypeError(`loss mode must be 'paper' or 'reference', got '${String(mode)}'`);
  return h.terms.map((t) => (t.negatives.some((r) => r.duplicate) ? { ...t, negatives: t.negatives.filter((r) => !r.duplicate) } : t));
}

/** Features a list of terms reads (queries, positives, negatives), in FEATURE_NAMES order. */
export function featuresUsed(terms: readonly HypothesisTerm[]): FeatureName[] {
  const used = new Set<FeatureName>();
  for (const t of terms) {
    used.add(t.query);
    used.add(t.positive);
    for (const r of t.negatives) used.add(r.feature);
  }
  return (['V', 'A', 'VR', 'AR', 'V2', 'A2', 'V2R', 'A2R'] as const).filter((f) => used.has(f));
}

// Spellings accepted for each hypothesis, compared after normalise() below.
const ALIASES: Record<HypothesisId, readonly string[]> = {
  1: ['baseline', 'basecase', 'cross_modal_baseline'],
  2: ['v_reversal', 'vtime', 'variant_to_time_reversal', 'variant_time_reversal'],
  3: ['i_reversal', 'itime', 'invariant_to_time_reversal', 'invariant_time_reversal'],
  4: ['v_shift', 'vasync', 'variant_to_time_shift', 'variant_time_shift'],
  5: ['i_shift', 'iasync', 'invariant_to_time_shift', 'invariant_time_shift'],
  6: ['v_reversal_v_shift', 'vtime_vasynced', 'variant_reversal_variant_shift'],
  7: ['i_reversal_v_shift', 'itime_vasynced', 'invariant_reversal_variant_shift'],
  8: ['v_reversal_i_shift', 'vtime_iasynced', 'variant_reversal_invariant_shift'],
  9: ['i_reversal_i_shift', 'itime_iasynced', 'invariant_reversal_invariant_shift'],
};
const normalise = (s: string): string =>
  s
    .trim()
    .toLowerCase()
    .replace(/[\s,+\-/]+/g, '_')
    .replace(/^_+|_+$/g, '');

/**
 * The hypothesis id of `--hypothesis` input: 1..9 (number or digits), our names
 * (`i_reversal_v_shift`), the README's wording (`invariant reversal, variant shift`) or the
 * reference's code labels (`itime+vasynced`); case, spaces, `-`, `+` and `,` are not significant.
 */
export function parseHypothesis(input: HypothesisId | number | string): HypothesisId {
  const s = typeof input === 'number' ? String(input) : normalise(input);
  if (/^[1-9]$/.test(s)) return Number(s) as HypothesisId;
  for (const id of HYPOTHESIS_IDS) if (ALIASES[id].includes(s)) return id;
  const valid = HYPOTHESIS_IDS.map((id) => `${id} (${META[id].name}, ${META[id].codeLabel})`).join(', ');
  throw new RangeError(`unknown GDT hypothesis '${String(input)}'; valid values are 1..9 or a name: ${valid}`);
}
