// The GDT loss against SPEC 6.4 evaluated in plain float64 JavaScript (test/ssl/spec-reference.ts):
// every hypothesis in both modes, one process and fabricated other ranks, per-term values,
// query-only gradients, single-process runs, negative subsampling and the video-text variant.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../src/index.js';
import type { Tensor } from '../../src/torch/index.js';
import {
  gdtLoss,
  simulatedCollective,
  localCollective,
  getHypothesis,
  hypothesisTerms,
  HYPOTHESIS_IDS,
  type Collective,
  type LossMode,
  type NegativeSampler,
  nceLoss,
  nceLogits,
} from '../../src/ssl/index.js';
import { gdtJs, specTerms, specWeight, randMat, type Mat, type World, type Pick } from './spec-reference.js';

const N = 3;
const C = 4;
const NAMES = ['V', 'A', 'VR', 'AR', 'V2', 'A2', 'V2R', 'A2R'];
const MODES: LossMode[] = ['paper', 'reference'];
const TOL = 1e-12;

function close(actual: number, expected: number, msg: string, tol = TOL): void {
  assert.ok(Math.abs(actual - expected) <= tol * (1 + Math.abs(expected)), `${msg}: got ${actual}, expected ${expected}`);
}
function closeMat(actual: Tensor | undefined, expected: Mat, msg: string): void {
  assert.ok(actual, `${msg}: gradient missing`);
  const a = actual.toArray() as number[][];
  expected.forEach((row, i) => row.forEach((v, d) => close(a[i]![d]!, v, `${msg}[${i}][${d}]`)));
}

/** Fixed float64 features for one rank and fabricated blocks for `world - 1` other ranks. */
function makeWorld(world: number, seed = 1, names = NAMES): World {
  const local: Record<string, Mat> = {};
  const others: Record<string, Mat[]> = {};
  names.forEach((f, i) => {
    local[f] = randMat(seed * 1000 + i, N, C);
    others[f] = Array.from({ length: world - 1 }, (_, r) => randMat(seed * 1000 + 100 * (r + 1) + i, N, C));
  });
  return { local, others };
}

interface Setup {
  features: Record<string, Tensor>;
  collective: Collective;
}
function setup(w: World, rank: number): Setup {
  const features: Record<string, Tensor> = {};
  for (const [f, x] of Object.entries(w.local)) features[f] = torch.tensor(x, { dtype: 'float64', requiresGrad: true });
  const blocks: Record<string, Tensor[]> = {};
  for (const [f, bs] of Object.entries(w.others)) blocks[f] = bs.map((b) => torch.tensor(b, { dtype: 'float64' }));
  const world = 1 + (Object.values(w.others)[0]?.length ?? 0);
  return { features, collective: world === 1 ? localCollective : simulatedCollective(rank, blocks) };
}

const WORLDS = [
  { label: 'one process', world: 1, rank: 0 },
  { label: 'world 2, rank 0', world: 2, rank: 0 },
  { label: 'world 2, rank 1', world: 2, rank: 1 },
  { label: 'world 3, rank 1', world: 3, rank: 1 },
];

