/**
 * Small deterministic PRNGs (no dependency, identical results on every platform).
 *
 * `hashSeed` mixes several values into a 32-bit seed (splitmix32-style finaliser) so that, for
 * example, every synthetic video gets its own stream from (seed, class, group, clip) and its
 * content does not depend on how many other videos are generated or in which order.
 */

/** One splitmix32 step: a well-mixed 32-bit output for a 32-bit input. */
export function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Combine numbers and strings into one 32-bit seed. */
export function hashSeed(...parts: (number | string)[]): number {
  let h = 0x12345678;
  for (const p of parts) {
    if (typeof p === 'number') {
      // Integers and fractions both matter: hash the low and high 32 bits of the value.
      const lo = p >>> 0;
      const hi = Math.floor(p / 4294967296) >>> 0;
      h = mix32(h ^ lo);
      h = mix32(h ^ hi);
    } else {
      for (let i = 0; i < p.length; i++) h = mix32(h ^ p.charCodeAt(i));
      h = mix32(h ^ p.length);
    }
  }
  return h;
}

/** mulberry32: a fast 32-bit generator returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Convenience wrapper with the draws the generators need. */
export class Rng {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  /** Uniform in [0, 1). */
  random(): number {
    return this.next();
  }
  /** Uniform in [a, b). */
  uniform(a: number, b: number): number {
    return a + (b - a) * this.next();
  }
  /** Uniform integer in [a, b] (both included). */
  int(a: number, b: number): number {
    return a + Math.floor(this.next() * (b - a + 1));
  }
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }
  /** Standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
}
