// Feature-crop geometry (SPEC 7.2): the reference's exact NumPy draws, counts and windows for
// every preset in both modes, positions inside the map, the reference's never-drawn offsets, and
// the feature-map size of a clip.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { NumpyRandomState, PythonRandom, type Rng } from '../../../src/transforms/index.js';
import type { CropParams } from '../../../src/models/stica.js';
import {
  sampleCropParams,
  referenceCropWindows,
  paperCropWindows,
  cropsDrawn,
  cropEmbeddingCounts,
  clippedCrop,
  sticaFeatureMapSize,
  presetFeatureMap,
  STICA_PRESETS,
  type CropCounts,
  type FeatureMapSize,
  type SticaMode,
} from '../../../src/ssl/stica/index.js';
import { sticaDuration } from '../../../src/models/stica.js';

const MODES: SticaMode[] = ['paper', 'reference'];
const README: CropCounts = { spaceLarge: 2, spaceSmall: 4, timeLarge: 2, timeSmall: 1 };
const asNested = (p: CropParams): unknown => [[p.spaceLarge, p.spaceSmall], [p.timeLarge, p.timeSmall]];

/** An Rng that always returns the largest value it may (to probe range ends). */
const maxRng: Rng = {
  random: () => 1 - 2 ** -53,
  uniform: (_lo, hi) => hi,
  randint: (_lo, hi) => hi,
  randrange: (_lo, hi) => hi - 1,
  permutation: (n) => Array.from({ length: n }, (_, i) => i),
};

describe('reference mode = fmcrop_params with NumPy seeded 31', () => {
  // Produced by numpy 2.4.6 running the reference's fmcrop_params / get_fm_crop (np.random.seed(31),
  // two views of the README configuration), then one np.random.randint(0, 1000).
  const NUMPY: Record<number, { views: unknown[]; next: number }> = {
    4: {
      views: [
        [[[[0, 6, 0, 6], [0, 6, 0, 6]], [[2, 6, 0, 4], [2, 6, 2, 6], [2, 6, 0, 4], [0, 4, 1, 5], [2, 6, 0, 4], [2, 6, 2, 6], [2, 6, 2, 6], [2, 6, 2, 6]]], [[[0, 3], [0, 3]], [[0, 2], [1, 3]]]],
        [[[[0, 6, 0, 6], [0, 6, 0, 6]], [[1, 5, 0, 4], [1, 5, 2, 6], [1, 5, 0, 4], [2, 6, 0, 4], [2, 6, 2, 6], [0, 4, 0, 4], [1, 5, 2, 6], [0, 4, 0, 4]]], [[[0, 3], [0, 3]], [[0, 2], [0, 2]]]],
      ],
      next: 689,
    },
    8: {
      views: [
        [[[[0, 6, 0, 6], [0, 6, 0, 6]], [[2, 6, 0, 4], [2, 6, 2, 6], [2, 6, 0, 4], [0, 4, 1, 5], [2, 6, 0, 4], [2, 6, 2, 6], [2, 6, 2, 6], [2, 6, 2, 6]]], [[[0, 6], [1, 7]], [[1, 5], [3, 7]]]],
        [[[[0, 6, 0, 6], [0, 6, 0, 6]], [[0, 4, 1, 5], [2, 6, 1, 5], [0, 4, 2, 6], [0, 4, 2, 6], [2, 6, 0, 4], [0, 4, 1, 5], [2, 6, 0, 4], [0, 4, 0, 4]]], [[[0, 6], [1, 7]], [[1, 5], [1, 5]]]],
      ],
      next: 945,
    },
  };
  for (const duration of [4, 8]) {
    test(`README crops, duration ${duration}: the same crops and the same number of draws as NumPy`, () => {
      const rng = new NumpyRandomState(31);
      const map = sticaFeatureMapSize(duration === 4 ? 30 : 60, 112);
      const views = [0, 1].map(() => asNested(sampleCropParams(rng, { mode: 'reference', counts: README, map, duration })));
      assert.deepEqual(views, NUMPY[duration]!.views);
      assert.equal(rng.randrange(0, 1000), NUMPY[duration]!.next, 'the generator advanced exactly as NumPy');
    });
  }

  test('large spatial crops are always [0:6, 0:6]; the last offset is never drawn (SPEC 13.21, 13.30)', () => {
    const top = sampleCropParams(maxRng, { mode: 'reference', counts: README, map: sticaFeatureMapSize(60, 112) });
    assert.deepEqual(top.spaceLarge, [[0, 6, 0, 6], [0, 6, 0, 6]]);
    assert.deepEqual(top.spaceSmall[0], [2, 6, 2, 6], 'small crops start at 2 at most, never 3');
    assert.deepEqual(top.timeLarge[0], [1, 7], 'duration 8: large tmin at most 1 (of 0..2)');
    assert.deepEqual(top.timeSmall[0], [3, 7], 'duration 8: small tmin at most 3 (of 0..4)');
    const paper = sampleCropParams(maxRng, { counts: README, map: sticaFeatureMapSize(60, 112) });
    assert.deepEqual(paper.spaceLarge[0], [1, 7, 1, 7], 'paper: the last offset is drawn');
    assert.deepEqual(paper.spaceSmall[0], [3, 7, 3, 7]);
    assert.deepEqual(paper.timeLarge[0], [2, 8]);
    assert.deepEqual(paper.timeSmall[0], [4, 8]);
  });

  test('the gate: one large crop alone draws nothing in reference mode, draws it in paper mode', () => {
    const counts = { spaceLarge: 1, spaceSmall: 0, timeLarge: 1, timeSmall: 0 };
    const map = sticaFeatureMapSize(30, 112);
    const ref = sampleCropParams(new NumpyRandomState(1), { mode: 'reference', counts, map });
    assert.deepEqual(asNested(ref), [[[], []], [[], []]]);
    const paper = sampleCropParams(new NumpyRandomState(1), { counts, map });
    assert.equal(paper.spaceLarge.length, 1);
    assert.equal(paper.timeLarge.length, 1);
    assert.deepEqual(cropsDrawn(counts, 'reference'), { space: false, time: false });
    assert.deepEqual(cropsDrawn({ ...counts, timeSmall: 1 }, 'reference'), { space: false, time: true });
  });
});

