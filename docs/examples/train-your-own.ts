// Train your own model: a small MLP on random data with SGD and a cosine schedule, then save it
// as safetensors and as a PyTorch .pth, load it back and check it gives the same outputs.
// Run: node --import tsx docs/examples/train-your-own.ts
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch, nn, optim, io } from '../../src/index.js';
import type { Tensor } from '../../src/torch/index.js';

// A module: children registered under their state_dict names, a forward.
class Mlp extends nn.Module {
  readonly fc1: nn.Linear;
  readonly fc2: nn.Linear;
  constructor(inputs: number, hidden: number, classes: number) {
    super();
    this.fc1 = this.registerModule('fc1', new nn.Linear(inputs, hidden));
    this.fc2 = this.registerModule('fc2', new nn.Linear(hidden, classes));
  }
  forward(x: Tensor): Tensor {
    return torch.tidy(() => this.fc2.forward(torch.F.relu(this.fc1.forward(x))));
  }
}

torch.manualSeed(0);
// Data: 512 points in 16-d; the class is the side of a random hyperplane.
const x = torch.randn([512, 16]);
const direction = torch.randn([16, 1]);
const y = torch.tidy(() => x.matmul(direction).squeeze(1).gt(0).long());

const model = new Mlp(16, 32, 2);
const sgd = new optim.SGD(model.parameters(), { lr: 0.2, momentum: 0.9, weightDecay: 1e-4 });
const steps = 150;
const schedule = new optim.CosineAnnealingLR(sgd, { tMax: steps });

let loss = NaN;
for (let step = 0; step < steps; step++) {
  loss = torch.tidy(() => {
    sgd.zeroGrad();
    const l = torch.F.crossEntropy(model.forward(x), y);
    l.backward();
    sgd.step();
    return l.item() as number;
  });
  schedule.step(); // per step here
  if (step % 50 === 0) console.log(`step ${step}: loss ${loss.toFixed(4)}, lr ${schedule.getLastLr()[0]!.toFixed(4)}`);
}
model.eval();
const accuracy = torch.tidy(() => torch.noGrad(() => model.forward(x).argmax(1).eq(y).float().mean().item() as number));
console.log(`final loss ${loss.toFixed(4)}, training accuracy ${(100 * accuracy).toFixed(1)} %`);
assert.ok(accuracy > 0.9, `accuracy ${accuracy}`);

// Save: the state dict under PyTorch's key names (fc1.weight, fc1.bias, ...).
const dir = mkdtempSync(join(tmpdir(), 'gdt-example-'));
const sd = model.stateDict(); // new handles sharing the module's memory
await io.saveSafetensors(join(dir, 'mlp.safetensors'), sd, { note: 'docs/examples/train-your-own.ts' });
await io.saveTorchFile(join(dir, 'mlp.pth'), sd); // torch.load(..., weights_only=True) reads it
torch.disposeAll(sd);

// Load into a fresh model and compare.
const again = new Mlp(16, 32, 2).eval();
const { tensors } = await io.loadSafetensors(join(dir, 'mlp.safetensors'));
const report = again.loadStateDict(tensors); // strict: every key must match
torch.disposeAll(tensors);
assert.deepEqual(report.loaded.sort(), ['fc1.bias', 'fc1.weight', 'fc2.bias', 'fc2.weight']);
const same = torch.tidy(() => torch.noGrad(() => model.forward(x).allclose(again.forward(x))));
assert.ok(same);
const fromPth = io.extractStateDict(await io.loadTorchFile(join(dir, 'mlp.pth')));
assert.deepEqual([...fromPth.keys()].sort(), report.loaded);
torch.disposeAll(fromPth);
console.log(`saved and reloaded ${join(dir, 'mlp.safetensors')} and mlp.pth`);
rmSync(dir, { recursive: true });

model.dispose();
again.dispose();
sgd.dispose();
torch.disposeAll([x, direction, y]);
console.log('ok train-your-own');
