// The embedding tests' fixture: a small synthetic dataset (2 classes x 3 videos, 2 s, 64 px) and a
// checkpoint in `gdt pretrain`'s format (tensors `model/<key>` + the JSON document with the config)
// holding a quarter-width GDT model whose BatchNorm statistics were set on a few random clips (so
// that features are normalised as in a trained model), without the cost of pretraining it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch } from '../../src/index.js';
import type { Tensor } from '../../src/torch/index.js';
import { GDT } from '../../src/models/gdt.js';
import { Stica } from '../../src/models/stica.js';
import { saveCheckpoint } from '../../src/io/checkpoint.js';
import { generateSyntheticDataset } from '../../src/media/synth.js';

export interface EmbedFixture {
  dir: string;
  /** The videos folder (Class/v_*.mp4). */
  videos: string;
  /** Every video, sorted by path (the order of `gdt embed <folder>`). */
  paths: string[];
  checkpoint: string;
  /** The clip the checkpoint's config records. */
  data: { numFrames: number; targetFps: number; cropSize: number; audioSeconds: number; specType: 1; zNormalize: true };
}

export const FIXTURE_DATA = { numFrames: 8, targetFps: 8, cropSize: 32, audioSeconds: 1, specType: 1, zNormalize: true } as const;

/** A pretraining-format checkpoint of a GDT (or STiCA, one pooling layer) model of `width` (seeded). */
export async function writeCheckpoint(path: string, width: number, seed: number, method: 'gdt' | 'stica' = 'gdt'): Promise<void> {
  torch.manualSeed(seed);
  const model: GDT | Stica = torch.tidy(() => (method === 'gdt' ? new GDT({ width }) : new Stica({ width, numLayers: 1 })));
  try {
    // BatchNorm running statistics from random inputs (train-mode forwards, no gradients).
    model.train();
    torch.noGrad(() => {
      for (let i = 0; i < 3; i++) {
        torch.tidy(() => {
          model.forward(torch.randn([4, 3, FIXTURE_DATA.numFrames, FIXTURE_DATA.cropSize, FIXTURE_DATA.cropSize]), torch.randn([4, 1, 40, 99]));
        });
      }
    });
    await torch.tidyAsync(async () => {
      const tensors = new Map<string, Tensor>();
      for (const [k, t] of model.stateDict()) tensors.set(`model/${k}`, t);
      await saveCheckpoint(path, {
        tensors,
        document: {
          kind: 'pretrain',
          method,
          position: { epoch: 1, step: 0, globalStep: 10 },
          config: { method, model: { videoDepth: 18, audioDepth: 9, width, useMlp: true }, data: { root: 'synthetic', ...FIXTURE_DATA } },
        },
      });
    });
  } finally {
    model.dispose();
  }
}

let cached: Promise<EmbedFixture> | undefined;

export function embedFixture(): Promise<EmbedFixture> {
  cached ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gdt-embed-fixture-'));
    const ds = await generateSyntheticDataset(join(dir, 'data'), { classes: 2, videosPerClass: 3, seconds: 2, width: 64, height: 64, fps: 15, seed: 5, concurrency: 2 });
    const checkpoint = join(dir, 'checkpoint.safetensors');
    await writeCheckpoint(checkpoint, 0.25, 1);
    const paths = ds.videos.map((v) => join(ds.videosDir, v.file)).sort();
    return { dir, videos: ds.videosDir, paths, checkpoint, data: FIXTURE_DATA };
  })();
  return cached;
}
