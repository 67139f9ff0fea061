// The shared fixture of the evaluation tests: a synthetic dataset (Bounce vs Grow, 32 videos per
// class, 64x64, 2 s) and a tiny `gdt pretrain gdt` checkpoint (2 steps) trained on it. Built once
// per test run (keyed by the test runner's pid) and shared by the test files.
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyntheticDataset } from '../../src/media/synth.js';
import { cli } from '../cli/helpers.js';

export interface EvalFixture {
  /** Dataset root (videos/ and splits/ in the UCF101 layout). */
  data: string;
  /** The pretraining checkpoint. */
  checkpoint: string;
  /** A probe cache shared by the runs (--manifest), so that the videos are probed once. */
  manifest: string;
  classes: string[];
}

const VERSION = 'v1';

async function build(dir: string): Promise<void> {
  const data = join(dir, 'data');
  await generateSyntheticDataset(data, { classes: 2, videosPerClass: 32, seconds: 2, width: 64, height: 64, seed: 3 });
  const pt = join(dir, 'pretrain');
  const r = await cli('pretrain', 'gdt', '--preset', 'tiny', '--data', data, '--out', pt, '--batch-size', '4', '--workers', '1', '--max-steps', '2');
  if (r.code !== 0) throw new Error(`gdt pretrain failed:\n${r.out}\n${r.err}`);
  writeFileSync(join(dir, 'ready'), 'ok\n');
}

let cached: Promise<EvalFixture> | undefined;

export function evalFixture(): Promise<EvalFixture> {
  cached ??= (async () => {
    const dir = join(tmpdir(), `gdt-eval-fixture-${VERSION}-${process.ppid}`);
    if (!existsSync(join(dir, 'ready'))) {
      const tmp = `${dir}.tmp-${process.pid}`;
      rmSync(tmp, { recursive: true, force: true });
      mkdirSync(tmp, { recursive: true });
      await build(tmp);
      if (existsSync(dir) && !existsSync(join(dir, 'ready'))) rmSync(dir, { recursive: true, force: true });
      try {
        renameSync(tmp, dir);
      } catch {
        // Another test file finished first: use its copy.
        rmSync(tmp, { recursive: true, force: true });
      }
    }
    return { data: join(dir, 'data'), checkpoint: join(dir, 'pretrain', 'checkpoint.safetensors'), manifest: join(dir, 'probe-manifest.json'), classes: ['Bounce', 'Grow'] };
  })();
  return cached;
}
