// Checkpoints in the reference's main_gdt.py layout (SPEC 4.2): {model, optimizer, lr_scheduler,
// epoch, args}, the model's state dict under its reference key names, no `module.` prefix.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch, nn } from '../../src/index.js';
import type { Tensor } from '../../src/torch/index.js';
import { saveTorchFile } from '../../src/io/index.js';

export const WIDTH = 1 / 8;

const made: string[] = [];
// Each test makes its own cache dir (with MB-sized files): remove them when the process ends.
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

export function tempDir(prefix = 'gdt-zoo-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** The state dict of `model` with seeded random values, as a Map the caller owns. */
export function randomState(model: nn.Module<never[], unknown>, seed = 1): Map<string, Tensor> {
  torch.manualSeed(seed);
  const sd = new Map<string, Tensor>();
  torch.tidy(() => {
    for (const [k, t] of model.stateDict()) sd.set(k, torch.keep(t.dtype === 'float32' ? torch.randn(t.shape) : t.clone()));
  });
  return sd;
}

/** The bytes of a main_gdt.py-style checkpoint holding `state`. */
export async function checkpointBytes(state: Map<string, Tensor>, epoch = 100): Promise<Buffer> {
  const path = join(tempDir('gdt-zoo-ckpt-'), 'checkpoint.pth');
  await saveTorchFile(path, {
    model: state,
    optimizer: { state: {}, param_groups: [{ lr: 0.01, momentum: 0.9 }] },
    lr_scheduler: { last_epoch: epoch - 1 },
    epoch,
    args: { model: 'av_gdt', hypothesis: 1 },
  });
  return readFileSync(path);
}
