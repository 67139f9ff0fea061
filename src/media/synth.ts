/**
 * A small synthetic audio-visual video dataset in the UCF101 layout, for tests and smoke runs.
 *
 * Content is designed so that self-supervised audio-visual learning has something real to find:
 *  - sounds are synchronised with visual events (impacts at contacts, bursts, ticks, beeps);
 *  - pitch and timbre are tied to what is seen: pitch = 6000 Hz / radius (radius in pixels of a
 *    128-pixel frame; bigger is lower), timbre by shape (circle: sine; square: odd harmonics;
 *    triangle: inharmonic, bell-like); options tie them to the class instead (`timbre: 'class'`,
 *    `pitch: 'class'`: the sound then says what happens, not how big or what shape);
 *  - several classes have an arrow of time (gravity and decaying bounces, friction, damping,
 *    bursting; Grow and Shrink are exact time reverses of each other);
 *  - colours, background, sizes, positions and timings are random per video (backgrounds are
 *    shared within a UCF-style group, or with `scenes: 'shared'` by group g of every class), so the
 *    class is the motion / sound pattern, not a colour.
 *
 * Everything is deterministic in the seed: each video's random stream comes from
 * hashSeed(seed, class, group, clip), independent of the other videos and of the generation order.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeVideo, h264Args } from './encode.js';
import { hashSeed, Rng } from './rng.js';

/** Class names, in the order subsets are taken (`classes: 3` -> Bounce, Grow, Shrink). */
export const SYNTH_CLASSES = ['Bounce', 'Grow', 'Shrink', 'Collide', 'SlideStop', 'Swing', 'Rain', 'Burst', 'Orbit', 'Blink'] as const;
export type SynthClass = (typeof SYNTH_CLASSES)[number];
export type SynthShape = 'circle' | 'square' | 'triangle';

export interface SynthEvent {
  /** Seconds from the start of the video. */
  t: number;
  kind: 'impact' | 'burst' | 'tick' | 'onset' | 'offset';
}

export interface SynthVideoParams {
  className: SynthClass;
  seconds: number;
  width: number;
  height: number;
  fps: number;
  sampleRate: number;
  /** Per-video seed (content) and per-group seed (background). */
  seed: number;
  groupSeed: number;
  /** What decides an object's timbre: its shape (default) or the video's class. */
  timbre?: 'shape' | 'class';
  /** Object sizes relative to the frame (default 1: sized for 128-pixel frames); motion paths are unchanged. */
  objectScale?: number;
  /** What decides an object's pitch: its size (default, 6000 Hz / radius) or the video's class (CLASS_PITCHES). */
  pitch?: 'size' | 'class';
}

export interface SynthVideo {
  renderFrame: (index: number, out: Uint8Array) => void;
  audio: Float32Array;
  events: SynthEvent[];
  shape: SynthShape;
  /** Main object's radius in pixels at the start, and the matching pitch. */
  radius: number;
  pitchHz: number;
  color: [number, number, number];
}

// ---------------------------------------------------------------------------------------------
// Drawing.

type RGB = [number, number, number];

interface SpriteState {
  x: number;
  y: number;
  r: number;
  /** Opacity in [0, 1]; 0 -> not drawn. */
  a: number;
}

interface Sprite {
  shape: SynthShape;
  color: RGB;
  at: (t: number) => SpriteState;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

function hsv(h: number, s: number, v: number): RGB {
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  const m = [
    [v, t, p],
    [q, v, p],
    [p, v, t],
    [p, q, v],
    [t, p, v],
    [v, p, q],
  ][((i % 6) + 6) % 6] as [number, number, number];
  return [Math.round(m[0] * 255), Math.round(m[1] * 255), Math.round(m[2] * 255)];
}

function luma(c: RGB): number {
  return (0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2]) / 255;
}

const SQRT3 = Math.sqrt(3);

/** Anti-aliased shape with coverage from a signed distance (one pixel of soft edge). */
function drawShape(frame: Uint8Array, W: number, H: number, shape: SynthShape, s: SpriteState, color: RGB): void {
  if (s.a <= 0 || s.r <= 0) return;
  const ext = shape === 'triangle' ? s.r * 1.25 : s.r;
  const x0 = Math.max(0, Math.floor(s.x - ext - 1));
  const x1 = Math.min(W - 1, Math.ceil(s.x + ext + 1));
  const y0 = Math.max(0, Math.floor(s.y - ext - 1));
  const y1 = Math.min(H - 1, Math.ceil(s.y + ext + 1));
  const half = s.r * 0.886; // square of the same area as the circle
  const R = s.r * 1.25; // triangle circumradius
  const inr = R / 2;
  const [cr, cg, cb] = color;
  for (let y = y0; y <= y1; y++) {
    const dy = y + 0.5 - s.y;
    let o = (y * W + x0) * 3;
    for (let x = x0; x <= x1; x++, o += 3) {
      const dx = x + 0.5 - s.x;
      let cov: number;
      if (shape === 'circle') {
        cov = clamp01(s.r - Math.sqrt(dx * dx + dy * dy) + 0.5);
      } else if (shape === 'square') {
        cov = clamp01(half - Math.abs(dx) + 0.5) * clamp01(half - Math.abs(dy) + 0.5);
      } else {
        // Equilateral triangle pointing up: distances to the three edges (outward normals).
        const d1 = inr - dy;
        const d2 = inr - (-dy * 0.5 + (dx * SQRT3) / 2);
        const d3 = inr - (-dy * 0.5 - (dx * SQRT3) / 2);
        cov = clamp01(Math.min(d1, d2, d3) + 0.5);
      }
      if (cov <= 0) continue;
      const w = cov * s.a;
      frame[o] = frame[o]! + (cr - frame[o]!) * w;
      frame[o + 1] = frame[o + 1]! + (cg - frame[o + 1]!) * w;
      frame[o + 2] = frame[o + 2]! + (cb - frame[o + 2]!) * w;
    }
  }
}