describe('gdtLoss against SPEC 6.4 in float64 JavaScript', () => {
  for (const h of HYPOTHESIS_IDS) {
    for (const mode of MODES) {
      test(`hypothesis ${h}, ${mode} mode: loss, per-term values and term order`, () => {
        torch.tidy(() => {
          for (const { label, world, rank } of WORLDS) {
            const w = makeWorld(world, h);
            const { features, collective } = setup(w, rank);
            const got = gdtLoss({ hypothesis: h, mode, features, collective });
            const want = gdtJs(h, mode, w);
            close(got.loss.item() as number, want.total, `${label} total`);
            assert.deepEqual(
              got.terms.map((t) => t.name),
              want.terms.map((t) => t.name),
              `${label}: terms in SPEC order`,
            );
            got.terms.forEach((t, i) => close(t.value, want.terms[i]!.value, `${label} ${t.name}`));
          }
        });
      });
    }
  }

  test('weights of every term are those of the SPEC loss column', () => {
    for (const h of HYPOTHESIS_IDS) {
      const terms = getHypothesis(h).terms;
      const spec = specTerms(h, 'reference');
      assert.equal(terms.length, spec.length, `hypothesis ${h}: term count`);
      terms.forEach((t, i) => close(t.weight, specWeight(h, spec[i]!.group), `hypothesis ${h} term ${i}`));
    }
  });

  test('the tables list exactly the SPEC negative sets, in order, daggers marked', () => {
    for (const h of HYPOTHESIS_IDS) {
      for (const mode of MODES) {
        const lib = hypothesisTerms(getHypothesis(h), mode).map(
          (t) => `${t.group} ${t.query} ${t.positive} | ${t.negatives.map((r) => `${r.source === 'others' ? 'O' : 'L'}:${r.feature}${r.duplicate ? '+' : ''}`).join(', ')}`,
        );
        const spec = specTerms(h, mode).map((t) => `${t.group} ${t.q} ${t.k} | ${t.m.map((n) => `${n.src}:${n.feat}${n.dagger ? '+' : ''}`).join(', ')}`);
        assert.deepEqual(lib, spec, `hypothesis ${h}, ${mode}`);
      }
    }
  });

  test('paper and reference modes differ exactly where SPEC has daggers (and only with other ranks)', () => {
    torch.tidy(() => {
      for (const h of HYPOTHESIS_IDS) {
        const hasDagger = specTerms(h, 'reference').some((t) => t.m.some((n) => n.dagger));
        for (const world of [1, 2]) {
          const { features, collective } = setup(makeWorld(world, 7), 0);
          const p = gdtLoss({ hypothesis: h, mode: 'paper', features, collective }).loss.item() as number;
          const r = gdtLoss({ hypothesis: h, mode: 'reference', features, collective }).loss.item() as number;
          if (hasDagger && world > 1) assert.ok(r > p, `hypothesis ${h}: duplicated negatives raise the reference loss (${r} vs ${p})`);
          else assert.equal(r, p, `hypothesis ${h}, world ${world}: modes agree`);
        }
      }
    });
  });

  test('temperature is honoured (0.07 by default)', () => {
    torch.tidy(() => {
      const w = makeWorld(2, 3);
      const { features, collective } = setup(w, 0);
      close(gdtLoss({ hypothesis: 7, features, collective }).loss.item() as number, gdtJs(7, 'paper', w, 0.07).total, 'default');
      close(gdtLoss({ hypothesis: 7, features, collective, temperature: 0.5 }).loss.item() as number, gdtJs(7, 'paper', w, 0.5).total, 'tau 0.5');
    });
  });
});

describe('gradients reach only the queries', () => {
  for (const h of HYPOTHESIS_IDS) {
    test(`hypothesis ${h}: each feature's grad is the sum of its query terms`, () => {
      torch.tidy(() => {
        for (const mode of MODES) {
          const w = makeWorld(2, 20 + h);
          const { features, collective } = setup(w, 1);
          const { loss } = gdtLoss({ hypothesis: h, mode, features, collective });
          loss.backward();
          const want = gdtJs(h, mode, w);
          const queries = new Set(specTerms(h, mode).map((t) => t.q));
          const used = new Set(specTerms(h, mode).flatMap((t) => [t.q, t.k, ...t.m.map((n) => n.feat)]));
          for (const f of NAMES) {
            const g = features[f]!.grad;
            if (queries.has(f)) closeMat(g, want.grads[f]!, `${mode} d/d${f}`);
            else assert.equal(g, undefined, `${mode}: ${f} is ${used.has(f) ? 'only a key' : 'unused'} and gets no gradient`);
          }
        }
      });
    });
  }

  test('keys and negatives are detached: a key-only tensor gets no gradient', () => {
    torch.tidy(() => {
      const q = torch.tensor(randMat(1, N, C), { dtype: 'float64', requiresGrad: true });
      const k = torch.tensor(randMat(2, N, C), { dtype: 'float64', requiresGrad: true });
      const m = torch.tensor(randMat(3, 2, C), { dtype: 'float64', requiresGrad: true });
      const loss = nceLoss(q, k, [m]);
      loss.backward();
      assert.equal(k.grad, undefined, 'positive keys');
      assert.equal(m.grad, undefined, 'extra negatives');
      assert.ok(q.grad, 'queries');
    });
  });

  test('the query-only gradient differs from the full derivative (the check above is sensitive)', () => {
    torch.tidy(() => {
      // Hypothesis 3: AR is a query (lb, l1) and a key of V's terms. Its autograd gradient equals
      // the JS query-only sum and not the finite-difference derivative of the whole loss.
      const w = makeWorld(2, 5);
      const { features, collective } = setup(w, 0);
      const { loss } = gdtLoss({ hypothesis: 3, features, collective });
      loss.backward();
      const g = features.AR!.grad!.toArray() as number[][];
      closeMat(features.AR!.grad, gdtJs(3, 'paper', w).grads.AR!, 'd/dAR');
      const eps = 1e-6;
      const shifted = (d: number): number => {
        const local = { ...w.local, AR: w.local.AR!.map((r, i) => r.map((v, j) => (i === 0 && j === 0 ? v + d : v))) };
        return gdtJs(3, 'paper', { ...w, local }).total;
      };
      const full = (shifted(eps) - shifted(-eps)) / (2 * eps);
      assert.ok(Math.abs(full - g[0]![0]!) > 1e-4, `full derivative ${full} vs query-only ${g[0]![0]}`);
    });
  });
});

