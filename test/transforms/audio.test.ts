// Audio features: the log filterbank against an independent float64 implementation written here
// in plain JavaScript, get_spec against the Python reference (fixture), shapes, SpecAugment, time
// warp, volume jitter, reversal, and the compat cases of SPEC 13.31 / 13.32.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../src/index.js';
import * as T from '../../src/transforms/index.js';
import { arr, fixtureTensor, loadReference, maxAbsDiff, synthWav, synthWavArray, type F32 } from './helpers.js';

// ---------------------------------------------------------------- independent float64 logfbank
/** python_speech_features 0.6 logfbank, rectangular window, from its definition (no tensors). */
function jsLogFbank(x: ArrayLike<number>, sr: number, nfilt: number, nfft = 1024): number[][] {
  const mel = (f: number) => 2595 * Math.log10(1 + f / 700);
  const hz = (m: number) => 700 * (Math.pow(10, m / 2595) - 1);
  const lo = mel(0);
  const hi = mel(sr / 2);
  const bins: number[] = [];
  for (let i = 0; i < nfilt + 2; i++) bins.push(Math.floor(((nfft + 1) * hz(i === nfilt + 1 ? hi : lo + ((hi - lo) * i) / (nfilt + 1))) / sr));
  const nb = nfft / 2 + 1;
  const fb: number[][] = [];
  for (let j = 0; j < nfilt; j++) {
    const row = new Array<number>(nb).fill(0);
    for (let i = bins[j]!; i < bins[j + 1]!; i++) row[i] = (i - bins[j]!) / (bins[j + 1]! - bins[j]!);
    for (let i = bins[j + 1]!; i < bins[j + 2]!; i++) row[i] = (bins[j + 2]! - i) / (bins[j + 2]! - bins[j + 1]!);
    fb.push(row);
  }
  const n = x.length;
  const y = new Float64Array(n);
  y[0] = x[0]!;
  for (let i = 1; i < n; i++) y[i] = x[i]! - 0.97 * x[i - 1]!;
  const flen = Math.round(0.02 * sr);
  const step = Math.round(0.01 * sr);
  const frames = n <= flen ? 1 : 1 + Math.ceil((n - flen) / step);
  const cos = new Float64Array(nfft);
  const sin = new Float64Array(nfft);
  for (let k = 0; k < nfft; k++) {
    cos[k] = Math.cos((2 * Math.PI * k) / nfft);
    sin[k] = Math.sin((2 * Math.PI * k) / nfft);
  }
  const out: number[][] = [];
  const pow = new Float64Array(nb);
  for (let f = 0; f < frames; f++) {
    for (let k = 0; k < nb; k++) {
      let re = 0;
      let im = 0;
      for (let t = 0; t < flen; t++) {
        const idx = f * step + t;
        const v = idx < n ? y[idx]! : 0;
        const p = (k * t) % nfft;
        re += v * cos[p]!;
        im -= v * sin[p]!;
      }
      pow[k] = (re * re + im * im) / nfft;
    }
    out.push(
      fb.map((row) => {
        let e = 0;
        for (let k = 0; k < nb; k++) e += pow[k]! * row[k]!;
        return Math.log(e === 0 ? 2.220446049250313e-16 : e);
      }),
    );
  }
  return out;
}

test('log filterbank (40 filters, 1 s) equals an independent float64 DFT implementation', () => {
  const x = synthWavArray(24000);
  const want = jsLogFbank(x, 24000, 40);
  torch.tidy(() => {
    const got = T.logFilterbank(torch.tensor(x), { sampleRate: 24000, nfilt: 40 });
    assert.deepEqual(got.shape, [99, 40]);
    assert.equal(got.dtype, 'float64');
    const g = arr(got);
    let err = 0;
    want.forEach((row, f) => row.forEach((v, j) => (err = Math.max(err, Math.abs(v - g[f * 40 + j]!)))));
    assert.ok(err < 1e-6, `float64 max abs error ${err}`);
    // Through getSpec (float32, (1, F, S)): still within 1e-3 in the log domain.
    const spec = T.getSpec(torch.tensor(x), 0, T.seededStreams(0), { specType: 1 });
    const s = arr(spec);
    let e32 = 0;
    want.forEach((row, f) => row.forEach((v, j) => (e32 = Math.max(e32, Math.abs(v - s[j * 99 + f]!)))));
    assert.ok(e32 < 1e-3, `float32 max abs error ${e32}`);
  });
});

