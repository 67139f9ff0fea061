// stft / istft / fft / rfft / irfft and window functions against float64 DFTs and closed forms.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, flat, assertClose, assertMeta, randArray, t64 } from './helpers.js';

const F = torch.F;
const tol = { rtol: 1e-10, atol: 1e-10 };

/** DFT of a real or complex sequence: returns [re, im] pairs for bins 0..nBins-1. */
function dft(re: number[], im: number[] | undefined, nBins: number, sign = -1): [number, number][] {
  const N = re.length;
  const out: [number, number][] = [];
  for (let f = 0; f < nBins; f++) {
    let sr = 0;
    let si = 0;
    for (let k = 0; k < N; k++) {
      const a = (sign * 2 * Math.PI * f * k) / N;
      const xr = re[k]!;
      const xi = im ? im[k]! : 0;
      sr += xr * Math.cos(a) - xi * Math.sin(a);
      si += xr * Math.sin(a) + xi * Math.cos(a);
    }
    out.push([sr, si]);
  }
  return out;
}

function reflectPad(x: number[], p: number): number[] {
  const n = x.length;
  const out: number[] = [];
  for (let i = -p; i < n + p; i++) out.push(x[i < 0 ? -i : i >= n ? 2 * (n - 1) - i : i]!);
  return out;
}

interface StftRef {
  hop?: number;
  winLength?: number;
  window?: number[];
  center?: boolean;
  padMode?: 'reflect' | 'constant';
  normalized?: boolean;
  onesided?: boolean;
}
/** torch.stft(return_complex=True) in float64, laid out [freq][frame] as [re, im]. */
function stftRef(x: number[], nFft: number, o: StftRef = {}): [number, number][][] {
  const hop = o.hop ?? Math.floor(nFft / 4);
  const wl = o.winLength ?? nFft;
  const win = o.window ?? new Array<number>(wl).fill(1);
  const full = new Array<number>(nFft).fill(0);
  const left = Math.floor((nFft - wl) / 2);
  win.forEach((w, i) => (full[left + i] = w));
  const p = Math.floor(nFft / 2);
  const sig =
    o.center ?? true
      ? o.padMode === 'constant'
        ? [...new Array<number>(p).fill(0), ...x, ...new Array<number>(p).fill(0)]
        : reflectPad(x, p)
      : x;
  const frames = 1 + Math.floor((sig.length - nFft) / hop);
  const bins = o.onesided ?? true ? Math.floor(nFft / 2) + 1 : nFft;
  const scale = o.normalized ? 1 / Math.sqrt(nFft) : 1;
  const cols: [number, number][][] = [];
  for (let t = 0; t < frames; t++) {
    const seg = full.map((w, k) => w * sig[t * hop + k]!);
    cols.push(dft(seg, undefined, bins).map(([r, i]) => [r * scale, i * scale]));
  }
  return Array.from({ length: bins }, (_, f) => cols.map((c) => c[f]!));
}

const sig = randArray(40, 1, -1, 1);
const hann = (n: number, periodic = true) => {
  const N = periodic ? n : n - 1;
  return Array.from({ length: n }, (_, i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N));
};

describe('stft', () => {
  function check(nFft: number, o: StftRef, opts: Parameters<typeof F.stft>[2], x = sig): void {
    const ref = stftRef(x, nFft, o);
    const y = F.stft(t64(x, [x.length]), nFft, opts);
    assertMeta(y, [ref.length, ref[0]!.length], 'complex128');
    assertClose(F.viewAsReal(y), ref.flat(2), tol);
  }

  test('hann window, default hop (nFft/4), center with reflect padding', () => {
    check(8, { window: hann(8) }, { window: F.hannWindow(8, { dtype: 'float64' }) });
  });

  test('explicit hop length and a rectangular window', () => {
    check(16, { hop: 5 }, { hopLength: 5 });
  });

  test('winLength < nFft: the window is zero-padded in the middle of the frame', () => {
    check(16, { hop: 4, winLength: 10, window: hann(10) }, { hopLength: 4, winLength: 10, window: F.hannWindow(10, { dtype: 'float64' }) });
  });

  test('center=false; constant padding; normalized; two-sided', () => {
    check(8, { hop: 3, center: false, window: hann(8) }, { hopLength: 3, center: false, window: F.hannWindow(8, { dtype: 'float64' }) });
    check(8, { hop: 2, padMode: 'constant' }, { hopLength: 2, padMode: 'constant' });
    check(8, { hop: 4, normalized: true, window: hann(8) }, { hopLength: 4, normalized: true, window: F.hannWindow(8, { dtype: 'float64' }) });
    check(8, { hop: 4, onesided: false }, { hopLength: 4, onesided: false });
  });

  test('batched input [B, T] gives [B, freq, frames]', () => {
    const x2 = randArray(2 * 24, 2);
    const y = F.stft(t64(x2, [2, 24]), 8, { hopLength: 4, window: F.hannWindow(8, { dtype: 'float64' }) });
    assertMeta(y, [2, 5, 7], 'complex128');
    for (let b = 0; b < 2; b++) {
      const ref = stftRef(x2.slice(b * 24, (b + 1) * 24), 8, { hop: 4, window: hann(8) });
      assertClose(F.viewAsReal(y.index(b)), ref.flat(2), tol);
    }
  });

  test('magnitude of a pure tone peaks at its bin', () => {
    const n = 64;
    const tone = Array.from({ length: 256 }, (_, i) => Math.cos((2 * Math.PI * 8 * i) / n));
    const mag = F.stft(t64(tone, [256]), n, { hopLength: 16, window: F.hannWindow(n, { dtype: 'float64' }) }).abs();
    const mid = mag.index(':, 8').toArray() as number[];
    assert.equal(mid.indexOf(Math.max(...mid)), 8);
    // a hann-windowed cosine at an exact bin: |X[8]| = N/4
    assert.ok(Math.abs(mid[8]! - n / 4) < 1e-9, `peak ${mid[8]}`);
  });

  test('istft inverts stft (hann, hop nFft/4)', () => {
    const w = F.hannWindow(16, { dtype: 'float64' });
    const spec = F.stft(t64(sig, [40]), 16, { hopLength: 4, window: w });
    const back = F.istft(spec, 16, { hopLength: 4, window: w, length: 40 });
    assertMeta(back, [40], 'float64');
    assertClose(back, sig, { rtol: 1e-9, atol: 1e-10 });
  });
});

