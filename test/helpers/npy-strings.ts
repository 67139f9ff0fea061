// A .npy file of unicode strings ('<U{n}', as numpy.save writes a str array): word lists for the
// video-text fixtures.
import { writeFileSync } from 'node:fs';

export function writeNpyStrings(path: string, words: string[]): void {
  const n = Math.max(...words.map((w) => w.length));
  let header = `{'descr': '<U${n}', 'fortran_order': False, 'shape': (${words.length},), }`;
  const total = 10 + header.length + 1;
  header += ' '.repeat((64 - (total % 64)) % 64) + '\n';
  const head = Buffer.concat([Buffer.from([0x93]), Buffer.from('NUMPY'), Buffer.from([1, 0]), Buffer.alloc(2), Buffer.from(header, 'latin1')]);
  head.writeUInt16LE(header.length, 8);
  const data = Buffer.alloc(words.length * n * 4);
  words.forEach((w, i) => [...w].forEach((c, j) => data.writeUInt32LE(c.codePointAt(0)!, (i * n + j) * 4)));
  writeFileSync(path, Buffer.concat([head, data]));
}
