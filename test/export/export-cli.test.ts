// `gdt export` end to end on a `gdt pretrain`-style checkpoint (the tiny preset's GDT model with
// random BatchNorm statistics, written with the trainer's checkpoint writer): the written graphs
// run in onnxruntime and equal the in-memory model's encoders; clear errors for bad arguments.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { torch } from '../../src/index.js';
import type { Tensor } from '../../src/torch/index.js';
import { GDT } from '../../src/models/gdt.js';
import { saveCheckpoint } from '../../src/io/checkpoint.js';
import { decodeMessage } from '../../src/train/protobuf.js';
import { cli } from '../cli/helpers.js';
import { assertClose, randomizeState, runOrt, session } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'gdt-export-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The tiny preset's model block and data block, as `gdt pretrain gdt --preset tiny` records them. */
const TINY = { model: { videoDepth: 18 as const, audioDepth: 9 as const, width: 0.25, useMlp: true }, data: { numFrames: 8, cropSize: 64, specType: 1, audioSeconds: 1 } };

let gdt: GDT;
const ckpt = join(dir, 'checkpoint.safetensors');

test('setup: a tiny GDT pretraining checkpoint', async () => {
  torch.manualSeed(11);
  gdt = torch.tidy(() => new GDT(TINY.model));
  randomizeState(gdt);
  gdt.eval();
  await torch.tidyAsync(async () => {
    const tensors = new Map<string, Tensor>();
    for (const [k, t] of gdt.stateDict()) tensors.set(`model/${k}`, t);
    // The trainer's document (src/train/trainer.ts), with the parts the export reads.
    await saveCheckpoint(ckpt, { tensors, document: { kind: 'pretrain', method: 'gdt', position: { epoch: 1, step: 0, globalStep: 2 }, config: TINY } });
  });
  assert.ok(statSync(ckpt).size > 1e6);
});

function lines(out: string): Map<string, string> {
  return new Map(out.split('\n').map((l) => [l.trim().split(/\s+/)[0]!, l.trim().split(/\s+/).slice(1).join(' ')]));
}

test('gdt export --part video writes the R(2+1)D features graph; it equals the checkpoint model', async () => {
  const file = join(dir, 'out', 'video.onnx');
  const r = await cli('--threads', '1', 'export', '--onnx', file, '--weights', ckpt, '--frames', '4', '--size', '32');
  assert.equal(r.code, 0, r.err);
  const l = lines(r.out);
  const size = statSync(file).size;
  assert.equal(l.get('wrote'), `${file} (${(size / 2 ** 20).toFixed(1)} MiB, ${size} bytes)`);
  assert.equal(l.get('part'), 'video: gdt R(2+1)D-18 width 0.25');
  assert.equal(l.get('input'), 'video [N, 3, T, H, W] float32');
  assert.equal(l.get('output'), 'features [N, 128] float32');
  assert.equal(l.get('opset'), '17 (IR version 8), 81 nodes, 74 initializers');
  assert.match(l.get('check')!, /^ok: onnxruntime-node \S+ vs libtorch on \[2, 3, 4, 32, 32\]: output \[2, 128\], max abs error \S+, max rel error (\S+)$/);
  const rel = Number(/max rel error (\S+)$/.exec(l.get('check')!)![1]);
  assert.ok(rel <= 1e-4, `CLI check ${rel}`);
  console.log(`# CLI video: ${size} bytes, check max rel error ${rel}`);

  // The file on disk: ModelProto ir_version 8, opset 17, 81 nodes in its graph.
  const bytes = readFileSync(file);
  const top = decodeMessage(bytes);
  assert.equal(top.get(1)![0]!.value, 8n);
  assert.equal(decodeMessage(top.get(8)![0]!.value as Uint8Array).get(2)![0]!.value, 17n);
  assert.equal(decodeMessage(top.get(7)![0]!.value as Uint8Array).get(1)!.length, 81);

  // Independently of the CLI's own check: the saved model's video encoder, features flattened.
  const s = await session(file);
  try {
    for (const shape of [[2, 3, 4, 32, 32], [3, 3, 8, 48, 48]]) {
      const x = torch.randn(shape);
      const want = torch.noGrad(() => torch.tidy(() => gdt.videoNetwork.base.forward(x).flatten(1)));
      const c = assertClose(await runOrt(s, 'video', x), want, `video on [${shape.join(', ')}]`);
      console.log(`# CLI video vs checkpoint model on [${shape.join(', ')}]: max rel error ${c.maxRel}`);
      torch.disposeAll([x, want]);
    }
  } finally {
    await s.release();
  }
});

