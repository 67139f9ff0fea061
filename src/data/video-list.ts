// The videos of a dataset split with their labels, for the supported layouts.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  listClassFolders,
  listKinetics,
  readHmdb51Split,
  readUcf101Split,
  selectHmdb51,
  selectUcf101,
  type VideoItem,
} from './splits.js';
import { updateManifest, type ManifestOk } from './manifest.js';
import type { ProbeResult } from '../media/probe.js';

export type DatasetLayout = 'ucf101' | 'hmdb51' | 'kinetics' | 'folder';

export interface VideoListOptions {
  root: string;
  format: DatasetLayout;
  /** UCF101/HMDB51 annotation folder (default `<root>/splits`). */
  splitsDir?: string;
  /** 1, 2 or 3 (UCF101/HMDB51). */
  fold?: number;
  /** 'train' or 'test' (Kinetics: the split folder name, e.g. 'train'). */
  split?: string;
  /** Match split entries ignoring the extension (.avi lists, transcoded .mp4 files). */
  ignoreExtension?: boolean;
}

export interface VideoList {
  classes: string[];
  items: VideoItem[];
}

export async function resolveVideoList(o: VideoListOptions): Promise<VideoList> {
  const videosDir = existsSync(join(o.root, 'videos')) ? join(o.root, 'videos') : o.root;
  const splitsDir = o.splitsDir ?? join(o.root, 'splits');
  const fold = o.fold ?? 1;
  const split = o.split ?? 'train';
  switch (o.format) {
    case 'folder':
      return listClassFolders(videosDir);
    case 'kinetics': {
      const all = await listKinetics(o.root, { splits: [split] });
      const l = all[split];
      if (!l) throw new Error(`Kinetics root ${o.root} has no split folder '${split}'`);
      return l;
    }
    case 'ucf101': {
      if (split !== 'train' && split !== 'test') throw new Error(`UCF101 split must be 'train' or 'test', got '${split}'`);
      const listing = await listClassFolders(videosDir);
      const entries = await readUcf101Split(splitsDir, fold, split);
      return { classes: listing.classes, items: selectUcf101(listing.items, entries, { ignoreExtension: o.ignoreExtension }).selected };
    }
    case 'hmdb51': {
      if (split !== 'train' && split !== 'test') throw new Error(`HMDB51 split must be 'train' or 'test', got '${split}'`);
      const listing = await listClassFolders(videosDir);
      const entries = await readHmdb51Split(splitsDir, fold);
      return { classes: listing.classes, items: selectHmdb51(listing.items, entries, split, { ignoreExtension: o.ignoreExtension }).selected };
    }
    default:
      throw new Error(`unknown dataset format '${String(o.format)}'; use ucf101, hmdb51, kinetics or folder`);
  }
}

export interface ProbedVideo extends VideoItem {
  info: ProbeResult;
}

export interface ProbedList {
  classes: string[];
  videos: ProbedVideo[];
  /** Videos left out, with the reason (unreadable, no audio under the 'skip' policy, too short). */
  skipped: { path: string; reason: string }[];
}

/**
 * Probes a list (through the manifest cache when `manifestPath` is given) and keeps the videos the
 * reference keeps: readable, longer than `minDuration`, and with audio when `requireAudio`.
 */
export async function probeVideoList(list: VideoList, o: { manifestPath?: string; requireAudio?: boolean; minDuration?: number }): Promise<ProbedList> {
  const res = await updateManifest(o.manifestPath ?? null, list.items.map((it) => it.path));
  const videos: ProbedVideo[] = [];
  const skipped: { path: string; reason: string }[] = [];
  for (const it of list.items) {
    const e = res.entries.get(it.path);
    if (!e || !e.ok) {
      skipped.push({ path: it.path, reason: e && !e.ok ? e.reason : 'not probed' });
      continue;
    }
    const info = (e as ManifestOk).info;
    if (o.requireAudio && !info.hasAudio) skipped.push({ path: it.path, reason: 'no audio stream' });
    else if (info.duration <= (o.minDuration ?? 0)) skipped.push({ path: it.path, reason: `too short (${info.duration.toFixed(2)} s)` });
    else videos.push({ ...it, info });
  }
  return { classes: list.classes, videos, skipped };
}