describe('single process (world size 1)', () => {
  for (const mode of MODES) {
    test(`all nine hypotheses run in ${mode} mode with a 256-d float32 batch`, () => {
      torch.tidy(() => {
        torch.manualSeed(0);
        const features: Record<string, Tensor> = {};
        for (const f of NAMES) features[f] = torch.F.normalize(torch.randn([8, 256]), 2, 1).requiresGrad_(true);
        for (const h of HYPOTHESIS_IDS) {
          const { loss, terms } = gdtLoss({ hypothesis: h, mode, features });
          const v = loss.item() as number;
          assert.ok(Number.isFinite(v) && v > 0, `hypothesis ${h}: loss ${v}`);
          assert.ok(terms.every((t) => Number.isFinite(t.value)), `hypothesis ${h}: term values finite`);
          loss.backward();
        }
        for (const f of NAMES) {
          const g = features[f]!.grad!;
          assert.ok(g.isfinite().all().item(), `${f}: finite gradient`);
        }
      });
    });
  }

  test('missing features are named in the error', () => {
    const V = torch.randn([2, 4]);
    const A = torch.randn([2, 4]);
    assert.throws(() => gdtLoss({ hypothesis: 'i_reversal', features: { V, A } }), /needs features V, A, VR, AR; missing VR, AR/);
    assert.throws(() => gdtLoss({ hypothesis: 1, features: { V, A: torch.randn([3, 4]) } }), /feature A has shape \[3,4\]/);
    torch.disposeAll([V, A]);
  });

  test('no tensors leak', () => {
    const w = makeWorld(2, 9);
    const { features, collective } = setup(w, 0);
    const before = torch.memory.liveTensors();
    for (let i = 0; i < 3; i++) {
      const { loss } = gdtLoss({ hypothesis: 9, mode: 'reference', features, collective, numNegatives: 4, generator: new torch.Generator({ seed: i }) });
      loss.backward();
      loss.dispose();
    }
    // Reading .grad makes handles; only the accumulated .grad buffers live on the leaves (not counted as handles).
    assert.equal(torch.memory.liveTensors(), before);
  });
});

