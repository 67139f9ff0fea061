import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from './helpers.js';

test('gdt synth writes a UCF101-layout dataset that gdt data check validates; a corrupt file is reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdt-synth-'));
  let r = await cli('synth', dir, '--classes', '2', '--videos-per-class', '3', '--seconds', '1', '--size', '64x64', '--seed', '3');
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /wrote 6 videos of 2 classes/);
  assert.match(r.err, /synth: 6\/6 videos \(100%\)/, 'plain progress lines outside a terminal');
  const classInd = readFileSync(join(dir, 'splits', 'classInd.txt'), 'utf8');
  assert.match(classInd, /^1 Bounce\r?\n2 Grow/);
  r = await cli('data', 'check', dir, '--format', 'ucf101', '--json');
  assert.equal(r.code, 0, r.err);
  const s = JSON.parse(r.out) as { classes: string[]; numVideos: number; unreadable: unknown[]; noAudio: number };
  assert.deepEqual(s.classes, ['Bounce', 'Grow']);
  assert.equal(s.numVideos, 6);
  assert.equal(s.unreadable.length, 0);
  assert.equal(s.noAudio, 0);
  writeFileSync(join(dir, 'videos', 'Grow', 'v_Grow_g01_c01.mp4'), 'garbage');
  r = await cli('data', 'check', dir, '--format', 'ucf101');
  assert.equal(r.code, 2, 'unreadable files make the check fail');
  assert.match(r.out, /v_Grow_g01_c01\.mp4/);
});

test('bad option values name the option and what is allowed', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdt-synth-'));
  let r = await cli('synth', dir, '--classes', '11');
  assert.equal(r.code, 1);
  assert.match(r.err, /--classes must be an integer in 1\.\.10, got '11'/);
  r = await cli('synth', dir, '--size', 'big');
  assert.match(r.err, /--size must look like 128x128, got 'big'/);
  r = await cli('data', 'check', dir, '--format', 'avi');
  assert.match(r.err, /--format must be one of ucf101, hmdb51, kinetics, folder, got 'avi'/);
});
