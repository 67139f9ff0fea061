// `timbre: 'class'` (the demo's data): the class decides the harmonic structure of the sound,
// whatever the object's shape; the default ties it to the shape. Checked on Grow's continuous
// tone (class timbre: partials 1, 2, 3) with a Goertzel filter at the first partials.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLASS_PITCHES, sceneSeed, synthesizeVideo } from '../../src/media/synth.js';
import { cli } from '../cli/helpers.js';

/** Power of frequency f in x[start, start + n) (Goertzel). */
function power(x: Float32Array, sr: number, f: number, start: number, n: number): number {
  const w = (2 * Math.PI * f) / sr;
  const c = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let i = start; i < start + n; i++) {
    const s0 = x[i]! + c * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return s1 * s1 + s2 * s2 - c * s1 * s2;
}

test("timbre 'class': Grow sounds with partials 1, 2, 3 whatever the shape; by shape there is no 2nd partial", () => {
  const base = { className: 'Grow' as const, seconds: 1, width: 64, height: 64, fps: 30, sampleRate: 24000 };
  const shapes = new Set<string>();
  for (let seed = 1; seed <= 12; seed++) {
    const byClass = synthesizeVideo({ ...base, seed, groupSeed: 7, timbre: 'class' });
    const byShape = synthesizeVideo({ ...base, seed, groupSeed: 7 });
    assert.equal(byClass.shape, byShape.shape, 'same scene');
    // 40 ms early in the tone (the pitch barely moves), after the fade-in.
    const start = Math.round(0.05 * 24000);
    const n = 960;
    const f0 = byClass.pitchHz;
    const ratio = (a: Float32Array, k: number): number => power(a, 24000, k * f0, start, n) / power(a, 24000, f0, start, n);
    shapes.add(byClass.shape);
    assert.ok(ratio(byClass.audio, 2) > 0.02, `seed ${seed} (${byClass.shape}): 2nd partial present (${ratio(byClass.audio, 2)})`);
    // By shape no timbre has a partial at exactly 2 f0 (circle: pure; square: odd; triangle: 2.76).
    assert.ok(ratio(byShape.audio, 2) < 0.005, `seed ${seed} (${byShape.shape}): no 2nd partial by shape (${ratio(byShape.audio, 2)})`);
  }
  assert.ok(shapes.size >= 2, `several shapes drawn: ${[...shapes].join(', ')}`);
});

test("gdt synth: the demo's data options (--timbre, --pitch, --scenes, --clips-per-group, --object-scale) reach meta.json and the splits; bad values are clear errors", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdt-synth-timbre-'));
  let r = await cli('synth', dir, '--classes', '1', '--videos-per-class', '3', '--seconds', '1', '--size', '64x64', '--timbre', 'class', '--clips-per-group', '1', '--object-scale', '2.5', '--pitch', 'class', '--scenes', 'shared');
  assert.equal(r.code, 0, r.err);
  const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as { settings: { timbre: string; clipsPerGroup: number; objectScale: number; pitch: string; scenes: string }; videos: { file: string; group: number; clip: number; pitchHz: number }[] };
  assert.deepEqual([meta.settings.timbre, meta.settings.clipsPerGroup, meta.settings.objectScale, meta.settings.pitch, meta.settings.scenes], ['class', 1, 2.5, 'class', 'shared']);
  assert.deepEqual(meta.videos.map((v) => v.pitchHz), [220, 220, 220], "Bounce's pitch for every video");
  // One video per group: groups 1, 2, 3, each with clip 1 (the default would put all three in group 1).
  assert.deepEqual(meta.videos.map((v) => [v.group, v.clip]), [[1, 1], [2, 1], [3, 1]]);
  assert.deepEqual(meta.videos.map((v) => v.file), ['Bounce/v_Bounce_g01_c01.mp4', 'Bounce/v_Bounce_g02_c01.mp4', 'Bounce/v_Bounce_g03_c01.mp4']);
  r = await cli('synth', dir, '--timbre', 'loud');
  assert.equal(r.code, 1);
  assert.match(r.err, /--timbre must be shape or class, got 'loud'/);
  r = await cli('synth', dir, '--pitch', 'loud');
  assert.equal(r.code, 1);
  assert.match(r.err, /--pitch must be size or class, got 'loud'/);
  r = await cli('synth', dir, '--scenes', 'all');
  assert.equal(r.code, 1);
  assert.match(r.err, /--scenes must be per-class or shared, got 'all'/);
  r = await cli('synth', dir, '--clips-per-group', '0');
  assert.equal(r.code, 1);
  assert.match(r.err, /--clips-per-group must be an integer >= 1, got '0'/);
  r = await cli('synth', dir, '--object-scale', '-2');
  assert.equal(r.code, 1);
  assert.match(r.err, /--object-scale must be a positive number, got '-2'/);
});

