// SHA-256 of cached files and the `<file>.sha256` sidecar (sha256sum format, so
// `sha256sum -c gdt_K400.pth.sha256` works in the cache dir) that records it.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';

const HEX64 = /^[0-9a-f]{64}$/;

export function isSha256(s: string): boolean {
  return HEX64.test(s);
}

/** SHA-256 of a file, hex, streamed (checkpoints are hundreds of MB). */
export async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) h.update(chunk as Buffer);
  return h.digest('hex');
}

export function sidecarPath(path: string): string {
  return `${path}.sha256`;
}

/** The recorded hash of `path`, or undefined when there is no (readable, well-formed) sidecar. */
export async function readSidecar(path: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(sidecarPath(path), 'utf8');
  } catch {
    return undefined;
  }
  const hex = text.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  return isSha256(hex) ? hex : undefined;
}

export async function writeSidecar(path: string, sha256: string): Promise<void> {
  await writeFileAtomic(sidecarPath(path), `${sha256}  ${basename(path)}\n`);
}