/** Static background: colour gradient, fixed texture, a floor band and clutter shapes. */
function makeBackground(rng: Rng, W: number, H: number, floorY: number): { image: Uint8Array; color: RGB } {
  const base = hsv(rng.random(), rng.uniform(0.1, 0.6), rng.uniform(0.15, 0.85));
  const floorShade = rng.bool() ? rng.uniform(0.6, 0.85) : rng.uniform(1.15, 1.4);
  const grad = rng.uniform(-0.25, 0.25);
  const texAmp = rng.uniform(2, 8);
  const img = new Uint8Array(W * H * 3);
  for (let y = 0; y < H; y++) {
    const g = 1 + grad * (y / H - 0.5);
    const shade = y >= floorY ? floorShade : 1;
    for (let x = 0; x < W; x++) {
      const n = (rng.random() - 0.5) * 2 * texAmp;
      const o = (y * W + x) * 3;
      for (let c = 0; c < 3; c++) img[o + c] = Math.max(0, Math.min(255, Math.round(base[c]! * g * shade + n)));
    }
  }
  const clutter = rng.int(0, 2);
  for (let k = 0; k < clutter; k++) {
    const col = hsv(rng.random(), rng.uniform(0.1, 0.5), rng.uniform(0.2, 0.9));
    const state = { x: rng.uniform(0, W), y: rng.uniform(0, floorY), r: rng.uniform(3, 12) * (Math.min(W, H) / 128), a: rng.uniform(0.3, 0.8) };
    drawShape(img, W, H, rng.pick(['circle', 'square', 'triangle'] as const), state, col);
  }
  return { image: img, color: base };
}

// ---------------------------------------------------------------------------------------------
// Sound.

type Timbre = { readonly ratios: readonly number[]; readonly amps: readonly number[] };

const TIMBRES: Record<SynthShape, Timbre> = {
  circle: { ratios: [1], amps: [1] },
  square: { ratios: [1, 3, 5, 7], amps: [1, 0.45, 0.25, 0.12] },
  triangle: { ratios: [1, 2.76, 5.4], amps: [1, 0.6, 0.3] },
};

/**
 * Timbres per class, for `timbre: 'class'`: the kind of event decides how it sounds (as a dog
 * barks and a guitar strums), while pitch still follows the object's size.
 */
const CLASS_TIMBRES: Record<SynthClass, Timbre> = {
  Bounce: { ratios: [1], amps: [1] },
  Grow: { ratios: [1, 2, 3], amps: [1, 0.5, 0.33] },
  Shrink: { ratios: [1, 3, 5, 7], amps: [1, 0.45, 0.25, 0.12] },
  Collide: { ratios: [1, 2.76, 5.4], amps: [1, 0.6, 0.3] },
  SlideStop: { ratios: [1, 1.5, 2], amps: [1, 0.7, 0.4] },
  Swing: { ratios: [1, 4], amps: [1, 0.8] },
  Rain: { ratios: [1, 2.1, 3.3, 4.6], amps: [1, 0.6, 0.4, 0.3] },
  Burst: { ratios: [1, 1.41, 2.83], amps: [1, 0.8, 0.5] },
  Orbit: { ratios: [1, 5], amps: [1, 0.9] },
  Blink: { ratios: [1, 2, 4, 8], amps: [1, 0.7, 0.5, 0.35] },
};

/**
 * Pitches per class, for `pitch: 'class'` (the main object's pitch at the start, in Hz): what
 * happens decides how high it sounds, not how big the object is. Spread over an octave and a half,
 * a few semitones apart, inside pitchForRadius's range for the usual sizes.
 */
export const CLASS_PITCHES: Record<SynthClass, number> = {
  Bounce: 220,
  Grow: 330,
  Shrink: 262,
  Collide: 196,
  SlideStop: 294,
  Swing: 392,
  Rain: 440,
  Burst: 247,
  Orbit: 349,
  Blink: 523,
};

/** Pitch of an object of radius r (pixels) in a frame whose short side is `side`. */
export function pitchForRadius(r: number, side: number): number {
  return 6000 / Math.max(1, (r * 128) / side);
}

/** Percussive impact: decaying partials of the shape's timbre, plus a short click. */
function addImpact(buf: Float32Array, sr: number, t: number, f0: number, tim: Timbre, amp: number, decay = 0.09): void {
  const i0 = Math.round(t * sr);
  const len = Math.min(buf.length - i0, Math.ceil(decay * 7 * sr));
  for (let k = 0; k < tim.ratios.length; k++) {
    const f = f0 * tim.ratios[k]!;
    if (f >= sr / 2) continue;
    const d = decay / Math.sqrt(tim.ratios[k]!);
    const a = amp * tim.amps[k]!;
    const w = (2 * Math.PI * f) / sr;
    for (let j = Math.max(0, -i0); j < len; j++) {
      const tau = j / sr;
      const env = Math.min(1, tau / 0.001) * Math.exp(-tau / d);
      buf[i0 + j]! += a * env * Math.sin(w * j);
    }
  }
  // Broadband transient: marks the onset sharply.
  const clickLen = Math.min(buf.length - i0, Math.round(0.003 * sr));
  for (let j = Math.max(0, -i0); j < clickLen; j++) buf[i0 + j]! += amp * 0.5 * (1 - j / clickLen) * (((j * 7919) % 13) / 6.5 - 1);
}

