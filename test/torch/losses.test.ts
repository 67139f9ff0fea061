// Loss functions against float64 formulas in JS: crossEntropy (label smoothing, ignoreIndex,
// weights, probability targets), nllLoss, regression and binary losses, KL divergence.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, flat, assertClose, assertMeta, randArray, t64, assertThrowsMsg } from './helpers.js';

const F = torch.F;
const tol = { rtol: 1e-12, atol: 1e-13 };

function logSoftmaxRows(x: number[], n: number, c: number): number[][] {
  return Array.from({ length: n }, (_, i) => {
    const row = x.slice(i * c, (i + 1) * c);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((a, v) => a + Math.exp(v - m), 0));
    return row.map((v) => v - lse);
  });
}

interface CeRef {
  weight?: number[];
  ignoreIndex?: number;
  labelSmoothing?: number;
  reduction?: 'mean' | 'sum' | 'none';
}
/** PyTorch's cross_entropy with class-index targets, in float64. */
function crossEntropyRef(x: number[], n: number, c: number, target: number[], o: CeRef = {}): number[] {
  const lp = logSoftmaxRows(x, n, c);
  const w = o.weight ?? new Array<number>(c).fill(1);
  const eps = o.labelSmoothing ?? 0;
  const ig = o.ignoreIndex ?? -100;
  const nll: number[] = [];
  const smooth: number[] = [];
  let wsum = 0;
  target.forEach((y, i) => {
    if (y === ig) {
      nll.push(0);
      smooth.push(0);
      return;
    }
    nll.push(-w[y]! * lp[i]![y]!);
    smooth.push(-lp[i]!.reduce((a, v, k) => a + v * w[k]!, 0));
    wsum += w[y]!;
  });
  const red = o.reduction ?? 'mean';
  if (red === 'none') return nll.map((v, i) => (1 - eps) * v + (eps / c) * smooth[i]!);
  const sn = nll.reduce((a, b) => a + b, 0);
  const ss = smooth.reduce((a, b) => a + b, 0);
  if (red === 'sum') return [(1 - eps) * sn + (eps / c) * ss];
  return [(1 - eps) * (sn / wsum) + (eps / c) * (ss / wsum)];
}

const N = 5;
const C = 4;
const logits = randArray(N * C, 1, -3, 3);
const target = [0, 3, 1, 1, 2];
const L = () => t64(logits, [N, C]);
const T = (t: number[] = target) => torch.tensor(t);

