// Small stand-ins for everything the documented commands read, built once per test run: every
// dataset layout of docs/datasets.md (a few synthetic videos, symlinked into each layout), a tiny
// `gdt pretrain` checkpoint, `gdt demo`'s output layout, and a local model-zoo server that serves
// small checkpoints with the reference's layout and key names under the published file names.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync, createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { generateSyntheticDataset } from '../../src/media/synth.js';
import { loadCheckpoint, section } from '../../src/io/checkpoint.js';
import { saveTorchFile } from '../../src/io/tensors.js';
import { torch } from '../../src/index.js';
import { cli } from '../cli/helpers.js';
import { wav } from '../helpers/wav.js';
import { writeNpyStrings } from '../helpers/npy-strings.js';

export interface DocsFixture {
  root: string;
  /** The variables the documented commands use (besides $OUT, one per page). */
  env: Record<string, string>;
  /** Environment the CLI itself reads while the commands run (zoo server and cache). */
  processEnv: Record<string, string>;
  close(): Promise<void>;
}

/** Serves the files of a folder over HTTP (with Range requests, as the zoo downloader may resume). */
async function fileServer(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').split('?')[0]!.replace(/^\/+/, ''));
    const path = join(dir, name);
    let size: number;
    try {
      size = statSync(path).size;
    } catch {
      res.writeHead(404).end();
      return;
    }
    const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    const start = range ? Number(range[1]) : 0;
    res.writeHead(range ? 206 : 200, {
      'content-length': String(size - start),
      'accept-ranges': 'bytes',
      ...(range ? { 'content-range': `bytes ${start}-${size - 1}/${size}` } : {}),
    });
    createReadStream(path, { start }).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

export async function buildDocsFixture(): Promise<DocsFixture> {
  const root = mkdtempSync(join(tmpdir(), 'gdt-docs-'));

  // UCF101 layout (what gdt synth writes): 2 classes x 4 videos of 2 s at 64 px; fold k tests on
  // group k, so every fold has 3 training and 1 test video per class.
  const ucf = join(root, 'ucf101');
  const synth = await generateSyntheticDataset(ucf, { classes: 2, videosPerClass: 4, seconds: 2, width: 64, height: 64, seed: 1 });
  const videos = synth.videos.map((v) => ({ cls: v.className as string, path: join(synth.videosDir, v.file), name: v.file.split('/').pop()!, testFolds: v.testFolds }));
  const classes = [...new Set(videos.map((v) => v.cls))];

  // HMDB51 layout: videos/<class>/<file>.avi (the synthetic MP4s under .avi names; ffmpeg reads
  // the content) and splits/<class>_test_split<k>.txt (1 = train, 2 = test).
  const hmdb = join(root, 'hmdb51');
  for (const c of classes) mkdirSync(join(hmdb, 'videos', c), { recursive: true });
  mkdirSync(join(hmdb, 'splits'));
  for (const v of videos) symlinkSync(v.path, join(hmdb, 'videos', v.cls, v.name.replace(/\.mp4$/, '.avi')));
  for (const c of classes) {
    for (let fold = 1; fold <= 3; fold++) {
      const lines = videos.filter((v) => v.cls === c).map((v) => `${v.name.replace(/\.mp4$/, '.avi')} ${v.testFolds.includes(fold) ? 2 : 1}`);
      writeFileSync(join(hmdb, 'splits', `${c}_test_split${fold}.txt`), lines.join('\n') + '\n');
    }
  }

  // Kinetics layout: <split>/<class>/<file>.
  const kinetics = join(root, 'kinetics');
  for (const v of videos) {
    const split = v.testFolds.includes(1) ? 'val' : 'train';
    mkdirSync(join(kinetics, split, v.cls.toLowerCase()), { recursive: true });
    symlinkSync(v.path, join(kinetics, split, v.cls.toLowerCase(), v.name));
  }

  // HowTo100M layout: videos/<id>.mp4 (longer than 4.1 s), captions/<id>.csv, dict.npy, howto.csv.
  const howto = join(root, 'howto');
  const howSrc = join(root, 'howto-src');
  const hv = await generateSyntheticDataset(howSrc, { classes: 2, videosPerClass: 2, seconds: 5, width: 64, height: 64, seed: 2 });
  mkdirSync(join(howto, 'videos'), { recursive: true });
  mkdirSync(join(howto, 'captions'));
  const ids: string[] = [];
  hv.videos.forEach((v, k) => {
    const id = `vid${k}`;
    ids.push(id);
    renameSync(join(hv.videosDir, v.file), join(howto, 'videos', `${id}.mp4`));
    writeFileSync(join(howto, 'captions', `${id}.csv`), `start,end,text\n0.5,1.5,the ${v.className.toLowerCase()} ball\n2,4.5,"a circle, unknownword grow"\n`);
  });
  rmSync(howSrc, { recursive: true, force: true });
  writeNpyStrings(join(howto, 'dict.npy'), ['bounce', 'ball', 'grow', 'shrink', 'the', 'a', 'circle', 'square']);
  writeFileSync(join(howto, 'howto.csv'), ['video_id', ...ids].join('\n') + '\n');

  // ESC-50 layout: audio/*.wav and meta/esc50.csv; 5 folds x 3 tones (two of them in ESC-10).
  const esc = join(root, 'esc50');
  mkdirSync(join(esc, 'audio'), { recursive: true });
  mkdirSync(join(esc, 'meta'));
  const rate = 16000;
  const rows = ['filename,fold,target,category,esc10,src_file,take'];
  const tones = [
    { target: 0, category: 'low_tone', f: 300, esc10: 'True' },
    { target: 1, category: 'mid_tone', f: 900, esc10: 'True' },
    { target: 7, category: 'high_tone', f: 2500, esc10: 'False' },
  ];
  for (let fold = 1; fold <= 5; fold++) {
    for (const t of tones) {
      const name = `${fold}-${t.target}-A-${t.target}.wav`;
      const s = Float32Array.from({ length: rate }, (_, i) => 0.3 * Math.sin((2 * Math.PI * t.f * (1 + 0.02 * fold) * i) / rate) + 0.02 * Math.sin(i * 12.9898 + fold));
      writeFileSync(join(esc, 'audio', name), wav(s, rate));
      rows.push(`${name},${fold},${t.target},${t.category},${t.esc10},src${fold}-${t.target},A`);
    }
  }
  writeFileSync(join(esc, 'meta', 'esc50.csv'), rows.join('\n') + '\n');

  // A tiny GDT checkpoint: one step of `gdt pretrain gdt --preset tiny`.
  const pretrain = join(root, 'pretrain');
  const r = await cli('pretrain', 'gdt', '--preset', 'tiny', '--data', ucf, '--out', pretrain, '--batch-size', '2', '--workers', '1', '--max-steps', '1');
  if (r.code !== 0) throw new Error(`fixture: gdt pretrain failed:\n${r.out}\n${r.err}`);
  const ckpt = join(pretrain, 'checkpoint.safetensors');

  // `gdt demo`'s output layout over the same data and checkpoint.
  const demo = join(root, 'demo');
  mkdirSync(join(demo, 'pretrain'), { recursive: true });
  symlinkSync(ucf, join(demo, 'data'));
  symlinkSync(ckpt, join(demo, 'pretrain', 'checkpoint.safetensors'));

  // The zoo: the checkpoint's model in main_gdt.py's layout ({model, epoch}, reference key names)
  // under the three published file names, served over HTTP; the cache starts empty.
  const served = join(root, 'zoo-server');
  mkdirSync(served);
  const { tensors } = await loadCheckpoint(ckpt);
  try {
    const model = section(tensors, 'model');
    for (const f of ['gdt_K400.pth', 'gdt_HT100M.pth', 'gdt_IG65M.pth']) await saveTorchFile(join(served, f), new Map<string, unknown>([['model', model], ['epoch', 100]]));
  } finally {
    torch.disposeAll(tensors);
  }
  const { url, server } = await fileServer(served);
  const cache = join(root, 'zoo-cache');
  mkdirSync(cache);

  return {
    root,
    env: { DATA: ucf, UCF101: ucf, HMDB51: hmdb, KINETICS: kinetics, HOWTO: howto, ESC50: esc, CKPT: ckpt, DEMO: demo, GDT_CACHE_DIR: cache },
    processEnv: { GDT_CACHE_DIR: cache, GDT_ZOO_URL: url },
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A fresh output folder for one page. */
export function pageOut(f: DocsFixture, page: string): string {
  const dir = join(f.root, 'out', page.replace(/[/.]/g, '_'));
  mkdirSync(dir, { recursive: true });
  return dir;
}