/** Continuous tone with time-varying frequency and amplitude (phase-continuous). */
function addTone(buf: Float32Array, sr: number, tim: Timbre, freqAt: (t: number) => number, ampAt: (t: number) => number): void {
  const phases = tim.ratios.map(() => 0);
  for (let i = 0; i < buf.length; i++) {
    const t = i / sr;
    const a = ampAt(t);
    const f = freqAt(t);
    let v = 0;
    for (let k = 0; k < tim.ratios.length; k++) {
      const fk = f * tim.ratios[k]!;
      phases[k] = (phases[k]! + (2 * Math.PI * fk) / sr) % (2 * Math.PI);
      if (a !== 0 && fk < sr / 2) v += tim.amps[k]! * Math.sin(phases[k]!);
    }
    buf[i]! += a * v;
  }
}

/** Low-passed noise with a time-varying amplitude (scraping, whooshes, bursts, room noise). */
function addNoise(buf: Float32Array, sr: number, rng: Rng, cutoffHz: number, ampAt: (t: number) => number): void {
  const alpha = 1 - Math.exp((-2 * Math.PI * cutoffHz) / sr);
  let y = 0;
  // Compensate the low-pass's power loss roughly so `amp` is comparable across cutoffs.
  const gain = 1 / Math.sqrt(alpha / (2 - alpha));
  for (let i = 0; i < buf.length; i++) {
    y += alpha * (rng.random() * 2 - 1 - y);
    const a = ampAt(i / sr);
    if (a !== 0) buf[i]! += a * y * gain * 0.35;
  }
}

function fade(t: number, T: number, ramp = 0.03): number {
  return Math.min(1, t / ramp, (T - t) / ramp);
}

function smoothstep(u: number): number {
  const x = clamp01(u);
  return x * x * (3 - 2 * x);
}

// ---------------------------------------------------------------------------------------------
// Classes.

interface Scene {
  sprites: Sprite[];
  events: SynthEvent[];
  /** Adds the foreground sound into `buf`. */
  sound: (buf: Float32Array) => void;
  shape: SynthShape;
  radius: number;
  color: RGB;
}

interface Ctx {
  rng: Rng;
  T: number;
  W: number;
  H: number;
  sr: number;
  side: number;
  /** Pixels per "128-pixel unit". */
  s: number;
  floorY: number;
  bg: RGB;
  /** The timbre of a sounding object of this shape (by shape, or by the video's class). */
  timbre: (shape: SynthShape) => Timbre;
  /**
   * Pitch of a sounding object of radius r (pixels). By size: pitchForRadius. By class: the
   * class's pitch for the main object's starting radius, scaled by size relative to it, so glides
   * and several objects keep their relative pitches. Only called while the sound is rendered
   * (after the scene is built and its main radius known).
   */
  pitch: (r: number) => number;
}

function objectColor(rng: Rng, bg: RGB): RGB {
  const h = rng.random();
  const sat = rng.uniform(0.6, 1);
  let c = hsv(h, sat, rng.uniform(0.6, 1));
  if (Math.abs(luma(c) - luma(bg)) < 0.25) c = hsv(h, sat, luma(bg) > 0.5 ? rng.uniform(0.1, 0.3) : 1);
  return c;
}

function bounceScene(c: Ctx): Scene {
  const { rng, T, W, floorY, s } = c;
  const shape = rng.pick(['circle', 'square', 'triangle'] as const);
  const r = rng.uniform(7, 15) * s;
  const color = objectColor(rng, c.bg);
  const f0 = (): number => c.pitch(r); // read when the sound is rendered (see Ctx.pitch)
  const tRelease = rng.uniform(0, 0.1) * T;
  const tf = rng.uniform(0.12, 0.2) * T;
  const e = rng.uniform(0.55, 0.75);
  const yRest = floorY - r;
  const y0 = rng.uniform(r + 2, 0.35 * c.H);
  const h = yRest - y0;
  const g = (2 * h) / (tf * tf);
  const x0 = rng.uniform(0.25, 0.75) * W;
  const vx = rng.uniform(-0.08, 0.08) * W;
  // Phases: fall, then bounces of decaying launch speed until it is negligible.
  const impacts: { t: number; v: number }[] = [];
  let t = tRelease + tf;
  let v = g * tf;
  const v1 = v;
  while (t < T + 1 && v > 0.1 * v1) {
    impacts.push({ t, v });
    v *= e;
    t += (2 * v) / g;
  }
  const tStop = t;
  const at = (tt: number): SpriteState => {
    const x = Math.min(W - r, Math.max(r, x0 + vx * Math.min(Math.max(tt - tRelease, 0), tStop - tRelease)));
    if (tt <= tRelease) return { x, y: y0, r, a: 1 };
    const first = impacts[0];
    if (!first || tt <= first.t) {
      const dt = tt - tRelease;
      return { x, y: y0 + 0.5 * g * dt * dt, r, a: 1 };
    }
    for (let k = 0; k < impacts.length; k++) {
      const imp = impacts[k]!;
      const vUp = imp.v * e;
      const dur = (2 * vUp) / g;
      if (tt <= imp.t + dur) {
        const dt = tt - imp.t;
        return { x, y: yRest - (vUp * dt - 0.5 * g * dt * dt), r, a: 1 };
      }
    }
    return { x, y: yRest, r, a: 1 };
  };
  return {
    sprites: [{ shape, color, at }],
    events: impacts.filter((i) => i.t < T).map((i) => ({ t: i.t, kind: 'impact' as const })),
    sound: (buf) => {
      // Loudness grows with impact speed (compressed); the ring is cut short when the next
      // impact follows quickly, so that every contact has an audible onset.
      impacts.forEach((imp, k) => {
        const gap = (impacts[k + 1]?.t ?? Infinity) - imp.t;
        if (imp.t < T) addImpact(buf, c.sr, imp.t, f0(), c.timbre(shape), Math.sqrt(imp.v / v1), Math.min(0.09, 0.3 * gap));
      });
    },
    shape,
    radius: r,
    color,
  };
}