/** Checks one view's crops: counts (SPEC 7.2), window sizes, inside the map. */
function checkView(p: CropParams, counts: CropCounts, mode: SticaMode, map: FeatureMapSize, duration: number, label: string): void {
  const drawn = cropsDrawn(counts, mode);
  const nl = drawn.space ? counts.spaceLarge : 0;
  const tl = drawn.time ? counts.timeLarge : 0;
  assert.equal(p.spaceLarge.length, nl, `${label}: large spatial count`);
  assert.equal(p.spaceSmall.length, nl * counts.spaceSmall, `${label}: small spatial count = large x small`);
  assert.equal(p.timeLarge.length, tl, `${label}: large temporal count`);
  assert.equal(p.timeSmall.length, tl * counts.timeSmall, `${label}: small temporal count`);
  const w = mode === 'reference' ? referenceCropWindows(duration) : paperCropWindows(map);
  const [h, wd, t] = mode === 'reference' ? [7, 7, duration] : [map.height, map.width, map.time];
  const space = (list: readonly (readonly number[])[], [wx, wy]: readonly [number, number], what: string): void => {
    for (const [x0, x1, y0, y1] of list as [number, number, number, number][]) {
      assert.equal(x1 - x0, wx, `${label}: ${what} height`);
      assert.equal(y1 - y0, wy, `${label}: ${what} width`);
      assert.ok(x0 >= 0 && x1 <= h && y0 >= 0 && y1 <= wd, `${label}: ${what} [${x0}, ${x1}, ${y0}, ${y1}] inside ${h} x ${wd}`);
      if (mode === 'reference') assert.ok(x0 < h - wx && y0 < wd - wy, `${label}: reference never draws the last offset`);
    }
  };
  space(p.spaceLarge, w.spaceLarge, 'large crop');
  space(p.spaceSmall, w.spaceSmall, 'small crop');
  const time = (list: readonly (readonly number[])[], win: number, what: string): void => {
    for (const [t0, t1] of list as [number, number][]) {
      assert.equal(t1 - t0, win, `${label}: ${what} length`);
      assert.ok(t0 >= 0 && t1 <= t, `${label}: ${what} [${t0}, ${t1}] inside ${t}`);
      if (mode === 'reference') assert.ok(t0 < t - win, `${label}: reference never draws the last start`);
    }
  };
  time(p.timeLarge, w.timeLarge, 'large temporal crop');
  time(p.timeSmall, w.timeSmall, 'small temporal crop');
  // Whatever the mode, the crop the model slices is non-empty on the real map.
  const c = clippedCrop(p, map);
  for (const [x0, x1, y0, y1] of [...c.spaceLarge, ...c.spaceSmall]) assert.ok(x1 > x0 && y1 > y0, `${label}: non-empty spatial crop`);
  for (const [t0, t1] of [...c.timeLarge, ...c.timeSmall]) assert.ok(t1 > t0, `${label}: non-empty temporal crop`);
}

