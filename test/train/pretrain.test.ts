// gdt pretrain gdt end to end on a small synthetic dataset (CPU).
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateSyntheticDataset } from '../../src/media/synth.js';
import { loadCheckpoint, section } from '../../src/io/checkpoint.js';
import { readEventFile } from '../../src/train/tensorboard.js';
import { cli } from '../cli/helpers.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
let data = '';
before(async () => {
  data = mkdtempSync(join(tmpdir(), 'gdt-pretrain-data-'));
  await generateSyntheticDataset(data, { classes: 4, videosPerClass: 8, seconds: 2, width: 64, height: 64, seed: 2 });
});

const base = (out: string, ...extra: string[]): string[] => [
  'pretrain', 'gdt', '--preset', 'tiny', '--data', data, '--out', out, '--batch-size', '4', '--workers', '1', ...extra,
];
const metrics = (out: string): Record<string, number>[] =>
  readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);

function spawnCli(args: string[]): { child: ReturnType<typeof spawn>; done: Promise<{ code: number | null; signal: string | null; out: string }> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/run.ts', ...args], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<{ code: number | null; signal: string | null; out: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, out })),
  );
  return { child, done };
}

async function waitFor(pred: () => boolean, ms: number): Promise<void> {
  const t = Date.now();
  while (!pred()) {
    if (Date.now() - t > ms) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('config: presets, overrides and --print-config; bad values name the field, the value and what is allowed', async () => {
  let r = await cli(...base('/tmp/x', '--hypothesis', 'i_reversal_v_shift', '--set', 'optim.lr=0.2', '--print-config'));
  assert.equal(r.code, 0, r.err);
  const cfg = JSON.parse(r.out) as { objective: { hypothesis: string }; optim: { lr: number; momentum: number }; model: { width: number }; data: { root: string } };
  assert.equal(cfg.objective.hypothesis, 'i_reversal_v_shift');
  assert.equal(cfg.optim.lr, 0.2);
  assert.equal(cfg.optim.momentum, 0.9);
  assert.equal(cfg.model.width, 0.25);
  assert.equal(cfg.data.root, data);
  r = await cli(...base('/tmp/x', '--set', 'optim.lr=-1', '--set', 'data.cropSize=big', '--print-config'));
  assert.equal(r.code, 1);
  assert.match(r.err, /optim\.lr: .*\(got -1\)/);
  assert.match(r.err, /data\.cropSize: .*\(got "big"\)/);
  r = await cli(...base('/tmp/x', '--set', 'train.bogus=1', '--print-config'));
  assert.match(r.err, /bogus/);
  r = await cli(...base('/tmp/x', '--preset', 'nope'));
  assert.match(r.err, /unknown preset 'nope'; choose one of k400, ht100m, tiny/);
  r = await cli(...base(mkdtempSync(join(tmpdir(), 'gdt-h-')), '--hypothesis', '12', '--max-steps', '1'));
  assert.equal(r.code, 1);
  assert.match(r.err, /hypothesis/i);
});

test('50 steps of the tiny preset lower the loss; metrics, checkpoints and TensorBoard events are written', async () => {
  const out = mkdtempSync(join(tmpdir(), 'gdt-pt-'));
  const r = await cli(...base(out, '--hypothesis', '1', '--workers', '2', '--epochs', '100', '--max-steps', '50', '--set', 'optim.lr=0.2'));
  assert.equal(r.code, 0, r.err);
  const m = metrics(out);
  assert.equal(m.length, 50);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const first = mean(m.slice(0, 10).map((x) => x.loss!));
  const last = mean(m.slice(-10).map((x) => x.loss!));
  // Seeded data, initialisation and augmentation: the same numbers on every run of this test.
  assert.ok(last < first - 0.05, `loss ${first.toFixed(3)} -> ${last.toFixed(3)}`);
  assert.ok(existsSync(join(out, 'checkpoint.safetensors')));
  assert.ok(existsSync(join(out, 'config.json')));
  // TensorBoard: the logged losses equal metrics.jsonl (as float32), every logEverySteps (5).
  const tbDir = join(out, 'tensorboard');
  const events = readdirSync(tbDir).flatMap((f) => readEventFile(join(tbDir, f)));
  const tbLoss = events.flatMap((e) => e.scalars.filter((s) => s.tag === 'train/loss/iter').map((s) => [e.step, s.value] as const));
  assert.equal(tbLoss.length, 10);
  for (const [step, v] of tbLoss) assert.equal(v, Math.fround(m[step - 1]!.loss!));
  assert.ok(events.some((e) => e.texts.some((t) => t.tag === 'args' && t.text.includes('"hypothesis": 1'))));
  assert.ok(events.some((e) => e.scalars.some((s) => s.tag === 'train/lr/iter')));
});

test('killed with SIGKILL mid-run, then resumed: the final weights equal an uninterrupted run bit for bit', async () => {
  const args = ['--hypothesis', '7', '--deterministic', '--max-steps', '10', '--set', 'train.checkpointEverySteps=2'];
  const a = mkdtempSync(join(tmpdir(), 'gdt-a-'));
  const ra = await cli(...base(a, ...args));
  assert.equal(ra.code, 0, ra.err);

  const b = mkdtempSync(join(tmpdir(), 'gdt-b-'));
  const first = spawnCli(base(b, ...args));
  await waitFor(() => existsSync(join(b, 'checkpoint-step6.safetensors')), 120_000);
  first.child.kill('SIGKILL');
  const killed = await first.done;
  assert.equal(killed.signal, 'SIGKILL');
  const done = metrics(b).length;
  assert.ok(done >= 6 && done < 10, `killed after ${done} steps:\n${killed.out}`);
  const resumed = spawnCli(base(b, ...args));
  const rb = await resumed.done;
  assert.equal(rb.code, 0, rb.out);
  assert.match(rb.out, /resumed from .*checkpoint\.safetensors at epoch \d+, step \d+ \(global step \d+\)/);

  const ca = await loadCheckpoint(join(a, 'checkpoint.safetensors'));
  const cb = await loadCheckpoint(join(b, 'checkpoint.safetensors'));
  const ma = section(ca.tensors, 'model');
  const mb = section(cb.tensors, 'model');
  assert.equal(ma.size, mb.size);
  for (const [k, t] of ma) {
    const x = Buffer.from(t.toTypedArray().buffer);
    const y = Buffer.from(mb.get(k)!.toTypedArray().buffer);
    assert.ok(x.equals(y), `${k} differs after resume`);
  }
  assert.deepEqual((cb.document as { position: unknown }).position, (ca.document as { position: unknown }).position);
});

test('SIGINT finishes the step, checkpoints and exits cleanly; a non-finite loss stops with the last good checkpoint', async () => {
  const out = mkdtempSync(join(tmpdir(), 'gdt-int-'));
  const run = spawnCli(base(out, '--max-steps', '40', '--epochs', '100'));
  await waitFor(() => existsSync(join(out, 'metrics.jsonl')) && metrics(out).length >= 2, 120_000);
  run.child.kill('SIGINT');
  const r = await run.done;
  assert.equal(r.code, 0, r.out);
  assert.match(r.out, /SIGINT received/);
  const n = metrics(out).length;
  assert.match(r.out, new RegExp(`stopped at step ${n}; run the same command again`));
  const ck = await loadCheckpoint(join(out, 'checkpoint.safetensors'));
  assert.equal((ck.document as { position: { globalStep: number } }).position.globalStep, n);

  const nan = mkdtempSync(join(tmpdir(), 'gdt-nan-'));
  const rn = await cli(...base(nan, '--max-steps', '12', '--set', 'optim.lr=1e30', '--set', 'train.checkpointEverySteps=1'));
  assert.equal(rn.code, 1);
  assert.match(rn.err, /the loss is (NaN|Infinity|-Infinity) at epoch \d+, step \d+ .*stopping\. The last good checkpoint is .*checkpoint\.safetensors/);
  const good = await loadCheckpoint(join(nan, 'checkpoint.safetensors'));
  assert.ok((good.document as { position: { globalStep: number } }).position.globalStep >= 1);
});
