// Native memory: dispose, using, tidy, scope, keep (docs/memory.md).
// Run: node --import tsx docs/examples/memory.ts
import assert from 'node:assert/strict';
import { torch } from '../../src/index.js';
import type { Tensor } from '../../src/torch/index.js';

const live = (): number => torch.memory.liveTensors();
const start = live();

// 1. A tensor made outside any scope belongs to its creator: dispose it (idempotent).
const t = torch.ones([1000, 1000]);
t.dispose();

// 2. `using` frees at the end of the block (TypeScript 5.2+, also under tsx).
{
  using u = torch.randn([256, 256]);
  assert.equal(u.shape[0], 256);
}

// 3. tidy frees everything made inside except what it returns (handed to the enclosing scope).
const norm = torch.tidy(() => {
  const x = torch.randn([64, 128]);
  const y = x.mul(x).sum(1); // temporaries: x, x*x, y
  return y.sqrt(); //           only this survives
});
assert.equal(live(), start + 1);
norm.dispose();

// 4. A scope frees every tensor made in the block; keep() lets long-lived state escape.
let state: Tensor | undefined;
{
  using _ = torch.scope();
  const tmp = torch.randn([10]);
  state = torch.keep(tmp.abs()); // survives the scope
}
assert.equal(live(), start + 1);
state.dispose();

// 5. A training-like loop: one tidy per iteration, the loss kept as a number.
const w = torch.zeros([8], { requiresGrad: true }); // long-lived, created outside scopes
const x = torch.randn([32, 8]);
const target = torch.randn([32]);
let loss = 0;
for (let i = 0; i < 100; i++) {
  loss = torch.tidy(() => {
    const l = x.matmul(w).sub(target).pow(2).mean();
    l.backward();
    torch.noGrad(() => w.sub_(w.grad!, 0.1));
    w.grad = undefined; // clear the accumulated gradient (optimizer.zeroGrad() does this)
    return l.item() as number;
  });
}
console.log('loss', loss.toFixed(4));
torch.disposeAll([w, x, target]);
assert.equal(live(), start); // every handle freed
console.log('ok memory');
