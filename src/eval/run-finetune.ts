// `gdt eval finetune`: eval_video.py's finetuning protocol (SPEC 9.1) per fold: the pretrained
// video encoder plus a fresh linear classifier trained end to end on random clips (SGD, one
// parameter group per tensor, warm-up then step decay, per epoch), tested on 10 clips x 3 crops
// per video with the logits averaged per video (SPEC 9.2), reported under the chosen protocol.
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import * as torch from '../torch/index.js';
import { DataLoader, type LoaderOptions } from '../data/loader.js';
import type { DatasetSpec, SampleFailure } from '../data/sample.js';
import { progress } from '../cli/progress.js';
import { jitterScales, type EvalProtocol, type FinetuneConfig, type VideoDataConfig } from './config.js';
import { protocolDescription } from './protocol.js';
import { loadEvalWeights, type EvalWeights } from './weights.js';
import { buildVideoModel, loadVideoWeights, resolveModel, toDevice, type EvalVideoModel, type ResolvedModel } from './backbone.js';
import type { ParamRole } from './param-groups.js';
import { finetuneOptimizer } from './finetune-optim.js';
import { loadVideoSet, manifestPath, type EvalVideoSet } from './video-sets.js';
import type { ViewsDatasetOptions } from './views-dataset.js';
import { VideoLogitAverager } from './aggregate.js';
import { argmax, confusionMatrix, labelRank, perClassAccuracy, topClasses, topkAccuracy, type ClassAccuracy } from './metrics.js';
import { downsample, type StepPoint } from './curves.js';
import { checkpointInfo, meanOver, writeJsonAtomic, writeReport, writeResults, type EvalResults } from './results.js';
import { provenance } from './provenance.js';
import { renderFinetuneReport } from './report/finetune-report.js';

export const VIEWS_MODULE = new URL(import.meta.url.endsWith('.ts') ? './views-dataset.ts' : './views-dataset.js', import.meta.url).href;

export interface EpochEvaluation {
  epoch: number;
  /** Video-level, percent. */
  top1: number;
  top5: number;
  /** Clip-level (single view) top-1, percent. */
  clipTop1: number;
  /** Mean cross-entropy of the views. */
  testLoss: number;
  videos: number;
  views: number;
}

export interface EpochTraining {
  epoch: number;
  /** LR of each role's groups during the epoch. */
  lr: Partial<Record<ParamRole, number>>;
  loss: number;
  clipTop1: number;
  steps: number;
  seconds: number;
}

export interface VideoPrediction {
  video: number;
  name: string;
  path: string;
  label: number;
  predicted: number;
  /** Rank of the true class (0 = top-1). */
  rank: number;
  top5: { class: number; score: number }[];
  views: number;
}

export interface FinetuneFoldResult {
  fold: number;
  /** The reported numbers (selected epoch). */
  top1: number;
  top5: number;
  selectedEpoch: number;
  selection: 'last epoch' | 'best test top-1 over the evaluated epochs';
  evaluations: EpochEvaluation[];
  training: EpochTraining[];
  iterations: StepPoint[];
  classes: string[];
  trainVideos: number;
  testVideos: number;
  skippedVideos: { path: string; reason: string }[];
  perClass: ClassAccuracy[];
  confusion: number[][];
  predictions: VideoPrediction[];
  weightsLoaded: { loaded: number; skipped: number; missing: number } | null;
  failures: SampleFailure[];
  seconds: number;
  configHash: string;
}

export interface RunOptions {
  /** Ignore finished folds saved in the output folder. */
  fresh?: boolean;
  log?: (s: string) => void;
  progress?: boolean;
  threads?: number;
}

export interface RunOutput<F> {
  results: EvalResults<F>;
  resultsPath: string;
  reportPath: string;
}

function configHash(cfg: unknown, weights: EvalWeights): string {
  return createHash('sha256').update(JSON.stringify({ cfg, sha: weights.sha256 ?? weights.source })).digest('hex').slice(0, 16);
}

