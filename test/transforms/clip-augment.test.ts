// The pipelines of SPEC 5.7 / 5.8: compat 'reference' equals the Python reference (fixture, same
// seeds, all bugs kept); the correct mode equals the documented composition of the parts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../src/index.js';
import * as T from '../../src/transforms/index.js';
import { fixtureTensor, loadReference, maxAbsDiff, synthFrames, type F32 } from './helpers.js';

interface VideoCase {
  kind: 'gdt' | 'clip';
  name?: string;
  seed: number;
  scales: [number, number];
  crop: number;
  spatialIdx?: -1 | 0 | 1 | 2 | 3 | 4 | 5;
  colorJitter?: boolean;
  grayscale?: boolean;
  gaussianBlur?: boolean;
  rrc?: boolean;
  fired?: string[];
  out: F32;
}
const cases = loadReference<{ video: VideoCase[] }>().video;

for (const c of cases) {
  test(`compat 'reference' ${c.kind} pipeline equals the Python reference (${c.name ?? ''} seed ${c.seed})`, () => {
    torch.tidy(() => {
      const frames = synthFrames(4, 20, 26);
      const rng = T.seededStreams(c.seed);
      const out =
        c.kind === 'gdt'
          ? T.gdtAugment(frames, rng, { cropSize: c.crop, scales: c.scales, compat: 'reference' })
          : T.clipAugment(frames, rng, {
              cropSize: c.crop,
              scales: c.scales,
              spatialIdx: c.spatialIdx,
              colorJitter: c.colorJitter,
              grayscale: c.grayscale,
              gaussianBlur: c.gaussianBlur,
              randomResizedCrop: c.rrc,
              compat: 'reference',
            });
      const want = fixtureTensor(c.out);
      assert.deepEqual(out.shape, want.shape);
      const err = maxAbsDiff(out, want);
      assert.ok(err < 2e-5, `max abs error ${err}`);
    });
  });
}

test('the fixture covers every coin: jitter + grayscale + blur, none, resized crop, uniform crops', () => {
  const fired = new Set(cases.flatMap((c) => c.fired ?? []));
  assert.deepEqual([...fired].sort(), ['blur', 'cj', 'gray']);
  assert.ok(cases.some((c) => c.kind === 'clip' && c.fired?.length === 0));
  assert.ok(cases.some((c) => c.rrc));
  assert.ok(cases.some((c) => (c.spatialIdx ?? -1) >= 3));
});

test('correct GDT pipeline = scale jitter, inclusive crop, flip, jitter on channels, normalise', () => {
  torch.tidy(() => {
    const frames = synthFrames(4, 20, 26);
    for (const seed of [0, 1, 2]) {
      const out = T.gdtAugment(frames, T.seededStreams(seed), { cropSize: 12, scales: [16, 20] });
      const rng = T.seededStreams(seed);
      const clip = T.thwcToTchw(T.toUnitFloat(frames));
      const s = T.spatialSampling(clip, rng, { spatialIdx: -1, minScale: 16, maxScale: 20, cropSize: 12 });
      const want = T.tchwToCthw(T.normalize(T.colorJitter(s, rng)));
      assert.deepEqual(out.shape, [3, 4, 12, 12]);
      assert.equal(maxAbsDiff(out, want), 0);
    }
  });
});

test("GDT jitter on the wrong axis (13.25): 'reference' treats frames as channels", () => {
  torch.tidy(() => {
    // A still video (5 identical frames): the correct jitter acts on each frame alike, so the frames
    // stay identical. The reference's "channels" are frames 0..2 and its gray image is zero for
    // frames >= 3, so contrast and saturation treat those frames differently.
    const still = synthFrames(1, 20, 26).expand([5, 20, 26, 3]).contiguous();
    const ok = T.gdtAugment(still, T.seededStreams(1), { cropSize: 12, scales: [16, 20] });
    const bad = T.gdtAugment(still, T.seededStreams(1), { cropSize: 12, scales: [16, 20], compat: 'reference' });
    const frameSpread = (v: torch.Tensor) => maxAbsDiff(v.index(':, 0'), v.index(':, 4'));
    assert.ok(frameSpread(ok) < 1e-6, 'correct: frames stay identical');
    assert.ok(frameSpread(bad) > 1e-2, 'reference: frame 4 differs from frame 0');
    // Equivalently: the reference result is the jitter applied to the transposed clip.
    const rng = T.seededStreams(1);
    const x = T.spatialSampling(T.thwcToTchw(T.toUnitFloat(still)), rng, { spatialIdx: -1, minScale: 16, maxScale: 20, cropSize: 12, compat: 'reference' });
    const j = T.colorJitter(T.tchwToCthw(x).contiguous(), rng, { compat: 'reference' }); // (C, T, H, W) as (T, C, H, W)
    const want = T.normalize(T.cthwToTchw(j));
    assert.ok(maxAbsDiff(bad, T.tchwToCthw(want)) < 1e-6);
  });
});

