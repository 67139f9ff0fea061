// Manifest cache: reuse, re-probe on change, failures recorded, atomic writes.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadManifest, mapLimit, updateManifest } from '../../src/data/manifest.js';
import { probeMedia, type ProbeResult } from '../../src/media/probe.js';
import { makeFixtures, type Fixtures } from '../media/fixtures.js';

let fx: Fixtures;
before(async () => {
  fx = await makeFixtures({ vfr: false, rotated: false, odd: false });
});
after(async () => {
  await fx.cleanup();
});

test('probe once, reuse while unchanged, re-probe changed files', async () => {
  const cache = join(fx.dir, 'cache', 'manifest.json');
  const a = join(fx.dir, 'a.mp4');
  await copyFile(fx.idx, a);
  const paths = [a, fx.noAudio, fx.text, fx.empty, join(fx.dir, 'missing.mp4')];
  let calls = 0;
  const probe = (p: string): Promise<ProbeResult> => {
    calls++;
    return probeMedia(p);
  };
  const r1 = await updateManifest(cache, paths, { probe, concurrency: 3 });
  assert.deepEqual(r1.stats, { total: 5, reused: 0, probed: 5, failed: 3, pruned: 0 });
  const ea = r1.entries.get(a);
  assert.ok(ea?.ok && ea.info.frames === 60);
  const et = r1.entries.get(fx.text);
  assert.ok(et && !et.ok && et.kind === 'invalid_data' && /Invalid data|moov/.test(et.reason));
  const em = r1.entries.get(join(fx.dir, 'missing.mp4'));
  assert.ok(em && !em.ok && em.kind === 'not_found');
  // Only the final file remains: no temporary files left behind.
  assert.deepEqual(await readdir(join(fx.dir, 'cache')), ['manifest.json']);

  calls = 0;
  const r2 = await updateManifest(cache, paths, { probe });
  // Missing files cannot be validated by size/mtime, so they are probed every time.
  assert.deepEqual(r2.stats, { total: 5, reused: 4, probed: 1, failed: 3, pruned: 0 });
  assert.equal(calls, 1);
  assert.deepEqual(r2.entries.get(a), ea);

  // Replace a.mp4 with another video: size and mtime change -> probed again.
  await copyFile(fx.noAudio, a);
  const r3 = await updateManifest(cache, paths, { probe });
  assert.equal(r3.stats.probed, 2);
  const ea3 = r3.entries.get(a);
  assert.ok(ea3?.ok && ea3.info.frames === 30 && !ea3.info.hasAudio);
  // Only the mtime changes -> probed again as well.
  const later = new Date(Date.now() + 5000);
  await utimes(a, later, later);
  const r4 = await updateManifest(cache, paths, { probe });
  assert.equal(r4.stats.probed, 2);
  // A fixed text file becomes a video: re-probed and now OK.
  await copyFile(fx.noAudio, fx.text);
  const r5 = await updateManifest(cache, paths, { probe });
  assert.ok(r5.entries.get(fx.text)?.ok);
  // retryFailed re-probes unchanged failures.
  const r6 = await updateManifest(cache, paths, { probe, retryFailed: true });
  assert.equal(r6.stats.probed, 2);
});

test('prune, corrupt cache files and other versions start over', async () => {
  const cache = join(fx.dir, 'm2.json');
  await updateManifest(cache, [fx.idx, fx.noAudio]);
  const r = await updateManifest(cache, [fx.idx], { prune: true });
  assert.equal(r.stats.pruned, 1);
  assert.deepEqual(Object.keys((await loadManifest(cache)).entries), [fx.idx]);
  await writeFile(cache, '{"version": 1, "entries": {"x": '); // truncated JSON
  assert.deepEqual((await loadManifest(cache)).entries, {});
  const again = await updateManifest(cache, [fx.idx]);
  assert.equal(again.stats.probed, 1);
  await writeFile(cache, JSON.stringify({ version: 999, entries: {} }));
  assert.deepEqual((await loadManifest(cache)).entries, {});
  const text = await readFile(cache, 'utf8');
  assert.ok(text.includes('999'));
});

test('mapLimit keeps order and bounds concurrency', async () => {
  let active = 0;
  let peak = 0;
  const out = await mapLimit([5, 1, 4, 2, 3, 0], 2, async (v) => {
    active++;
    peak = Math.max(peak, active);
    await new Promise((r) => setTimeout(r, v * 3));
    active--;
    return v * 10;
  });
  assert.deepEqual(out, [50, 10, 40, 20, 30, 0]);
  assert.equal(peak, 2);
});