test('objectScale multiplies object sizes (and lowers the pitch accordingly); paths and non-contact events stay', () => {
  for (const className of ['Bounce', 'Grow', 'Rain', 'Orbit'] as const) {
    const p = { className, seconds: 1, width: 64, height: 64, fps: 30, sampleRate: 24000, seed: 11, groupSeed: 3 };
    const a = synthesizeVideo(p);
    const b = synthesizeVideo({ ...p, objectScale: 2.5 });
    assert.ok(Math.abs(b.radius - 2.5 * a.radius) < 1e-9, `${className}: radius ${a.radius} -> ${b.radius}`);
    assert.ok(Math.abs(b.pitchHz - a.pitchHz / 2.5) < 1e-6 * a.pitchHz, `${className}: pitch ${a.pitchHz} -> ${b.pitchHz}`);
    // Contacts depend on size (a bigger ball touches the floor sooner); growth and orbits do not.
    if (className === 'Grow' || className === 'Orbit') assert.deepEqual(b.events, a.events, `${className}: the same events`);
    else assert.equal(b.events.length > 0, a.events.length > 0, `${className}: events either way`);
  }
});

test("pitch 'class': the main object starts at its class's pitch whatever its size; the audio's peak sits there; 'size' follows the radius", () => {
  // 30-60 ms: after the fade-in, before the growth has moved the pitch much (33 Hz resolution).
  const start = Math.round(0.03 * 24000);
  const n = 720;
  for (const className of ['Grow', 'Orbit', 'Swing'] as const) {
    const radii = new Set<number>();
    for (let seed = 1; seed <= 4; seed++) {
      const p = { className, seconds: 1, width: 64, height: 64, fps: 30, sampleRate: 24000, seed, groupSeed: 5, timbre: 'class' as const, objectScale: 2.5 };
      const bySize = synthesizeVideo(p);
      const byClass = synthesizeVideo({ ...p, pitch: 'class' });
      assert.equal(byClass.radius, bySize.radius, 'same scene');
      radii.add(bySize.radius);
      assert.ok(Math.abs(bySize.pitchHz - 6000 / ((bySize.radius * 128) / 64)) < 1e-9, `${className} ${seed}: by size, 6000 Hz / radius`);
      assert.equal(byClass.pitchHz, CLASS_PITCHES[className], `${className} ${seed}: by class, the class's pitch`);
      if (className !== 'Grow') continue;
      // Grow's tone starts at the main radius: the strongest of a few candidate frequencies is the class's pitch.
      const f = CLASS_PITCHES.Grow;
      const at = (hz: number): number => power(byClass.audio, 24000, hz, start, n);
      for (const other of [f * 0.7, f * 1.4, bySize.pitchHz].filter((o) => Math.abs(o - f) > 0.25 * f)) assert.ok(at(f) > 5 * at(other), `${seed}: ${f} Hz dominates ${other.toFixed(0)} Hz (${at(f)} vs ${at(other)})`);
    }
    assert.ok(radii.size >= 3, `${className}: sizes vary (${[...radii].join(', ')})`);
  }
});

test("scenes 'shared': group g has the same background in every class (up to the per-video brightness); per class they differ", () => {
  const frame0 = (className: 'Bounce' | 'Blink', groupSeed: number): Uint8Array => {
    const v = synthesizeVideo({ className, seconds: 1, width: 64, height: 64, fps: 30, sampleRate: 24000, seed: className === 'Bounce' ? 1 : 2, groupSeed });
    const out = new Uint8Array(64 * 64 * 3);
    v.renderFrame(0, out);
    return out;
  };
  // Fraction of pixels equal within 6 levels after matching the overall brightness.
  const agreement = (a: Uint8Array, b: Uint8Array): number => {
    let sa = 0;
    let sb = 0;
    for (let i = 0; i < a.length; i++) (sa += a[i]!), (sb += b[i]!);
    let same = 0;
    for (let i = 0; i < a.length; i++) if (Math.abs(a[i]! - (b[i]! * sa) / sb) < 6) same++;
    return same / a.length;
  };
  assert.equal(sceneSeed(5, 'Bounce', 3, 'shared'), sceneSeed(5, 'Blink', 3, 'shared'));
  assert.notEqual(sceneSeed(5, 'Bounce', 3, 'shared'), sceneSeed(5, 'Bounce', 4, 'shared'));
  assert.notEqual(sceneSeed(5, 'Bounce', 3, 'per-class'), sceneSeed(5, 'Blink', 3, 'per-class'));
  for (const g of [1, 2, 3]) {
    const shared = agreement(frame0('Bounce', sceneSeed(5, 'Bounce', g, 'shared')), frame0('Blink', sceneSeed(5, 'Blink', g, 'shared')));
    const perClass = agreement(frame0('Bounce', sceneSeed(5, 'Bounce', g, 'per-class')), frame0('Blink', sceneSeed(5, 'Blink', g, 'per-class')));
    assert.ok(shared > 0.7, `group ${g}: shared backgrounds agree on ${shared}`);
    assert.ok(perClass < 0.3, `group ${g}: per-class backgrounds agree on ${perClass}`);
  }
});