function growScene(c: Ctx, reverse: boolean): Scene {
  const { rng, T, W, H, s } = c;
  const shape = rng.pick(['circle', 'square', 'triangle'] as const);
  const color = objectColor(rng, c.bg);
  const rMin = rng.uniform(3, 6) * s;
  const rMax = rng.uniform(18, 28) * s;
  const t0 = rng.uniform(0, 0.15) * T;
  const t1 = rng.uniform(0.75, 1) * T;
  const x = rng.uniform(0.35, 0.65) * W;
  const y = rng.uniform(0.3, 0.6) * H;
  // Shrink is Grow played backwards: same trajectory with t -> T - t.
  const radius = (t: number): number => {
    const u = reverse ? T - t : t;
    return rMin + (rMax - rMin) * smoothstep((u - t0) / (t1 - t0));
  };
  const amp = rng.uniform(0.4, 0.7);
  return {
    sprites: [{ shape, color, at: (t) => ({ x, y, r: radius(t), a: 1 }) }],
    events: [],
    sound: (buf) => addTone(buf, c.sr, c.timbre(shape), (t) => c.pitch(radius(t)), (t) => amp * fade(t, T)),
    shape,
    radius: radius(0),
    color,
  };
}

function collideScene(c: Ctx): Scene {
  const { rng, T, W, H, s } = c;
  const shapeA = rng.pick(['circle', 'square', 'triangle'] as const);
  const shapeB = rng.pick(['circle', 'square', 'triangle'] as const);
  const rA = rng.uniform(6, 14) * s;
  const rB = rng.uniform(6, 14) * s;
  const colA = objectColor(rng, c.bg);
  const colB = objectColor(rng, c.bg);
  const tc = rng.uniform(0.3, 0.7) * T;
  const xc = rng.uniform(0.35, 0.65) * W;
  const y = rng.uniform(0.3, 0.75) * H;
  const vA = rng.uniform(0.1, 0.3) * W;
  const vB = -rng.uniform(0.1, 0.3) * W;
  const mA = rA * rA;
  const mB = rB * rB;
  const vAfter = (mA * vA + mB * vB) / (mA + mB); // perfectly inelastic: they stick together
  const xA = (t: number): number => xc - rA + (t < tc ? vA : vAfter) * (t - tc);
  const xB = (t: number): number => xc + rB + (t < tc ? vB : vAfter) * (t - tc);
  const strength = Math.min(1, (vA - vB) / (0.5 * W));
  return {
    sprites: [
      { shape: shapeA, color: colA, at: (t) => ({ x: xA(t), y, r: rA, a: 1 }) },
      { shape: shapeB, color: colB, at: (t) => ({ x: xB(t), y, r: rB, a: 1 }) },
    ],
    events: [{ t: tc, kind: 'impact' }],
    sound: (buf) => {
      addImpact(buf, c.sr, tc, c.pitch(rA), c.timbre(shapeA), 0.5 + 0.5 * strength);
      addImpact(buf, c.sr, tc, c.pitch(rB), c.timbre(shapeB), 0.5 + 0.5 * strength);
    },
    shape: shapeA,
    radius: rA,
    color: colA,
  };
}

function slideScene(c: Ctx): Scene {
  const { rng, T, W, floorY, s } = c;
  const shape = rng.pick(['circle', 'square', 'triangle'] as const);
  const r = rng.uniform(7, 14) * s;
  const color = objectColor(rng, c.bg);
  const dir = rng.bool() ? 1 : -1;
  const t0 = rng.uniform(0, 0.2) * T;
  const ts = rng.uniform(0.3, 0.6) * T; // sliding time until it stops
  const dist = rng.uniform(0.4, 0.75) * W + r;
  const v0 = (2 * dist) / ts;
  const a = v0 / ts; // constant friction deceleration
  const xStart = dir > 0 ? -r : W + r;
  const pos = (t: number): number => {
    const dt = Math.min(Math.max(t - t0, 0), ts);
    return xStart + dir * (v0 * dt - 0.5 * a * dt * dt);
  };
  const speed = (t: number): number => (t < t0 || t > t0 + ts ? 0 : v0 - a * (t - t0));
  const y = floorY - r;
  // Evaluated when the sound is rendered: with `pitch: 'class'` the scale is known only then.
  const cutoff = (): number => Math.min(8000, 2 * c.pitch(r));
  const amp = rng.uniform(0.5, 0.9);
  return {
    sprites: [{ shape, color, at: (t) => ({ x: pos(t), y, r, a: t < t0 ? 0 : 1 }) }],
    events: [
      { t: t0, kind: 'onset' },
      { t: t0 + ts, kind: 'offset' },
    ],
    sound: (buf) => {
      addNoise(buf, c.sr, rng, cutoff(), (t) => (amp * speed(t)) / v0);
      addTone(buf, c.sr, c.timbre(shape), () => c.pitch(r), (t) => (0.15 * amp * speed(t)) / v0);
    },
    shape,
    radius: r,
    color,
  };
}