/**
 * Views of a video set with the data configuration's clip geometry (frames, rate, crop, compat,
 * frame cache); `views` says which clips, crops and augmentation.
 */
export function viewsOptions(
  d: VideoDataConfig,
  set: EvalVideoSet,
  views: Pick<ViewsDatasetOptions, 'temporal' | 'clips' | 'spatial' | 'augment'>,
): ViewsDatasetOptions {
  return {
    videos: set.videos,
    numFrames: d.numFrames,
    targetFps: d.targetFps,
    samplingRate: d.samplingRate,
    cropSize: d.cropSize,
    temporal: views.temporal,
    clips: views.clips,
    spatial: views.spatial,
    augment: views.augment,
    compat: d.compat,
    frameCacheBytes: d.frameCacheMB * 2 ** 20,
    decodeCache: d.decodeCache,
  };
}

/** Evaluation views' augmentation: none in the clean protocol (short side = crop), the reference's jitter otherwise. */
export function evalViewAugment(protocol: EvalProtocol, d: VideoDataConfig, colorJitter: boolean): ViewsDatasetOptions['augment'] {
  return protocol === 'clean' ? { scales: [d.cropSize, d.cropSize], colorJitter: false } : { scales: jitterScales(d), colorJitter };
}

export function trainViewsOptions(cfg: FinetuneConfig, set: EvalVideoSet): ViewsDatasetOptions {
  return viewsOptions(cfg.data, set, {
    temporal: 'random',
    clips: cfg.train.clipsPerVideo,
    spatial: [-1],
    augment: { randomResizedCrop: cfg.train.randomResizedCrop, areaScale: cfg.train.areaScale, colorJitter: cfg.train.colorJitter, scales: jitterScales(cfg.data) },
  });
}

/** The 10 x 3 test views: deterministic in the clean protocol, the reference's jitter otherwise. */
export function testViewsOptions(cfg: Pick<FinetuneConfig, 'data' | 'protocol'> & { test: { clips: number; crops: 1 | 3 } }, set: EvalVideoSet, colorJitter: boolean): ViewsDatasetOptions {
  return viewsOptions(cfg.data, set, {
    temporal: 'uniform',
    clips: cfg.test.clips,
    spatial: cfg.test.crops === 3 ? [0, 1, 2] : [1],
    augment: evalViewAugment(cfg.protocol, cfg.data, colorJitter),
  });
}

interface Evaluated {
  summary: EpochEvaluation;
  videos: ReturnType<VideoLogitAverager['result']>;
  failures: SampleFailure[];
}

/** Tests on every view of every test video; a loader of its own, closed afterwards (its workers and frame caches do not outlive the test). */
async function evaluate(model: EvalVideoModel, spec: DatasetSpec, lo: LoaderOptions, epoch: number, numClasses: number, device: 'cpu' | 'cuda', show: boolean): Promise<Evaluated> {
  model.eval();
  const loader = await DataLoader.create(spec, lo);
  const avg = new VideoLogitAverager(numClasses);
  let clipCorrect = 0;
  let views = 0;
  let lossSum = 0;
  const bar = show ? progress(`test epoch ${epoch}`, loader.batchesPerEpoch(), { unit: 'batches' }) : undefined;
  try {
    // The epoch number seeds the reference protocol's random test views: new draws per test.
    for await (const batch of loader.epoch(epoch)) {
      const x = batch.tensors.views!;
      const [b, s] = x.shape as [number, number];
      const vids = batch.values.video!.map(Number);
      const labels = batch.values.label!.map(Number);
      const { logits, loss } = torch.noGrad(() =>
        torch.tidy(() => {
          let inp = x.reshape([b * s, ...x.shape.slice(2)]);
          if (device === 'cuda') inp = inp.cuda();
          const out = model.forward(inp).float().cpu();
          const y = torch.tensor(labels.flatMap((l) => new Array<number>(s).fill(l)), { dtype: 'int64' });
          const l = torch.F.crossEntropy(out, y, { reduction: 'sum' }).item() as number;
          return { logits: out.toTypedArray() as Float32Array, loss: l };
        }),
      );
      torch.disposeAll(batch.tensors);
      const rowsVid = vids.flatMap((v) => new Array<number>(s).fill(v));
      const rowsLab = labels.flatMap((l) => new Array<number>(s).fill(l));
      avg.addBatch(rowsVid, rowsLab, logits);
      for (let r = 0; r < b * s; r++) if (argmax(logits.subarray(r * numClasses, (r + 1) * numClasses)) === rowsLab[r]) clipCorrect++;
      views += b * s;
      lossSum += loss;
      bar?.update(batch.step + 1);
    }
  } finally {
    bar?.stop();
    await loader.close();
  }
  const videos = avg.result();
  const acc = topkAccuracy(videos.map((v) => v.scores), videos.map((v) => v.label), [1, 5]);
  return {
    summary: { epoch, top1: acc[1]!, top5: acc[5]!, clipTop1: views ? (100 * clipCorrect) / views : 0, testLoss: views ? lossSum / views : 0, videos: videos.length, views },
    videos,
    failures: loader.stats.failures,
  };
}

