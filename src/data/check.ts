/**
 * `gdt data check`: list a dataset, match its split files, probe every video (through the
 * manifest cache) and summarise what training would see: classes, counts per split, total
 * duration, videos without audio (excluded from audio-visual training by the reference, SPEC
 * 5.1), videos too short for the reference's validity filter, and unreadable files with reasons.
 */
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { runTool, summarizeStderr } from '../media/ffmpeg.js';
import { ffmpegInputArg } from '../media/probe.js';
import { mapLimit, updateManifest, type ManifestEntry } from './manifest.js';
import {
  listClassFolders,
  listKinetics,
  readHmdb51Split,
  readUcf101ClassInd,
  readUcf101Split,
  selectHmdb51,
  selectUcf101,
  SplitFormatError,
  type VideoItem,
} from './splits.js';

export type DatasetFormat = 'ucf101' | 'hmdb51' | 'kinetics' | 'folder';

export interface CheckOptions {
  format: DatasetFormat;
  /** UCF101 / HMDB51 annotation directory (default: looked up next to the videos). */
  splitsDir?: string;
  /** Directory holding the class folders (UCF101/HMDB51/folder; default `<root>/videos` if present, else root). */
  videosDir?: string;
  /** Folds to count (default 1, 2, 3). */
  folds?: number[];
  /** Manifest cache file (default: none, probe everything). */
  manifestPath?: string;
  concurrency?: number;
  /** The reference keeps videos longer than this many seconds (default 1.1). */
  minDuration?: number;
  /** Keep only these extensions when listing (default: every file, as the reference). */
  extensions?: string[];
  /** Match split entries to files ignoring the extension (e.g. .avi lists, transcoded .mp4 files). */
  ignoreExtension?: boolean;
  /** Also decode every readable file completely to catch truncation/corruption (slow). */
  deep?: boolean;
  onProgress?: (done: number, total: number) => void;
}

export interface SplitSummary {
  /** e.g. "fold1/train", "train_avi-480p", "all". */
  name: string;
  /** Videos selected and present. */
  count: number;
  /** Split entries with no file. */
  missing: number;
  noAudio: number;
  unreadable: number;
  tooShort: number;
  durationSec: number;
}

