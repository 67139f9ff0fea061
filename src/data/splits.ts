/**
 * Dataset file lists and annotation formats (SPEC 5.1, 5.9, 5.10).
 *
 *  - UCF101: `classInd.txt` ("1 ApplyEyeMakeup"), `trainlist0k.txt`
 *    ("ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1"), `testlist0k.txt` (path only), folds 1-3.
 *    As in the reference only the first field selects a video: it must equal the video's path
 *    relative to the root.
 *  - HMDB51: one `<class>_test_split<k>.txt` per class, lines "<file>.avi <tag>" with tag
 *    0 = unused, 1 = train, 2 = test; videos are selected by basename.
 *  - Class folders `<root>/<class>/<file>` (and Kinetics' `<root>/<split>/<class>/<file>`): sorted
 *    paths; label = position of the class directory in the sorted directory names.
 *  - HowTo100M caption CSVs (`start,end,text`) and the `video_id` index CSV.
 *  - ESC-50 `meta/esc50.csv` (filename,fold,target,category,esc10,src_file,take).
 *
 * Real files have CRLF line ends, trailing spaces and sometimes a UTF-8 BOM; all are accepted.
 * Malformed lines raise {@link SplitFormatError} naming the file and the 1-based line.
 */
import { readdir, readFile } from 'node:fs/promises';
import { basename, extname, join, resolve } from 'node:path';

export class SplitFormatError extends Error {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
  constructor(file: string, line: number, reason: string) {
    super(`${file}:${line}: ${reason}`);
    this.name = 'SplitFormatError';
    this.file = file;
    this.line = line;
    this.reason = reason;
  }
}

/** Non-empty lines with their 1-based numbers; strips a BOM, CR and surrounding blanks. */
export function textLines(text: string): { line: number; text: string }[] {
  const out: { line: number; text: string }[] = [];
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  src.split('\n').forEach((raw, i) => {
    const t = raw.replace(/\r$/, '').trim();
    if (t !== '') out.push({ line: i + 1, text: t });
  });
  return out;
}

async function readText(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new SplitFormatError(file, 0, code === 'ENOENT' ? 'file not found' : `cannot read: ${(err as Error).message}`);
  }
}

const INT_RE = /^[+]?\d+$/;

// ---------------------------------------------------------------------------------------------
// UCF101

export interface ClassIndEntry {
  /** 1-based index as written in the file. */
  index: number;
  name: string;
}

export function parseUcf101ClassInd(text: string, file = 'classInd.txt'): ClassIndEntry[] {
  const out: ClassIndEntry[] = [];
  const seenIdx = new Set<number>();
  const seenName = new Set<string>();
  for (const { line, text: t } of textLines(text)) {
    const f = t.split(/\s+/);
    if (f.length !== 2 || !INT_RE.test(f[0] ?? '')) throw new SplitFormatError(file, line, `expected "<index> <ClassName>", got "${t}"`);
    const index = Number(f[0]);
    const name = f[1] ?? '';
    if (index < 1) throw new SplitFormatError(file, line, `class index must be >= 1, got ${index}`);
    if (seenIdx.has(index)) throw new SplitFormatError(file, line, `duplicate class index ${index}`);
    if (seenName.has(name)) throw new SplitFormatError(file, line, `duplicate class name ${name}`);
    seenIdx.add(index);
    seenName.add(name);
    out.push({ index, name });
  }
  if (out.length === 0) throw new SplitFormatError(file, 0, 'no classes');
  return out;
}

export interface Ucf101ListEntry {
  /** The first field, e.g. "ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi". */
  path: string;
  className: string;
  /** The annotation's 1-based label (train lists), or null. Not used for training (SPEC 5.10). */
  label: number | null;
  line: number;
}

/** Parse a `trainlist0k.txt` / `testlist0k.txt`. */
export function parseUcf101List(text: string, file: string): Ucf101ListEntry[] {
  const out: Ucf101ListEntry[] = [];
  for (const { line, text: t } of textLines(text)) {
    const f = t.split(/\s+/);
    if (f.length > 2) throw new SplitFormatError(file, line, `expected "<Class>/<file> [label]", got "${t}"`);
    const path = (f[0] ?? '').replaceAll('\\', '/');
    const slash = path.indexOf('/');
    if (slash <= 0 || slash === path.length - 1 || path.indexOf('/', slash + 1) >= 0) {
      throw new SplitFormatError(file, line, `expected "<Class>/<file>", got "${f[0]}"`);
    }
    let label: number | null = null;
    if (f.length === 2) {
      if (!INT_RE.test(f[1] ?? '')) throw new SplitFormatError(file, line, `label must be an integer, got "${f[1]}"`);
      label = Number(f[1]);
    }
    out.push({ path, className: path.slice(0, slash), label, line });
  }
  return out;
}

