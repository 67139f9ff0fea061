// gdt inspect / gdt convert and the training checkpoint, end to end through the CLI entry.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch, io } from '../../src/index.js';
import { main } from '../../src/cli/main.js';

const fixture = (name: string): string => new URL(`../fixtures/io/${name}`, import.meta.url).pathname;

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = console.log;
  const error = console.error;
  console.log = (...a: unknown[]) => void out.push(a.join(' '));
  console.error = (...a: unknown[]) => void err.push(a.join(' '));
  try {
    const code = await main(['node', 'gdt', ...args]);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('gdt inspect lists keys, shapes and dtypes of zip and legacy .pth files (--json)', async () => {
  for (const f of ['gdt_checkpoint_zip.pth', 'gdt_checkpoint_legacy.pth']) {
    const r = await cli('inspect', fixture(f), '--json');
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { kind: string; tensors: { name: string; shape: number[]; dtype: string }[]; structure: Record<string, unknown> };
    assert.equal(j.kind, f.includes('zip') ? 'torch-zip' : 'torch-legacy');
    assert.ok(j.tensors.some((t) => t.name === 'model.0.weight' && t.shape.join() === '2,3' && t.dtype === 'float32'));
    assert.ok(j.tensors.some((t) => t.name === 'model.1.num_batches_tracked' && t.dtype === 'int64'));
    assert.deepEqual(Object.keys(j.structure), ['model', 'optimizer', 'lr_scheduler', 'epoch', 'args']);
    assert.equal(j.structure.epoch, 5);
  }
  const text = await cli('inspect', fixture('gdt_checkpoint_zip.pth'));
  assert.match(text.out, /torch-zip, \d+ tensors/);
  assert.match(text.out, /model\.0\.weight\s+float32\s+\[2, 3\]/);
});

test('gdt inspect refuses malicious pickles, naming the global, and runs nothing', async () => {
  for (const [f, g] of [
    ['evil_os_system_zip.pth', 'os.system'],
    ['evil_os_system_legacy.pth', 'os.system'],
    ['evil_eval_zip.pth', 'builtins.eval'],
    ['evil_popen_zip.pth', 'subprocess.Popen'],
  ]) {
    const r = await cli('inspect', fixture(f!));
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`refused global '${g!.replace('.', '\\.')}'`));
    assert.equal(r.err.split('\n').length, 1, 'a one-line reason');
  }
  const bad = join(mkdtempSync(join(tmpdir(), 'gdt-cli-')), 'junk.pth');
  writeFileSync(bad, 'not a checkpoint at all');
  const r = await cli('inspect', bad);
  assert.equal(r.code, 1);
  assert.match(r.err, /junk\.pth/);
});

test('gdt convert: .pth (module. prefix, --key) -> .safetensors -> .pth round trip keeps values', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdt-convert-'));
  const st = join(dir, 'm.safetensors');
  let r = await cli('convert', fixture('module_checkpoint_zip.pth'), st, '--strip-prefix', 'module.', '--key', 'state_dict');
  assert.equal(r.code, 0, r.err);
  const a = await io.loadTorchFile(fixture('module_checkpoint_zip.pth'));
  const src = io.extractStateDict(a, { key: 'state_dict', stripPrefix: 'module.' });
  const { tensors } = await io.loadSafetensors(st);
  assert.deepEqual([...tensors.keys()].sort(), [...src.keys()].sort());
  assert.ok([...src.keys()].every((k) => !k.startsWith('module.')));
  for (const [k, t] of src) assert.deepEqual(tensors.get(k)!.toArray(), t.toArray(), k);
  const back = join(dir, 'back.pth');
  r = await cli('convert', st, back);
  assert.equal(r.code, 0, r.err);
  const again = io.extractStateDict(await io.loadTorchFile(back));
  for (const [k, t] of src) assert.deepEqual(again.get(k)!.toArray(), t.toArray(), k);
  r = await cli('convert', st, join(dir, 'x.txt'));
  assert.equal(r.code, 1);
  assert.match(r.err, /must end in \.safetensors, \.pth or \.pt/);
  r = await cli('convert', fixture('module_checkpoint_zip.pth'), join(dir, 'y.pth'), '--key', 'nope');
  assert.match(r.err, /no top-level key 'nope'/);
});

test('views sharing one storage in a .pth share memory after loading', async () => {
  const loaded = (await io.loadTorchFile(fixture('views_zip.pth'))) as Map<string, unknown>;
  const tensors = [...loaded.values()].filter((v): v is InstanceType<typeof torch.Tensor> => v instanceof torch.Tensor);
  assert.ok(tensors.length >= 2);
  const base = tensors[0]!;
  // Writing through one view is visible in another view of the same storage.
  const before = tensors.map((t) => JSON.stringify(t.toArray()));
  torch.noGrad(() => base.fill_(7));
  const changed = tensors.filter((t, i) => JSON.stringify(t.toArray()) !== before[i]).length;
  assert.ok(changed >= 2, `${changed} tensors changed after writing one view`);
});

test('training checkpoint: tensors + JSON document in one safetensors file, atomic, inspectable', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdt-ckpt-'));
  const path = join(dir, 'checkpoint.safetensors');
  const tensors = new Map([
    ['model/w', torch.tensor([[1.5, -2]], { dtype: 'float32' })],
    ['optimizer/state/0/momentum_buffer', torch.tensor([0.25, 0.5], { dtype: 'float64' })],
    ['rng/cpu', torch.getRngState()],
  ]);
  const document = { epoch: 3, step: 120, config: { lr: 0.01, hypothesis: 7 }, loader: { epoch: 3, step: 5 } };
  await io.saveCheckpoint(path, { tensors, document });
  assert.deepEqual(readdirSync(dir), ['checkpoint.safetensors'], 'no temp files left behind');
  const back = await io.loadCheckpoint(path);
  assert.deepEqual(back.document, document);
  assert.deepEqual(io.section(back.tensors, 'model').get('w')!.toArray(), [[1.5, -2]]);
  assert.equal(back.tensors.get('optimizer/state/0/momentum_buffer')!.dtype, 'float64');
  assert.deepEqual(back.tensors.get('rng/cpu')!.toArray(), tensors.get('rng/cpu')!.toArray());
  const r = await cli('inspect', path, '--json');
  const j = JSON.parse(r.out) as { kind: string; structure: { document: unknown } };
  assert.equal(j.kind, 'gdt-checkpoint');
  assert.deepEqual(j.structure.document, document);
  // A plain safetensors file is not mistaken for a checkpoint.
  const plain = join(dir, 'plain.safetensors');
  await io.saveSafetensors(plain, new Map([['x', torch.zeros([1])]]));
  await assert.rejects(io.loadCheckpoint(plain), /not a gdt training checkpoint/);
  assert.ok(existsSync(plain));
});