describe('every preset in both modes (seeded draws)', () => {
  const EXTRA: Record<string, CropCounts> = {
    'argparse + temporal': { spaceLarge: 2, spaceSmall: 0, timeLarge: 2, timeSmall: 0 },
    'small only': { spaceLarge: 0, spaceSmall: 3, timeLarge: 0, timeSmall: 2 },
    none: { spaceLarge: 0, spaceSmall: 0, timeLarge: 0, timeSmall: 0 },
  };
  const cases = [
    ...Object.values(STICA_PRESETS).map((p) => ({ label: p.name, counts: p.crops, map: presetFeatureMap(p), duration: sticaDuration(p.numSec) })),
    ...Object.entries(EXTRA).flatMap(([label, counts]) =>
      [30, 60].map((f) => ({ label: `${label}, ${f} frames`, counts, map: sticaFeatureMapSize(f, 112), duration: sticaDuration(f / 30) })),
    ),
  ];
  for (const c of cases) {
    for (const mode of MODES) {
      test(`${c.label}, ${mode} mode: counts per SPEC 7.2, windows, positions within the map`, () => {
        const rng = new NumpyRandomState(31);
        const seen = { x: new Set<number>(), t: new Set<number>() };
        for (let v = 0; v < 300; v++) {
          const p = sampleCropParams(rng, { mode, counts: c.counts, map: c.map, duration: c.duration });
          checkView(p, c.counts, mode, c.map, c.duration, `${c.label} view ${v}`);
          p.spaceSmall.forEach(([x0]) => seen.x.add(x0));
          p.timeSmall.forEach(([t0]) => seen.t.add(t0));
        }
        // Every offset the mode allows is drawn (paper: up to the map edge; reference: NumPy's range).
        const w = mode === 'reference' ? referenceCropWindows(c.duration) : paperCropWindows(c.map);
        const drawn = cropsDrawn(c.counts, mode);
        if (drawn.space && c.counts.spaceLarge * c.counts.spaceSmall > 0) {
          const last = mode === 'reference' ? 7 - w.spaceSmall[0] - 1 : c.map.height - w.spaceSmall[0];
          assert.deepEqual([...seen.x].sort(), Array.from({ length: last + 1 }, (_, i) => i), 'small crop x offsets');
        }
        if (drawn.time && c.counts.timeLarge * c.counts.timeSmall > 0) {
          const last = mode === 'reference' ? c.duration - w.timeSmall - 1 : c.map.time - w.timeSmall;
          assert.deepEqual([...seen.t].sort(), Array.from({ length: last + 1 }, (_, i) => i), 'small temporal starts');
        }
        // The model then returns L x (L x S) small-crop embeddings.
        const e = cropEmbeddingCounts(c.counts, mode);
        assert.equal(e.spaceSmall, (drawn.space ? c.counts.spaceLarge ** 2 : 0) * c.counts.spaceSmall);
      });
    }
  }

  test('seeded: the same seed gives the same crops; any Rng works (Python random here)', () => {
    const draw = (rng: Rng): unknown => asNested(sampleCropParams(rng, { counts: README, map: sticaFeatureMapSize(30, 112) }));
    assert.deepEqual(draw(new NumpyRandomState(5)), draw(new NumpyRandomState(5)));
    assert.notDeepEqual(draw(new NumpyRandomState(5)), draw(new NumpyRandomState(6)));
    assert.deepEqual(draw(new PythonRandom(5)), draw(new PythonRandom(5)));
  });
});