async function runFold(cfg: FinetuneConfig, fold: number, weights: EvalWeights, resolved: ResolvedModel, o: RunOptions, hash: string): Promise<FinetuneFoldResult> {
  const log = o.log ?? ((s: string) => console.log(s));
  const t0 = performance.now();
  const dir = join(cfg.out, `fold${fold}`);
  mkdirSync(dir, { recursive: true });
  const manifest = manifestPath(cfg.data, cfg.out);
  const train = await loadVideoSet(cfg.data, fold, 'train', manifest);
  const test = await loadVideoSet(cfg.data, fold, 'test', manifest);
  const classes = train.classes;
  const numClasses = classes.length;
  log(`fold ${fold}: ${train.videos.length} training videos, ${test.videos.length} test videos, ${numClasses} classes`);

  const model = toDevice(buildVideoModel(resolved, cfg.model, numClasses), cfg.train.device);
  const report = loadVideoWeights(model, weights);
  if (report) log(`fold ${fold}: loaded ${report.loaded.length} tensors (${report.skipped.length} checkpoint entries skipped, ${report.missing.length} model entries kept at their initialisation)`);
  const { sgd, scheduler, groups } = finetuneOptimizer(model, cfg.optim);
  const spec = (options: ViewsDatasetOptions): DatasetSpec => ({ module: VIEWS_MODULE, exportName: 'createViewsDataset', options });
  const trainOpts = trainViewsOptions(cfg, train);
  const batchSize = Math.min(cfg.train.batchSize, train.videos.length * cfg.train.clipsPerVideo);
  const trainLoader = await DataLoader.create(spec(trainOpts), { batchSize, shuffle: true, seed: cfg.train.seed + fold, dropLast: true, workers: cfg.train.workers, prefetch: cfg.train.prefetch });
  const testSpec = spec(testViewsOptions(cfg, test, cfg.train.colorJitter));
  const testLoaderOptions: LoaderOptions = { batchSize: cfg.test.batchSize, shuffle: false, seed: cfg.train.seed + 1000 + fold, workers: cfg.train.workers, prefetch: cfg.train.prefetch };

  const metricsPath = join(dir, 'metrics.jsonl');
  rmSync(metricsPath, { force: true });
  const iterations: StepPoint[] = [];
  const training: EpochTraining[] = [];
  const evaluations: Evaluated[] = [];
  const failures: SampleFailure[] = [];
  let step = 0;
  const epochs = cfg.train.epochs;
  const shouldEvaluate = (e: number): boolean => e === epochs - 1 || (cfg.protocol === 'reference' && e >= cfg.train.evalFromEpoch);
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const te = performance.now();
      const lr: Partial<Record<ParamRole, number>> = {};
      sgd.paramGroups.forEach((g, i) => (lr[groups.roles[i]!] ??= g.lr));
      model.train();
      let lossSum = 0;
      let accSum = 0;
      let steps = 0;
      const bar = o.progress !== false ? progress(`fold ${fold} epoch ${epoch}`, trainLoader.batchesPerEpoch(), { unit: 'steps' }) : undefined;
      for await (const batch of trainLoader.epoch(epoch)) {
        const x = batch.tensors.views!;
        const labels = batch.values.label!.map(Number);
        const { loss, acc1 } = torch.tidy(() => {
          let inp = x.reshape([x.shape[0]!, ...x.shape.slice(2)]);
          let y = torch.tensor(labels, { dtype: 'int64' });
          if (cfg.train.device === 'cuda') {
            inp = inp.cuda();
            y = y.cuda();
          }
          const logits = model.forward(inp);
          const l = torch.F.crossEntropy(logits, y);
          const value = l.item() as number;
          if (!Number.isFinite(value)) throw new Error(`fold ${fold}, epoch ${epoch}: the loss is ${value}; lower the learning rates`);
          sgd.zeroGrad();
          l.backward();
          sgd.step();
          const correct = logits.argmax(1).eq(y).sum().item() as number;
          return { loss: value, acc1: (100 * correct) / labels.length };
        });
        torch.disposeAll(batch.tensors);
        step++;
        steps++;
        lossSum += loss;
        accSum += acc1;
        iterations.push({ step, loss, acc1 });
        appendFileSync(metricsPath, JSON.stringify({ step, epoch, loss, acc1, lr }) + '\n');
        bar?.update(steps, { loss: loss.toFixed(3), acc1: acc1.toFixed(0) });
      }
      bar?.stop();
      failures.push(...trainLoader.stats.failures);
      scheduler.step();
      const t: EpochTraining = { epoch, lr, loss: steps ? lossSum / steps : NaN, clipTop1: steps ? accSum / steps : NaN, steps, seconds: (performance.now() - te) / 1000 };
      training.push(t);
      let line = `fold ${fold} epoch ${epoch}: loss ${t.loss.toFixed(4)}, clip top-1 ${t.clipTop1.toFixed(1)}%, lr ${Object.entries(lr).map(([k, v]) => `${k} ${v.toPrecision(3)}`).join(', ')}`;
      if (shouldEvaluate(epoch)) {
        const ev = await evaluate(model, testSpec, testLoaderOptions, epoch, numClasses, cfg.train.device, o.progress !== false);
        evaluations.push(ev);
        failures.push(...ev.failures);
        appendFileSync(metricsPath, JSON.stringify({ test: ev.summary }) + '\n');
        line += `; test top-1 ${ev.summary.top1.toFixed(2)}, top-5 ${ev.summary.top5.toFixed(2)} (${ev.summary.videos} videos, ${ev.summary.views} views)`;
      }
      log(line);
    }
  } finally {
    await trainLoader.close();
    sgd.dispose();
    model.dispose();
  }
  // Clean: the last epoch. Reference: the best top-1 (first reached) over the evaluated epochs.
  let chosen = evaluations[evaluations.length - 1]!;
  if (cfg.protocol === 'reference') for (const e of evaluations) if (e.summary.top1 > chosen.summary.top1 || (e.summary.top1 === chosen.summary.top1 && e.summary.epoch < chosen.summary.epoch)) chosen = e;
  const predicted = chosen.videos.map((v) => argmax(v.scores));
  const confusion = confusionMatrix(predicted, chosen.videos.map((v) => v.label), numClasses);
  const predictions: VideoPrediction[] = chosen.videos.map((v, i) => ({
    video: v.video,
    name: test.names[v.video] ?? String(v.video),
    path: test.videos[v.video]?.path ?? '',
    label: v.label,
    predicted: predicted[i]!,
    rank: labelRank(v.scores, v.label),
    top5: topClasses(v.scores, Math.min(5, numClasses)).map((c) => ({ class: c, score: v.scores[c]! })),
    views: v.views,
  }));
  const expectedViews = cfg.test.clips * cfg.test.crops;
  const short = predictions.filter((p) => p.views !== expectedViews);
  if (short.length) log(`fold ${fold}: ${short.length} test videos have other than ${expectedViews} views (unreadable clips were replaced)`);
  return {
    fold,
    top1: chosen.summary.top1,
    top5: chosen.summary.top5,
    selectedEpoch: chosen.summary.epoch,
    selection: cfg.protocol === 'reference' ? 'best test top-1 over the evaluated epochs' : 'last epoch',
    evaluations: evaluations.map((e) => e.summary),
    training,
    iterations: downsample(iterations),
    classes,
    trainVideos: train.videos.length,
    testVideos: test.videos.length,
    skippedVideos: [...train.skipped, ...test.skipped],
    perClass: perClassAccuracy(confusion),
    confusion,
    predictions,
    weightsLoaded: report ? { loaded: report.loaded.length, skipped: report.skipped.length, missing: report.missing.length } : null,
    failures,
    seconds: (performance.now() - t0) / 1000,
    configHash: hash,
  };
}

