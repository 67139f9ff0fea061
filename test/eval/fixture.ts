// The shared fixture of the evaluation tests: a synthetic dataset (Bounce vs Grow, 32 videos per
// class, 64x64, 2 s) and a tiny `gdt pretrain gdt` checkpoint (2 steps) trained on it.
//
// Built once per test run and shared by the test files, which may run concurrently: one process
// builds it (the others wait on a lock folder), into a private folder that is then renamed into
// place complete. Nothing writes into the shared folder after that: each process keeps its own
// probe cache (`manifest`) and writes its outputs to its own temporary folders.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyntheticDataset } from '../../src/media/synth.js';
import { cli } from '../cli/helpers.js';

export interface EvalFixture {
  /** Dataset root (videos/ and splits/ in the UCF101 layout). Read only. */
  data: string;
  /** The pretraining checkpoint. Read only. */
  checkpoint: string;
  /** This process's probe cache (--manifest), so that its runs probe the videos once. */
  manifest: string;
  classes: string[];
}

const VERSION = 'v2';

async function build(dir: string): Promise<void> {
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const data = join(tmp, 'data');
  await generateSyntheticDataset(data, { classes: 2, videosPerClass: 32, seconds: 2, width: 64, height: 64, seed: 3 });
  const r = await cli('pretrain', 'gdt', '--preset', 'tiny', '--data', data, '--out', join(tmp, 'pretrain'), '--batch-size', '4', '--workers', '1', '--max-steps', '2');
  if (r.code !== 0) throw new Error(`gdt pretrain failed:\n${r.out}\n${r.err}`);
  writeFileSync(join(tmp, 'ready'), 'ok\n');
  rmSync(dir, { recursive: true, force: true }); // an incomplete leftover, if any
  renameSync(tmp, dir);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function buildOnce(dir: string): Promise<void> {
  const ready = join(dir, 'ready');
  const lock = `${dir}.lock`;
  const t0 = Date.now();
  while (!existsSync(ready)) {
    try {
      mkdirSync(lock);
    } catch {
      // Another process is building it; a lock whose owner died is taken over.
      let owner = NaN;
      try {
        owner = Number(readFileSync(join(lock, 'pid'), 'utf8'));
      } catch {
        // not written yet
      }
      if (Number.isInteger(owner) && !alive(owner)) rmSync(lock, { recursive: true, force: true });
      if (Date.now() - t0 > 10 * 60_000) throw new Error(`timed out waiting for the fixture in ${dir}`);
      await new Promise((r) => setTimeout(r, 250));
      continue;
    }
    try {
      writeFileSync(join(lock, 'pid'), String(process.pid));
      if (!existsSync(ready)) await build(dir);
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

let cached: Promise<EvalFixture> | undefined;

export function evalFixture(): Promise<EvalFixture> {
  cached ??= (async () => {
    // The test runner is every test file's parent: one fixture per run.
    const dir = join(tmpdir(), `gdt-eval-fixture-${VERSION}-${process.ppid}`);
    await buildOnce(dir);
    return {
      data: join(dir, 'data'),
      checkpoint: join(dir, 'pretrain', 'checkpoint.safetensors'),
      manifest: join(mkdtempSync(join(tmpdir(), 'gdt-eval-probe-')), 'probe-manifest.json'),
      classes: ['Bounce', 'Grow'],
    };
  })();
  return cached;
}