test('log filterbank (257 filters, short and odd lengths) equals the independent implementation', () => {
  for (const n of [300, 480, 481, 2000]) {
    const x = synthWavArray(n + 500).subarray(500);
    const want = jsLogFbank(x, 24000, 257);
    torch.tidy(() => {
      const g = arr(T.logFilterbank(torch.tensor(x), { sampleRate: 24000, nfilt: 257 }));
      assert.equal(g.length, want.length * 257, `frames for ${n} samples`);
      let err = 0;
      want.forEach((row, f) => row.forEach((v, j) => (err = Math.max(err, Math.abs(v - g[f * 257 + j]!)))));
      assert.ok(err < 1e-6, `n=${n}: max abs error ${err}`);
    });
  }
  assert.equal(T.numFrames(480, 480, 240), 1);
  assert.equal(T.numFrames(481, 480, 240), 2);
  assert.equal(T.numFrames(24000, 480, 240), 99);
  assert.equal(T.numFrames(48000, 480, 240), 199);
});

test('silence gives ln(eps) = -36.0437 in every filter', () => {
  torch.tidy(() => {
    const z = T.logFilterbank(torch.zeros([1000], { dtype: 'float64' }), { sampleRate: 24000, nfilt: 40 });
    assert.ok(maxAbsDiff(z, torch.fullLike(z, Math.log(2.220446049250313e-16))) === 0);
    assert.ok(Math.abs(Math.log(2.220446049250313e-16) + 36.0437) < 1e-4);
  });
});

interface FbFixture {
  edges: number[];
  zeroRows: number[];
  rowSums: number[];
}

test('mel filterbank edges and the 38 empty filters of type 2 (SPEC 5.5) match numpy', () => {
  const fx = loadReference<{ filterbank: Record<string, FbFixture> }>().filterbank;
  for (const nfilt of [40, 257]) {
    const o = { nfilt, nfft: 1024, sampleRate: 24000 };
    assert.deepEqual(T.melBinEdges(o), fx[String(nfilt)]!.edges);
    const rows = T.melFilterbankRows(o);
    const zero = rows.flatMap((r, j) => (r.every((v) => v === 0) ? [j] : []));
    assert.deepEqual(zero, fx[String(nfilt)]!.zeroRows);
    rows.forEach((r, j) => assert.ok(Math.abs(r.reduce((a, b) => a + b, 0) - fx[String(nfilt)]!.rowSums[j]!) < 1e-12));
  }
  const spec = [0, 2, 3, 5, 6, 8, 9, 11, 13, 14, 16, 18, 19, 21, 23, 25, 27, 28, 30, 32, 34, 36, 38, 41, 43, 45, 47, 50, 52, 55, 58, 61, 64, 68, 71, 76, 82, 94];
  assert.deepEqual(fx['257']!.zeroRows, spec);
  assert.deepEqual(fx['40']!.zeroRows, []);
});

test('spectrogram shapes: 1 s and 2 s, both types', () => {
  torch.tidy(() => {
    const wav = synthWav(60000);
    const rng = T.seededStreams(0);
    assert.deepEqual(T.getSpec(wav, 0.3, rng, { specType: 1 }).shape, [1, 40, 99]);
    assert.deepEqual(T.getSpec(wav, 0.3, rng, { specType: 2 }).shape, [1, 257, 99]);
    assert.deepEqual(T.getSpec(wav, 0.3, rng, { specType: 2, numSec: 2 }).shape, [1, 257, 199]);
    assert.deepEqual(T.getSpec(wav, 0.3, rng, { specType: 2, numSec: 2, compat: 'reference' }).shape, [1, 257, 199]);
    // Correct mode pads to the filter count, so type 1 works for 2 s; the reference fails (13.31).
    assert.deepEqual(T.getSpec(wav, 0.3, rng, { specType: 1, numSec: 2 }).shape, [1, 40, 199]);
    assert.throws(() => T.getSpec(wav, 0.3, rng, { specType: 1, numSec: 2, compat: 'reference' }), /broadcast/);
    const s = T.getSpec(wav, 0.3, rng, { specType: 2 });
    assert.equal(s.dtype, 'float32');
    // Empty filters are constant ln(eps) rows.
    assert.ok(maxAbsDiff(s.index('0, 94'), torch.fullLike(s.index('0, 94'), Math.log(2.220446049250313e-16))) < 1e-5);
  });
});

