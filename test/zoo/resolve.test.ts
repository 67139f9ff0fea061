// From zoo names and paths to loaded weights: resolveWeights / loadWeights against a local
// mirror (GDT_ZOO_URL), then src/models' loadPretrained into the entry's architecture.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { torch } from '../../src/index.js';
import type { Tensor } from '../../src/torch/index.js';
import { GDT, FinetuneModel, TextVidGDT, Word2VecTextEncoder, loadPretrained, skippedByModule } from '../../src/models/index.js';
import {
  ZOO,
  ZooError,
  loadWeights,
  pretrainedModel,
  resolveWeights,
  resolveWeightsInfo,
  zooBaseUrl,
  zooCacheDir,
  zooEntry,
  zooUrl,
  DEFAULT_ZOO_BASE_URL,
} from '../../src/zoo/index.js';
import { ZooTestServer, captureStream } from './server.js';
import { WIDTH, checkpointBytes, randomState, tempDir } from './fixture.js';

let server: ZooTestServer;
let gdtState: Map<string, Tensor>;
const quiet = { progress: captureStream().stream, retries: 0 };

before(async () => {
  server = await new ZooTestServer().start();
  const m = new GDT({ width: WIDTH });
  gdtState = randomState(m as never, 3);
  m.dispose();
  server.files.set('gdt_K400.pth', await checkpointBytes(gdtState));
  // A torch.save file written by PyTorch itself (main_gdt.py layout, linear heads, width 1/32).
  const fixture = fileURLToPath(new URL('../fixtures/models/gdt_checkpoint.pth', import.meta.url));
  server.files.set('gdt_IG65M.pth', readFileSync(fixture));
});
after(async () => {
  torch.disposeAll(gdtState);
  await server.stop();
});

const envFor = (dir = tempDir()): Record<string, string> => ({ GDT_ZOO_URL: server.url, GDT_CACHE_DIR: dir });

test('registry: three entries with the reference URLs, architectures and README results', () => {
  assert.deepEqual(
    ZOO.map((e) => [e.name, zooUrl(e, {}), e.referenceModel, e.architecture]),
    [
      ['gdt-k400', 'https://dl.fbaipublicfiles.com/GDT/gdt_K400.pth', 'av_gdt', 'gdt'],
      ['gdt-ht100m', 'https://dl.fbaipublicfiles.com/GDT/gdt_HT100M.pth', 'vid_text_gdt', 'textvid_gdt'],
      ['gdt-ig65m', 'https://dl.fbaipublicfiles.com/GDT/gdt_IG65M.pth', 'av_gdt', 'gdt'],
    ],
  );
  assert.deepEqual(
    ZOO.map((e) => [e.results.hmdb51Top1, e.results.ucf101Top1]),
    [
      [62.3, 90.9],
      [67.4, 94.1],
      [72.8, 95.2],
    ],
  );
  for (const n of ['gdt-k400', 'GDT-K400', 'gdt_K400', 'gdt_K400.pth', 'k400']) assert.equal(zooEntry(n)?.name, 'gdt-k400', n);
  assert.equal(zooEntry('stica'), undefined);
});

test('registry: GDT_ZOO_URL (then GDT_ZOO_BASE) overrides the base URL, GDT_CACHE_DIR the cache', () => {
  const k400 = zooEntry('gdt-k400')!;
  assert.equal(zooBaseUrl({}), DEFAULT_ZOO_BASE_URL);
  assert.equal(zooUrl(k400, { GDT_ZOO_BASE: 'http://mirror/gdt' }), 'http://mirror/gdt/gdt_K400.pth');
  assert.equal(zooUrl(k400, { GDT_ZOO_URL: 'http://a/x/', GDT_ZOO_BASE: 'http://b/' }), 'http://a/x/gdt_K400.pth');
  assert.throws(() => zooBaseUrl({ GDT_ZOO_URL: 'not a url' }), /GDT_ZOO_URL \/ GDT_ZOO_BASE must be an absolute URL/);
  assert.equal(zooCacheDir({ GDT_CACHE_DIR: '/data/zoo' }), '/data/zoo');
  assert.equal(zooCacheDir({ XDG_CACHE_HOME: '/xdg' }), join('/xdg', 'gdt', 'zoo'));
  assert.match(zooCacheDir({}), /[/\\]\.cache[/\\]gdt[/\\]zoo$/);
});