function swingScene(c: Ctx): Scene {
  const { rng, T, W, H, s } = c;
  const shape = rng.pick(['circle', 'square', 'triangle'] as const);
  const r = rng.uniform(7, 13) * s;
  const color = objectColor(rng, c.bg);
  const px = rng.uniform(0.4, 0.6) * W;
  const py = rng.uniform(0.05, 0.2) * H;
  const L = rng.uniform(0.4, 0.6) * H;
  const th0 = rng.uniform(0.5, 0.9) * (rng.bool() ? 1 : -1);
  const w = (2 * Math.PI) / rng.uniform(0.8, 1.4);
  const gamma = Math.LN2 / (rng.uniform(0.3, 0.6) * T); // amplitude halves within the clip
  const theta = (t: number): number => th0 * Math.exp(-gamma * t) * Math.cos(w * t);
  const omega = (t: number): number => -th0 * Math.exp(-gamma * t) * (gamma * Math.cos(w * t) + w * Math.sin(w * t));
  const maxSpeed = Math.abs(th0) * Math.hypot(w, gamma);
  const f0 = (): number => c.pitch(r); // read when the sound is rendered (see Ctx.pitch)
  return {
    sprites: [{ shape, color, at: (t) => ({ x: px + L * Math.sin(theta(t)), y: py + L * Math.cos(theta(t)), r, a: 1 }) }],
    events: [],
    sound: (buf) => {
      addNoise(buf, c.sr, rng, Math.min(8000, 3 * f0()), (t) => (0.8 * Math.abs(omega(t))) / maxSpeed);
      addTone(buf, c.sr, c.timbre(shape), f0, (t) => (0.25 * Math.abs(omega(t))) / maxSpeed);
    },
    shape,
    radius: r,
    color,
  };
}

function rainScene(c: Ctx): Scene {
  const { rng, T, W, floorY, s } = c;
  const shape = rng.pick(['circle', 'square', 'triangle'] as const);
  const color = objectColor(rng, c.bg);
  const g = rng.uniform(1.5, 2.5) * c.H;
  const n = rng.int(3, 6);
  const drops = Array.from({ length: n }, () => {
    const r = rng.uniform(4, 10) * s;
    const y0 = rng.uniform(-r, 0.25 * c.H);
    const tr = rng.uniform(0, 0.7) * T;
    const h = floorY - r - y0;
    const tf = Math.sqrt((2 * h) / g);
    return { r, x: rng.uniform(0.1, 0.9) * W, y0, tr, land: tr + tf, fadeDur: rng.uniform(0.4, 0.8), v: g * tf };
  });
  const vMax = Math.max(...drops.map((d) => d.v));
  const sprites: Sprite[] = drops.map((d) => ({
    shape,
    color,
    at: (t: number): SpriteState => {
      if (t < d.tr) return { x: d.x, y: d.y0, r: d.r, a: 0 };
      if (t < d.land) {
        const dt = t - d.tr;
        return { x: d.x, y: d.y0 + 0.5 * g * dt * dt, r: d.r, a: 1 };
      }
      return { x: d.x, y: floorY - d.r, r: d.r, a: clamp01(1 - (t - d.land) / d.fadeDur) };
    },
  }));
  return {
    sprites,
    events: drops.filter((d) => d.land < T).map((d) => ({ t: d.land, kind: 'impact' as const })).sort((a, b) => a.t - b.t),
    sound: (buf) => {
      for (const d of drops) if (d.land < T) addImpact(buf, c.sr, d.land, c.pitch(d.r), c.timbre(shape), 0.4 + (0.6 * d.v) / vMax, 0.06);
    },
    shape,
    radius: drops[0]?.r ?? 0,
    color,
  };
}

function burstScene(c: Ctx): Scene {
  const { rng, T, W, H, s } = c;
  const shape = rng.pick(['circle', 'square', 'triangle'] as const);
  const color = objectColor(rng, c.bg);
  const r0 = rng.uniform(6, 10) * s;
  const r1 = r0 * rng.uniform(1.6, 2.2);
  const tb = rng.uniform(0.35, 0.7) * T;
  const x = rng.uniform(0.35, 0.65) * W;
  const y = rng.uniform(0.35, 0.6) * H;
  const k = rng.int(6, 10);
  const fr = r1 * rng.uniform(0.2, 0.35);
  const tau = 0.3;
  const fadeDur = rng.uniform(0.5, 0.9);
  const frags = Array.from({ length: k }, (_, i) => {
    const ang = (2 * Math.PI * (i + rng.uniform(-0.3, 0.3))) / k;
    return { dx: Math.cos(ang), dy: Math.sin(ang), v: rng.uniform(1, 2) * H };
  });
  // Inflation accelerates (ease-in) until the burst.
  const radius = (t: number): number => r0 + (r1 - r0) * Math.pow(clamp01(t / tb), 2);
  const sprites: Sprite[] = [
    { shape, color, at: (t) => ({ x, y, r: radius(t), a: t < tb ? 1 : 0 }) },
    ...frags.map(
      (f): Sprite => ({
        shape,
        color,
        at: (t) => {
          if (t < tb) return { x, y, r: fr, a: 0 };
          const d = f.v * tau * (1 - Math.exp(-(t - tb) / tau));
          return { x: x + f.dx * d, y: y + f.dy * d, r: fr, a: clamp01(1 - (t - tb) / fadeDur) };
        },
      }),
    ),
  ];
  const hum = rng.uniform(0.15, 0.3);
  return {
    sprites,
    events: [{ t: tb, kind: 'burst' }],
    sound: (buf) => {
      addTone(buf, c.sr, c.timbre(shape), (t) => c.pitch(radius(t)), (t) => (t < tb ? hum * (0.3 + 0.7 * (t / tb)) * Math.min(1, t / 0.03) : 0));
      addNoise(buf, c.sr, rng, 6000, (t) => (t < tb ? 0 : 1.2 * Math.exp(-(t - tb) / 0.08)));
      addImpact(buf, c.sr, tb, c.pitch(fr), c.timbre(shape), 0.5, 0.05);
    },
    shape,
    radius: r0,
    color,
  };
}