export type Fold = 1 | 2 | 3;

function checkFold(fold: number, max = 3): void {
  if (!Number.isInteger(fold) || fold < 1 || fold > max) throw new RangeError(`fold must be 1..${max}, got ${fold}`);
}

export async function readUcf101ClassInd(splitsDir: string): Promise<ClassIndEntry[]> {
  const file = join(splitsDir, 'classInd.txt');
  return parseUcf101ClassInd(await readText(file), file);
}

/** Entries of `trainlist0<fold>.txt` or `testlist0<fold>.txt`. */
export async function readUcf101Split(splitsDir: string, fold: number, split: 'train' | 'test'): Promise<Ucf101ListEntry[]> {
  checkFold(fold);
  const file = join(splitsDir, `${split}list0${fold}.txt`);
  return parseUcf101List(await readText(file), file);
}

// ---------------------------------------------------------------------------------------------
// HMDB51

export type HmdbTag = 0 | 1 | 2;

export interface HmdbEntry {
  /** File name, e.g. "April_09_brush_hair_u_nm_np1_ba_goo_0.avi". */
  video: string;
  className: string;
  /** 0 = unused, 1 = train, 2 = test. */
  tag: HmdbTag;
  file: string;
  line: number;
}

const HMDB_FILE_RE = /^(.*)_test_split(\d+)\.txt$/;

/** Parse one `<class>_test_split<k>.txt`; the class comes from the file name. */
export function parseHmdb51SplitFile(text: string, file: string): HmdbEntry[] {
  const m = HMDB_FILE_RE.exec(basename(file));
  const className = m ? (m[1] ?? '') : '';
  const out: HmdbEntry[] = [];
  for (const { line, text: t } of textLines(text)) {
    const f = t.split(/\s+/);
    if (f.length !== 2) throw new SplitFormatError(file, line, `expected "<video> <tag>", got "${t}"`);
    const tag = f[1];
    if (tag !== '0' && tag !== '1' && tag !== '2') throw new SplitFormatError(file, line, `tag must be 0, 1 or 2, got "${tag}"`);
    out.push({ video: f[0] ?? '', className, tag: Number(tag) as HmdbTag, file, line });
  }
  return out;
}

/** All `*test_split<fold>.txt` files of an annotation directory (one per class), parsed. */
export async function readHmdb51Split(annotationDir: string, fold: number): Promise<HmdbEntry[]> {
  checkFold(fold);
  let names: string[];
  try {
    names = await readdir(annotationDir);
  } catch {
    throw new SplitFormatError(annotationDir, 0, 'annotation directory not found');
  }
  const files = names.filter((n) => n.endsWith(`test_split${fold}.txt`)).sort();
  if (files.length === 0) throw new SplitFormatError(annotationDir, 0, `no *test_split${fold}.txt files`);
  const out: HmdbEntry[] = [];
  for (const n of files) {
    const file = join(annotationDir, n);
    out.push(...parseHmdb51SplitFile(await readText(file), file));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Class folders (UCF101 / HMDB51 roots, Kinetics splits, generic)

export interface VideoItem {
  /** Absolute path. */
  path: string;
  /** Path relative to the listed root, '/'-separated ("Class/file.avi"). */
  rel: string;
  className: string;
  /** Position of the class directory in the sorted class directory names. */
  label: number;
}

export interface ClassFolderListing {
  root: string;
  classes: string[];
  items: VideoItem[];
}

/** Code-unit order, like Python's `sorted` on str (not locale order). */
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface ListOptions {
  /** Keep only these extensions (e.g. ['.mp4', '.avi']); default: every non-hidden file, as the reference's glob. */
  extensions?: string[];
}

/**
 * `<root>/<class>/<file>`: every non-hidden file two levels down, sorted by path; labels by sorted
 * class directory name. (The reference indexes `os.listdir(root)`, which also counts stray files
 * at the top level; here only directories are classes.)
 */
export async function listClassFolders(root: string, opts: ListOptions = {}): Promise<ClassFolderListing> {
  const absRoot = resolve(root);
  const entries = await readdir(absRoot, { withFileTypes: true });
  const classes = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort(byCodeUnit);
  const exts = opts.extensions?.map((e) => e.toLowerCase());
  const items: VideoItem[] = [];
  for (const [label, className] of classes.entries()) {
    const files = await readdir(join(absRoot, className), { withFileTypes: true });
    for (const f of files) {
      if (f.name.startsWith('.') || !(f.isFile() || f.isSymbolicLink())) continue;
      if (exts && !exts.includes(extname(f.name).toLowerCase())) continue;
      items.push({ path: join(absRoot, className, f.name), rel: `${className}/${f.name}`, className, label });
    }
  }
  items.sort((a, b) => byCodeUnit(a.rel, b.rel));
  return { root: absRoot, classes, items };
}

/** Kinetics: `<root>/<split dir>/<class>/<file>` for each split directory (e.g. train_avi-480p). */
export async function listKinetics(root: string, opts: ListOptions & { splits?: string[] } = {}): Promise<Record<string, ClassFolderListing>> {
  const absRoot = resolve(root);
  const splits =
    opts.splits ??
    (await readdir(absRoot, { withFileTypes: true }))
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name)
      .sort(byCodeUnit);
  const out: Record<string, ClassFolderListing> = {};
  for (const s of splits) out[s] = await listClassFolders(join(absRoot, s), opts);
  return out;
}

function stripExt(p: string): string {
  const e = extname(p);
  return e ? p.slice(0, -e.length) : p;
}

export interface Selection<E> {
  selected: VideoItem[];
  /** Annotation entries with no matching file. */
  missing: E[];
}

/**
 * UCF101 selection: items whose root-relative path equals an entry's first field. With
 * `ignoreExtension`, "X/v.avi" also matches a transcoded "X/v.mp4".
 */
export function selectUcf101(items: readonly VideoItem[], entries: readonly Ucf101ListEntry[], opts: { ignoreExtension?: boolean } = {}): Selection<Ucf101ListEntry> {
  const key = (p: string): string => (opts.ignoreExtension ? stripExt(p) : p);
  const wanted = new Map(entries.map((e) => [key(e.path), e]));
  const selected = items.filter((it) => wanted.has(key(it.rel)));
  const have = new Set(selected.map((it) => key(it.rel)));
  return { selected, missing: entries.filter((e) => !have.has(key(e.path))) };
}

/** HMDB51 selection by basename: tag 1 (train), 2 (test) or 0 (unused). */
export function selectHmdb51(items: readonly VideoItem[], entries: readonly HmdbEntry[], split: 'train' | 'test' | 'unused', opts: { ignoreExtension?: boolean } = {}): Selection<HmdbEntry> {
  const tag: HmdbTag = split === 'train' ? 1 : split === 'test' ? 2 : 0;
  const key = (p: string): string => (opts.ignoreExtension ? stripExt(p) : p);
  const chosen = entries.filter((e) => e.tag === tag);
  const wanted = new Set(chosen.map((e) => key(e.video)));
  const selected = items.filter((it) => wanted.has(key(basename(it.path))));
  const have = new Set(selected.map((it) => key(basename(it.path))));
  return { selected, missing: chosen.filter((e) => !have.has(key(e.video))) };
}

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180), HowTo100M, ESC-50