test('resolveWeights: a zoo name downloads once into GDT_CACHE_DIR from GDT_ZOO_URL; the path is returned', async () => {
  server.requests.length = 0;
  const dir = tempDir();
  const env = envFor(dir);
  const p = await resolveWeights('gdt-k400', { ...quiet, env });
  assert.equal(p, join(dir, 'gdt_K400.pth'));
  const info = await resolveWeightsInfo('gdt-k400', { ...quiet, env });
  assert.equal(info.downloaded, false);
  assert.equal(info.entry?.name, 'gdt-k400');
  assert.equal(server.requests.length, 1);
});

test('loadWeights + loadPretrained: the downloaded checkpoint fills GDT (MLP heads) completely', async () => {
  const ckpt = await loadWeights('gdt-k400', { ...quiet, env: envFor() });
  assert.deepEqual([...ckpt.keys()], ['model', 'optimizer', 'lr_scheduler', 'epoch', 'args']);
  const m = new GDT({ width: WIDTH });
  const r = loadPretrained(m as never, ckpt, { requireEpoch: true });
  assert.equal(r.loaded.length, 312);
  assert.deepEqual(r.missing, []);
  assert.deepEqual(r.skipped, []);
  assert.equal(r.source, 'model');
  assert.equal(r.epoch, 100);
  torch.tidy(() => {
    const sd = m.stateDict();
    for (const [k, t] of gdtState) assert.equal(sd.get(k)!.eq(t).all().item(), true, k);
  });
  m.dispose();
  torch.disposeAll(ckpt);
});

test('pretrainedModel: the entry into its finetuning wrapper (video encoder renamed to base.*, fresh classifier)', async () => {
  const { model, report, architecture } = await pretrainedModel('gdt-k400', { ...quiet, env: envFor(), width: WIDTH, finetune: true, numClasses: 51 });
  assert.equal(architecture, 'finetune');
  assert.ok(model instanceof FinetuneModel);
  assert.deepEqual(report.missing, ['classifier.weight', 'classifier.bias']);
  assert.ok(report.renamed.every((x) => x.from === `video_network.base.${x.to.slice('base.'.length)}`));
  assert.deepEqual([...skippedByModule(report).keys()].sort(), ['audio_network', 'mlp_a', 'mlp_v']);
  torch.tidy(() => {
    const w = (model as FinetuneModel).stateDict().get('base.stem.0.weight')!;
    assert.equal(w.eq(gdtState.get('video_network.base.stem.0.weight')!).all().item(), true);
  });
  model.dispose();
});

test('a checkpoint written by PyTorch, served as a zoo file, loads into GDT with linear heads', async () => {
  // The mirror serves the PyTorch fixture under gdt_IG65M.pth: av_gdt, width 1/32, linear heads.
  const { model, report } = await pretrainedModel('gdt-ig65m', { ...quiet, env: envFor(), width: 1 / 32, architecture: 'gdt_linear' });
  assert.ok(model instanceof GDT);
  assert.deepEqual(report.missing, []);
  assert.deepEqual(report.skipped, []);
  assert.equal(report.epoch, 3);
  model.dispose();
});

