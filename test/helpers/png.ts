// A small PNG decoder for tests, enough to look into the screenshots Chromium writes: 8-bit
// greyscale, grey+alpha, RGB and RGBA, not interlaced (palette and 16-bit images are rejected).
// Returns RGBA pixels.
import { inflateSync } from 'node:zlib';

export interface DecodedPng {
  width: number;
  height: number;
  /** width * height * 4 bytes, row-major RGBA. */
  rgba: Uint8Array;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export function decodePng(buf: Uint8Array): DecodedPng {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 8 || SIGNATURE.some((v, i) => b[i] !== v)) throw new Error('not a PNG (bad signature)');
  let pos = 8;
  let width = 0;
  let height = 0;
  let depth = 0;
  let colour = -1;
  let interlace = 0;
  const idat: Buffer[] = [];
  while (pos + 8 <= b.length) {
    const len = b.readUInt32BE(pos);
    const type = b.toString('ascii', pos + 4, pos + 8);
    const data = b.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      depth = data[8]!;
      colour = data[9]!;
      interlace = data[12]!;
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') break;
    pos += 12 + len;
  }
  const channels = ({ 0: 1, 2: 3, 4: 2, 6: 4 } as Record<number, number>)[colour];
  if (depth !== 8 || channels === undefined) throw new Error(`unsupported PNG: bit depth ${depth}, colour type ${colour}`);
  if (interlace !== 0) throw new Error('unsupported PNG: interlaced');
  if (!(width > 0 && height > 0)) throw new Error(`bad PNG size ${width}x${height}`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length < (stride + 1) * height) throw new Error(`PNG data too short: ${raw.length} bytes for ${width}x${height}x${channels}`);
  const px = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    const src = y * (stride + 1) + 1;
    const out = y * stride;
    for (let i = 0; i < stride; i++) {
      const x = raw[src + i]!;
      const a = i >= channels ? px[out + i - channels]! : 0;
      const up = y > 0 ? px[out - stride + i]! : 0;
      const c = y > 0 && i >= channels ? px[out - stride + i - channels]! : 0;
      let v: number;
      switch (filter) {
        case 0: v = x; break;
        case 1: v = x + a; break;
        case 2: v = x + up; break;
        case 3: v = x + ((a + up) >> 1); break;
        case 4: v = x + paeth(a, up, c); break;
        default: throw new Error(`bad PNG filter ${filter} in row ${y}`);
      }
      px[out + i] = v & 0xff;
    }
  }
  const rgba = new Uint8Array(width * height * 4);
  for (let p = 0; p < width * height; p++) {
    const s = p * channels;
    if (channels >= 3) {
      rgba[4 * p] = px[s]!;
      rgba[4 * p + 1] = px[s + 1]!;
      rgba[4 * p + 2] = px[s + 2]!;
    } else rgba[4 * p] = rgba[4 * p + 1] = rgba[4 * p + 2] = px[s]!;
    rgba[4 * p + 3] = channels === 4 ? px[s + 3]! : channels === 2 ? px[s + 1]! : 255;
  }
  return { width, height, rgba };
}

export interface PixelStats {
  width: number;
  height: number;
  /** Distinct RGBA colours. */
  colours: number;
  /** The most frequent colour as #rrggbbaa and the fraction of pixels that have it. */
  dominant: string;
  dominantFraction: number;
}

export function pixelStats(png: DecodedPng): PixelStats {
  const counts = new Map<number, number>();
  const v = new DataView(png.rgba.buffer, png.rgba.byteOffset, png.rgba.byteLength);
  for (let i = 0; i < png.rgba.length; i += 4) {
    const k = v.getUint32(i);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  let best = 0;
  let bestN = 0;
  for (const [k, n] of counts) if (n > bestN) [best, bestN] = [k, n];
  return {
    width: png.width,
    height: png.height,
    colours: counts.size,
    dominant: `#${(best >>> 0).toString(16).padStart(8, '0')}`,
    dominantFraction: bestN / (png.width * png.height),
  };
}
