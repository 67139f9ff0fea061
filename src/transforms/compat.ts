// Switch between the correct behaviour (default) and an exact reproduction of a known bug of the
// reference implementation (SPEC section 13). Every function that has such a bug takes it.

/**
 * `'correct'` (default): the intended behaviour. `'reference'`: reproduce the reference's bug
 * exactly (e.g. BGR grayscale weights on RGB frames, colour jitter on the time axis).
 */
export type Compat = 'correct' | 'reference';

/** @internal */
export function isReference(compat: Compat | undefined): boolean {
  if (compat !== undefined && compat !== 'correct' && compat !== 'reference') {
    throw new TypeError(`compat must be 'correct' or 'reference', got '${String(compat)}'`);
  }
  return compat === 'reference';
}