test('video-text entry: key matching against TextVid_GDT (every checkpoint key has a place of the same shape)', async () => {
  // A small embedding table keeps the file small; the model is built with the same table size.
  const src = new TextVidGDT({ width: WIDTH, text: { numEmbeddings: 50 } });
  const state = randomState(src as never, 5);
  src.dispose();
  server.files.set('gdt_HT100M.pth', await checkpointBytes(state));
  const ckpt = await loadWeights('gdt-ht100m', { ...quiet, env: envFor() });
  const m = new TextVidGDT({ width: WIDTH, text: { numEmbeddings: 50 } });
  const r = loadPretrained(m as never, ckpt);
  assert.deepEqual(r.missing, []);
  assert.deepEqual(r.skipped, []);
  assert.ok(r.loaded.includes('text_network.word_embd.weight') && r.loaded.includes('mlp_t.block_forward.8.weight'), r.loaded.join());
  assert.ok(m.textNetwork instanceof Word2VecTextEncoder);
  m.dispose();
  torch.disposeAll([ckpt, state]);

  // The entry's own architecture (reference 66250-word table): everything but the table lands.
  const z = await pretrainedModel('gdt-ht100m', { ...quiet, env: envFor(), width: WIDTH });
  assert.equal(z.architecture, 'textvid_gdt');
  assert.ok(z.model instanceof TextVidGDT);
  assert.deepEqual(z.report.missing, ['text_network.word_embd.weight']);
  assert.deepEqual(
    z.report.skipped.map((x) => [x.key, x.reason, x.expected, x.got]),
    [['text_network.word_embd.weight', 'shape mismatch', [66250, 300], [50, 300]]],
  );
  z.model.dispose();
});

test('a local path works the same way; a missing one (or an unknown name) is a clear error', async () => {
  const dir = tempDir();
  const p = join(dir, 'mine.pth');
  writeFileSync(p, await checkpointBytes(gdtState, 7));
  assert.equal(await resolveWeights(p), p);
  const ckpt = await loadWeights(p);
  assert.equal(ckpt.get('epoch'), 7);
  torch.disposeAll(ckpt);

  await assert.rejects(resolveWeights(join(dir, 'nope.pth')), (e: unknown) => {
    assert.ok(e instanceof ZooError);
    assert.equal(e.code, 'missing');
    assert.equal(e.message, `weights file ${join(dir, 'nope.pth')} does not exist`);
    return true;
  });
  await assert.rejects(resolveWeights('gdt-k600'), /weights file .*gdt-k600 does not exist and 'gdt-k600' is not a zoo name \(known: gdt-k400, gdt-ht100m, gdt-ig65m\)/);
  await assert.rejects(resolveWeights(dir), /is not a file/);
  await assert.rejects(pretrainedModel(p), /is not a zoo name: say which architecture/);
});

test('a local file next to a sha256 record is checked; a damaged copy says how to delete it', async () => {
  const env = envFor();
  const cached = await resolveWeights('gdt-k400', { ...quiet, env });
  const dir = tempDir();
  const copy = join(dir, 'gdt_K400.pth');
  copyFileSync(cached, copy);
  copyFileSync(`${cached}.sha256`, `${copy}.sha256`);
  assert.equal(await resolveWeights(copy), copy);
  writeFileSync(copy, readFileSync(cached).subarray(0, 5000));
  await assert.rejects(resolveWeights(copy), (e: unknown) => {
    assert.ok(e instanceof ZooError);
    assert.equal(e.code, 'integrity');
    assert.ok(e.message.includes(`rm '${copy}' '${copy}.sha256'`), e.message);
    return true;
  });
  // Without a record the damage shows when reading it; the file may be the user's own, so no rm.
  writeFileSync(`${copy}.sha256`, '');
  await assert.rejects(loadWeights(copy), (e: unknown) => {
    assert.match((e as Error).message, /cannot read .* as a torch checkpoint: .*; give a PyTorch checkpoint \(\.pth\/\.pt, zip or legacy format\), a safetensors file or a zoo name/);
    assert.doesNotMatch((e as Error).message, /rm '/);
    return true;
  });
  // A file that is not a checkpoint at all (a user's JSON file): never advice to delete it.
  const own = join(dir, 'package.json');
  writeFileSync(own, '{"name": "x"}\n');
  await assert.rejects(loadWeights(own), (e: unknown) => {
    assert.doesNotMatch((e as Error).message, /rm '|delete/);
    assert.match((e as Error).message, /package\.json as a torch checkpoint/);
    return true;
  });
});
