// The ONNX protobuf writer byte for byte against hand-encoded messages (onnx.proto field numbers,
// proto2 unpacked repeated scalars), and the hand-encoded one-node model run by onnxruntime.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { ChunkedProtoWriter, ProtoWriter, decodeMessage } from '../../src/train/protobuf.js';
import { encodeAttribute, encodeTensor, serializeModel, type OnnxModel } from '../../src/export/onnx-proto.js';
import { attr } from '../../src/export/graph-builder.js';

const ascii = (s: string): number[] => [...Buffer.from(s, 'ascii')];

test('ChunkedProtoWriter writes the same bytes as ProtoWriter, large byte fields included', () => {
  const big = Uint8Array.from({ length: 300 }, (_, i) => (i * 7) & 0xff);
  const a = new ProtoWriter().int64(1, 150).int64(2, -1).float(3, 1.5).double(4, -0.25).string(5, 'hé').bytes(6, big).message(7, new ProtoWriter().int64(1, 3));
  const b = new ChunkedProtoWriter().int64(1, 150).int64(2, -1).float(3, 1.5).double(4, -0.25).string(5, 'hé').bytes(6, big).message(7, new ChunkedProtoWriter().int64(1, 3));
  assert.deepEqual(b.finish(), a.finish());
  assert.equal(b.byteLength, a.finish().length);
  // 150 = 0x96 0x01 as a varint; -1 is ten bytes (int64 two's complement).
  assert.deepEqual([...b.finish().subarray(0, 14)], [0x08, 0x96, 0x01, 0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  // The 300-byte field is referenced, not copied, until finish.
  assert.ok(b.parts().includes(big));
  assert.deepEqual(new ChunkedProtoWriter().packedInt64(4, [1, 300]).finish(), Uint8Array.from([0x22, 0x03, 0x01, 0xac, 0x02]));
});

test('TensorProto: dims, data_type, name, little-endian raw_data', () => {
  const bytes = encodeTensor({ name: 'c', dims: [2], data: Float32Array.of(1.5, -2) }).finish();
  assert.deepEqual(
    [...bytes],
    [
      0x08, 0x02, // dims (1) = 2
      0x10, 0x01, // data_type (2) = FLOAT
      0x42, 0x01, ...ascii('c'), // name (8)
      0x4a, 0x08, 0x00, 0x00, 0xc0, 0x3f, 0x00, 0x00, 0x00, 0xc0, // raw_data (9): 1.5f, -2f
    ],
  );
  const i64 = encodeTensor({ name: 's', dims: [2], data: BigInt64Array.of(-1n, 3n) }).finish();
  assert.deepEqual([...i64.subarray(0, 4)], [0x08, 0x02, 0x10, 0x07]); // INT64
  assert.deepEqual([...i64.subarray(-16)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 3, 0, 0, 0, 0, 0, 0, 0]);
});

test('AttributeProto: ints unpacked, negative int as ten-byte varint, float as fixed32, type code in field 20', () => {
  assert.deepEqual(
    [...encodeAttribute(attr.ints('perm', [0, 2, 1])).finish()],
    [0x0a, 0x04, ...ascii('perm'), 0x40, 0x00, 0x40, 0x02, 0x40, 0x01, 0xa0, 0x01, 0x07],
  );
  assert.deepEqual(
    [...encodeAttribute(attr.int('axis', -1)).finish()],
    [0x0a, 0x04, ...ascii('axis'), 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, 0xa0, 0x01, 0x02],
  );
  assert.deepEqual([...encodeAttribute(attr.float('alpha', 0.5)).finish()], [0x0a, 0x05, ...ascii('alpha'), 0x15, 0x00, 0x00, 0x00, 0x3f, 0xa0, 0x01, 0x01]);
});

/** y = Relu(x), x and y float [N, 2]. */
const RELU_MODEL: OnnxModel = {
  irVersion: 8,
  opsetVersion: 17,
  producerName: 'gdt',
  producerVersion: '',
  graph: {
    name: 'g',
    nodes: [{ name: 'n', opType: 'Relu', inputs: ['x'], outputs: ['y'], attributes: [] }],
    initializers: [],
    inputs: [{ name: 'x', elemType: 'float32', shape: ['N', 2] }],
    outputs: [{ name: 'y', elemType: 'float32', shape: ['N', 2] }],
  },
};

// ValueInfoProto { name (1), type (2): TypeProto { tensor_type (1): { elem_type (1) = FLOAT,
// shape (2): { dim (1) { dim_param (2) 'N' }, dim (1) { dim_value (1) 2 } } } } }: shape 9 bytes,
// tensor_type 2 + 2 + 9 = 13, TypeProto 2 + 13 = 15, ValueInfoProto 3 + 2 + 15 = 20.
const valueInfo = (name: string): number[] => [0x0a, 0x01, ...ascii(name), 0x12, 0x0f, 0x0a, 0x0d, 0x08, 0x01, 0x12, 0x09, 0x0a, 0x03, 0x12, 0x01, ...ascii('N'), 0x0a, 0x02, 0x08, 0x02];
// NodeProto { input (1) 'x', output (2) 'y', name (3) 'n', op_type (4) 'Relu' }: 15 bytes.
const node = [0x0a, 0x01, ...ascii('x'), 0x12, 0x01, ...ascii('y'), 0x1a, 0x01, ...ascii('n'), 0x22, 0x04, ...ascii('Relu')];
// GraphProto { node (1), name (2) 'g', input (11), output (12) }: 2 + 15 + 3 + 2 + 20 + 2 + 20 = 64 bytes.
const graph = [0x0a, 0x0f, ...node, 0x12, 0x01, ...ascii('g'), 0x5a, 0x14, ...valueInfo('x'), 0x62, 0x14, ...valueInfo('y')];
// ModelProto { ir_version (1) 8, producer_name (2), producer_version (3), graph (7), opset_import (8) { domain '', version 17 } }.
const model = [0x08, 0x08, 0x12, 0x03, ...ascii('gdt'), 0x1a, 0x00, 0x3a, 0x40, ...graph, 0x42, 0x04, 0x0a, 0x00, 0x10, 0x11];

test('a one-node model encodes to the hand-computed bytes, which onnxruntime runs', async () => {
  assert.equal(graph.length, 64);
  const bytes = serializeModel(RELU_MODEL);
  assert.deepEqual([...bytes], model);
  // The generic decoder reads it back: ir_version 8, opset 17.
  const top = decodeMessage(bytes);
  assert.equal(top.get(1)![0]!.value, 8n);
  const opset = decodeMessage(top.get(8)![0]!.value as Uint8Array);
  assert.equal(opset.get(2)![0]!.value, 17n);
  const s = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1 });
  assert.deepEqual(s.inputNames, ['x']);
  assert.deepEqual(s.outputNames, ['y']);
  const out = await s.run({ x: new ort.Tensor('float32', Float32Array.of(-1, 2, 3.5, -0.5, 0, 7), [3, 2]) });
  assert.deepEqual([...(out.y!.data as Float32Array)], [0, 2, 3.5, 0, 0, 7]);
  assert.deepEqual(out.y!.dims, [3, 2]);
  await s.release();
});