test('correct clip augmentation normalises last; reference normalises first (13.27)', () => {
  torch.tidy(() => {
    const frames = synthFrames(4, 20, 26);
    const opts = { cropSize: 12, scales: [16, 20] as [number, number], spatialIdx: 1 as const, colorJitter: true };
    // Seed 1 fires the jitter (p = 0.8) in both modes (same draws with a uniform crop).
    const ok = T.clipAugment(frames, T.seededStreams(1), opts);
    const rng = T.seededStreams(1);
    let x = T.spatialSampling(T.thwcToTchw(T.toUnitFloat(frames)), rng, { spatialIdx: 1, minScale: 16, maxScale: 20, cropSize: 12 });
    assert.ok(rng.numpy.random() >= 0.2, 'the jitter coin fires for this seed');
    x = T.normalize(T.colorJitter(x, rng));
    assert.equal(maxAbsDiff(ok, T.tchwToCthw(x)), 0);
    const bad = T.clipAugment(frames, T.seededStreams(1), { ...opts, compat: 'reference' });
    assert.ok(maxAbsDiff(ok, bad) > 1e-2);
    // Without colour transforms both orders agree (resizing commutes with the affine normalisation).
    const a = T.clipAugment(frames, T.seededStreams(1), { ...opts, colorJitter: false });
    const b = T.clipAugment(frames, T.seededStreams(1), { ...opts, colorJitter: false, compat: 'reference' });
    assert.ok(maxAbsDiff(a, b) < 1e-5);
  });
});

test('jitter scales follow the crop size; output is (3, T, crop, crop) float32', () => {
  assert.deepEqual(T.jitterScalesFor(112), [128, 160]);
  assert.deepEqual(T.jitterScalesFor(128), [128, 160]);
  assert.deepEqual(T.jitterScalesFor(224), [256, 320]);
  torch.tidy(() => {
    const frames = synthFrames(3, 36, 48);
    const v = T.clipAugment(frames, T.seededStreams(0), { cropSize: 32, scales: [32, 40], randomResizedCrop: true, grayscale: true, gaussianBlur: true });
    assert.deepEqual(v.shape, [3, 3, 32, 32]);
    assert.equal(v.dtype, 'float32');
  });
});

test('the transforms free every temporary (live native handles return to the baseline)', () => {
  const frames = synthFrames(4, 20, 26);
  const wav = torch.tensor(new Int16Array(30000).map((_, i) => (i * 37) % 2000));
  T.melFilterbank({ nfilt: 257, nfft: 1024, sampleRate: 24000 }).dispose(); // the filterbank cache is kept on purpose
  const before = torch.memory.liveTensors();
  const outs = [
    T.gdtAugment(frames, T.seededStreams(0), { cropSize: 12, scales: [16, 20] }),
    T.gdtAugment(frames, T.seededStreams(0), { cropSize: 12, scales: [16, 20], compat: 'reference' }),
    T.clipAugment(frames, T.seededStreams(1), { cropSize: 12, scales: [16, 20], colorJitter: true, grayscale: true, gaussianBlur: true }),
    T.clipAugment(frames, T.seededStreams(11), { cropSize: 12, randomResizedCrop: true, compat: 'reference' }),
    T.getSpec(wav, 0.1, T.seededStreams(0), { specType: 2, volumeJitter: true, zNormalize: true, specAugment: 'heavy', timeWarp: 5 }),
  ];
  assert.equal(torch.memory.liveTensors(), before + outs.length);
  torch.disposeAll(outs);
  assert.equal(torch.memory.liveTensors(), before);
  frames.dispose();
  wav.dispose();
});
