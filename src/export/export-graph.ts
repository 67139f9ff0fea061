// A chain of modules -> an ONNX model: one float32 input, the modules' forwards in order, an
// optional final flatten(1), one output; BatchNorm folded into the convolutions unless asked not.
import type { nn } from '../index.js';
import { ONNX_IR_VERSION, ONNX_OPSET, type Dim, type OnnxModel } from './onnx-proto.js';
import { GraphBuilder } from './graph-builder.js';
import { EmitContext, EmitterRegistry } from './emit-context.js';
import { flatten, registerNnEmitters } from './nn-emitters.js';
import { registerEncoderEmitters } from './encoder-emitters.js';
import { registerPoolingEmitters } from './pooling-emitters.js';
import { foldBatchNorm } from './fold-batchnorm.js';

/** A module and its path (state-dict style) in the model it comes from, for node names and errors. */
export interface ExportStage {
  path: string;
  module: nn.Module<never[], unknown>;
}

export interface GraphExportOptions {
  inputName: string;
  /** The input's shape; strings are symbolic (dynamic) dimensions, e.g. ['N', 3, 'T', 'H', 'W']. */
  inputShape: readonly Dim[];
  outputName?: string;
  /** `.flatten(1)` after the last stage (the eval code's feature functions do). Default true. */
  flattenOutput?: boolean;
  /** Fold BatchNormalization into the preceding Conv. Default true. */
  foldBatchNorm?: boolean;
  graphName?: string;
  producerVersion?: string;
  docString?: string;
  metadata?: Readonly<Record<string, string>>;
  /** Emitters to use (default: gdt's nn modules and encoders). */
  registry?: EmitterRegistry;
}

let defaults: EmitterRegistry | undefined;

/** The emitters of every module type gdt's encoders use. */
export function defaultEmitters(): EmitterRegistry {
  defaults ??= registerPoolingEmitters(registerEncoderEmitters(registerNnEmitters(new EmitterRegistry())));
  return defaults;
}

export function exportModules(stages: readonly ExportStage[], o: GraphExportOptions): OnnxModel {
  const g = new GraphBuilder(o.graphName ?? 'gdt');
  const ctx = new EmitContext(g, o.registry ?? defaultEmitters());
  let h = g.input(o.inputName, o.inputShape);
  for (const s of stages) h = ctx.emit(s.module, h, s.path);
  if ((o.flattenOutput ?? true) && h.shape.length !== 2) h = flatten(ctx, h, 1, -1, 'flatten');
  if (h.name === o.inputName) h = g.op('Identity', [h.name], h.shape, 'identity');
  g.output(h, o.outputName ?? 'features');
  const graph = g.build();
  if (o.foldBatchNorm ?? true) foldBatchNorm(graph);
  return {
    irVersion: ONNX_IR_VERSION,
    opsetVersion: ONNX_OPSET,
    producerName: 'gdt',
    producerVersion: o.producerVersion ?? '',
    docString: o.docString,
    metadata: o.metadata,
    graph,
  };
}
