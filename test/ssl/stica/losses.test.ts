// The STiCA loss against SPEC 7.1-7.4 evaluated in plain float64 JavaScript (spec-stica.ts): the
// README crop configuration, the argparse and script defaults, no crop terms, both modes, one
// process and a simulated world of 2; values, per-type logs and query-only gradients.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../../src/index.js';
import type { Tensor } from '../../../src/torch/index.js';
import { simulatedCollective, localCollective, nceLoss, type Collective } from '../../../src/ssl/index.js';
import {
  sticaLoss,
  cropTermPlan,
  sticaGatherLabels,
  gdtPairLoss,
  nceTerm,
  CROP_TERM_TYPES,
  type CropCounts,
  type SticaMode,
  type SticaViewEmbeddings,
} from '../../../src/ssl/stica/index.js';
import { sticaJs, randMat, prng, type JsView, type JsWorld, type ListName, type Mat, type JsCounts } from './spec-stica.js';

const N = 3;
const C = 4;
const LISTS: ListName[] = ['spaceLarge', 'spaceSmall', 'timeLarge', 'timeSmall'];
const MODES: SticaMode[] = ['paper', 'reference'];
const TOL = 1e-12;

function close(actual: number, expected: number, msg: string, tol = TOL): void {
  if (Number.isNaN(expected)) {
    assert.ok(Number.isNaN(actual), `${msg}: expected NaN, got ${actual}`);
    return;
  }
  assert.ok(Math.abs(actual - expected) <= tol * (1 + Math.abs(expected)), `${msg}: got ${actual}, expected ${expected}`);
}
function closeMat(actual: Tensor | undefined, expected: Mat, msg: string): void {
  assert.ok(actual, `${msg}: gradient missing`);
  const a = actual.toArray() as number[][];
  expected.forEach((row, i) => row.forEach((v, d) => close(a[i]![d]!, v, `${msg}[${i}][${d}]`)));
}

/** Embedding list lengths per SPEC 3.7 / 7.2 (small crops recomputed per large crop). */
function lengths(c: JsCounts, mode: SticaMode): Record<ListName, number> {
  const space = mode === 'paper' ? c.spaceLarge > 0 : c.spaceSmall > 0 || c.spaceLarge > 1;
  const time = mode === 'paper' ? c.timeLarge > 0 : c.timeSmall > 0 || c.timeLarge > 1;
  const l = space ? c.spaceLarge : 0;
  const t = time ? c.timeLarge : 0;
  return { spaceLarge: l, spaceSmall: l * l * c.spaceSmall, timeLarge: t, timeSmall: t * t * c.timeSmall };
}

interface Built {
  js: JsWorld;
  views: [SticaViewEmbeddings, SticaViewEmbeddings];
  byId: Map<string, Tensor>;
  collective: Collective;
}
/** Random features for both views (and `world - 1` other ranks' blocks of every tensor). */
function build(counts: JsCounts, mode: SticaMode, world: number, rank: number, seed: number, o: { unit?: boolean; videoRows?: number } = {}): Built {
  const rand = prng(seed);
  const len = lengths(counts, mode);
  const unit = o.unit ?? true;
  const jsViews: JsView[] = [];
  const ids: [string, Mat][] = [];
  for (const k of [0, 1]) {
    const v: JsView = { video: randMat(rand, o.videoRows ?? N, C, unit), audio: randMat(rand, N, C, unit), crops: { spaceLarge: [], spaceSmall: [], timeLarge: [], timeSmall: [] } };
    ids.push([`view${k}.video`, v.video], [`view${k}.audio`, v.audio]);
    for (const l of LISTS) {
      for (let i = 0; i < len[l]; i++) {
        const m = randMat(rand, N, C, unit);
        v.crops[l].push(m);
        ids.push([`view${k}.${l}.${i}`, m]);
      }
    }
    jsViews.push(v);
  }
  const others: Record<string, Mat[]> = {};
  if (world > 1) for (const [id, m] of ids) others[id] = Array.from({ length: world - 1 }, () => randMat(rand, m.length, C, unit));
  const byId = new Map<string, Tensor>();
  for (const [id, m] of ids) byId.set(id, torch.tensor(m, { dtype: 'float64', requiresGrad: true }));
  const views = [0, 1].map((k) => ({
    video: byId.get(`view${k}.video`)!,
    audio: byId.get(`view${k}.audio`)!,
    crops: Object.fromEntries(LISTS.map((l) => [l, Array.from({ length: len[l] }, (_, i) => byId.get(`view${k}.${l}.${i}`)!)])),
  })) as unknown as [SticaViewEmbeddings, SticaViewEmbeddings];
  const blocks: Record<string, Tensor[]> = {};
  for (const [id, bs] of Object.entries(others)) blocks[id] = bs.map((b) => torch.tensor(b, { dtype: 'float64' }));
  return { js: { views: jsViews as [JsView, JsView], others }, views, byId, collective: world > 1 ? simulatedCollective(rank, blocks) : localCollective };
}

