// `gdt models` (zoo + architectures, text and --json) and `gdt models download` against a local
// mirror named by GDT_ZOO_URL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cli } from '../cli/helpers.js';
import { ZooTestServer } from './server.js';
import { tempDir } from './fixture.js';
import type { ModelsListing } from '../../src/cli/commands/models.js';

let server: ZooTestServer;
let cacheDir: string;
const saved = { url: process.env.GDT_ZOO_URL, cache: process.env.GDT_CACHE_DIR };
const payload = Buffer.alloc(300_000, 42);

before(async () => {
  server = await new ZooTestServer().start();
  server.files.set('gdt_K400.pth', payload);
  cacheDir = tempDir();
  process.env.GDT_ZOO_URL = server.url;
  process.env.GDT_CACHE_DIR = cacheDir;
});
after(async () => {
  for (const [k, v] of [
    ['GDT_ZOO_URL', saved.url],
    ['GDT_CACHE_DIR', saved.cache],
  ] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await server.stop();
});

test('gdt models lists the three zoo entries (architecture, results, cached or not, URL) and the architectures', async () => {
  const r = await cli('models');
  assert.equal(r.code, 0, r.err);
  for (const [name, file, arch, results] of [
    ['gdt-k400', 'gdt_K400.pth', 'gdt', 'HMDB51 62.3 / UCF101 90.9'],
    ['gdt-ht100m', 'gdt_HT100M.pth', 'textvid_gdt', 'HMDB51 67.4 / UCF101 94.1'],
    ['gdt-ig65m', 'gdt_IG65M.pth', 'gdt', 'HMDB51 72.8 / UCF101 95.2'],
  ]) {
    assert.match(r.out, new RegExp(`^${name}  GDT, `, 'm'));
    assert.ok(r.out.includes(`url        ${server.url}${file}`), file);
    assert.ok(r.out.includes(`load into  ${arch} (pretraining model)`), arch);
    assert.ok(r.out.includes(results), results);
  }
  assert.ok(r.out.includes(`cached     no (gdt models download gdt-k400)`));
  assert.match(r.out, /^gdt\s+37,501,637\s+audio-visual GDT/m);
  assert.match(r.out, /^r2plus1d_18\s+31,300,125\s+R\(2\+1\)D-18/m);
});

test('gdt models --json parses: zoo entries with URL and cache state, architectures with parameter counts', async () => {
  const r = await cli('models', '--json');
  assert.equal(r.code, 0, r.err);
  const l = JSON.parse(r.out) as ModelsListing;
  assert.equal(l.cacheDir, cacheDir);
  assert.equal(l.baseUrl, server.url);
  assert.deepEqual(
    l.zoo.map((e) => [e.name, e.url, e.referenceModel, e.cached]),
    [
      ['gdt-k400', `${server.url}gdt_K400.pth`, 'av_gdt', null],
      ['gdt-ht100m', `${server.url}gdt_HT100M.pth`, 'vid_text_gdt', null],
      ['gdt-ig65m', `${server.url}gdt_IG65M.pth`, 'av_gdt', null],
    ],
  );
  assert.equal(l.zoo[0]!.results.ucf101Top1, 90.9);
  const gdt = l.architectures.find((a) => a.name === 'gdt');
  assert.equal(gdt?.parameters, 37_501_637);
  assert.deepEqual(gdt?.inputShapes, [
    [1, 3, 30, 112, 112],
    [1, 1, 40, 99],
  ]);
});

test('gdt models download fetches into the cache once; the listing then shows it cached', async () => {
  server.requests.length = 0;
  let r = await cli('models', 'download', 'gdt-k400');
  assert.equal(r.code, 0, r.err);
  const path = join(cacheDir, 'gdt_K400.pth');
  assert.match(r.out, new RegExp(`^gdt-k400: downloaded ${path.replace(/[.\\]/g, '\\$&')} \\(sha256 [0-9a-f]{64}\\)$`));
  assert.match(r.err, /gdt_K400\.pth: 293\.0 KiB \/ 293\.0 KiB \(100%\)/, 'a plain progress line outside a terminal');
  assert.ok(readFileSync(path).equals(payload));
  r = await cli('models', 'download', 'gdt-k400');
  assert.match(r.out, /gdt-k400: already cached/);
  assert.equal(server.requests.length, 1);
  r = await cli('models', '--json');
  const l = JSON.parse(r.out) as ModelsListing;
  assert.deepEqual(l.zoo[0]!.cached, { size: payload.length, sha256Recorded: true });
  r = await cli('models');
  assert.ok(r.out.includes(`cached     yes, 293.0 KiB: ${path}`));
});

test('gdt models download: unknown names, missing files on the mirror and a custom --cache-dir', async () => {
  let r = await cli('models', 'download', 'gdt-k600');
  assert.equal(r.code, 1);
  assert.match(r.err, /'gdt-k600' is not in the model zoo \(known: gdt-k400, gdt-ht100m, gdt-ig65m\)/);
  r = await cli('models', 'download');
  assert.equal(r.code, 1);
  assert.match(r.err, /name the checkpoints to download/);
  r = await cli('models', 'download', 'gdt-ig65m', '--retries', '0');
  assert.equal(r.code, 1);
  assert.ok(r.err.includes(`from ${server.url}gdt_IG65M.pth: HTTP 404 Not Found`), r.err);
  const other = tempDir();
  r = await cli('models', 'download', 'gdt-k400', '--cache-dir', other);
  assert.equal(r.code, 0, r.err);
  assert.ok(readFileSync(join(other, 'gdt_K400.pth')).equals(payload));
});
