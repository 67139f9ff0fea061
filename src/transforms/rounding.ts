// Python's and NumPy's rounding rules, which decide sizes and sample indices in the reference.

/** Python 3 `round(x)` and `np.round(x)`: ties go to the even integer. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/** python_speech_features' `round_half_up` (Decimal ROUND_HALF_UP of the exact double). */
export function roundHalfUp(x: number): number {
  const f = Math.floor(x);
  return x - f >= 0.5 ? f + 1 : f;
}

/** Python's slice bounds `seq[a:b]` for a sequence of length `n` (negative indices count from the end). */
export function pySliceBounds(n: number, a: number, b: number): [number, number] {
  const norm = (i: number): number => (i < 0 ? Math.max(0, n + i) : Math.min(i, n));
  const s = norm(a);
  return [s, Math.max(s, norm(b))];
}
