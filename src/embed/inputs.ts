// What `gdt embed` reads: video files, folders (searched recursively for video extensions) and
// list files (.txt, one path per line, relative to the list's folder), flattened into one list of
// absolute paths in a canonical order (the order of the rows in the output).
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, resolve } from 'node:path';

export const VIDEO_EXTENSIONS = ['.mp4', '.avi', '.mkv', '.mov', '.webm', '.m4v', '.mpg', '.mpeg', '.flv', '.wmv', '.3gp', '.ogv', '.ts', '.mts'] as const;

const isVideo = (p: string): boolean => (VIDEO_EXTENSIONS as readonly string[]).includes(extname(p).toLowerCase());

/** Video files under `dir`, recursively (hidden entries skipped), sorted by path. */
function walk(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string): void => {
    const entries = readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const p = join(d, e.name);
      // Symlinks are followed (a dataset folder is often a farm of links); stat says what they are.
      const st = e.isSymbolicLink() ? statSync(p, { throwIfNoEntry: false }) : undefined;
      if (e.isDirectory() || st?.isDirectory()) visit(p);
      else if ((e.isFile() || st?.isFile()) && isVideo(e.name)) out.push(p);
    }
  };
  visit(dir);
  return out;
}

/** Lines of a list file: blank lines and `#` comments skipped; paths relative to the list's folder. */
function readList(file: string): string[] {
  const base = dirname(file);
  return readFileSync(file, 'utf8')
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => (isAbsolute(l) ? l : resolve(base, l)));
}

/**
 * The videos named by `inputs`: a file is taken as it is (a `.txt` file is a list), a folder is
 * searched recursively. Duplicates keep their first position. Fails on a missing input or when
 * nothing is found.
 */
export function resolveInputs(inputs: readonly string[]): string[] {
  if (!inputs.length) throw new Error('no input: give a video, a folder or a list file (.txt)');
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (p: string): void => {
    if (!seen.has(p)) {
      seen.add(p);
      out.push(p);
    }
  };
  for (const input of inputs) {
    const abs = resolve(input);
    if (!existsSync(abs)) throw new Error(`input not found: ${input}`);
    if (statSync(abs).isDirectory()) {
      const found = walk(abs);
      if (!found.length) throw new Error(`no video files (${VIDEO_EXTENSIONS.join(' ')}) under ${input}`);
      found.forEach(add);
    } else if (extname(abs).toLowerCase() === '.txt') {
      const listed = readList(abs);
      if (!listed.length) throw new Error(`the list ${input} names no file`);
      // Listed files that are missing are kept: they are reported (and skipped) like unreadable ones.
      listed.forEach(add);
    } else add(abs);
  }
  return out;
}
