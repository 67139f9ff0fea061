// The few protobuf wire-format pieces TensorBoard's Event messages need (encode and decode).
export class ProtoWriter {
  private parts: number[] = [];
  private varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.parts.push(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.parts.push(Number(x));
  }
  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  int64(field: number, v: number | bigint): this {
    this.tag(field, 0);
    this.varint(v);
    return this;
  }
  double(field: number, v: number): this {
    this.tag(field, 1);
    const b = new DataView(new ArrayBuffer(8));
    b.setFloat64(0, v, true);
    for (let i = 0; i < 8; i++) this.parts.push(b.getUint8(i));
    return this;
  }
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new DataView(new ArrayBuffer(4));
    b.setFloat32(0, v, true);
    for (let i = 0; i < 4; i++) this.parts.push(b.getUint8(i));
    return this;
  }
  bytes(field: number, v: Uint8Array): this {
    this.tag(field, 2);
    this.varint(v.length);
    for (const x of v) this.parts.push(x);
    return this;
  }
  string(field: number, v: string): this {
    return this.bytes(field, new TextEncoder().encode(v));
  }
  message(field: number, m: ProtoWriter): this {
    return this.bytes(field, m.finish());
  }
  finish(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

export type ProtoValue = { wire: 0; value: bigint } | { wire: 1 | 5; value: number } | { wire: 2; value: Uint8Array };

/** Decodes one message level into field number -> values (repeated fields keep their order). */
export function decodeMessage(buf: Uint8Array): Map<number, ProtoValue[]> {
  const out = new Map<number, ProtoValue[]>();
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let i = 0;
  const varint = (): bigint => {
    let r = 0n;
    let shift = 0n;
    for (;;) {
      if (i >= buf.length) throw new RangeError('protobuf: truncated varint');
      const b = buf[i++]!;
      r |= BigInt(b & 0x7f) << shift;
      if (!(b & 0x80)) return r;
      shift += 7n;
      if (shift > 70n) throw new RangeError('protobuf: varint too long');
    }
  };
  while (i < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    let v: ProtoValue;
    if (wire === 0) v = { wire, value: varint() };
    else if (wire === 1) {
      if (i + 8 > buf.length) throw new RangeError('protobuf: truncated double');
      v = { wire, value: view.getFloat64(i, true) };
      i += 8;
    } else if (wire === 5) {
      if (i + 4 > buf.length) throw new RangeError('protobuf: truncated float');
      v = { wire, value: view.getFloat32(i, true) };
      i += 4;
    } else if (wire === 2) {
      const n = Number(varint());
      if (i + n > buf.length) throw new RangeError('protobuf: truncated length-delimited field');
      v = { wire, value: buf.subarray(i, i + n) };
      i += n;
    } else throw new RangeError(`protobuf: unsupported wire type ${wire}`);
    const list = out.get(field) ?? [];
    list.push(v);
    out.set(field, list);
  }
  return out;
}

/**
 * A protobuf writer for large messages (ONNX models with megabytes of weights). `ProtoWriter`
 * keeps one JavaScript number per byte; this one keeps byte chunks: big `bytes` fields and nested
 * messages are referenced, not copied, until `finish` (or written chunk by chunk from `parts`).
 * A nested message or byte array must not be modified after it was added.
 */
export class ChunkedProtoWriter {
  private readonly chunks: Uint8Array[] = [];
  private pending: number[] = [];
  private length = 0;

  private byte(b: number): void {
    this.pending.push(b);
    this.length++;
  }
  private flush(): void {
    if (!this.pending.length) return;
    this.chunks.push(Uint8Array.from(this.pending));
    this.pending = [];
  }
  private varint(v: number | bigint): void {
    let x = BigInt.asUintN(64, BigInt(v));
    while (x >= 0x80n) {
      this.byte(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.byte(Number(x));
  }
  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  private fixed(bytes: number, set: (d: DataView) => void): void {
    const d = new DataView(new ArrayBuffer(bytes));
    set(d);
    for (let i = 0; i < bytes; i++) this.byte(d.getUint8(i));
  }
  /** int64, int32, uint64 or enum field (varint; negative values take ten bytes, as protobuf). */
  int64(field: number, v: number | bigint): this {
    this.tag(field, 0);
    this.varint(v);
    return this;
  }
  float(field: number, v: number): this {
    this.tag(field, 5);
    this.fixed(4, (d) => d.setFloat32(0, v, true));
    return this;
  }
  double(field: number, v: number): this {
    this.tag(field, 1);
    this.fixed(8, (d) => d.setFloat64(0, v, true));
    return this;
  }
  /** A length-delimited field; the array is referenced, not copied. */
  bytes(field: number, v: Uint8Array): this {
    this.tag(field, 2);
    this.varint(v.byteLength);
    if (v.byteLength <= 64) {
      for (const x of v) this.byte(x);
      return this;
    }
    this.flush();
    this.chunks.push(v);
    this.length += v.byteLength;
    return this;
  }
  string(field: number, v: string): this {
    return this.bytes(field, new TextEncoder().encode(v));
  }
  /** A nested message; its chunks are referenced, not copied. */
  message(field: number, m: ChunkedProtoWriter): this {
    this.tag(field, 2);
    this.varint(m.byteLength);
    this.flush();
    for (const c of m.parts()) this.chunks.push(c);
    this.length += m.byteLength;
    return this;
  }
  /** A packed repeated varint field (one length-delimited record). */
  packedInt64(field: number, values: readonly (number | bigint)[]): this {
    const inner = new ChunkedProtoWriter();
    for (const v of values) inner.varint(v);
    return this.message(field, inner);
  }
  get byteLength(): number {
    return this.length;
  }
  /** The encoded message as consecutive chunks (for streaming it to a file). */
  parts(): readonly Uint8Array[] {
    this.flush();
    return this.chunks;
  }
  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let off = 0;
    for (const c of this.parts()) {
      out.set(c, off);
      off += c.byteLength;
    }
    return out;
  }
}