const CONFIGS: { label: string; counts: CropCounts }[] = [
  { label: 'README (2 large, 4 small, 2 large temporal, 1 small temporal)', counts: { spaceLarge: 2, spaceSmall: 4, timeLarge: 2, timeSmall: 1 } },
  { label: 'argparse defaults (2 / 0 / 0 / 0)', counts: { spaceLarge: 2, spaceSmall: 0, timeLarge: 0, timeSmall: 0 } },
  { label: 'script defaults (1 / 0 / 0 / 0)', counts: { spaceLarge: 1, spaceSmall: 0, timeLarge: 0, timeSmall: 0 } },
  { label: 'one large, small crops (1 / 3 / 1 / 2)', counts: { spaceLarge: 1, spaceSmall: 3, timeLarge: 1, timeSmall: 2 } },
  { label: 'no crops (0 / 0 / 0 / 0)', counts: { spaceLarge: 0, spaceSmall: 0, timeLarge: 0, timeSmall: 0 } },
];
const WORLDS = [
  { label: 'one process', world: 1, rank: 0 },
  { label: 'world 2, rank 0', world: 2, rank: 0 },
  { label: 'world 2, rank 1', world: 2, rank: 1 },
];

function check(b: Built, counts: CropCounts, mode: SticaMode, label: string, extra: { alpha?: number; cropTemperature?: number; normalize?: boolean } = {}): void {
  const got = sticaLoss({ mode, views: b.views, counts, collective: b.collective, ...extra });
  const want = sticaJs(b.js, { mode, counts, alpha: extra.alpha, cropTau: extra.cropTemperature, normalize: extra.normalize });
  close(got.loss.item() as number, want.loss, `${label}: loss`);
  close(got.avLoss, want.av, `${label}: avLoss`);
  close(got.cropLoss, want.crop, `${label}: cropLoss`);
  for (const t of CROP_TERM_TYPES) {
    assert.equal(got.counts[t], want.counts[t], `${label}: ${t} count`);
    close(got.perType[t], want.counts[t]! > 0 ? want.sums[t]! / want.counts[t]! : 0, `${label}: ${t} mean`);
  }
  if (!got.loss.requiresGrad) return;
  got.loss.backward();
  for (const [id, t] of b.byId) {
    const g = want.grads[id];
    if (g) closeMat(t.grad, g, `${label}: d/d${id}`);
    else assert.equal(t.grad, undefined, `${label}: ${id} is never a query and gets no gradient`);
  }
}

describe('sticaLoss against SPEC 7 in float64 JavaScript', () => {
  for (const { label, counts } of CONFIGS) {
    for (const mode of MODES) {
      test(`${label}, ${mode} mode: values, per-type logs, query-only gradients`, () => {
        torch.tidy(() => {
          WORLDS.forEach(({ label: wl, world, rank }, s) => check(build(counts, mode, world, rank, 100 + s), counts, mode, `${mode} ${wl}`));
        });
      });
    }
  }

  test('the SPEC counts: README config gives [1, 8, 1, 2] in reference mode, [2, 8, 2, 2] in paper mode', () => {
    const readme = CONFIGS[0]!.counts;
    const count = (mode: SticaMode): number[] => CROP_TERM_TYPES.map((t) => cropTermPlan(readme, mode).filter((p) => p.type === t).length);
    assert.deepEqual(count('reference'), [1, 8, 1, 2]);
    assert.deepEqual(count('paper'), [2, 8, 2, 2]);
    assert.equal(cropTermPlan(CONFIGS[1]!.counts, 'reference').length, 1, 'argparse defaults: one L-L term');
    assert.equal(cropTermPlan(CONFIGS[2]!.counts, 'reference').length, 0, 'script defaults: no term');
    assert.equal(cropTermPlan(CONFIGS[2]!.counts, 'paper').length, 1, 'script defaults, paper: the large crops of both views');
  });

  test('reference S-L terms reuse view 1\'s first S small embeddings; paper uses each drawn small crop once', () => {
    const c = { spaceLarge: 2, spaceSmall: 2, timeLarge: 0, timeSmall: 0 };
    const sl = (mode: SticaMode): string[] => cropTermPlan(c, mode).filter((t) => t.type === 'S-L').map((t) => `${t.fv.index}<-${t.fa.index}`);
    assert.deepEqual(sl('reference'), ['0<-0', '0<-1', '1<-0', '1<-1']);
    // 2 large x (2 x 2 drawn small) embeddings: large 0 computed entries 0..3, large 1 entries 4..7.
    assert.deepEqual(sl('paper'), ['0<-0', '0<-1', '1<-6', '1<-7']);
    const ll = (mode: SticaMode): string[] => cropTermPlan(c, mode).filter((t) => t.type === 'L-L').map((t) => `${t.fa.view}.${t.fa.index}|${t.fv.view}.${t.fv.index}`);
    assert.deepEqual(ll('reference'), ['0.1|1.1']);
    assert.deepEqual(ll('paper'), ['0.0|1.0', '0.1|1.1']);
  });

  test('temperatures and alpha are honoured; alpha = 0 drops the cross-modal loss', () => {
    torch.tidy(() => {
      const counts = CONFIGS[0]!.counts;
      for (const mode of MODES) {
        check(build(counts, mode, 2, 1, 7), counts, mode, `${mode} tau 0.2`, { cropTemperature: 0.2 });
        check(build(counts, mode, 2, 0, 8), counts, mode, `${mode} alpha 0.3`, { alpha: 0.3 });
        check(build(counts, mode, 1, 0, 9), counts, mode, `${mode} alpha 0`, { alpha: 0 });
      }
    });
  });

  test('normalisation: paper mode normalises inside the terms (default), reference mode does not', () => {
    torch.tidy(() => {
      const counts = CONFIGS[0]!.counts;
      for (const mode of MODES) {
        for (const normalize of [true, false]) {
          const b = build(counts, mode, 2, 0, 30, { unit: false });
          check(b, counts, mode, `${mode} normalize=${normalize} (raw features)`, { normalize });
        }
        check(build(counts, mode, 2, 1, 31, { unit: false }), counts, mode, `${mode} default normalisation (raw features)`);
      }
    });
  });
});

