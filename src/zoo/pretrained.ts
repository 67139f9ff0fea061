// A zoo checkpoint inside the architecture it was trained with (or its finetuning wrapper),
// loaded with eval_video.py's rules.
import type { nn } from '../index.js';
import { torch } from '../index.js';
import { architectures, loadPretrained, type ArchitectureBuildOptions, type PretrainedLoadReport } from '../models/index.js';
import { readWeightsFile, resolveWeightsInfo, type ResolveOptions } from './resolve.js';
import type { ZooEntry } from './registry.js';

export interface PretrainedModelOptions extends ResolveOptions, ArchitectureBuildOptions {
  /** Build the entry's finetuning wrapper (video encoder + fresh classifier) instead. */
  finetune?: boolean;
  /** Architecture name in src/models' registry; required for a path, overrides the entry's. */
  architecture?: string;
}

export interface PretrainedModel {
  model: nn.Module<never[], unknown>;
  report: PretrainedLoadReport;
  architecture: string;
  path: string;
  entry?: Readonly<ZooEntry>;
}

/** Builds the architecture and loads the weights of a zoo name or checkpoint path into it. */
export async function pretrainedModel(nameOrPath: string, o: PretrainedModelOptions = {}): Promise<PretrainedModel> {
  const info = await resolveWeightsInfo(nameOrPath, o);
  const name = o.architecture ?? (info.entry && (o.finetune ? info.entry.finetuneArchitecture : info.entry.architecture));
  if (!name) throw new Error(`${nameOrPath} is not a zoo name: say which architecture to load it into (one of ${Object.keys(architectures).join(', ')})`);
  const arch = architectures[name];
  if (!arch) throw new Error(`unknown architecture '${name}' (known: ${Object.keys(architectures).join(', ')})`);
  const ckpt = await readWeightsFile(info.path);
  const model = arch.build({ width: o.width, numClasses: o.numClasses });
  try {
    const report = loadPretrained(model, ckpt, { finetune: o.finetune });
    return { model, report, architecture: name, path: info.path, entry: info.entry };
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    torch.disposeAll(ckpt);
  }
}
