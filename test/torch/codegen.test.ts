// The generated operator wrappers are current: regenerating them from this libtorch's schemas
// reproduces src/torch/aten.generated.ts exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { torch } from './helpers.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

test('`npx tsx scripts/gen-ops.ts --check` exits 0', () => {
  const r = spawnSync('npx', ['tsx', 'scripts/gen-ops.ts', '--check'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.error, undefined, String(r.error));
  assert.equal(r.status, 0, `gen-ops --check failed (status ${r.status}):\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /up to date/);
});

test('every generated wrapper resolves to an operator of this libtorch', () => {
  // Resolving is lazy; call a few wrappers of different kinds to be sure the ids bind.
  const x = torch.ones([2, 2]);
  assert.deepEqual(new torch.Tensor(torch.aten.add_Tensor(x.handle, x.handle, 2)).toArray(), [[3, 3], [3, 3]]);
  assert.equal(torch.aten.item(torch.aten.sum(x.handle)), 4);
  const [v, i] = torch.aten.max_dim(x.handle, 0, false);
  assert.deepEqual(new torch.Tensor(v).toArray(), [1, 1]);
  assert.deepEqual(new torch.Tensor(i).shape, [2]);
});
