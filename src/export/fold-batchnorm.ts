// Folds inference-mode BatchNormalization into the Conv that feeds it (the usual deployment
// rewrite): W' = W·s, b' = β + (b − μ)·s with s = γ/√(σ² + ε), computed in float64. Applies only
// where the Conv's output feeds nothing else and every parameter is an initializer.
import type { OnnxGraph, OnnxNode, OnnxTensor } from './onnx-proto.js';

function attrFloat(n: OnnxNode, name: string, fallback: number): number {
  const a = n.attributes.find((x) => x.name === name);
  return a && a.type === 'float' ? a.value : fallback;
}

/** Rewrites `graph` in place; returns the number of BatchNormalization nodes removed. */
export function foldBatchNorm(graph: OnnxGraph): number {
  const inits = new Map(graph.initializers.map((t) => [t.name, t]));
  const uses = new Map<string, number>();
  const count = (name: string): void => void uses.set(name, (uses.get(name) ?? 0) + 1);
  for (const n of graph.nodes) n.inputs.forEach(count);
  for (const o of graph.outputs) count(o.name);
  const producer = new Map<string, OnnxNode>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o, n);
  const names = new Set([...graph.nodes.flatMap((n) => [n.name, ...n.inputs, ...n.outputs]), ...inits.keys(), ...graph.inputs.map((i) => i.name)]);
  const fresh = (hint: string): string => {
    let n = hint;
    for (let i = 1; names.has(n); i++) n = `${hint}_${i}`;
    names.add(n);
    return n;
  };

  const removed = new Set<OnnxNode>();
  for (const bn of graph.nodes) {
    if (bn.opType !== 'BatchNormalization' || bn.outputs.length !== 1) continue;
    const conv = producer.get(bn.inputs[0]!);
    if (!conv || conv.opType !== 'Conv' || uses.get(conv.outputs[0]!) !== 1) continue;
    const params = bn.inputs.slice(1, 5).map((n) => inits.get(n));
    const w = inits.get(conv.inputs[1]!);
    const b = conv.inputs[2] ? inits.get(conv.inputs[2]) : undefined;
    if (params.some((p) => !p || !(p.data instanceof Float32Array)) || !w || !(w.data instanceof Float32Array) || (conv.inputs[2] && !b)) continue;
    const [gamma, beta, mean, variance] = params.map((p) => p!.data as Float32Array) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const eps = attrFloat(bn, 'epsilon', 1e-5);
    const outC = w.dims[0]!;
    const per = w.data.length / outC;
    const scale = Float64Array.from(gamma, (g, c) => g / Math.sqrt(variance[c]! + eps));
    const wNew = new Float32Array(w.data.length);
    for (let c = 0; c < outC; c++) for (let i = 0; i < per; i++) wNew[c * per + i] = w.data[c * per + i]! * scale[c]!;
    const bOld = b?.data as Float32Array | undefined;
    const bNew = Float32Array.from(beta, (be, c) => be + ((bOld?.[c] ?? 0) - mean[c]!) * scale[c]!);
    const wFolded: OnnxTensor = { name: fresh(`${w.name}.folded`), dims: w.dims, data: wNew };
    const bFolded: OnnxTensor = { name: fresh(`${conv.name}.folded_bias`), dims: [outC], data: bNew };
    graph.initializers.push(wFolded, bFolded);
    inits.set(wFolded.name, wFolded).set(bFolded.name, bFolded);
    conv.inputs = [conv.inputs[0]!, wFolded.name, bFolded.name];
    conv.outputs = [bn.outputs[0]!];
    producer.set(bn.outputs[0]!, conv);
    removed.add(bn);
  }
  graph.nodes = graph.nodes.filter((n) => !removed.has(n));
  // Initializers nothing reads any more (the unfolded weights, the statistics).
  const read = new Set(graph.nodes.flatMap((n) => n.inputs));
  graph.initializers = graph.initializers.filter((t) => read.has(t.name));
  return removed.size;
}