describe('negative subsampling (numNegatives)', () => {
  // Deterministic sampler: row i takes candidates (i + j) mod candidates, j < k.
  const rotating: NegativeSampler = (rows, candidates, k) =>
    torch.tensor(
      Array.from({ length: rows }, (_, i) => Array.from({ length: k }, (_, j) => (i + j) % candidates)),
      { dtype: 'int64' },
    );
  // The same rule by hand: candidate c of row i is column c (c < i) or c + 1 (c >= i).
  const rotatingPick =
    (k: number): Pick =>
    (i, columns) =>
      Array.from({ length: k }, (_, j) => {
        const c = (i + j) % (columns - 1);
        return c < i ? c : c + 1;
      });

  test('each query sees exactly k negatives: hand computation with a deterministic sampler', () => {
    torch.tidy(() => {
      for (const k of [1, 2, 5]) {
        for (const mode of MODES) {
          const w = makeWorld(2, 40 + k);
          const { features, collective } = setup(w, 0);
          const got = gdtLoss({ hypothesis: 7, mode, features, collective, numNegatives: k, sampler: rotating });
          const want = gdtJs(7, mode, w, 0.07, { pick: rotatingPick(k) });
          close(got.loss.item() as number, want.total, `k=${k} ${mode}`);
          got.loss.backward();
          closeMat(features.V!.grad, want.grads.V!, `k=${k} ${mode} d/dV`);
        }
      }
    });
  });

  test('generator draws: k distinct negatives per row, never the positive, reproducible by seed', () => {
    torch.tidy(() => {
      const q = torch.tensor(randMat(1, 5, C), { dtype: 'float64' });
      const k = torch.tensor(randMat(2, 5, C), { dtype: 'float64' });
      const m = torch.tensor(randMat(3, 7, C), { dtype: 'float64' });
      const full = nceLogits(q, k, [m]).logits.toArray() as number[][];
      const draw = (seed: number): number[][] =>
        nceLogits(q, k, [m], { numNegatives: 6, generator: new torch.Generator({ seed }) }).logits.toArray() as number[][];
      const a = draw(11);
      assert.deepEqual(draw(11), a, 'same seed, same negatives');
      assert.notDeepEqual(draw(12), a, 'another seed, other negatives');
      a.forEach((row, i) => {
        assert.equal(row.length, 7, 'positive + 6 negatives');
        assert.equal(row[0], full[i]![i], 'positive first');
        const cols = row.slice(1).map((v) => full[i]!.indexOf(v));
        assert.ok(cols.every((c) => c >= 0 && c !== i), `row ${i}: negatives are other columns`);
        assert.equal(new Set(cols).size, 6, `row ${i}: distinct negatives`);
      });
      // Every candidate is reachable: over many draws each of the 11 candidates of row 0 shows up.
      const seen = new Set<number>();
      for (let s = 0; s < 40; s++) draw(100 + s)[0]!.slice(1).forEach((v) => seen.add(full[0]!.indexOf(v)));
      assert.equal(seen.size, 11);
    });
  });

  test('k out of range and bad samplers are errors', () => {
    torch.tidy(() => {
      const { features } = setup(makeWorld(1, 2), 0);
      // Hypothesis 1 alone: N - 1 = 2 negatives per query.
      assert.throws(() => gdtLoss({ hypothesis: 1, features, numNegatives: 3 }), /numNegatives must be an integer in \[1, 2\]/);
      assert.throws(() => gdtLoss({ hypothesis: 1, features, numNegatives: 0 }), /numNegatives/);
      const bad: NegativeSampler = (rows) => torch.full([rows, 1], 5, { dtype: 'int64' });
      assert.throws(() => gdtLoss({ hypothesis: 1, features, numNegatives: 1, sampler: bad }), /indices in \[5, 5\]/);
    });
  });
});

describe('video-text GDT (features V, T and their transformations)', () => {
  const TEXT = ['V', 'T', 'VR', 'TR', 'V2', 'T2', 'V2R', 'T2R'];
  const rename = (f: string): string => f.replace('A', 'T');

  test('all hypotheses, both modes, world 2: the audio tables with T for A', () => {
    torch.tidy(() => {
      for (const h of HYPOTHESIS_IDS) {
        for (const mode of MODES) {
          const w = makeWorld(2, 60 + h, TEXT);
          // Max-pooling makes a reversed caption's embedding equal the caption's (SPEC 5.9).
          w.local.TR = w.local.T!.map((r) => [...r]);
          w.local.T2R = w.local.T2!.map((r) => [...r]);
          const { features, collective } = setup(w, 1);
          const got = gdtLoss({ hypothesis: h, mode, features, collective, modality: 'text' });
          const want = gdtJs(h, mode, w, 0.07, { rename });
          close(got.loss.item() as number, want.total, `hypothesis ${h} ${mode}`);
          assert.deepEqual(
            got.terms.map((t) => t.name),
            want.terms.map((t) => t.name),
          );
          assert.ok(got.terms.every((t) => !t.name.includes('A')));
          got.loss.backward();
          closeMat(features.T!.grad, want.grads.T!, `hypothesis ${h} ${mode} d/dT`);
        }
      }
    });
  });

  test('text mode asks for T features', () => {
    const V = torch.randn([2, 4]);
    const A = torch.randn([2, 4]);
    assert.throws(() => gdtLoss({ hypothesis: 1, modality: 'text', features: { V, A } }), /needs features V, T; missing T/);
    torch.disposeAll([V, A]);
  });
});
