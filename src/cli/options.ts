// Validation of numeric CLI options: a bad value names the option, the value and what is allowed.
export function intOption(name: string, value: string, min = -Infinity, max = Infinity): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    const range = max === Infinity ? `an integer >= ${min}` : `an integer in ${min}..${max}`;
    throw new Error(`${name} must be ${range}, got '${value}'`);
  }
  return n;
}