describe('fft / rfft / irfft', () => {
  const x = randArray(12, 3);
  test('rfft against the DFT (n/2 + 1 bins)', () => {
    const y = F.rfft(t64(x, [12]));
    assertMeta(y, [7], 'complex128');
    assertClose(F.viewAsReal(y), dft(x, undefined, 7).flat(), tol);
  });

  test('rfft with n (zero padding / truncation) and along a dim', () => {
    assertClose(F.viewAsReal(F.rfft(t64(x, [12]), 16)), dft([...x, 0, 0, 0, 0], undefined, 9).flat(), tol);
    assertClose(F.viewAsReal(F.rfft(t64(x, [12]), 8)), dft(x.slice(0, 8), undefined, 5).flat(), tol);
    const m = F.rfft(t64(x, [3, 4]), undefined, 0);
    assertMeta(m, [2, 4], 'complex128');
    const col1 = dft([x[1]!, x[5]!, x[9]!], undefined, 2);
    assertClose(F.viewAsReal(m.index(':, 1')), col1.flat(), tol);
  });

  test('norm modes scale by 1/n (forward) and 1/sqrt(n) (ortho)', () => {
    const ref = dft(x, undefined, 7).flat();
    assertClose(F.viewAsReal(F.rfft(t64(x, [12]), undefined, -1, 'forward')), ref.map((v) => v / 12), tol);
    assertClose(F.viewAsReal(F.rfft(t64(x, [12]), undefined, -1, 'ortho')), ref.map((v) => v / Math.sqrt(12)), tol);
  });

  test('fft of real input: all n bins, conjugate symmetric', () => {
    const y = F.fft(t64(x, [12]));
    assertMeta(y, [12], 'complex128');
    const ref = dft(x, undefined, 12);
    assertClose(F.viewAsReal(y), ref.flat(), tol);
    for (let f = 1; f < 12; f++) {
      assert.ok(Math.abs(ref[f]![0] - ref[12 - f]![0]) < 1e-12 && Math.abs(ref[f]![1] + ref[12 - f]![1]) < 1e-12);
    }
  });

  test('fft of complex input', () => {
    const re = randArray(6, 4);
    const im = randArray(6, 5);
    const z = F.viewAsComplex(t64(re.flatMap((r, i) => [r, im[i]!]), [6, 2]));
    assertClose(F.viewAsReal(F.fft(z)), dft(re, im, 6).flat(), tol);
  });

  test('irfft inverts rfft (even and odd lengths)', () => {
    assertClose(F.irfft(F.rfft(t64(x, [12]))), x, tol);
    const odd = x.slice(0, 11);
    assertClose(F.irfft(F.rfft(t64(odd, [11])), 11), odd, tol);
  });
});

describe('window functions', () => {
  const I0 = (z: number) => {
    let s = 1;
    let term = 1;
    for (let k = 1; k < 60; k++) {
      term *= (z / 2 / k) ** 2;
      s += term;
    }
    return s;
  };
  for (const n of [1, 2, 5, 8]) {
    for (const periodic of [true, false]) {
      test(`n=${n} periodic=${periodic}`, () => {
        const N = periodic ? n : n - 1;
        const c = (f: (i: number) => number) => Array.from({ length: n }, (_, i) => (n === 1 ? 1 : f(i)));
        const o = { periodic, dtype: 'float64' as const };
        assertClose(F.hannWindow(n, o), c((i) => 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N)), tol);
        assertClose(F.hammingWindow(n, o), c((i) => 0.54 - 0.46 * Math.cos((2 * Math.PI * i) / N)), tol);
        assertClose(
          F.blackmanWindow(n, o),
          c((i) => 0.42 - 0.5 * Math.cos((2 * Math.PI * i) / N) + 0.08 * Math.cos((4 * Math.PI * i) / N)),
          { rtol: 1e-10, atol: 1e-12 },
        );
        assertClose(F.bartlettWindow(n, o), c((i) => 1 - Math.abs((2 * i) / N - 1)), tol);
        const M = periodic ? n + 1 : n;
        assertClose(
          F.kaiserWindow(n, { ...o, beta: 5 }),
          c((i) => I0(5 * Math.sqrt(Math.max(0, 1 - ((2 * i) / (M - 1) - 1) ** 2))) / I0(5)),
          { rtol: 1e-9, atol: 1e-12 },
        );
      });
    }
  }

  test('defaults: periodic, float32', () => {
    const w = F.hannWindow(4);
    assertMeta(w, [4], 'float32');
    assert.deepEqual(flat(w), [0, 0.5, 1, 0.5]);
    assert.deepEqual(flat(F.hannWindow(5, { periodic: false })), [0, 0.5, 1, 0.5, 0]);
    assertClose(F.hammingWindow(4), [0.08, 0.54, 1, 0.54], { rtol: 1e-6 });
  });
});