export interface CsvRecord {
  fields: string[];
  /** 1-based line where the record starts. */
  line: number;
}

/** RFC 4180 CSV: quoted fields, doubled quotes, commas and newlines inside quotes, CRLF, BOM. */
export function parseCsv(text: string, file = 'csv'): CsvRecord[] {
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const out: CsvRecord[] = [];
  let fields: string[] = [];
  let field = '';
  let inQuotes = false;
  let quotedField = false;
  let line = 1;
  let recordLine = 1;
  let i = 0;
  const endField = (): void => {
    fields.push(field);
    field = '';
    quotedField = false;
  };
  const endRecord = (): void => {
    endField();
    // Blank lines are not records.
    if (!(fields.length === 1 && fields[0] === '')) out.push({ fields, line: recordLine });
    fields = [];
  };
  while (i < src.length) {
    const ch = src[i]!;
    if (inQuotes) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        i++;
        continue;
      }
      if (ch === '\n') line++;
      field += ch;
      i++;
      continue;
    }
    if (ch === '"') {
      if (field !== '' || quotedField) throw new SplitFormatError(file, line, 'quote inside an unquoted field');
      inQuotes = true;
      quotedField = true;
      i++;
    } else if (ch === ',') {
      endField();
      i++;
    } else if (ch === '\r' && src[i + 1] === '\n') {
      i++;
    } else if (ch === '\n') {
      endRecord();
      line++;
      recordLine = line;
      i++;
    } else {
      if (quotedField) throw new SplitFormatError(file, line, 'characters after a closing quote');
      field += ch;
      i++;
    }
  }
  if (inQuotes) throw new SplitFormatError(file, recordLine, 'unterminated quoted field');
  if (field !== '' || fields.length > 0 || quotedField) endRecord();
  return out;
}

function headerIndex(header: CsvRecord, names: string[], file: string): number[] {
  const cols = header.fields.map((f) => f.trim().toLowerCase());
  return names.map((n) => {
    const k = cols.indexOf(n);
    if (k < 0) throw new SplitFormatError(file, header.line, `missing column "${n}" (header: ${header.fields.join(',')})`);
    return k;
  });
}

export interface CaptionRow {
  start: number;
  end: number;
  text: string;
  line: number;
}

