// The log mel filterbank of python_speech_features 0.6 (`logfbank`), as the reference computes
// its audio features (SPEC 5.5 step 4): pre-emphasis, rectangular frames, power spectrum of an
// n-point FFT, triangular mel filters, epsilon for exact zeros, natural log. All in float64.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { roundHalfUp } from './rounding.js';

/** numpy's `finfo(float).eps`, substituted for zero filter energies before the log. */
export const FLOAT64_EPS = 2.220446049250313e-16;

/** Hz -> mel: `2595 log10(1 + f / 700)`. */
export function hzToMel(hz: number): number {
  return 2595 * Math.log10(1 + hz / 700);
}

/** mel -> Hz: `700 (10^(m / 2595) - 1)`. */
export function melToHz(mel: number): number {
  return 700 * (10 ** (mel / 2595) - 1);
}

export interface MelFilterbankOptions {
  nfilt: number;
  nfft: number;
  sampleRate: number;
  lowFreq?: number;
  /** Default `sampleRate / 2`. */
  highFreq?: number;
}

/**
 * FFT bin edges of the filters: `nfilt + 2` points equally spaced in mel (numpy `linspace`:
 * `i * step + low`, last point exactly `high`), to Hz, then `floor((nfft + 1) * f / sr)`.
 */
export function melBinEdges(o: MelFilterbankOptions): number[] {
  const high = o.highFreq ?? o.sampleRate / 2;
  if (high > o.sampleRate / 2) throw new RangeError('highFreq is greater than sampleRate / 2');
  const lowMel = hzToMel(o.lowFreq ?? 0);
  const highMel = hzToMel(high);
  const n = o.nfilt + 2;
  const step = (highMel - lowMel) / (n - 1);
  return Array.from({ length: n }, (_, i) => {
    const mel = i === n - 1 ? highMel : i * step + lowMel;
    return Math.floor(((o.nfft + 1) * melToHz(mel)) / o.sampleRate);
  });
}

/**
 * The filterbank as plain rows (nfilt x (nfft/2 + 1)): filter j rises as `(i - b[j]) / (b[j+1] - b[j])`
 * on [b[j], b[j+1]) and falls as `(b[j+2] - i) / (b[j+2] - b[j+1])` on [b[j+1], b[j+2]); no area
 * normalisation. Filters whose edges coincide are all zero (38 of them for 257 filters, 1024 points).
 */
export function melFilterbankRows(o: MelFilterbankOptions): Float64Array[] {
  const b = melBinEdges(o);
  const nbins = Math.floor(o.nfft / 2) + 1;
  const rows: Float64Array[] = [];
  for (let j = 0; j < o.nfilt; j++) {
    const row = new Float64Array(nbins);
    const [b0, b1, b2] = [b[j]!, b[j + 1]!, b[j + 2]!];
    for (let i = b0; i < b1; i++) row[i] = (i - b0) / (b1 - b0);
    for (let i = b1; i < b2; i++) row[i] = (b2 - i) / (b2 - b1);
    rows.push(row);
  }
  return rows;
}

const fbCache = new Map<string, Tensor>();

/** The filterbank as a float64 tensor (nfilt, nfft/2 + 1), cached per configuration. */
export function melFilterbank(o: MelFilterbankOptions): Tensor {
  const key = `${o.nfilt}/${o.nfft}/${o.sampleRate}/${o.lowFreq ?? 0}/${o.highFreq ?? o.sampleRate / 2}`;
  let fb = fbCache.get(key);
  if (fb === undefined || fb.isDisposed) {
    const rows = melFilterbankRows(o);
    const flat = new Float64Array(rows.length * rows[0]!.length);
    rows.forEach((r, j) => flat.set(r, j * r.length));
    fb = torch.keep(torch.tensor(flat).reshape([rows.length, rows[0]!.length]));
    fbCache.set(key, fb);
  }
  // A new handle for the caller to own; the cached one stays.
  return fb.detach();
}

export interface LogFilterbankOptions {
  sampleRate: number;
  /** Frame length in seconds (reference 0.02). */
  winLen?: number;
  /** Frame step in seconds (reference 0.01). */
  winStep?: number;
  /** Number of filters (reference 40 for type 1, 257 for type 2). */
  nfilt?: number;
  /** FFT size (reference 1024). */
  nfft?: number;
  lowFreq?: number;
  highFreq?: number;
  /** Pre-emphasis coefficient (0.97). */
  preemph?: number;
}

/** Number of frames of a signal of `len` samples: 1 if `len <= frameLen`, else `1 + ceil((len - frameLen) / step)`. */
export function numFrames(len: number, frameLen: number, frameStep: number): number {
  return len <= frameLen ? 1 : 1 + Math.ceil((len - frameLen) / frameStep);
}

/**
 * python_speech_features `logfbank(signal, sr, winlen, winstep, nfilt, nfft)` with its rectangular
 * window: returns float64 (frames, nfilt). `signal` is a 1-D tensor of any real dtype (int16
 * samples are used at their integer scale, as the reference does).
 */
export function logFilterbank(signal: Tensor, o: LogFilterbankOptions): Tensor {
  if (signal.ndim !== 1) throw new RangeError(`logFilterbank: expects a 1-D signal, got shape [${signal.shape.join(', ')}]`);
  const len = signal.shape[0]!;
  if (len === 0) throw new RangeError('logFilterbank: empty signal');
  const sr = o.sampleRate;
  const nfft = o.nfft ?? 1024;
  const nfilt = o.nfilt ?? 40;
  const preemph = o.preemph ?? 0.97;
  const frameLen = roundHalfUp((o.winLen ?? 0.02) * sr);
  const frameStep = roundHalfUp((o.winStep ?? 0.01) * sr);
  if (frameLen > nfft) throw new RangeError(`logFilterbank: frame length ${frameLen} exceeds nfft ${nfft} (numpy would truncate the frame)`);
  return torch.tidy(() => {
    const x = signal.double();
    // y[0] = x[0], y[n] = x[n] - a x[n-1]
    const y = len > 1 ? torch.cat([x.index('0:1'), x.index('1:').sub(x.index(':-1').mul(preemph))]) : x;
    const n = numFrames(len, frameLen, frameStep);
    const padLen = (n - 1) * frameStep + frameLen;
    const padded = padLen > len ? torch.F.pad(y, [0, padLen - len]) : y;
    const frames = padded.unfold(0, frameLen, frameStep); // (n, frameLen); rectangular window
    const spec = torch.F.rfft(frames, nfft, -1); // (n, nfft/2 + 1) complex128
    const power = spec.abs().pow(2).mul(1 / nfft);
    const fb = melFilterbank({ nfilt, nfft, sampleRate: sr, lowFreq: o.lowFreq, highFreq: o.highFreq });
    const feat = power.matmul(fb.t());
    const safe = feat.where(feat.ne(0), FLOAT64_EPS);
    return safe.log();
  });
}
