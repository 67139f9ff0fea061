// ONNX's protobuf messages (onnx/onnx.proto, proto2 syntax) as plain data, and their wire-format
// encoding: the few fields a model needs (ModelProto, GraphProto, NodeProto, AttributeProto,
// TensorProto with raw little-endian data, ValueInfoProto). Field numbers are onnx.proto's.
import { endianness } from 'node:os';
import { ChunkedProtoWriter } from '../train/protobuf.js';

/** ONNX IR version 8 (ONNX 1.10+), as read by every runtime that knows opset 17. */
export const ONNX_IR_VERSION = 8;
export const ONNX_OPSET = 17;

/** TensorProto.DataType codes of the element types used here. */
export const ONNX_DATA_TYPE = { float32: 1, int64: 7 } as const;
export type OnnxElemType = keyof typeof ONNX_DATA_TYPE;

/** AttributeProto.AttributeType codes. */
const ATTRIBUTE_TYPE = { float: 1, int: 2, string: 3, tensor: 4, floats: 6, ints: 7 } as const;

export interface OnnxTensor {
  name: string;
  dims: readonly number[];
  data: Float32Array | BigInt64Array;
}

export type OnnxAttribute =
  | { name: string; type: 'float'; value: number }
  | { name: string; type: 'int'; value: number }
  | { name: string; type: 'string'; value: string }
  | { name: string; type: 'floats'; value: readonly number[] }
  | { name: string; type: 'ints'; value: readonly number[] }
  | { name: string; type: 'tensor'; value: OnnxTensor };

export interface OnnxNode {
  name: string;
  opType: string;
  inputs: string[];
  outputs: string[];
  attributes: OnnxAttribute[];
}

/** A dimension: a size, a symbolic name (dim_param, e.g. the batch 'N') or null (unknown). */
export type Dim = number | string | null;

export interface OnnxValueInfo {
  name: string;
  elemType: OnnxElemType;
  shape: readonly Dim[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

export interface OnnxModel {
  irVersion: number;
  opsetVersion: number;
  producerName: string;
  producerVersion: string;
  docString?: string;
  /** metadata_props: free-form key/value strings (what was exported, from which weights). */
  metadata?: Readonly<Record<string, string>>;
  graph: OnnxGraph;
}

export const elemTypeOf = (t: OnnxTensor): OnnxElemType => (t.data instanceof Float32Array ? 'float32' : 'int64');

/** The tensor's elements as little-endian bytes (a view on little-endian machines, else a swapped copy). */
function littleEndianBytes(data: Float32Array | BigInt64Array): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (endianness() === 'LE') return bytes;
  const out = new Uint8Array(bytes.length);
  const w = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += w) for (let j = 0; j < w; j++) out[i + j] = bytes[i + w - 1 - j]!;
  return out;
}

export function encodeTensor(t: OnnxTensor): ChunkedProtoWriter {
  const w = new ChunkedProtoWriter();
  for (const d of t.dims) w.int64(1, d); // dims
  w.int64(2, ONNX_DATA_TYPE[elemTypeOf(t)]); // data_type
  w.string(8, t.name); // name
  w.bytes(9, littleEndianBytes(t.data)); // raw_data
  return w;
}

export function encodeAttribute(a: OnnxAttribute): ChunkedProtoWriter {
  const w = new ChunkedProtoWriter().string(1, a.name);
  switch (a.type) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.int64(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'tensor':
      w.message(5, encodeTensor(a.value));
      break;
    case 'floats':
      for (const v of a.value) w.float(7, v);
      break;
    case 'ints':
      for (const v of a.value) w.int64(8, v);
      break;
  }
  return w.int64(20, ATTRIBUTE_TYPE[a.type]);
}

export function encodeNode(n: OnnxNode): ChunkedProtoWriter {
  const w = new ChunkedProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  w.string(3, n.name).string(4, n.opType);
  for (const a of n.attributes) w.message(5, encodeAttribute(a));
  return w;
}

export function encodeValueInfo(v: OnnxValueInfo): ChunkedProtoWriter {
  const shape = new ChunkedProtoWriter();
  for (const d of v.shape) {
    const dim = new ChunkedProtoWriter();
    if (typeof d === 'number') dim.int64(1, d); // dim_value
    else if (typeof d === 'string') dim.string(2, d); // dim_param
    shape.message(1, dim);
  }
  const tensorType = new ChunkedProtoWriter().int64(1, ONNX_DATA_TYPE[v.elemType]).message(2, shape);
  const type = new ChunkedProtoWriter().message(1, tensorType);
  return new ChunkedProtoWriter().string(1, v.name).message(2, type);
}

export function encodeGraph(g: OnnxGraph): ChunkedProtoWriter {
  const w = new ChunkedProtoWriter();
  for (const n of g.nodes) w.message(1, encodeNode(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, encodeTensor(t));
  for (const i of g.inputs) w.message(11, encodeValueInfo(i));
  for (const o of g.outputs) w.message(12, encodeValueInfo(o));
  return w;
}

export function encodeModel(m: OnnxModel): ChunkedProtoWriter {
  const w = new ChunkedProtoWriter()
    .int64(1, m.irVersion)
    .string(2, m.producerName)
    .string(3, m.producerVersion);
  if (m.docString) w.string(6, m.docString);
  w.message(7, encodeGraph(m.graph));
  w.message(8, new ChunkedProtoWriter().string(1, '').int64(2, m.opsetVersion)); // the default domain
  for (const [k, v] of Object.entries(m.metadata ?? {})) w.message(14, new ChunkedProtoWriter().string(1, k).string(2, v));
  return w;
}

/** The model's .onnx bytes. */
export function serializeModel(m: OnnxModel): Uint8Array {
  return encodeModel(m).finish();
}
