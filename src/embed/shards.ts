// Finished work of an embedding in progress: every few videos a shard (`shard-00007.npy` with its
// rows, then `shard-00007.jsonl` naming them; the .jsonl is written last and is the commit mark)
// under `<out>.parts/<key>/`, where the key hashes the weights and every setting, so that an
// interrupted run resumes with the videos it has not done and a changed option never mixes rows.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readNpy } from '../models/npy.js';
import { writeFileAtomic } from '../io/atomic.js';
import { npyHeader, writeNpy } from '../io/npy-writer.js';
import { parseJsonl, toJsonl, type IndexRow } from './index-files.js';

/** The rows of one embedded video (row numbers local to the video) or why it was skipped. */
export type VideoResult = { path: string; rows: Float32Array; entries: Omit<IndexRow, 'row'>[] } | { path: string; skipped: string };

/** A shard's .jsonl line: a row (row = within the shard) or a skipped video. */
type ShardLine = IndexRow | { path: string; skipped: string };

export interface ShardContent {
  data: Float32Array;
  rows: IndexRow[];
  skipped: { path: string; reason: string }[];
}

const SHARD = /^shard-(\d{5,})\.jsonl$/;
const name = (n: number): string => `shard-${String(n).padStart(5, '0')}`;

export class ShardStore {
  readonly dir: string;
  constructor(
    readonly root: string,
    readonly key: string,
    readonly dim: number,
  ) {
    this.dir = join(root, key);
  }

  /**
   * Makes the folder; removes the parts of other keys (made with other weights or options: they
   * can never be used by this embedding) and rows left without their .jsonl by an interruption.
   * Returns the removed keys.
   */
  prepare(): string[] {
    const stale = existsSync(this.root) ? readdirSync(this.root).filter((d) => d !== this.key) : [];
    for (const d of stale) rmSync(join(this.root, d), { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
    for (const f of readdirSync(this.dir)) {
      const m = /^(shard-\d+)\.npy$/.exec(f);
      if ((m && !existsSync(join(this.dir, `${m[1]}.jsonl`))) || f.endsWith('.tmp')) rmSync(join(this.dir, f), { force: true });
    }
    return stale;
  }

  /** Numbers of the finished shards, ascending. */
  list(): number[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir)
      .map((f) => SHARD.exec(f))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => Number(m[1]))
      .sort((a, b) => a - b);
  }

  next(): number {
    const l = this.list();
    return l.length ? l[l.length - 1]! + 1 : 0;
  }

  /**
   * A shard's lines, after checking that its .npy has exactly the size of their rows (cheap: the
   * rows themselves are read only when the final files are assembled).
   */
  lines(n: number): Omit<ShardContent, 'data'> {
    const base = join(this.dir, name(n));
    const all = parseJsonl<ShardLine>(readFileSync(`${base}.jsonl`, 'utf8'), `${base}.jsonl`);
    const rows = all.filter((l): l is IndexRow => !('skipped' in l));
    const skipped = all.filter((l): l is { path: string; skipped: string } => 'skipped' in l).map((l) => ({ path: l.path, reason: l.skipped }));
    if (rows.length) {
      const want = npyHeader('<f4', [rows.length, this.dim]).length + rows.length * this.dim * 4;
      const size = statSync(`${base}.npy`, { throwIfNoEntry: false })?.size;
      if (size !== want) throw new Error(`${base}.npy has ${size ?? 'no'} bytes, expected ${want} for ${rows.length} x ${this.dim} float32 rows`);
    }
    return { rows, skipped };
  }

  /** A shard's rows and lines. */
  read(n: number): ShardContent {
    const { rows, skipped } = this.lines(n);
    let data: Float32Array = new Float32Array(0);
    if (rows.length) {
      const base = join(this.dir, name(n));
      const a = readNpy(`${base}.npy`);
      if (!(a.data instanceof Float32Array) || a.shape.length !== 2 || a.shape[0] !== rows.length || a.shape[1] !== this.dim) {
        throw new Error(`${base}.npy holds ${a.descr} (${a.shape.join(', ')}), expected ${rows.length} x ${this.dim} float32 rows`);
      }
      data = a.data;
    }
    return { data, rows, skipped };
  }

  /** Writes the videos as shard `n`: rows first, the .jsonl (the commit mark) last, each atomically. */
  async write(n: number, videos: readonly VideoResult[]): Promise<void> {
    const base = join(this.dir, name(n));
    const lines: ShardLine[] = [];
    const chunks: Float32Array[] = [];
    let row = 0;
    for (const v of videos) {
      if ('skipped' in v) {
        lines.push({ path: v.path, skipped: v.skipped });
        continue;
      }
      chunks.push(v.rows);
      for (const e of v.entries) lines.push({ row: row++, ...e });
    }
    if (row > 0) {
      const data = new Float32Array(row * this.dim);
      let off = 0;
      for (const c of chunks) {
        data.set(c, off);
        off += c.length;
      }
      await writeNpy(`${base}.npy`, data, [row, this.dim]);
    }
    await writeFileAtomic(`${base}.jsonl`, toJsonl(lines));
  }

  /** Drops a shard that cannot be read (its videos are embedded again). */
  remove(n: number): void {
    for (const ext of ['.jsonl', '.npy']) rmSync(join(this.dir, `${name(n)}${ext}`), { force: true });
  }

  /** Removes every part (after the final files are written, or for --fresh). */
  clear(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
