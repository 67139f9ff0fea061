// npm run bench:data — decode + augment throughput of the GDT sample (30 frames, 112 crop, 1 s of
// audio; SPEC 5.7: two clips, each forward and reversed) on synthetic videos: time per stage in
// one thread, then clips/s through the loader with 1, 2 and 4 workers.
// Last line: clips_per_s_per_worker=<x> (one worker, GDT clips = 4 views per sample / 4).
import { mkdtempSync } from 'node:fs';
import { tmpdir, availableParallelism } from 'node:os';
import { join } from 'node:path';
import { torch } from '../src/index.js';
import { generateSyntheticDataset } from '../src/media/synth.js';
import { loadAudioVisualList, decodeForSample } from '../src/data/gdt-dataset.js';
import { DataLoader } from '../src/data/loader.js';
import { seededStreams } from '../src/transforms/streams.js';
import { gdtAugment } from '../src/transforms/clip-augment.js';
import { getSpec } from '../src/transforms/spectrogram.js';

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  torch.setNumThreads(1); // each loader worker uses one libtorch thread
  const root = process.env.GDT_BENCH_DATA ?? mkdtempSync(join(tmpdir(), 'gdt-bench-data-'));
  if (!process.env.GDT_BENCH_DATA) {
    console.log(`generating synthetic videos in ${root} ...`);
    await generateSyntheticDataset(root, { classes: 4, videosPerClass: 6, seconds: 4, seed: 0 });
  }
  const opts = { root, format: 'ucf101' as const, fold: 1, split: 'train' };
  const { videos } = await loadAudioVisualList(opts);

  // Per stage, in this thread: one GDT clip = decode (frames + audio), spectrogram, 2 augmented views.
  const stages = { decode: [] as number[], spectrogram: [] as number[], augment: [] as number[] };
  for (let i = 0; i < 12; i++) {
    const v = videos[i % videos.length]!;
    const rng = seededStreams(i);
    let t = performance.now();
    const { frames, wav } = await decodeForSample(v, opts, { kind: 'uniform', index: (i * 83) % 1000, count: 1000 });
    stages.decode.push(performance.now() - t);
    t = performance.now();
    torch.tidy(() => getSpec(wav, 0, rng, { specAugment: 'medium', volumeJitter: true, zNormalize: true }));
    stages.spectrogram.push(performance.now() - t);
    t = performance.now();
    torch.tidy(() => {
      gdtAugment(frames, rng);
      gdtAugment(frames.flip(0), rng);
    });
    stages.augment.push(performance.now() - t);
    frames.dispose();
    wav.dispose();
  }
  const perClip = median(stages.decode) + median(stages.spectrogram) + median(stages.augment);
  console.log('\nper GDT clip (one thread, medians of 12):');
  console.log(`  decode (30 frames + 1 s audio)   ${median(stages.decode).toFixed(1)} ms`);
  console.log(`  spectrogram + SpecAugment        ${median(stages.spectrogram).toFixed(1)} ms`);
  console.log(`  video augmentation (fwd + rev)   ${median(stages.augment).toFixed(1)} ms`);
  console.log(`  total                            ${perClip.toFixed(1)} ms  (${(1000 / perClip).toFixed(1)} clips/s)`);

  const rows: [number, number][] = [];
  const batchSize = 4;
  for (const workers of [1, 2, 4]) {
    const loader = await DataLoader.create(
      { module: new URL('../src/data/gdt-dataset.ts', import.meta.url).href, exportName: 'createGdtPretrainDataset', options: opts },
      { batchSize, workers, prefetch: 2, shuffle: true, seed: 1 },
    );
    let samples = 0;
    const t = performance.now();
    for (let epoch = 0; samples < 24 * Math.max(1, workers / 2); epoch++) {
      for await (const b of loader.epoch(epoch)) {
        samples += b.indices.length;
        torch.disposeAll(b.tensors);
      }
    }
    const s = (performance.now() - t) / 1000;
    // A GDT sample holds two clips (each with its reversal): clips/s counts decoded clips.
    rows.push([workers, (2 * samples) / s]);
    await loader.close();
  }
  console.log(`\nloader (GDT samples of 2 clips, batch ${batchSize}, ${availableParallelism()} cores):`);
  console.log('  workers  clips/s  clips/s/worker');
  for (const [w, c] of rows) console.log(`  ${String(w).padStart(7)}  ${c.toFixed(1).padStart(7)}  ${(c / w).toFixed(1).padStart(14)}`);
  console.log(`clips_per_s_per_worker=${rows[0]![1].toFixed(2)}`);
}

await main();
