// The model zoo: the GDT checkpoints the reference's README publishes (SPEC 4.4, 10), what each
// needs to be loaded into, and where they are fetched from and cached.
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where the reference README links its checkpoints. */
export const DEFAULT_ZOO_BASE_URL = 'https://dl.fbaipublicfiles.com/GDT/';

/** Environment variables the zoo reads (both URL names are accepted, GDT_ZOO_URL first). */
export const ZOO_ENV = {
  baseUrl: ['GDT_ZOO_URL', 'GDT_ZOO_BASE'],
  cacheDir: 'GDT_CACHE_DIR',
} as const;

export type Env = Readonly<Record<string, string | undefined>>;

/** Finetuning results of the README (SPEC 10): video-level top-1, percent, 3-fold mean. */
export interface ZooResults {
  hmdb51Top1: number;
  ucf101Top1: number;
  /** Frames and crop of the pretraining clips the numbers refer to. */
  frames: number;
  crop: number;
}

export interface ZooEntry {
  /** The zoo name, e.g. `gdt-k400`. */
  name: string;
  /** File name under the base URL and in the cache, e.g. `gdt_K400.pth`. */
  file: string;
  title: string;
  pretrainingData: string;
  /** eval_video.py's `--model` for these weights (SPEC 4.3, 9.1). */
  referenceModel: 'av_gdt' | 'vid_text_gdt';
  /** The pretraining model in src/models' `architectures` that holds every checkpoint key. */
  architecture: string;
  /** The finetuning wrapper in `architectures` that eval_video.py loads the video encoder into. */
  finetuneArchitecture: string;
  /** Short description of the network: encoders and heads. */
  network: string;
  results: ZooResults;
  /** What the checkpoint is good for. */
  purpose: string;
  /**
   * SHA-256 of the published file when known. The README publishes none, so this is empty for
   * the three entries: the hash is recorded after the first complete download instead.
   */
  sha256?: string;
  /** Expected size in bytes when known (checked in addition to Content-Length). */
  size?: number;
  /** Caveats, e.g. what SPEC leaves undocumented. */
  notes?: string;
}

// The internal layout of the published files is undocumented (SPEC 4.4): the loader accepts
// `state_dict` or `model`, strips `module.` and skips what does not fit, so the architecture
// below only decides which keys can land.
const entries: ZooEntry[] = [
  {
    name: 'gdt-k400',
    file: 'gdt_K400.pth',
    title: 'GDT, audio-visual, Kinetics-400',
    pretrainingData: 'Kinetics-400',
    referenceModel: 'av_gdt',
    architecture: 'gdt',
    finetuneArchitecture: 'finetune',
    network: 'R(2+1)D-18 video + ResNet-9 audio, MLP heads (512 -> 256)',
    results: { hmdb51Top1: 62.3, ucf101Top1: 90.9, frames: 30, crop: 112 },
    purpose: 'video encoder for UCF101/HMDB51 finetuning; audio-visual embeddings trained on public data',
  },
  {
    name: 'gdt-ht100m',
    file: 'gdt_HT100M.pth',
    title: 'GDT, video-text, HowTo100M',
    pretrainingData: 'HowTo100M',
    referenceModel: 'vid_text_gdt',
    architecture: 'textvid_gdt',
    finetuneArchitecture: 'finetune',
    network: 'R(2+1)D-18 video + word2vec text encoder, MLP heads (512 / 2048 -> 256)',
    results: { hmdb51Top1: 67.4, ucf101Top1: 94.1, frames: 30, crop: 112 },
    purpose: 'video encoder for action recognition; video-text embeddings (needs the word2vec files for text)',
  },
  {
    name: 'gdt-ig65m',
    file: 'gdt_IG65M.pth',
    title: 'GDT, audio-visual, Instagram-65M',
    pretrainingData: 'Instagram-65M',
    referenceModel: 'av_gdt',
    architecture: 'gdt',
    finetuneArchitecture: 'finetune',
    network: 'R(2+1)D-18 video + ResNet-9 audio, MLP heads (512 -> 256)',
    results: { hmdb51Top1: 72.8, ucf101Top1: 95.2, frames: 30, crop: 112 },
    purpose: 'strongest video encoder of the zoo for finetuning; not reproducible here (no IG65M pretraining code)',
    notes: 'audio-visual (av_gdt) assumed: the reference has no IG65M pretraining code (SPEC 10)',
  },
];

/** The zoo, in README order. */
export const ZOO: readonly Readonly<ZooEntry>[] = Object.freeze(entries.map((e) => Object.freeze(e)));

/**
 * The entry for a zoo name (case-insensitive; `gdt_K400`, `gdt_K400.pth` and `k400` work too),
 * or undefined.
 */
export function zooEntry(name: string): Readonly<ZooEntry> | undefined {
  const n = name.trim().toLowerCase().replace(/_/g, '-').replace(/\.pth$/, '');
  return ZOO.find((e) => e.name === n || e.name === `gdt-${n}`);
}

/** zooEntry, or an error listing the known names. */
export function requireZooEntry(name: string): Readonly<ZooEntry> {
  const e = zooEntry(name);
  if (!e) throw new Error(`'${name}' is not in the model zoo (known: ${ZOO.map((z) => z.name).join(', ')})`);
  return e;
}

/** The base URL: GDT_ZOO_URL, else GDT_ZOO_BASE, else the reference's. Always ends with '/'. */
export function zooBaseUrl(env: Env = process.env): string {
  const fromEnv = ZOO_ENV.baseUrl.map((k) => env[k]).find((v) => v !== undefined && v.trim() !== '');
  const base = fromEnv?.trim() ?? DEFAULT_ZOO_BASE_URL;
  try {
    new URL(base);
  } catch {
    throw new Error(`${ZOO_ENV.baseUrl.join(' / ')} must be an absolute URL, got '${base}'`);
  }
  return base.endsWith('/') ? base : `${base}/`;
}

export function zooUrl(entry: Pick<ZooEntry, 'file'>, env: Env = process.env): string {
  return new URL(entry.file, zooBaseUrl(env)).href;
}

/** GDT_CACHE_DIR, else `$XDG_CACHE_HOME/gdt/zoo`, else `~/.cache/gdt/zoo`. */
export function zooCacheDir(env: Env = process.env): string {
  const dir = env[ZOO_ENV.cacheDir];
  if (dir && dir.trim()) return dir;
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg && xdg.trim() ? xdg : join(homedir(), '.cache'), 'gdt', 'zoo');
}

/** Where an entry's file lives in the cache. */
export function zooCachePath(entry: Pick<ZooEntry, 'file'>, env: Env = process.env): string {
  return join(zooCacheDir(env), entry.file);
}
