// Writes a model's .onnx file atomically (temp file + rename, src/io/atomic.ts), chunk by chunk,
// so the weights are never copied into one buffer.
import { writeAll, writeFileAtomic } from '../io/atomic.js';
import { encodeModel, type OnnxModel } from './onnx-proto.js';

/** Writes the file; returns its size in bytes. */
export async function writeOnnxFile(path: string, model: OnnxModel): Promise<number> {
  const w = encodeModel(model);
  await writeFileAtomic(path, async (file) => {
    for (const part of w.parts()) await writeAll(file, part);
  });
  return w.byteLength;
}