test('gdt export --part audio: spectrogram size from the checkpoint, equals the checkpoint model', async () => {
  const file = join(dir, 'audio.onnx');
  const r = await cli('--threads', '1', 'export', '--onnx', file, '--weights', ckpt, '--part', 'audio');
  assert.equal(r.code, 0, r.err);
  const l = lines(r.out);
  assert.equal(l.get('part'), 'audio: audio ResNet-9 width 0.25');
  assert.equal(l.get('input'), 'audio [N, 1, F, S] float32');
  assert.equal(l.get('output'), 'features [N, 128] float32');
  assert.equal(l.get('opset'), '17 (IR version 8), 28 nodes, 24 initializers');
  // 40 filters (spectrogram type 1) x 99 frames (1 s): the check's example.
  assert.match(l.get('check')!, /^ok: .* on \[2, 1, 40, 99\]: output \[2, 128\]/);
  console.log(`# CLI audio: ${statSync(file).size} bytes, ${l.get('check')}`);
  const s = await session(file);
  try {
    const x = torch.randn([3, 1, 40, 99]);
    const want = torch.noGrad(() => torch.tidy(() => gdt.audioNetwork.base.forward(x).flatten(1)));
    const c = assertClose(await runOrt(s, 'audio', x), want, 'audio');
    console.log(`# CLI audio vs checkpoint model: max rel error ${c.maxRel}`);
    torch.disposeAll([x, want]);
  } finally {
    await s.release();
  }
});

test('gdt export --static-shape takes the clip size from the checkpoint; --no-check skips the run', async () => {
  const file = join(dir, 'static.onnx');
  const r = await cli('--threads', '1', 'export', '--onnx', file, '--weights', ckpt, '--static-shape', '--no-check', '--no-fold-bn');
  assert.equal(r.code, 0, r.err);
  const l = lines(r.out);
  assert.equal(l.get('input'), 'video [N, 3, 8, 64, 64] float32');
  assert.equal(l.get('opset'), '17 (IR version 8), 118 nodes, 185 initializers');
  assert.equal(l.has('check'), false);
  const s = await session(file);
  try {
    const x = torch.randn([2, 3, 8, 64, 64]);
    const want = torch.noGrad(() => torch.tidy(() => gdt.videoNetwork.base.forward(x).flatten(1)));
    assertClose(await runOrt(s, 'video', x), want, 'static video');
    torch.disposeAll([x, want]);
    // The fixed sizes are enforced by onnxruntime.
    const y = torch.randn([2, 3, 4, 64, 64]);
    await assert.rejects(runOrt(s, 'video', y), /dimension|Got invalid dimensions/i);
    y.dispose();
  } finally {
    await s.release();
  }
});

test('gdt export: clear errors for missing weights, a bad --part, --model or --depth, and no file left', async () => {
  const file = join(dir, 'bad.onnx');
  const cases: [string[], RegExp][] = [
    [['--weights', join(dir, 'missing.safetensors')], /weights file .*missing\.safetensors does not exist/],
    [['--weights', ckpt, '--part', 'text'], /--part must be video or audio, got 'text'/],
    [['--weights', ckpt, '--model', 'clip'], /--model must be one of gdt, textvid, stica, got 'clip'/],
    [['--weights', ckpt, '--part', 'audio', '--depth', '34'], /--depth for the audio encoder must be 9 or 18, got '34'/],
    [['--weights', ckpt, '--depth', '20'], /--depth for the video encoder must be 18 or 34, got '20'/],
    [['--weights', ckpt, '--part', 'audio', '--spec', '40by99'], /--spec must be <filters>x<frames>, e.g. 40x99, got '40by99'/],
    [['--weights', ckpt, '--width', '0.5'], /none of the .* tensors of .* fits the video encoder/],
  ];
  for (const [args, want] of cases) {
    const r = await cli('--threads', '1', 'export', '--onnx', file, ...args);
    assert.equal(r.code, 1, `${args.join(' ')}: ${r.out}`);
    assert.match(r.err, want);
    assert.equal(existsSync(file), false);
  }
  const r = await cli('export', '--weights', ckpt);
  assert.notEqual(r.code, 0);
  assert.match(r.err, /required option '--onnx <file>' not specified/);
});

test('teardown', () => {
  gdt.dispose();
});
