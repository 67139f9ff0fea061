// Which container a checkpoint file is, from its first bytes: a zip (torch.save's default), a
// safetensors file (8-byte header length, then a JSON object), or else a pickle (torch's legacy
// format, or a tar of pickles, which readTorchFile tells apart itself).
import { open } from 'node:fs/promises';

export type CheckpointContainer = 'zip' | 'safetensors' | 'pickle';

export async function sniffCheckpoint(path: string): Promise<CheckpointContainer> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(16);
    const { bytesRead } = await fh.read(b, 0, 16, 0);
    if (bytesRead >= 4 && b.readUInt32LE(0) === 0x04034b50) return 'zip';
    if (bytesRead >= 9 && b[8] === 0x7b /* '{' */) return 'safetensors';
    return 'pickle';
  } finally {
    await fh.close();
  }
}
