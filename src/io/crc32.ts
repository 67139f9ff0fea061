/** CRC-32 (zip polynomial). zlib.crc32 is native but only exists from Node 20.15. */
import * as zlib from 'node:zlib';

type Crc32Fn = (data: Uint8Array, value?: number) => number;

let table: Uint32Array | undefined;

function crc32Js(data: Uint8Array, value = 0): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = (value ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

const native = (zlib as unknown as { crc32?: Crc32Fn }).crc32;

/** CRC-32 of `data`, continuing from `value` (the CRC of preceding bytes). */
export const crc32: Crc32Fn = typeof native === 'function' ? (d, v = 0) => native(d, v) >>> 0 : crc32Js;

/** Exposed for tests so the fallback is exercised on any Node version. */
export const crc32Fallback: Crc32Fn = crc32Js;