export async function runFinetune(cfg: FinetuneConfig, o: RunOptions = {}): Promise<RunOutput<FinetuneFoldResult>> {
  const log = o.log ?? ((s: string) => console.log(s));
  const t0 = performance.now();
  mkdirSync(cfg.out, { recursive: true });
  torch.manualSeed(cfg.train.seed);
  const weights = await loadEvalWeights(cfg.weights);
  const resolved = resolveModel(cfg.model, weights, cfg.data.numFrames);
  const hash = configHash(cfg, weights);
  log(`finetune (${cfg.protocol} protocol): ${cfg.data.dataset} folds ${cfg.data.folds.join(',')}, model ${resolved.kind} (R(2+1)D-${resolved.videoDepth}, width ${resolved.width}), weights ${weights.format}${weights.sha256 ? ` sha256 ${weights.sha256.slice(0, 12)}` : ''}`);
  const folds: FinetuneFoldResult[] = [];
  try {
    for (const fold of cfg.data.folds) {
      const saved = join(cfg.out, `fold${fold}`, 'result.json');
      if (!o.fresh && existsSync(saved)) {
        const r = JSON.parse(readFileSync(saved, 'utf8')) as FinetuneFoldResult;
        if (r.configHash === hash) {
          log(`fold ${fold}: already done (${saved}); top-1 ${r.top1.toFixed(2)} (--fresh to run it again)`);
          folds.push(r);
          continue;
        }
      }
      torch.manualSeed(cfg.train.seed + fold);
      const r = await runFold(cfg, fold, weights, resolved, o, hash);
      await writeJsonAtomic(saved, r);
      log(`fold ${fold}: top-1 ${r.top1.toFixed(2)}, top-5 ${r.top5.toFixed(2)} (epoch ${r.selectedEpoch}, ${r.selection})`);
      folds.push(r);
    }
  } finally {
    weights.dispose();
  }
  const results: EvalResults<FinetuneFoldResult> = {
    version: 1,
    command: 'finetune',
    protocol: cfg.protocol,
    protocolDescription: protocolDescription('finetune', cfg.protocol),
    dataset: cfg.data.dataset,
    folds,
    mean: { top1: meanOver(folds, (f) => f.top1), top5: meanOver(folds, (f) => f.top5) },
    checkpoint: checkpointInfo(weights),
    config: cfg,
    provenance: provenance(o.threads ?? torch.getNumThreads()),
    timings: { totalSeconds: (performance.now() - t0) / 1000, foldSeconds: folds.map((f) => f.seconds) },
  };
  const resultsPath = await writeResults(cfg.out, results);
  const reportPath = await writeReport(cfg.out, await renderFinetuneReport(results));
  log(`mean over ${folds.length} fold(s): top-1 ${results.mean.top1!.toFixed(2)}, top-5 ${results.mean.top5!.toFixed(2)} [${cfg.protocol} protocol]`);
  log(`wrote ${resultsPath} and ${reportPath}`);
  return { results, resultsPath, reportPath };
}

