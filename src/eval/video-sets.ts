// The training and test videos of a fold (SPEC 5.10), probed once in the main thread so that the
// loader's workers get paths, labels and probe results without probing again.
import { join } from 'node:path';
import { resolveVideoList, probeVideoList } from '../data/video-list.js';
import type { EvalVideo } from './views-dataset.js';
import type { VideoDataConfig } from './config.js';

export interface EvalVideoSet {
  split: 'train' | 'test';
  fold: number;
  classes: string[];
  videos: EvalVideo[];
  /** Root-relative names ("Class/file.avi"), for reports. */
  names: string[];
  /** Listed videos left out (unreadable, too short), with the reason. */
  skipped: { path: string; reason: string }[];
}

/** The probe cache: data.manifest, else `probe-manifest.json` in `dir` (the feature cache or the output folder). */
export function manifestPath(data: VideoDataConfig, dir: string): string {
  return data.manifest ?? join(dir, 'probe-manifest.json');
}

export async function loadVideoSet(data: VideoDataConfig, fold: number, split: 'train' | 'test', manifest: string): Promise<EvalVideoSet> {
  const list = await resolveVideoList({ root: data.root, format: data.dataset, splitsDir: data.splits, fold, split, ignoreExtension: data.ignoreExtension });
  if (!list.items.length) {
    throw new Error(`fold ${fold} ${split} split of ${data.root} (${data.dataset}) selects no video: check --root, --splits and the file extensions (ignoreExtension)`);
  }
  const probed = await probeVideoList(list, { manifestPath: manifest, requireAudio: false, minDuration: data.minDuration });
  if (!probed.videos.length) throw new Error(`no readable video in the fold ${fold} ${split} split of ${data.root}: e.g. ${probed.skipped[0]?.path}: ${probed.skipped[0]?.reason}`);
  const rel = new Map(list.items.map((it) => [it.path, it.rel]));
  return {
    split,
    fold,
    classes: list.classes,
    videos: probed.videos.map((v) => ({ path: v.path, label: v.label, info: v.info })),
    names: probed.videos.map((v) => rel.get(v.path) ?? v.path),
    skipped: probed.skipped,
  };
}