describe('edge cases', () => {
  test('paper mode: no crop terms trains the cross-modal loss (alpha x avLoss), finite', () => {
    torch.tidy(() => {
      for (const counts of [CONFIGS[4]!.counts, { spaceLarge: 0, spaceSmall: 3, timeLarge: 0, timeSmall: 2 }]) {
        const b = build(counts, 'paper', 2, 0, 40);
        const r = sticaLoss({ mode: 'paper', views: b.views, counts, collective: b.collective });
        const v = r.loss.item() as number;
        assert.ok(Number.isFinite(v), `loss ${v}`);
        assert.equal(r.cropLoss, 0);
        close(v, 0.5 * r.avLoss, 'loss = alpha * avLoss');
        r.loss.backward();
        for (const id of ['view0.video', 'view0.audio', 'view1.video', 'view1.audio']) {
          const g = b.byId.get(id)!.grad!;
          assert.ok(g.isfinite().all().item(), `${id} gradient finite`);
        }
      }
      const b = build(CONFIGS[4]!.counts, 'paper', 1, 0, 41);
      assert.throws(() => sticaLoss({ views: b.views, counts: CONFIGS[4]!.counts, alpha: 0 }), /nothing to train/);
    });
  });

  test('reference mode: no crop terms gives a NaN loss whose gradient is alpha x d avLoss (finite)', () => {
    torch.tidy(() => {
      const counts = CONFIGS[2]!.counts; // pretrain_stica.sh defaults
      const b = build(counts, 'reference', 2, 1, 50);
      const r = sticaLoss({ mode: 'reference', views: b.views, counts, collective: b.collective });
      assert.ok(Number.isNaN(r.loss.item() as number));
      assert.ok(Number.isNaN(r.cropLoss));
      assert.ok(Number.isFinite(r.avLoss));
      r.loss.backward();
      const want = sticaJs(b.js, { mode: 'reference', counts });
      for (const id of ['view0.video', 'view0.audio', 'view1.video', 'view1.audio']) {
        const g = b.byId.get(id)!.grad!;
        assert.ok(g.isfinite().all().item(), `${id} gradient finite`);
        closeMat(g, want.grads[id]!, `d/d${id}`);
      }
    });
  });

  test('keys only: view 0 large crop 0 gets no gradient in reference mode (S-L key, no L-L), one in paper mode', () => {
    torch.tidy(() => {
      const counts = CONFIGS[0]!.counts;
      for (const mode of MODES) {
        const b = build(counts, mode, 2, 0, 60);
        sticaLoss({ mode, views: b.views, counts, collective: b.collective }).loss.backward();
        const g = b.byId.get('view0.spaceLarge.0')!.grad;
        if (mode === 'reference') assert.equal(g, undefined);
        else assert.ok(g);
        // View 0's small crops are never queries in either mode.
        for (let i = 0; i < 16; i++) assert.equal(b.byId.get(`view0.spaceSmall.${i}`)!.grad, undefined);
        // View 1's small crops: reference trains entries 0..3, paper entries 0..3 and 12..15.
        const trained = Array.from({ length: 16 }, (_, i) => (b.byId.get(`view1.spaceSmall.${i}`)!.grad ? i : -1)).filter((i) => i >= 0);
        assert.deepEqual(trained, mode === 'reference' ? [0, 1, 2, 3] : [0, 1, 2, 3, 12, 13, 14, 15]);
      }
    });
  });

  test('SPEC 13.14 regrouping (half as many video rows): reference mode pairs row i with column i; paper mode refuses', () => {
    torch.tidy(() => {
      const counts = CONFIGS[1]!.counts;
      const b = build(counts, 'reference', 2, 0, 70, { videoRows: 2 });
      check(b, counts, 'reference', 'regrouped');
      const p = build(counts, 'paper', 1, 0, 71, { videoRows: 2 });
      assert.throws(() => sticaLoss({ views: p.views, counts }), /transformerTimeDim must equal its duration/);
    });
  });

  test('input checks: crop list lengths, alpha range, gathered labels', () => {
    torch.tidy(() => {
      const counts = CONFIGS[0]!.counts;
      const b = build(counts, 'paper', 1, 0, 80);
      // pretrain_stica.sh defaults: paper draws the one large crop, the reference draws nothing.
      const script = CONFIGS[2]!.counts;
      const p = build(script, 'paper', 1, 0, 82);
      assert.throws(() => sticaLoss({ mode: 'reference', views: p.views, counts: script }), /1 spaceLarge embeddings, but crops drawn with these counts in reference mode give 0/);
      assert.throws(() => sticaLoss({ views: b.views, counts: { ...counts, spaceSmall: 3 } }), /16 spaceSmall embeddings, but .* give 12/);
      assert.throws(() => sticaLoss({ views: b.views, counts, alpha: 1.5 }), /alpha must lie in \[0, 1\]/);
      assert.throws(() => sticaLoss({ mode: 'reference', views: b.views, counts: { ...counts, spaceLarge: 3 } }), /at most 2/);
      assert.deepEqual(sticaGatherLabels(CONFIGS[1]!.counts, 'reference'), [
        'view1.spaceLarge.1',
        'view0.spaceLarge.1',
        'view0.video',
        'view0.audio',
        'view1.video',
        'view1.audio',
      ]);
      // A simulated collective with exactly these labels is enough.
      const c = CONFIGS[1]!.counts;
      const r = build(c, 'reference', 1, 0, 81);
      const blocks = Object.fromEntries(sticaGatherLabels(c, 'reference').map((l) => [l, [torch.zeros([N, C], { dtype: 'float64' })]]));
      const v = sticaLoss({ mode: 'reference', views: r.views, counts: c, collective: simulatedCollective(0, blocks) }).loss.item() as number;
      assert.ok(Number.isFinite(v));
    });
  });
});

