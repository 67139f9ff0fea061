import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c, maskedCrc32c } from '../../src/train/crc32c.js';
import { SummaryWriter, readEventFile } from '../../src/train/tensorboard.js';

test('CRC-32C matches the standard check values', () => {
  const enc = new TextEncoder();
  assert.equal(crc32c(enc.encode('123456789')), 0xe3069283); // RFC 3720 check value
  assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa); // 32 zero bytes (RFC 3720 B.4)
  assert.equal(crc32c(new Uint8Array(32).fill(0xff)), 0x62a8ab43);
  // masked = rotr15(crc) + 0xa282ead8, as TensorFlow's crc32c::Mask
  const c = 0xe3069283;
  assert.equal(maskedCrc32c(enc.encode('123456789')), ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0);
});

test('event files parse back with the logged scalars, steps and text', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdt-tb-'));
  const w = new SummaryWriter(dir, 3);
  const values = [2.5, 1.25, 0.625, -3, 1e-8];
  values.forEach((v, i) => w.addScalar('train/loss/iter', v, i * 10));
  w.addScalar('train/lr/iter', 0.01, 40);
  w.addText('args', '{"hypothesis": 7}');
  w.close();
  const evs = readEventFile(w.path);
  assert.equal(evs[0]!.fileVersion, 'brain.Event:2');
  const loss = evs.flatMap((e) => e.scalars.filter((s) => s.tag === 'train/loss/iter').map((s) => [e.step, s.value]));
  assert.deepEqual(loss, values.map((v, i) => [i * 10, Math.fround(v)]));
  assert.deepEqual(evs.flatMap((e) => e.texts), [{ tag: 'args', text: '{"hypothesis": 7}' }]);
  assert.ok(evs.every((e) => e.wallTime > 1.6e9));

  // A flipped byte is detected by the CRC.
  const bytes = readFileSync(w.path);
  bytes[bytes.length - 6] ^= 0x40;
  const bad = join(dir, 'corrupt');
  writeFileSync(bad, bytes);
  assert.throws(() => readEventFile(bad), /bad data CRC/);
  writeFileSync(bad, bytes.subarray(0, bytes.length - 3));
  assert.throws(() => readEventFile(bad), /truncated/);
});