interface AudioCase {
  name: string;
  len: number;
  start: number;
  numSec: number;
  aug: number[] | null;
  specType: 1 | 2;
  volume: boolean;
  z: boolean;
  seed: number;
  shape: number[];
  out?: F32;
  first?: F32;
  rowSums?: number[];
  colSums?: number[];
}

for (const c of loadReference<{ audio: AudioCase[] }>().audio) {
  test(`compat 'reference' getSpec equals the Python reference (${c.name})`, () => {
    torch.tidy(() => {
      const wav = synthWav(c.len);
      const spec = T.getSpec(wav, c.start, T.seededStreams(c.seed), {
        numSec: c.numSec,
        specType: c.specType,
        volumeJitter: c.volume,
        zNormalize: c.z,
        specAugment: c.aug ?? undefined,
        compat: 'reference',
      });
      assert.deepEqual(spec.shape, c.shape);
      if (c.out) {
        const err = maxAbsDiff(spec, fixtureTensor(c.out));
        assert.ok(err < 1e-4, `max abs error ${err}`);
      } else {
        const first = fixtureTensor(c.first!);
        assert.ok(maxAbsDiff(spec.index('..., 0:6'), first) < 1e-4);
        const rows = arr(spec.index('0').double().sum(1));
        const cols = arr(spec.index('0').double().sum(0));
        rows.forEach((v, i) => assert.ok(Math.abs(v - c.rowSums![i]!) < 1e-3 * Math.max(1, Math.abs(v)), `row ${i}`));
        cols.forEach((v, i) => assert.ok(Math.abs(v - c.colSums![i]!) < 1e-3 * Math.max(1, Math.abs(v)), `col ${i}`));
      }
    });
  });
}

test('segment: round(t0 sr) ties to even; windows past the end move back; short tracks (13.32)', () => {
  torch.tidy(() => {
    const wav = torch.arange(0, 30000, 1, { dtype: 'int16' });
    const first = (t: torch.Tensor) => t.index('0').item();
    // 0.5 / 24000 s -> 0.5 samples -> 0 (even); 1.5 samples -> 2.
    assert.equal(first(T.audioSegment(wav, 0.5 / 24000)), 0);
    assert.equal(first(T.audioSegment(wav, 1.5 / 24000)), 2);
    const end = T.audioSegment(wav, 0.5);
    assert.deepEqual([end.shape[0], first(end)], [24000, 6000]);
    const short = wav.index('0:18000');
    const ref = T.audioSegment(short, 0, { compat: 'reference' });
    assert.deepEqual([ref.shape[0], first(ref)], [6000, 12000], 'reference: only the last 6000 samples');
    const ok = T.audioSegment(short, 0);
    assert.equal(ok.shape[0], 24000);
    assert.equal(maxAbsDiff(ok.index('0:18000'), short.double()), 0);
    assert.equal(ok.index('18000:').abs().sum().item(), 0, 'correct: zero-padded at the end');
    // Correct mode therefore keeps the full shape; the reference gives fewer frames.
    assert.deepEqual(T.getSpec(short, 0, T.seededStreams(0)).shape, [1, 40, 99]);
    assert.deepEqual(T.getSpec(short, 0, T.seededStreams(0), { compat: 'reference' }).shape, [1, 40, 24]);
  });
});

test('volume jitter multiplies by U(0.9, 1.1) (NumPy); z-normalisation is (x - 1.93) / 17.89', () => {
  torch.tidy(() => {
    const x = torch.tensor([1, -2, 300], { dtype: 'int16' });
    const g = new T.NumpyRandomState(5).uniform(0.9, 1.1);
    assert.deepEqual(arr(T.volumeJitter(x, T.seededStreams(5))), [g, -2 * g, 300 * g]);
    const wav = synthWav(30000);
    const plain = T.getSpec(wav, 0.1, T.seededStreams(0));
    const z = T.getSpec(wav, 0.1, T.seededStreams(0), { zNormalize: true });
    assert.ok(maxAbsDiff(z, plain.sub(1.93).div(17.89)) < 1e-6);
  });
});

