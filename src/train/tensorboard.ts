// TensorBoard event files: TFRecord framing (length, masked CRC32C, data, masked CRC32C) around
// `Event` protobufs, so `tensorboard --logdir <out>` reads gdt's scalars and text.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { maskedCrc32c } from './crc32c.js';
import { ProtoWriter, decodeMessage } from './protobuf.js';

function frame(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + 4 + data.length + 4);
  const v = new DataView(out.buffer);
  v.setBigUint64(0, BigInt(data.length), true);
  v.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  v.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

function event(step: number, build: (e: ProtoWriter) => void, wallTime = Date.now() / 1000): Uint8Array {
  const e = new ProtoWriter().double(1, wallTime).int64(2, step);
  build(e);
  return e.finish();
}

/** Appends events to `<dir>/events.out.tfevents.<time>.<host>`; flushes every `flushEvery` events. */
export class SummaryWriter {
  readonly path: string;
  private fd: number;
  private pending: Uint8Array[] = [];
  constructor(
    dir: string,
    private readonly flushEvery = 20,
  ) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, `events.out.tfevents.${Math.floor(Date.now() / 1000)}.${hostname()}.${process.pid}`);
    this.fd = openSync(this.path, 'a');
    this.write(event(0, (e) => e.string(3, 'brain.Event:2')));
    this.flush();
  }
  private write(ev: Uint8Array): void {
    this.pending.push(frame(ev));
    if (this.pending.length >= this.flushEvery) this.flush();
  }
  addScalar(tag: string, value: number, step: number, wallTime?: number): void {
    const v = new ProtoWriter().string(1, tag).float(2, value);
    this.write(event(step, (e) => e.message(5, new ProtoWriter().message(1, v)), wallTime));
  }
  /** Text shown in TensorBoard's text tab (e.g. the run's arguments). */
  addText(tag: string, text: string, step = 0): void {
    const pluginData = new ProtoWriter().string(1, 'text');
    const metadata = new ProtoWriter().message(1, pluginData);
    const shape = new ProtoWriter().message(2, new ProtoWriter().int64(1, 1));
    const tensor = new ProtoWriter().int64(1, 7 /* DT_STRING */).message(2, shape).string(8, text);
    const v = new ProtoWriter().string(1, tag).message(9, metadata).message(8, tensor);
    this.write(event(step, (e) => e.message(5, new ProtoWriter().message(1, v))));
  }
  flush(): void {
    if (!this.pending.length) return;
    const total = this.pending.reduce((n, p) => n + p.length, 0);
    const buf = new Uint8Array(total);
    let o = 0;
    for (const p of this.pending) {
      buf.set(p, o);
      o += p.length;
    }
    this.pending = [];
    writeSync(this.fd, buf);
  }
  close(): void {
    if (this.fd < 0) return;
    this.flush();
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }
}

export interface ParsedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars: { tag: string; value: number }[];
  texts: { tag: string; text: string }[];
}

/** Reads an event file back, checking both CRCs of every record. */
export function readEventFile(path: string): ParsedEvent[] {
  const buf = new Uint8Array(readFileSync(path));
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: ParsedEvent[] = [];
  let i = 0;
  const td = new TextDecoder();
  while (i < buf.length) {
    if (i + 12 > buf.length) throw new RangeError(`${path}: truncated record header at byte ${i}`);
    const len = Number(v.getBigUint64(i, true));
    if (v.getUint32(i + 8, true) !== maskedCrc32c(buf.subarray(i, i + 8))) throw new RangeError(`${path}: bad length CRC at byte ${i}`);
    if (i + 12 + len + 4 > buf.length) throw new RangeError(`${path}: truncated record at byte ${i}`);
    const data = buf.subarray(i + 12, i + 12 + len);
    if (v.getUint32(i + 12 + len, true) !== maskedCrc32c(data)) throw new RangeError(`${path}: bad data CRC at byte ${i}`);
    i += 16 + len;
    const m = decodeMessage(data);
    const ev: ParsedEvent = {
      wallTime: (m.get(1)?.[0]?.value as number) ?? 0,
      step: Number((m.get(2)?.[0]?.value as bigint) ?? 0n),
      scalars: [],
      texts: [],
    };
    const fv = m.get(3)?.[0];
    if (fv?.wire === 2) ev.fileVersion = td.decode(fv.value);
    const summary = m.get(5)?.[0];
    if (summary?.wire === 2) {
      for (const val of decodeMessage(summary.value).get(1) ?? []) {
        if (val.wire !== 2) continue;
        const f = decodeMessage(val.value);
        const tag = td.decode(f.get(1)?.[0]?.value as Uint8Array);
        const simple = f.get(2)?.[0];
        if (simple?.wire === 5) ev.scalars.push({ tag, value: simple.value });
        const tensor = f.get(8)?.[0];
        if (tensor?.wire === 2) {
          const s = decodeMessage(tensor.value).get(8)?.[0];
          if (s?.wire === 2) ev.texts.push({ tag, text: td.decode(s.value) });
        }
      }
    }
    out.push(ev);
  }
  return out;
}