describe('windows and map sizes', () => {
  test('paper windows equal the reference ones on the 4 x 7 x 7 and 8 x 7 x 7 maps', () => {
    assert.deepEqual(paperCropWindows(sticaFeatureMapSize(30, 112)), referenceCropWindows(4));
    assert.deepEqual(paperCropWindows(sticaFeatureMapSize(60, 112)), referenceCropWindows(8));
    assert.deepEqual(referenceCropWindows(12), { spaceLarge: [6, 6], spaceSmall: [4, 4], timeLarge: 6, timeSmall: 4 });
    assert.deepEqual(paperCropWindows({ time: 1, height: 1, width: 2 }), { spaceLarge: [1, 2], spaceSmall: [1, 1], timeLarge: 1, timeSmall: 1 });
  });

  test('feature map of a clip: 30 x 112 -> 4 x 7 x 7, 60 -> 8 x 7 x 7, tiny 16 x 64 -> 2 x 4 x 4', () => {
    assert.deepEqual(sticaFeatureMapSize(30, 112), { time: 4, height: 7, width: 7 });
    assert.deepEqual(sticaFeatureMapSize(60, 112), { time: 8, height: 7, width: 7 });
    assert.deepEqual(sticaFeatureMapSize(16, 64), { time: 2, height: 4, width: 4 });
    assert.deepEqual(sticaFeatureMapSize(90, 128, 171), { time: 12, height: 8, width: 11 });
  });

  test('options are checked', () => {
    const map = sticaFeatureMapSize(30, 112);
    const rng = new NumpyRandomState(0);
    assert.throws(() => sampleCropParams(rng, { mode: 'reference', counts: README, map, windows: { timeLarge: 2 } }), /fixed in reference mode/);
    assert.throws(() => sampleCropParams(rng, { counts: README, map, windows: { timeLarge: 5 } }), /timeLarge window 5 does not fit/);
    assert.throws(() => sampleCropParams(rng, { counts: README, map, windows: { spaceSmall: [8, 2] } }), /spaceSmall window \[8,2\]/);
    assert.throws(() => sampleCropParams(rng, { counts: { ...README, spaceSmall: -1 }, map }), /non-negative integer/);
    assert.throws(() => sampleCropParams(rng, { mode: 'reference', counts: { ...README, timeLarge: 3 }, map }), /at most 2/);
    assert.equal(sampleCropParams(rng, { counts: { ...README, timeLarge: 3 }, map }).timeLarge.length, 3, 'paper mode: any number');
    assert.throws(() => sampleCropParams(rng, { counts: README, map: { time: 0, height: 7, width: 7 } }), /positive integer/);
    // Reference geometry on a map too small for it: a crop entirely outside throws.
    assert.throws(() => sampleCropParams(maxRng, { mode: 'reference', counts: README, map: { time: 4, height: 2, width: 2 }, duration: 4 }), /outside the 4 x 2 x 2 feature map/);
    // Reference temporal windows need duration > window (NumPy raises for randint(0, 0)).
    assert.throws(() => sampleCropParams(rng, { mode: 'reference', counts: README, map, duration: 3 }));
  });

  test('custom paper windows are used', () => {
    const p = sampleCropParams(new NumpyRandomState(3), { counts: README, map: sticaFeatureMapSize(60, 112), windows: { spaceLarge: [5, 5], timeSmall: 3 } });
    for (const [x0, x1, y0, y1] of p.spaceLarge) assert.deepEqual([x1 - x0, y1 - y0], [5, 5]);
    for (const [t0, t1] of p.timeSmall) assert.equal(t1 - t0, 3);
  });

  test('clippedCrop clips crop ends to the map as PyTorch slicing does', () => {
    const c = clippedCrop({ spaceLarge: [[0, 6, 0, 6]], spaceSmall: [[2, 6, 1, 5]], timeLarge: [[0, 3]], timeSmall: [[1, 3]] }, { time: 2, height: 4, width: 4 });
    assert.deepEqual(asNested(c), [[[[0, 4, 0, 4]], [[2, 4, 1, 4]]], [[[0, 2]], [[1, 2]]]]);
  });
});