describe('contrastive term (SPEC 7.1)', () => {
  test('nceTerm equals the GDT nceLoss with the other ranks as extra negatives', () => {
    torch.tidy(() => {
      const rand = prng(5);
      const q = torch.tensor(randMat(rand, 4, 6), { dtype: 'float64' });
      const k = torch.tensor(randMat(rand, 4, 6), { dtype: 'float64' });
      const m = torch.tensor(randMat(rand, 8, 6), { dtype: 'float64' });
      close(nceTerm(q, k, m, 0.1).item() as number, nceLoss(q, k, [m], { temperature: 0.1 }).item() as number, 'with others', 1e-12);
      close(nceTerm(q, k, undefined, 0.5).item() as number, nceLoss(q, k, [], { temperature: 0.5 }).item() as number, 'alone', 1e-12);
    });
  });

  test('gdtPairLoss: symmetric = mean of both directions; asymmetric trains only fa', () => {
    torch.tidy(() => {
      const rand = prng(6);
      const fv = torch.tensor(randMat(rand, 3, 4), { dtype: 'float64', requiresGrad: true });
      const fa = torch.tensor(randMat(rand, 3, 4), { dtype: 'float64', requiresGrad: true });
      const sym = gdtPairLoss(fv, fa).item() as number;
      const av = nceTerm(fa, fv, undefined, 0.1).item() as number;
      const va = nceTerm(fv, fa, undefined, 0.1).item() as number;
      close(sym, 0.5 * (av + va), 'symmetric');
      const asym = gdtPairLoss(fv, fa, { symmetric: false, temperature: 0.5 });
      asym.backward();
      assert.equal(fv.grad, undefined);
      assert.ok(fa.grad);
      assert.throws(() => nceTerm(torch.zeros([5, 4]), torch.zeros([2, 4]), undefined, 0.1), /5 queries but only 2 keys/);
      assert.throws(() => nceTerm(fa, fv, undefined, 0), /temperature must be positive/);
    });
  });
});