export interface DatasetSummary {
  format: DatasetFormat;
  root: string;
  videosDir: string;
  splitsDir: string | null;
  classes: string[];
  numVideos: number;
  splits: SplitSummary[];
  totalDurationSec: number;
  noAudio: number;
  tooShort: number;
  unreadable: { path: string; reason: string }[];
  /** First missing split entries (file:line and the entry), at most 20. */
  missingExamples: string[];
  /** Counts of rounded frame rates ("30", "29.97", ...). */
  frameRates: Record<string, number>;
  warnings: string[];
  manifest: { reused: number; probed: number } | null;
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

async function firstDir(candidates: string[]): Promise<string | null> {
  for (const c of candidates) if (await isDir(c)) return c;
  return null;
}

/** Decode the whole file to nowhere; any error output means the file is damaged. */
async function deepCheck(path: string): Promise<string | null> {
  const res = await runTool('ffmpeg', ['-nostdin', '-v', 'error', '-i', ffmpegInputArg(path), '-f', 'null', '-'], { stdout: { kind: 'ignore' }, timeoutMs: 600_000 });
  if (res.code !== 0 || res.stderr.trim() !== '') return summarizeStderr(res.stderr) || `ffmpeg exited with code ${res.code}`;
  return null;
}

export async function checkDataset(root: string, opts: CheckOptions): Promise<DatasetSummary> {
  const absRoot = resolve(root);
  const warnings: string[] = [];
  const minDuration = opts.minDuration ?? 1.1;
  const folds = opts.folds ?? [1, 2, 3];
  const listOpts = { extensions: opts.extensions };
  const matchOpts = { ignoreExtension: opts.ignoreExtension };

  // Named groups of items (per split) and the full set of files to probe.
  const groups: { name: string; items: VideoItem[]; missing: number }[] = [];
  const missingExamples: string[] = [];
  let classes: string[] = [];
  let all: VideoItem[] = [];
  let videosDir = absRoot;
  let splitsDir: string | null = null;

  if (opts.format === 'kinetics') {
    const splits = await listKinetics(absRoot, listOpts);
    const names = Object.keys(splits);
    if (names.length === 0) warnings.push(`no split directories under ${absRoot}`);
    const classSets = names.map((n) => (splits[n]?.classes ?? []).join('\n'));
    if (new Set(classSets).size > 1) warnings.push('split directories have different class lists (labels differ between splits)');
    classes = [...new Set(names.flatMap((n) => splits[n]?.classes ?? []))].sort();
    for (const n of names) {
      const items = splits[n]?.items ?? [];
      groups.push({ name: n, items, missing: 0 });
      all.push(...items);
    }
  } else {
    videosDir = opts.videosDir ? resolve(opts.videosDir) : ((await firstDir([join(absRoot, 'videos')])) ?? absRoot);
    const listing = await listClassFolders(videosDir, listOpts);
    classes = listing.classes;
    all = listing.items;
    if (opts.format === 'folder') {
      groups.push({ name: 'all', items: all, missing: 0 });
    } else if (opts.format === 'ucf101') {
      splitsDir = opts.splitsDir
        ? resolve(opts.splitsDir)
        : await firstDir([join(absRoot, 'splits'), join(absRoot, 'ucfTrainTestlist'), join(dirname(absRoot), 'ucfTrainTestlist'), join(dirname(videosDir), 'ucfTrainTestlist')]);
      if (!splitsDir) warnings.push('no UCF101 split directory found (give splitsDir); only the videos were checked');
      else {
        try {
          const ind = await readUcf101ClassInd(splitsDir);
          const names = ind.map((c) => c.name);
          const dirs = new Set(classes);
          const absent = names.filter((n) => !dirs.has(n));
          const extra = classes.filter((c) => !names.includes(c));
          if (absent.length > 0) warnings.push(`classInd.txt classes without a directory: ${absent.slice(0, 10).join(', ')}`);
          if (extra.length > 0) warnings.push(`class directories not in classInd.txt: ${extra.slice(0, 10).join(', ')}`);
          if (absent.length === 0 && extra.length === 0 && names.some((n, i) => n !== classes[i])) {
            warnings.push('classInd.txt order differs from the sorted directory order (training labels follow the directories)');
          }
        } catch (err) {
          if (!(err instanceof SplitFormatError)) throw err;
          warnings.push(err.message);
        }
        for (const fold of folds) {
          for (const split of ['train', 'test'] as const) {
            const entries = await readUcf101Split(splitsDir, fold, split);
            const sel = selectUcf101(all, entries, matchOpts);
            groups.push({ name: `fold${fold}/${split}`, items: sel.selected, missing: sel.missing.length });
            for (const m of sel.missing) if (missingExamples.length < 20) missingExamples.push(`${split}list0${fold}.txt:${m.line}: ${m.path}`);
          }
        }
      }
    } else {
      splitsDir = opts.splitsDir
        ? resolve(opts.splitsDir)
        : await firstDir([join(absRoot, 'splits'), join(absRoot, 'testTrainMulti_7030_splits'), join(dirname(absRoot), 'testTrainMulti_7030_splits'), join(dirname(videosDir), 'testTrainMulti_7030_splits')]);
      if (!splitsDir) warnings.push('no HMDB51 split directory found (give splitsDir); only the videos were checked');
      else {
        for (const fold of folds) {
          const entries = await readHmdb51Split(splitsDir, fold);
          for (const split of ['train', 'test'] as const) {
            const sel = selectHmdb51(all, entries, split, matchOpts);
            groups.push({ name: `fold${fold}/${split}`, items: sel.selected, missing: sel.missing.length });
            for (const m of sel.missing) if (missingExamples.length < 20) missingExamples.push(`${m.file}:${m.line}: ${m.video}`);
          }
          const unused = selectHmdb51(all, entries, 'unused', matchOpts);
          if (unused.selected.length > 0) groups.push({ name: `fold${fold}/unused`, items: unused.selected, missing: unused.missing.length });
        }
      }
    }
  }

  const paths = all.map((it) => it.path);
  const man = await updateManifest(opts.manifestPath ?? null, paths, { concurrency: opts.concurrency, onProgress: opts.onProgress });
  const entries = man.entries;
  if (opts.deep) {
    const readable = paths.filter((p) => entries.get(p)?.ok === true);
    const damaged = await mapLimit(readable, opts.concurrency ?? 4, async (p) => [p, await deepCheck(p)] as const);
    for (const [p, why] of damaged) {
      const e = entries.get(p);
      if (why !== null && e) entries.set(p, { ok: false, size: e.size, mtimeMs: e.mtimeMs, kind: 'decode_error', reason: why });
    }
  }

  const stat1 = (e: ManifestEntry | undefined): { ok: boolean; dur: number; noAudio: boolean; short: boolean } => {
    if (!e || !e.ok) return { ok: false, dur: 0, noAudio: false, short: false };
    const dur = e.info.duration;
    return { ok: true, dur, noAudio: !e.info.hasAudio, short: !(dur > minDuration) };
  };

  const splits: SplitSummary[] = groups.map((g) => {
    const s: SplitSummary = { name: g.name, count: g.items.length, missing: g.missing, noAudio: 0, unreadable: 0, tooShort: 0, durationSec: 0 };
    for (const it of g.items) {
      const st = stat1(entries.get(it.path));
      if (!st.ok) s.unreadable++;
      if (st.noAudio) s.noAudio++;
      if (st.short) s.tooShort++;
      s.durationSec += st.dur;
    }
    return s;
  });

  let totalDurationSec = 0;
  let noAudio = 0;
  let tooShort = 0;
  const unreadable: { path: string; reason: string }[] = [];
  const frameRates: Record<string, number> = {};
  for (const p of paths) {
    const e = entries.get(p);
    if (!e) continue;
    if (!e.ok) {
      unreadable.push({ path: p, reason: e.reason });
      continue;
    }
    const st = stat1(e);
    totalDurationSec += st.dur;
    if (st.noAudio) noAudio++;
    if (st.short) tooShort++;
    const key = String(Math.round(e.info.fps * 100) / 100);
    frameRates[key] = (frameRates[key] ?? 0) + 1;
  }
  return {
    format: opts.format,
    root: absRoot,
    videosDir,
    splitsDir,
    classes,
    numVideos: paths.length,
    splits,
    totalDurationSec,
    noAudio,
    tooShort,
    unreadable,
    missingExamples,
    frameRates,
    warnings,
    manifest: opts.manifestPath ? { reused: man.stats.reused, probed: man.stats.probed } : null,
  };
}

function fmtDuration(sec: number): string {
  const h = Math.floor(sec / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : m > 0 ? `${m}m${s.toFixed(0).padStart(2, '0')}s` : `${s.toFixed(1)}s`;
}

/** Human-readable report of a {@link DatasetSummary}. */
export function formatDatasetSummary(s: DatasetSummary, opts: { maxUnreadable?: number } = {}): string {
  const maxBad = opts.maxUnreadable ?? 20;
  const out: string[] = [];
  out.push(`dataset  ${s.format} at ${s.root}`);
  if (s.videosDir !== s.root) out.push(`videos   ${s.videosDir}`);
  if (s.splitsDir) out.push(`splits   ${s.splitsDir}`);
  const shown = s.classes.slice(0, 8).join(', ');
  out.push(`classes  ${s.classes.length}${s.classes.length > 0 ? ` (${shown}${s.classes.length > 8 ? ', ...' : ''})` : ''}`);
  out.push(`videos   ${s.numVideos}, total ${fmtDuration(s.totalDurationSec)}, ${s.unreadable.length} unreadable, ${s.noAudio} without audio, ${s.tooShort} not longer than the minimum duration`);
  const rates = Object.entries(s.frameRates).sort((a, b) => b[1] - a[1]);
  if (rates.length > 0) out.push(`fps      ${rates.slice(0, 5).map(([r, n]) => `${r}: ${n}`).join(', ')}${rates.length > 5 ? ', ...' : ''}`);
  if (s.manifest) out.push(`manifest ${s.manifest.reused} reused, ${s.manifest.probed} probed`);
  if (s.splits.length > 0) {
    const w = Math.max(5, ...s.splits.map((x) => x.name.length));
    out.push('');
    out.push(`${'split'.padEnd(w)}  ${'videos'.padStart(7)}  ${'missing'.padStart(7)}  ${'no-audio'.padStart(8)}  ${'unreadable'.padStart(10)}  duration`);
    for (const x of s.splits) {
      out.push(`${x.name.padEnd(w)}  ${String(x.count).padStart(7)}  ${String(x.missing).padStart(7)}  ${String(x.noAudio).padStart(8)}  ${String(x.unreadable).padStart(10)}  ${fmtDuration(x.durationSec)}`);
    }
  }
  if (s.missingExamples.length > 0) {
    out.push('');
    out.push('split entries without a file:');
    for (const m of s.missingExamples) out.push(`  ${m}`);
  }
  if (s.unreadable.length > 0) {
    out.push('');
    out.push('unreadable:');
    for (const u of s.unreadable.slice(0, maxBad)) out.push(`  ${u.path}: ${u.reason}`);
    if (s.unreadable.length > maxBad) out.push(`  ... and ${s.unreadable.length - maxBad} more`);
  }
  if (s.warnings.length > 0) {
    out.push('');
    for (const w of s.warnings) out.push(`warning: ${w}`);
  }
  return `${out.join('\n')}\n`;
}
