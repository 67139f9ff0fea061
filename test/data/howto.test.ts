// The HowTo100M-style video-text sample (SPEC 5.9) and video-text GDT pretraining on it.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyntheticDataset } from '../../src/media/synth.js';
import { createHowToDataset } from '../../src/data/howto-dataset.js';
import { loadCheckpoint, section } from '../../src/io/checkpoint.js';
import { torch } from '../../src/index.js';
import type { SampleArray } from '../../src/data/sample.js';
import { cli } from '../cli/helpers.js';
import { writeNpyStrings } from '../helpers/npy-strings.js';

const WORDS = ['bounce', 'ball', 'grow', 'shrink', 'the', 'a', 'circle', 'square'];

let root = '';
before(async () => {
  root = mkdtempSync(join(tmpdir(), 'gdt-howto-'));
  const synth = join(root, 'synth');
  await generateSyntheticDataset(synth, { classes: 2, videosPerClass: 3, seconds: 5, width: 64, height: 64, seed: 3 });
  mkdirSync(join(root, 'videos'));
  mkdirSync(join(root, 'captions'));
  let k = 0;
  for (const cls of readdirSync(join(synth, 'videos'))) {
    for (const f of readdirSync(join(synth, 'videos', cls))) {
      const id = `vid${k++}`;
      renameSync(join(synth, 'videos', cls, f), join(root, 'videos', `${id}.mp4`));
      writeFileSync(join(root, 'captions', `${id}.csv`), `start,end,text\n0.5,1.5,the ${cls.toLowerCase()} ball\n2,4.5,"a circle, unknownword grow"\n`);
    }
  }
  writeNpyStrings(join(root, 'dict.npy'), WORDS);
});

test('video-text sample: [clip, reversed, clip2, reversed] frames in [0, 1] and token ids with reversal', async () => {
  const ds = await createHowToDataset({ videoRoot: join(root, 'videos'), captionRoot: join(root, 'captions'), dictionary: join(root, 'dict.npy'), numFrames: 8, fps: 8, size: 32 });
  assert.equal(ds.length, 6);
  const s = await ds.get(2, { seed: 5, epoch: 0, index: 2, attempt: 0 });
  const video = s.video as SampleArray;
  const text = s.text as SampleArray;
  assert.deepEqual(video.shape, [12, 8, 32, 32]);
  assert.deepEqual(text.shape, [80]);
  const ids = Array.from(text.data as BigInt64Array, Number);
  // Known words get their 1-based position, unknown ones are dropped, the rest is zero padding.
  const allowed = new Set([0, ...WORDS.map((_, i) => i + 1)]);
  assert.ok(ids.every((i) => allowed.has(i)));
  assert.deepEqual(ids.slice(20, 40), ids.slice(0, 20).reverse());
  assert.deepEqual(ids.slice(60, 80), ids.slice(40, 60).reverse());
  assert.ok(ids.slice(0, 20).some((i) => i > 0), 'the caption has known words');
  torch.tidy(() => {
    const v = torch.tensor(video.data as Float32Array).reshape(video.shape);
    assert.ok((v.min().item() as number) >= 0 && (v.max().item() as number) <= 1);
    assert.ok(v.narrow(0, 3, 3).allclose(v.narrow(0, 0, 3).flip(1), 0, 0), 'reversed clip = frames flipped in time');
  });
});

test('gdt pretrain gdt with data.kind=video-text trains TextVid-GDT on captions', async () => {
  const out = mkdtempSync(join(tmpdir(), 'gdt-vt-'));
  const r = await cli(
    'pretrain', 'gdt', '--preset', 'tiny', '--data', root, '--out', out, '--batch-size', '3', '--workers', '1', '--max-steps', '3', '--hypothesis', '1',
    '--set', 'data.kind=video-text', '--set', 'model.vocabulary=16', '--set', 'data.cropSize=32', '--set', 'data.targetFps=8',
  );
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /GDT pretraining \(video-text\)/);
  const ck = await loadCheckpoint(join(out, 'checkpoint.safetensors'));
  const keys = [...section(ck.tensors, 'model').keys()];
  assert.ok(keys.includes('text_network.word_embd.weight') && keys.includes('mlp_t.block_forward.2.weight'), keys.slice(0, 5).join(','));
});