test('SpecAugment: widths int(U(0, F)) from NumPy, starts U{0..size - width} from Python, zeros', () => {
  torch.tidy(() => {
    const spec = torch.ones([1, 40, 99]);
    for (const [name, [mF, mT, F, Tp]] of Object.entries(T.SPEC_AUGMENT_POLICIES)) {
      for (let seed = 0; seed < 30; seed++) {
        const masks = T.drawSpecMasks(T.seededStreams(seed), 40, 99, T.specAugmentPolicy(name as T.SpecAugmentPolicyName));
        assert.equal(masks.filter((m) => m.axis === 'freq').length, mF);
        assert.equal(masks.filter((m) => m.axis === 'time').length, mT);
        for (const m of masks) {
          const [limit, size] = m.axis === 'freq' ? [F, 40] : [Tp, 99];
          assert.ok(m.width >= 0 && m.width < limit && m.start >= 0 && m.start + m.width <= size);
        }
        const out = T.specAugment(spec, T.seededStreams(seed), name as T.SpecAugmentPolicyName);
        const rowsZero = arr(out.index('0').eq(0).all(1).int());
        const colsZero = arr(out.index('0').eq(0).all(0).int());
        const want = (axis: 'freq' | 'time', n: number) => {
          const z = new Array<number>(n).fill(0);
          for (const m of masks.filter((q) => q.axis === axis)) for (let i = m.start; i < m.start + m.width; i++) z[i] = 1;
          return z;
        };
        assert.deepEqual(rowsZero, want('freq', 40));
        assert.deepEqual(colsZero, want('time', 99));
      }
    }
    // By hand for 'medium': f = int(np U(0, 3)), f0 = py randint(0, 40 - f), then the time mask.
    const np5 = new T.NumpyRandomState(5);
    const py5 = new T.PythonRandom(5);
    const f = Math.trunc(np5.uniform(0, 3));
    const f0 = py5.randint(0, 40 - f);
    const t = Math.trunc(np5.uniform(0, 6));
    const t0 = py5.randint(0, 99 - t);
    assert.deepEqual(T.drawSpecMasks(T.seededStreams(5), 40, 99, T.specAugmentPolicy('medium')), [
      { axis: 'freq', start: f0, width: f },
      { axis: 'time', start: t0, width: t },
    ]);
    assert.deepEqual(T.specAugmentPolicy([1, 1, 3, 6]), T.specAugmentPolicy('medium'));
  });
});

test('time warp: off by default; moves column c to c + d, keeps the ends, interpolates linearly', () => {
  torch.tidy(() => {
    const ramp = torch.arange(0, 99, 1, { dtype: 'float32' }).reshape([1, 1, 99]).expand([1, 40, 99]).contiguous();
    const p = new T.PythonRandom(3);
    const c = p.randrange(5, 94);
    const d = p.randrange(-5, 5);
    assert.deepEqual(T.drawTimeWarp(T.seededStreams(3), 99, 5), { center: c, shift: d });
    const w = T.timeWarp(ramp, T.seededStreams(3), 5);
    const row = arr(w.index('0, 0'));
    assert.equal(row[0], 0);
    assert.equal(row[98], 98);
    assert.ok(Math.abs(row[c + d]! - c) < 1e-4, 'output column c + d holds input column c');
    for (let i = 1; i < 99; i++) assert.ok(row[i]! >= row[i - 1]!, 'monotone');
    assert.equal(maxAbsDiff(T.warpTime(ramp, { center: 40, shift: 0 }), ramp), 0);
    // specAugment draws no warp unless asked: same masks either way when W = 0.
    const a = T.specAugment(ramp, T.seededStreams(1), 'medium');
    const b = T.specAugment(ramp, T.seededStreams(1), 'medium', { timeWarp: 0 });
    assert.equal(maxAbsDiff(a, b), 0);
    assert.throws(() => T.timeWarp(ramp.index('..., 0:10'), T.seededStreams(0), 5), RangeError);
  });
});

test('spectrogram reversal flips the time axis (after SpecAugment, SPEC 5.7)', () => {
  torch.tidy(() => {
    const s = T.getSpec(synthWav(30000), 0, T.seededStreams(2), { zNormalize: true, specAugment: 'medium' });
    const r = T.reverseSpectrogram(s);
    assert.equal(maxAbsDiff(r.index('..., 0'), s.index('..., 98')), 0);
    assert.equal(maxAbsDiff(T.reverseSpectrogram(r), s), 0);
  });
});