function orbitScene(c: Ctx): Scene {
  const { rng, T, W, H, s } = c;
  const shape = rng.pick(['circle', 'square', 'triangle'] as const);
  const r = rng.uniform(6, 12) * s;
  const color = objectColor(rng, c.bg);
  const R = rng.uniform(0.15, 0.3) * Math.min(W, H);
  const cx = rng.uniform(0.35, 0.65) * W;
  const cy = rng.uniform(0.35, 0.6) * H;
  const period = rng.uniform(0.6, 1.2);
  const dir = rng.bool() ? 1 : -1;
  const phi = rng.uniform(0, 2 * Math.PI);
  const angle = (t: number): number => phi + (dir * 2 * Math.PI * t) / period;
  // A tick each time the object passes the lowest point (angle = pi/2 with y pointing down).
  const ticks: number[] = [];
  for (let m = -2; m < T / period + 2; m++) {
    const t = ((Math.PI / 2 + 2 * Math.PI * m - phi) * period) / (dir * 2 * Math.PI);
    if (t >= 0 && t < T) ticks.push(t);
  }
  ticks.sort((a, b) => a - b);
  const f0 = (): number => c.pitch(r); // read when the sound is rendered (see Ctx.pitch)
  return {
    sprites: [{ shape, color, at: (t) => ({ x: cx + R * Math.cos(angle(t)), y: cy + R * Math.sin(angle(t)), r, a: 1 }) }],
    events: ticks.map((t) => ({ t, kind: 'tick' as const })),
    sound: (buf) => {
      for (const t of ticks) addImpact(buf, c.sr, t, f0(), c.timbre(shape), 0.6, 0.05);
    },
    shape,
    radius: r,
    color,
  };
}

function blinkScene(c: Ctx): Scene {
  const { rng, T, W, H, s } = c;
  const shape = rng.pick(['circle', 'square', 'triangle'] as const);
  const r = rng.uniform(7, 15) * s;
  const color = objectColor(rng, c.bg);
  const x = rng.uniform(0.3, 0.7) * W;
  const y = rng.uniform(0.3, 0.65) * H;
  const period = rng.uniform(0.25, 0.6);
  const duty = rng.uniform(0.3, 0.6);
  const phase = rng.uniform(0, period);
  const on = (t: number): boolean => (t + phase) % period < duty * period;
  const events: SynthEvent[] = [];
  for (let m = 0; m * period - phase < T; m++) {
    const tOn = m * period - phase;
    const tOff = tOn + duty * period;
    if (tOn >= 0 && tOn < T) events.push({ t: tOn, kind: 'onset' });
    if (tOff >= 0 && tOff < T) events.push({ t: tOff, kind: 'offset' });
  }
  const f0 = (): number => c.pitch(r); // read when the sound is rendered (see Ctx.pitch)
  const amp = rng.uniform(0.3, 0.6);
  // Short attack/release so that the beep edges are clicks-free but still sharp.
  const env = (t: number): number => {
    const u = (t + phase) % period;
    const d = duty * period;
    return u < d ? Math.min(1, u / 0.005, (d - u) / 0.005) : 0;
  };
  return {
    sprites: [{ shape, color, at: (t) => ({ x, y, r, a: on(t) ? 1 : 0 }) }],
    events,
    sound: (buf) => addTone(buf, c.sr, c.timbre(shape), f0, (t) => amp * env(t)),
    shape,
    radius: r,
    color,
  };
}

function makeScene(cls: SynthClass, c: Ctx): Scene {
  switch (cls) {
    case 'Bounce':
      return bounceScene(c);
    case 'Grow':
      return growScene(c, false);
    case 'Shrink':
      return growScene(c, true);
    case 'Collide':
      return collideScene(c);
    case 'SlideStop':
      return slideScene(c);
    case 'Swing':
      return swingScene(c);
    case 'Rain':
      return rainScene(c);
    case 'Burst':
      return burstScene(c);
    case 'Orbit':
      return orbitScene(c);
    case 'Blink':
      return blinkScene(c);
  }
}

