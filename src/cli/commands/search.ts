// `gdt search <query video> --index <emb.npy>`: the nearest rows of an index made by `gdt embed`,
// by cosine similarity; the query is embedded with the settings the index records.
import { isAbsolute, relative } from 'node:path';
import type { Command } from 'commander';
import { intOption } from '../options.js';
import { searchIndex, type SearchHit, type SearchResult } from '../../embed/search.js';

interface SearchCliOptions {
  index: string;
  k: string;
  weights?: string;
  queryRow?: string;
  device: string;
  json?: boolean;
}

/** A path relative to the working folder when it lies under it (shorter in the table). */
function shown(p: string): string {
  const r = relative(process.cwd(), p);
  return r && !r.startsWith('..') && !isAbsolute(r) ? r : p;
}

function when(h: SearchHit): string {
  const span = `${h.start.toFixed(2)}-${h.end.toFixed(2)} s`;
  return h.clip === null ? `video (${span})` : `clip ${h.clip} (${span})`;
}

/** The result as an aligned text table. */
export function formatHits(r: SearchResult): string {
  const head = ['rank', 'similarity', 'clip time', 'path'];
  const body = r.hits.map((h) => [String(h.rank), h.similarity.toFixed(4), when(h), shown(h.path)]);
  const widths = head.map((c, i) => Math.max(c.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const q = r.query.row !== undefined ? `row ${r.query.row}` : shown(r.query.path ?? '');
  return [`query: ${q}; index: ${shown(r.index.path)} (${r.index.rows} rows of ${r.index.dim}${r.index.level ? `, ${r.index.level} level` : ''})`, line(head), ...body.map(line)].join('\n');
}

export function register(program: Command): void {
  program
    .command('search')
    .description('nearest neighbours of a video (or of an indexed row) in an index made by gdt embed, by cosine similarity')
    .argument('[query]', 'query video (embedded with the settings recorded in <index>.meta.json)')
    .requiredOption('--index <file>', 'the .npy written by gdt embed (with its .jsonl and .meta.json)')
    .option('--k <n>', 'neighbours to show', '5')
    .option('--weights <ckpt>', 'weights for the query (default: the ones the index was made with)')
    .option('--query-row <n>', 'search with row n of the index instead of a video')
    .option('--device <d>', 'cpu | cuda', 'cpu')
    .option('--json', 'machine-readable output')
    .action(async (query: string | undefined, o: SearchCliOptions) => {
      if (o.device !== 'cpu' && o.device !== 'cuda') throw new Error(`--device must be cpu or cuda, got '${o.device}'`);
      const r = await searchIndex({
        index: o.index,
        query,
        queryRow: o.queryRow === undefined ? undefined : intOption('--query-row', o.queryRow, 0),
        k: intOption('--k', o.k, 1),
        weights: o.weights,
        device: o.device,
        log: (s) => console.error(s),
      });
      console.log(o.json ? JSON.stringify(r, null, 1) : formatHits(r));
    });
}