/** HowTo100M caption CSV with columns start, end, text (seconds); extra columns are ignored. */
export function parseHowToCaptions(text: string, file = 'captions.csv'): CaptionRow[] {
  const rows = parseCsv(text, file);
  const header = rows[0];
  if (!header) throw new SplitFormatError(file, 0, 'empty caption file');
  const [is, ie, it] = headerIndex(header, ['start', 'end', 'text'], file) as [number, number, number];
  const out: CaptionRow[] = [];
  for (const r of rows.slice(1)) {
    const s = Number((r.fields[is] ?? '').trim());
    const e = Number((r.fields[ie] ?? '').trim());
    if (r.fields.length < header.fields.length) throw new SplitFormatError(file, r.line, `expected ${header.fields.length} fields, got ${r.fields.length}`);
    if ((r.fields[is] ?? '').trim() === '' || !Number.isFinite(s)) throw new SplitFormatError(file, r.line, `start is not a number: "${r.fields[is]}"`);
    if ((r.fields[ie] ?? '').trim() === '' || !Number.isFinite(e)) throw new SplitFormatError(file, r.line, `end is not a number: "${r.fields[ie]}"`);
    out.push({ start: s, end: e, text: r.fields[it] ?? '', line: r.line });
  }
  return out;
}

/**
 * The reference's caption window (SPEC 5.9): shorter than `minTime` -> extended symmetrically,
 * start = max(0, start - (minTime - (end - start)) / 2), end = start + minTime; both truncated.
 */
export function captionWindow(start: number, end: number, minTime = 4): { start: number; end: number } {
  let s = start;
  let e = end;
  if (e - s < minTime) {
    s = Math.max(0, s - (minTime - (e - s)) / 2);
    e = s + minTime;
  }
  return { start: Math.trunc(s), end: Math.trunc(e) };
}

/** `howto.csv`: one `video_id` column. */
export function parseHowToIndex(text: string, file = 'howto.csv'): string[] {
  const rows = parseCsv(text, file);
  const header = rows[0];
  if (!header) return [];
  const [iv] = headerIndex(header, ['video_id'], file) as [number];
  return rows.slice(1).map((r) => {
    const v = (r.fields[iv] ?? '').trim();
    if (v === '') throw new SplitFormatError(file, r.line, 'empty video_id');
    return v;
  });
}

export interface Esc50Entry {
  filename: string;
  fold: number;
  /** 0-based class index (ESC-50 `target`). */
  target: number;
  category: string;
  esc10: boolean;
  srcFile: string;
  take: string;
  line: number;
}

/** ESC-50 `meta/esc50.csv`. */
export function parseEsc50Meta(text: string, file = 'esc50.csv'): Esc50Entry[] {
  const rows = parseCsv(text, file);
  const header = rows[0];
  if (!header) throw new SplitFormatError(file, 0, 'empty metadata file');
  const [ifn, ifold, itarget, icat] = headerIndex(header, ['filename', 'fold', 'target', 'category'], file) as [number, number, number, number];
  const cols = header.fields.map((f) => f.trim().toLowerCase());
  const iesc10 = cols.indexOf('esc10');
  const isrc = cols.indexOf('src_file');
  const itake = cols.indexOf('take');
  return rows.slice(1).map((r) => {
    const get = (k: number): string => (k >= 0 ? (r.fields[k] ?? '').trim() : '');
    const fold = get(ifold);
    const target = get(itarget);
    if (!INT_RE.test(fold) || Number(fold) < 1) throw new SplitFormatError(file, r.line, `fold must be a positive integer, got "${fold}"`);
    if (!INT_RE.test(target)) throw new SplitFormatError(file, r.line, `target must be an integer, got "${target}"`);
    if (get(ifn) === '') throw new SplitFormatError(file, r.line, 'empty filename');
    return {
      filename: get(ifn),
      fold: Number(fold),
      target: Number(target),
      category: get(icat),
      esc10: /^true$/i.test(get(iesc10)),
      srcFile: get(isrc),
      take: get(itake),
      line: r.line,
    };
  });
}

/** ESC-50 split: `<root>/meta/esc50.csv`, audio in `<root>/audio/`; test = the given fold. */
export async function readEsc50(root: string, fold: number, split: 'train' | 'test', opts: { esc10Only?: boolean } = {}): Promise<(Esc50Entry & { path: string })[]> {
  checkFold(fold, 5);
  const file = join(resolve(root), 'meta', 'esc50.csv');
  const all = parseEsc50Meta(await readText(file), file);
  return all
    .filter((e) => (split === 'test' ? e.fold === fold : e.fold !== fold))
    .filter((e) => !opts.esc10Only || e.esc10)
    .map((e) => ({ ...e, path: join(resolve(root), 'audio', e.filename) }));
}