describe('crossEntropy with class indices', () => {
  test('mean / sum / none', () => {
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      const r = F.crossEntropy(L(), T(), { reduction });
      assertMeta(r, reduction === 'none' ? [N] : [], 'float64');
      assertClose(r, crossEntropyRef(logits, N, C, target, { reduction }), tol);
    }
  });

  test('a hand-computed value: uniform logits give log(C)', () => {
    assertClose(F.crossEntropy(torch.zeros([3, 4], { dtype: 'float64' }), T([0, 1, 2])), [Math.log(4)], tol);
  });

  test('labelSmoothing', () => {
    for (const eps of [0.1, 0.3]) {
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        assertClose(F.crossEntropy(L(), T(), { labelSmoothing: eps, reduction }), crossEntropyRef(logits, N, C, target, { labelSmoothing: eps, reduction }), {
          ...tol,
          msg: `eps=${eps} ${reduction}`,
        });
      }
    }
  });

  test('ignoreIndex excludes samples from the loss and from the mean', () => {
    const tg = [0, -100, 1, -100, 2];
    assertClose(F.crossEntropy(L(), T(tg)), crossEntropyRef(logits, N, C, tg), tol);
    const tg2 = [0, 3, 3, 1, 3];
    assertClose(F.crossEntropy(L(), T(tg2), { ignoreIndex: 3 }), crossEntropyRef(logits, N, C, tg2, { ignoreIndex: 3 }), tol);
    const none = F.crossEntropy(L(), T(tg2), { ignoreIndex: 3, reduction: 'none' });
    assert.deepEqual([1, 2, 4].map((i) => flat(none)[i]), [0, 0, 0]);
  });

  test('ignoreIndex together with labelSmoothing', () => {
    const tg = [0, -100, 1, -100, 2];
    for (const reduction of ['mean', 'sum', 'none'] as const) {
      assertClose(
        F.crossEntropy(L(), T(tg), { labelSmoothing: 0.2, reduction }),
        crossEntropyRef(logits, N, C, tg, { labelSmoothing: 0.2, reduction }),
        { ...tol, msg: reduction },
      );
    }
  });

  test('class weights (weighted mean), also with smoothing and ignoreIndex', () => {
    const w = [0.5, 2, 1, 3];
    assertClose(F.crossEntropy(L(), T(), { weight: t64(w, [4]) }), crossEntropyRef(logits, N, C, target, { weight: w }), tol);
    const tg = [0, 3, -1, 1, 2];
    assertClose(
      F.crossEntropy(L(), T(tg), { weight: t64(w, [4]), labelSmoothing: 0.15, ignoreIndex: -1 }),
      crossEntropyRef(logits, N, C, tg, { weight: w, labelSmoothing: 0.15, ignoreIndex: -1 }),
      tol,
    );
  });

  test('spatial inputs [N, C, L] with targets [N, L]', () => {
    // logits laid out [N=2, C=3, L=2]
    const x = randArray(12, 2);
    const tg = [[2, 0], [1, 1]];
    const rows: number[] = [];
    const flatT: number[] = [];
    for (let n = 0; n < 2; n++) for (let l = 0; l < 2; l++) {
      for (let c = 0; c < 3; c++) rows.push(x[n * 6 + c * 2 + l]!);
      flatT.push(tg[n]![l]!);
    }
    assertClose(F.crossEntropy(t64(x, [2, 3, 2]), torch.tensor(tg)), crossEntropyRef(rows, 4, 3, flatT), tol);
  });

  test('probability targets, with label smoothing', () => {
    const probs = randArray(N * C, 3, 0.1, 1);
    const rows = Array.from({ length: N }, (_, i) => {
      const r = probs.slice(i * C, (i + 1) * C);
      const s = r.reduce((a, b) => a + b, 0);
      return r.map((v) => v / s);
    });
    const lp = logSoftmaxRows(logits, N, C);
    for (const eps of [0, 0.2]) {
      const per = rows.map((r, i) => -r.reduce((a, p, c) => a + (p * (1 - eps) + eps / C) * lp[i]![c]!, 0));
      const r = F.crossEntropy(L(), t64(rows.flat(), [N, C]), { labelSmoothing: eps });
      assertClose(r, [per.reduce((a, b) => a + b, 0) / N], tol);
    }
  });

  test('a target out of range is libtorch\'s error', () => {
    assertThrowsMsg(() => F.crossEntropy(L(), T([0, 1, 2, 3, 4])), Error, /Target 4 is out of bounds/);
    assertThrowsMsg(() => F.crossEntropy(L(), T(), { reduction: 'avg' as 'mean' }), TypeError, "reduction must be 'none', 'mean' or 'sum'");
  });
});

describe('nllLoss', () => {
  const lp = logSoftmaxRows(logits, N, C);
  const LP = () => t64(lp.flat(), [N, C]);
  test('mean / sum / none, against -logp[y]', () => {
    const per = target.map((y, i) => -lp[i]![y]!);
    assertClose(F.nllLoss(LP(), T()), [per.reduce((a, b) => a + b, 0) / N], tol);
    assertClose(F.nllLoss(LP(), T(), { reduction: 'sum' }), [per.reduce((a, b) => a + b, 0)], tol);
    assertClose(F.nllLoss(LP(), T(), { reduction: 'none' }), per, tol);
  });

  test('weights and ignoreIndex', () => {
    const w = [1, 0.5, 2, 4];
    const tg = [0, 3, 7, 1, 2];
    let num = 0;
    let den = 0;
    tg.forEach((y, i) => {
      if (y === 7) return;
      num += -w[y]! * lp[i]![y]!;
      den += w[y]!;
    });
    assertClose(F.nllLoss(LP(), T(tg), { weight: t64(w, [4]), ignoreIndex: 7 }), [num / den], tol);
  });

  test('crossEntropy equals nllLoss of logSoftmax', () => {
    assertClose(F.crossEntropy(L(), T()), flat(F.nllLoss(F.logSoftmax(L(), 1), T())), tol);
  });
});