/** Build one synthetic video (frames rendered on demand, audio precomputed). */
export function synthesizeVideo(p: SynthVideoParams): SynthVideo {
  const { width: W, height: H, fps, sampleRate: sr, seconds: T } = p;
  const side = Math.min(W, H);
  const groupRng = new Rng(p.groupSeed);
  const floorY = Math.round(groupRng.uniform(0.78, 0.9) * H);
  const bg = makeBackground(groupRng, W, H, floorY);
  const rng = new Rng(p.seed);
  const classTimbre = CLASS_TIMBRES[p.className];
  // With pitch by class, sizes count relative to the main object's starting radius (set below).
  let mainRadius = Number.NaN;
  const classPitch = CLASS_PITCHES[p.className];
  const pitch = p.pitch === 'class' ? (r: number): number => (classPitch * mainRadius) / Math.max(1e-6, r) : (r: number): number => pitchForRadius(r, side);
  const ctx: Ctx = { rng, T, W, H, sr, side, s: (side / 128) * (p.objectScale ?? 1), floorY, bg: bg.color, timbre: p.timbre === 'class' ? () => classTimbre : (shape) => TIMBRES[shape], pitch };
  const scene = makeScene(p.className, ctx);
  mainRadius = scene.radius > 0 ? scene.radius : 1;

  // Distractors: static shapes present in every class, so object count is a weak cue.
  const distractors = Array.from({ length: rng.int(0, 2) }, () => {
    const st: SpriteState = { x: rng.uniform(0.1, 0.9) * W, y: rng.uniform(0.1, 0.7) * H, r: rng.uniform(4, 9) * ctx.s, a: 1 };
    return { shape: rng.pick(['circle', 'square', 'triangle'] as const), color: objectColor(rng, bg.color), st };
  });
  // Per-video brightness jitter around the group's background.
  const gain = rng.uniform(0.9, 1.1);
  const background = bg.image.map((v) => Math.min(255, Math.round(v * gain)));
  for (const d of distractors) drawShape(background, W, H, d.shape, d.st, d.color);

  const n = Math.round(T * sr);
  const fg = new Float32Array(n);
  scene.sound(fg);
  let peak = 0;
  for (let i = 0; i < n; i++) peak = Math.max(peak, Math.abs(fg[i]!));
  const target = rng.uniform(0.35, 0.8);
  const audio = new Float32Array(n);
  if (peak > 0) for (let i = 0; i < n; i++) audio[i] = (fg[i]! * target) / peak;
  // Room noise and an optional hum: present in every class, unrelated to the events.
  const noiseAmp = rng.uniform(0.003, 0.02);
  addNoise(audio, sr, rng, rng.uniform(500, 6000), () => noiseAmp);
  if (rng.bool(0.5)) {
    const humF = rng.uniform(60, 150);
    const humA = rng.uniform(0.005, 0.02);
    addTone(audio, sr, TIMBRES.circle, () => humF, () => humA);
  }
  for (let i = 0; i < n; i++) audio[i] = Math.max(-1, Math.min(1, audio[i]!));

  return {
    renderFrame: (index, out) => {
      out.set(background);
      const t = index / fps;
      for (const sp of scene.sprites) drawShape(out, W, H, sp.shape, sp.at(t), sp.color);
    },
    audio,
    events: scene.events,
    shape: scene.shape,
    radius: scene.radius,
    pitchHz: pitch(scene.radius),
    color: scene.color,
  };
}

// ---------------------------------------------------------------------------------------------
// Dataset.

/**
 * Seed of a group's background (and floor line). Per class (default): every group of every class
 * has its own, as UCF101's groups. Shared: group g looks the same in every class, so a background
 * says nothing of the class (test groups are still never seen in training).
 */
export function sceneSeed(seed: number, cls: SynthClass, group: number, scenes: 'per-class' | 'shared'): number {
  return scenes === 'shared' ? hashSeed(seed, 'scene', group) : hashSeed(seed, 'group', cls, group);
}

export interface SyntheticDatasetOptions {
  /** Number of classes (1..10), taken in {@link SYNTH_CLASSES} order. Default 10. */
  classes?: number;
  videosPerClass?: number;
  seconds?: number;
  width?: number;
  height?: number;
  fps?: number;
  sampleRate?: number;
  seed?: number;
  /** Clips per UCF-style group (default clamp(round(videosPerClass / 10), 1, 7)). */
  clipsPerGroup?: number;
  /** Parallel ffmpeg processes (default: available CPUs + 1, as rendering runs on this thread). */
  concurrency?: number;
  /** x264 constant rate factor (default 20). */
  crf?: number;
  /** What decides a sounding object's timbre: its shape (default; pitch follows size either way) or the class. */
  timbre?: 'shape' | 'class';
  /** Object sizes relative to the frame (default 1); e.g. 2.5 keeps objects visible in small crops. */
  objectScale?: number;
  /** What decides a sounding object's pitch: its size (default) or the class (then size only scales it relative to the main object). */
  pitch?: 'size' | 'class';
  /** Backgrounds: one per group of each class (default, as UCF101's groups) or 'shared': group g looks the same in every class. */
  scenes?: 'per-class' | 'shared';
  onProgress?: (done: number, total: number) => void;
}

export interface SyntheticVideoMeta {
  /** Path relative to `videosDir`, e.g. "Bounce/v_Bounce_g01_c01.mp4". */
  file: string;
  className: SynthClass;
  /** 0-based class index (sorted class directory names, as the reference's labels). */
  label: number;
  group: number;
  clip: number;
  seed: number;
  shape: SynthShape;
  radius: number;
  pitchHz: number;
  color: [number, number, number];
  events: SynthEvent[];
  /** UCF-style folds (1..3) in which this video is in the test list (empty: always train). */
  testFolds: number[];
}

export interface SyntheticDatasetResult {
  root: string;
  videosDir: string;
  splitsDir: string;
  classes: SynthClass[];
  videos: SyntheticVideoMeta[];
  elapsedMs: number;
}

/** Test groups per fold, UCF101-style: the first ~84 % of the groups in three contiguous bands. */
export function syntheticTestFolds(group: number, groups: number): number[] {
  const gt = groups >= 4 ? Math.max(3, Math.round((groups * 21) / 25)) : groups;
  if (group > gt) return [];
  return [Math.floor(((group - 1) * 3) / gt) + 1];
}

