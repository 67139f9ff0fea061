// Hypothesis names and metadata: parseHypothesis for --hypothesis values, forward passes, stances.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseHypothesis, getHypothesis, HYPOTHESIS_IDS, featuresUsed, hypothesisTerms } from '../../src/ssl/index.js';

test('parseHypothesis accepts numbers, our names, README wording and code labels', () => {
  const cases: [string | number, number][] = [
    [7, 7],
    ['7', 7],
    [' 3 ', 3],
    ['i_reversal_v_shift', 7],
    ['I-Reversal-V-Shift', 7],
    ['itime+vasynced', 7],
    ['invariant reversal, variant shift', 7],
    ['baseline', 1],
    ['basecase', 1],
    ['cross-modal baseline', 1],
    ['vtime', 2],
    ['variant to time reversal', 2],
    ['itime', 3],
    ['vasync', 4],
    ['invariant to time shift', 5],
    ['v_reversal_v_shift', 6],
    ['vtime+iasynced', 8],
    ['i_reversal_i_shift', 9],
  ];
  for (const [input, id] of cases) assert.equal(parseHypothesis(input), id, String(input));
});

test('parseHypothesis lists the valid values on error', () => {
  for (const bad of [0, 10, 2.5, '', 'time', 'i_reversal_x']) {
    assert.throws(
      () => parseHypothesis(bad),
      (e: unknown) => e instanceof RangeError && /valid values are 1\.\.9/.test(e.message) && e.message.includes('7 (i_reversal_v_shift, itime+vasynced)'),
      String(bad),
    );
  }
});

test('every hypothesis has a unique name and round-trips through its names', () => {
  const names = new Set<string>();
  for (const id of HYPOTHESIS_IDS) {
    const h = getHypothesis(id);
    assert.equal(h.id, id);
    names.add(h.name);
    assert.equal(parseHypothesis(h.name), id);
    assert.equal(parseHypothesis(h.codeLabel), id);
    assert.equal(parseHypothesis(h.readmeName), id);
  }
  assert.equal(names.size, 9);
});

test('forward passes cover exactly the features the terms read', () => {
  for (const id of HYPOTHESIS_IDS) {
    const h = getHypothesis(id);
    const passes = h.forwardPasses.flat().sort();
    for (const mode of ['paper', 'reference'] as const) assert.deepEqual(featuresUsed(hypothesisTerms(h, mode)).sort(), passes, `hypothesis ${id} ${mode}`);
  }
  assert.deepEqual(getHypothesis(9).forwardPasses, [['V', 'A'], ['V2', 'A2'], ['VR', 'AR'], ['V2R', 'A2R']]);
});

test('stances follow the names', () => {
  for (const id of HYPOTHESIS_IDS) {
    const h = getHypothesis(id);
    const word = (s: string): string => (s === 'invariant' ? 'i' : 'v');
    const parts = [h.reversal === 'unused' ? '' : `${word(h.reversal)}_reversal`, h.shift === 'unused' ? '' : `${word(h.shift)}_shift`].filter(Boolean);
    assert.equal(h.name, parts.length ? parts.join('_') : 'baseline');
  }
});

test('terms weigh to 1 in total (the loss is a weighted mean of NCE terms)', () => {
  for (const id of HYPOTHESIS_IDS) {
    const total = getHypothesis(id).terms.reduce((s, t) => s + t.weight, 0);
    assert.ok(Math.abs(total - 1) < 1e-12, `hypothesis ${id}: ${total}`);
  }
});

test('mode names are checked', () => {
  // @ts-expect-error an invalid mode from untyped input
  assert.throws(() => hypothesisTerms(getHypothesis(1), 'exact'), /'paper' or 'reference'/);
});