describe('regression and binary losses', () => {
  const a = randArray(12, 5, -2, 2);
  const b = randArray(12, 6, -2, 2);
  const A = () => t64(a, [3, 4]);
  const B = () => t64(b, [3, 4]);
  const mean = (v: number[]) => v.reduce((x, y) => x + y, 0) / v.length;
  const sum = (v: number[]) => v.reduce((x, y) => x + y, 0);

  test('mseLoss / l1Loss', () => {
    const se = a.map((v, i) => (v - b[i]!) ** 2);
    const ae = a.map((v, i) => Math.abs(v - b[i]!));
    assertClose(F.mseLoss(A(), B()), [mean(se)], tol);
    assertClose(F.mseLoss(A(), B(), 'sum'), [sum(se)], tol);
    assertClose(F.mseLoss(A(), B(), 'none'), se, tol);
    assertClose(F.l1Loss(A(), B()), [mean(ae)], tol);
    assertClose(F.l1Loss(A(), B(), 'sum'), [sum(ae)], tol);
  });

  test('smoothL1Loss with beta', () => {
    for (const beta of [1, 0.5]) {
      const per = a.map((v, i) => {
        const d = Math.abs(v - b[i]!);
        return d < beta ? (0.5 * d * d) / beta : d - 0.5 * beta;
      });
      assertClose(F.smoothL1Loss(A(), B(), 'mean', beta), [mean(per)], tol);
      assertClose(F.smoothL1Loss(A(), B(), 'none', beta), per, tol);
    }
  });

  test('binaryCrossEntropy (with weight) and binaryCrossEntropyWithLogits (with posWeight)', () => {
    const p = a.map((v) => 1 / (1 + Math.exp(-v)));
    const y = b.map((v) => (v > 0 ? 1 : v > -1 ? 0.3 : 0));
    const P = () => t64(p, [3, 4]);
    const Y = () => t64(y, [3, 4]);
    const bce = p.map((pi, i) => -(y[i]! * Math.log(pi) + (1 - y[i]!) * Math.log(1 - pi)));
    assertClose(F.binaryCrossEntropy(P(), Y()), [mean(bce)], tol);
    const w = randArray(4, 7, 0.5, 2);
    assertClose(F.binaryCrossEntropy(P(), Y(), t64(w, [4]), 'sum'), [sum(bce.map((v, i) => v * w[i % 4]!))], tol);
    assertClose(F.binaryCrossEntropyWithLogits(A(), Y()), [mean(bce)], tol);
    const pw = [1, 2, 0.5, 3];
    const withPw = p.map((pi, i) => -(pw[i % 4]! * y[i]! * Math.log(pi) + (1 - y[i]!) * Math.log(1 - pi)));
    assertClose(F.binaryCrossEntropyWithLogits(A(), Y(), { posWeight: t64(pw, [4]), reduction: 'none' }), withPw, { rtol: 1e-10, atol: 1e-12 });
  });

  test('klDiv with log-probability input, target as probabilities or log-probabilities', () => {
    const lq = logSoftmaxRows(a, 3, 4).flat();
    const pr = logSoftmaxRows(b, 3, 4).flat().map(Math.exp);
    const per = pr.map((t, i) => t * (Math.log(t) - lq[i]!));
    assertClose(F.klDiv(t64(lq, [3, 4]), t64(pr, [3, 4])), [mean(per)], tol);
    assertClose(F.klDiv(t64(lq, [3, 4]), t64(pr, [3, 4]), 'sum'), [sum(per)], tol);
    assertClose(F.klDiv(t64(lq, [3, 4]), t64(pr.map(Math.log), [3, 4]), 'none', true), per, tol);
  });
});