async function runPool<T>(items: readonly T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const worker = async (): Promise<void> => {
    while (failed === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  if (failed !== undefined) throw failed;
}

const pad2 = (v: number): string => String(v).padStart(2, '0');

/**
 * Write `<outDir>/videos/<Class>/v_<Class>_g<GG>_c<CC>.mp4` (H.264 + AAC), the UCF101 split files
 * `<outDir>/splits/{classInd,trainlist0k,testlist0k}.txt` (CRLF, as the originals) and
 * `<outDir>/meta.json` (per-video parameters and event times). Existing videos/splits are replaced.
 */
export async function generateSyntheticDataset(outDir: string, opts: SyntheticDatasetOptions = {}): Promise<SyntheticDatasetResult> {
  const t0 = performance.now();
  const nClasses = opts.classes ?? 10;
  if (!Number.isInteger(nClasses) || nClasses < 1 || nClasses > SYNTH_CLASSES.length) {
    throw new RangeError(`classes must be an integer in 1..${SYNTH_CLASSES.length}, got ${nClasses}`);
  }
  const perClass = opts.videosPerClass ?? 30;
  if (!Number.isInteger(perClass) || perClass < 1) throw new RangeError(`videosPerClass must be a positive integer, got ${perClass}`);
  const seconds = opts.seconds ?? 4;
  const width = opts.width ?? 128;
  const height = opts.height ?? 128;
  if (width % 2 !== 0 || height % 2 !== 0) throw new RangeError('width and height must be even (H.264 with yuv420p)');
  const fps = opts.fps ?? 30;
  const sampleRate = opts.sampleRate ?? 24000;
  const seed = opts.seed ?? 0;
  const cpg = opts.clipsPerGroup ?? Math.min(7, Math.max(1, Math.round(perClass / 10)));
  if (!Number.isInteger(cpg) || cpg < 1) throw new RangeError(`clipsPerGroup must be a positive integer, got ${cpg}`);
  if (opts.objectScale !== undefined && !(opts.objectScale > 0)) throw new RangeError(`objectScale must be a positive number, got ${opts.objectScale}`);
  if (opts.pitch !== undefined && opts.pitch !== 'size' && opts.pitch !== 'class') throw new RangeError(`pitch must be 'size' or 'class', got ${JSON.stringify(opts.pitch)}`);
  if (opts.scenes !== undefined && opts.scenes !== 'per-class' && opts.scenes !== 'shared') throw new RangeError(`scenes must be 'per-class' or 'shared', got ${JSON.stringify(opts.scenes)}`);
  const groups = Math.ceil(perClass / cpg);
  const frameCount = Math.round(seconds * fps);

  const root = resolve(outDir);
  const videosDir = join(root, 'videos');
  const splitsDir = join(root, 'splits');
  const classes = [...SYNTH_CLASSES.slice(0, nClasses)].sort();
  await rm(videosDir, { recursive: true, force: true });
  await rm(splitsDir, { recursive: true, force: true });
  for (const cls of classes) await mkdir(join(videosDir, cls), { recursive: true });
  await mkdir(splitsDir, { recursive: true });

  const jobs: { cls: SynthClass; label: number; group: number; clip: number }[] = [];
  classes.forEach((cls, label) => {
    for (let v = 0; v < perClass; v++) jobs.push({ cls, label, group: Math.floor(v / cpg) + 1, clip: (v % cpg) + 1 });
  });
  const metas: SyntheticVideoMeta[] = new Array<SyntheticVideoMeta>(jobs.length);
  let done = 0;
  const order = new Map(jobs.map((j, i) => [j, i]));
  await runPool(jobs, opts.concurrency ?? availableParallelism() + 1, async (job) => {
    const file = `${job.cls}/v_${job.cls}_g${pad2(job.group)}_c${pad2(job.clip)}.mp4`;
    const vSeed = hashSeed(seed, job.cls, job.group, job.clip);
    const video = synthesizeVideo({
      className: job.cls, seconds, width, height, fps, sampleRate,
      seed: vSeed,
      groupSeed: sceneSeed(seed, job.cls, job.group, opts.scenes ?? 'per-class'),
      timbre: opts.timbre,
      objectScale: opts.objectScale,
      pitch: opts.pitch,
    });
    await encodeVideo(join(videosDir, file), {
      width, height, fps, frameCount,
      renderFrame: video.renderFrame,
      audio: { samples: video.audio, sampleRate },
      videoCodecArgs: h264Args({ crf: opts.crf ?? 20, gop: fps }),
      extraOutputArgs: ['-movflags', '+faststart'],
    });
    metas[order.get(job) ?? 0] = {
      file,
      className: job.cls,
      label: job.label,
      group: job.group,
      clip: job.clip,
      seed: vSeed,
      shape: video.shape,
      radius: video.radius,
      pitchHz: video.pitchHz,
      color: video.color,
      events: video.events,
      testFolds: syntheticTestFolds(job.group, groups),
    };
    done++;
    opts.onProgress?.(done, jobs.length);
  });

  // UCF101 annotation files: 1-based labels, CRLF line endings.
  const crlf = (lines: string[]): string => lines.map((l) => `${l}\r\n`).join('');
  await writeFile(join(splitsDir, 'classInd.txt'), crlf(classes.map((c, i) => `${i + 1} ${c}`)));
  for (const fold of [1, 2, 3]) {
    const train = metas.filter((m) => !m.testFolds.includes(fold));
    const test = metas.filter((m) => m.testFolds.includes(fold));
    await writeFile(join(splitsDir, `trainlist0${fold}.txt`), crlf(train.map((m) => `${m.file} ${m.label + 1}`)));
    await writeFile(join(splitsDir, `testlist0${fold}.txt`), crlf(test.map((m) => m.file)));
  }
  const settings = { classes: nClasses, videosPerClass: perClass, seconds, width, height, fps, sampleRate, seed, clipsPerGroup: cpg, timbre: opts.timbre ?? 'shape', objectScale: opts.objectScale ?? 1, pitch: opts.pitch ?? 'size', scenes: opts.scenes ?? 'per-class' };
  await writeFile(join(root, 'meta.json'), `${JSON.stringify({ generator: 'gdt synthetic v1', settings, classes, videos: metas }, null, 1)}\n`);
  // Leftover temporary files would only exist after a crash; none are expected here.
  const stray = (await readdir(videosDir, { recursive: true })).filter((f) => String(f).includes('.tmp-'));
  if (stray.length > 0) throw new Error(`temporary files left in ${videosDir}: ${stray.join(', ')}`);
  return { root, videosDir, splitsDir, classes, videos: metas, elapsedMs: performance.now() - t0 };
}
