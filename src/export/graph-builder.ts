// Builds an ONNX graph node by node: unique value and node names, initializers, and the shape of
// every value as far as it is known (the emitters compute them, so that ops needing static sizes,
// e.g. a non-global adaptive pool, can check them and the CLI can print the output shape).
import type { Dim, OnnxAttribute, OnnxGraph, OnnxNode, OnnxTensor, OnnxValueInfo } from './onnx-proto.js';

/** A tensor flowing through the graph: its value name and its (partly symbolic) float32 shape. */
export interface Value {
  readonly name: string;
  readonly shape: readonly Dim[];
}

/** Attribute constructors: `attr.ints('pads', [1, 1, 1, 1])`. */
export const attr = {
  int: (name: string, value: number): OnnxAttribute => ({ name, type: 'int', value }),
  ints: (name: string, value: readonly number[]): OnnxAttribute => ({ name, type: 'ints', value }),
  float: (name: string, value: number): OnnxAttribute => ({ name, type: 'float', value }),
  floats: (name: string, value: readonly number[]): OnnxAttribute => ({ name, type: 'floats', value }),
};

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly inputs: OnnxValueInfo[] = [];
  readonly outputs: OnnxValueInfo[] = [];
  private readonly used = new Set<string>();

  constructor(readonly name: string) {}

  /** `hint`, or `hint_1`, `hint_2`... when taken (node and value names share one namespace). */
  uniqueName(hint: string): string {
    const base = hint || 'v';
    let n = base;
    for (let i = 1; this.used.has(n); i++) n = `${base}_${i}`;
    this.used.add(n);
    return n;
  }

  input(name: string, shape: readonly Dim[]): Value {
    if (this.used.has(name)) throw new Error(`graph input name '${name}' is already used`);
    this.used.add(name);
    this.inputs.push({ name, elemType: 'float32', shape: [...shape] });
    return { name, shape: [...shape] };
  }

  /** A constant (initializer); returns its name. */
  constant(hint: string, data: Float32Array | BigInt64Array, dims: readonly number[]): string {
    const numel = dims.reduce((a, b) => a * b, 1);
    if (numel !== data.length) throw new RangeError(`constant ${hint}: ${data.length} values for dims [${dims.join(', ')}]`);
    const name = this.uniqueName(hint);
    this.initializers.push({ name, dims: [...dims], data });
    return name;
  }

  /** An int64 constant (shapes, axes, indices). */
  ints(hint: string, values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(hint, BigInt64Array.from(values.map((v) => BigInt(v))), dims);
  }

  /** Adds a node with one output of the given shape; `nodeName` is usually the module path. */
  op(opType: string, inputs: readonly string[], shape: readonly Dim[], nodeName: string, attributes: OnnxAttribute[] = []): Value {
    const name = this.uniqueName(nodeName || opType);
    const out = this.uniqueName(`${name}:${opType}`);
    this.nodes.push({ name, opType, inputs: [...inputs], outputs: [out], attributes });
    return { name: out, shape: [...shape] };
  }

  /** Declares `v` a graph output under `name` (renaming the value where it is produced and used). */
  output(v: Value, name: string): void {
    if (name !== v.name) {
      if (this.used.has(name)) throw new Error(`graph output name '${name}' is already used`);
      if (this.inputs.some((i) => i.name === v.name)) throw new Error('a graph output cannot be a graph input');
      this.used.add(name);
      for (const n of this.nodes) {
        n.outputs = n.outputs.map((o) => (o === v.name ? name : o));
        n.inputs = n.inputs.map((i) => (i === v.name ? name : i));
      }
    }
    this.outputs.push({ name, elemType: 'float32', shape: [...v.shape] });
  }

  build(): OnnxGraph {
    return { name: this.name, nodes: this.nodes, initializers: this.initializers, inputs: this.inputs, outputs: this.outputs };
  }
}
