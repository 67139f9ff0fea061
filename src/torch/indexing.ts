// PyTorch-style indexing: `t.index(':, 1:3, ::2, None, ...')` or `t.index(0, slice(1, 3), null, idx)`.
import type { Tensor } from './tensor.js';

/** A slice `start:stop:step` (each part optional, negative start/stop count from the end). */
export interface Slice {
  start?: number;
  stop?: number;
  step?: number;
}

/**
 * One index item: an integer selects (and drops) a dimension, a Slice keeps it, `null` inserts a
 * new axis, '...' stands for the remaining dimensions, a Tensor or number[] indexes by value
 * (advanced indexing, as in PyTorch).
 */
export type IndexItem = number | Slice | null | '...' | Tensor | readonly number[];

export function slice(start?: number, stop?: number, step?: number): Slice {
  if (step !== undefined && step <= 0) throw new RangeError('slice step must be positive (as in PyTorch)');
  return { start, stop, step };
}

/** Parses the text of a Python subscript: '0, 1:3, ::2, None, ...'. */
export function parseIndex(spec: string): IndexItem[] {
  const parts = spec.split(',').map((p) => p.trim());
  if (parts.length === 1 && parts[0] === '') return [];
  const out: IndexItem[] = [];
  let ellipses = 0;
  for (const p of parts) {
    if (p === '...') {
      if (++ellipses > 1) throw new SyntaxError(`index '${spec}': an index can only have a single ellipsis ('...')`);
      out.push('...');
    } else if (p === 'None' || p === 'null') {
      out.push(null);
    } else if (p.includes(':')) {
      const fields = p.split(':');
      if (fields.length > 3) throw new SyntaxError(`index '${spec}': '${p}' is not a slice`);
      const num = (f: string | undefined): number | undefined => {
        if (f === undefined || f.trim() === '') return undefined;
        const v = Number(f);
        if (!Number.isInteger(v)) throw new SyntaxError(`index '${spec}': '${f}' is not an integer`);
        return v;
      };
      out.push(slice(num(fields[0]), num(fields[1]), num(fields[2])));
    } else {
      const v = Number(p);
      if (p === '' || !Number.isInteger(v)) throw new SyntaxError(`index '${spec}': '${p}' is not an integer, slice, None or ...`);
      out.push(v);
    }
  }
  return out;
}
