// `gdt eval linear | knn | retrieval`: frozen-feature evaluations on UCF101/HMDB51 folds. The
// backbone runs once in eval mode over the views of every training and test video (features
// cached on disk, resumable), then a logistic regression, a weighted kNN or SeLaVi's retrieval.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import type { SampleFailure } from '../data/sample.js';
import type { FeatureEvalConfig } from './config.js';
import { protocolDescription } from './protocol.js';
import { loadEvalWeights, type EvalWeights } from './weights.js';
import { buildVideoModel, clipFeatures, loadVideoWeights, resolveModel, toDevice, type ResolvedModel } from './backbone.js';
import { loadVideoSet, manifestPath, type EvalVideoSet } from './video-sets.js';
import type { ViewsDatasetOptions } from './views-dataset.js';
import { extractFeatures, readCachedFeatures, selectRows, disposeSet, type FeatureSet } from './feature-cache.js';
import { VIEWS_MODULE, evalViewAugment, testViewsOptions, viewsOptions, type RunOptions, type RunOutput } from './run-finetune.js';
import { holdoutSplit, ucfGroup } from './holdout.js';
import { searchL2, type RegSearchResult } from './reg-search.js';
import { fitLogisticRegression } from './logistic.js';
import { VideoLogitAverager } from './aggregate.js';
import { knnClassify } from './knn.js';
import { averageByVideo, retrievalRecall } from './retrieval.js';
import { argmax, confusionMatrix, labelRank, perClassAccuracy, topClasses, topkAccuracy, type ClassAccuracy } from './metrics.js';
import { checkpointInfo, meanOver, writeReport, writeResults, type EvalResults } from './results.js';
import { provenance } from './provenance.js';
import { renderFeatureReport } from './report/features-report.js';

export interface FeaturePrediction {
  video: number;
  name: string;
  path: string;
  label: number;
  predicted: number;
  rank: number;
  top5: { class: number; score: number }[];
  /** Retrieval: the nearest training videos, closest first. */
  neighbours?: { video: number; name: string; path: string; label: number; distance: number }[];
}

export interface FeatureFoldResult {
  fold: number;
  /** linear / knn: top1, top5 (video level, percent); retrieval: R@k (percent). */
  metrics: Record<string, number>;
  classes: string[];
  trainVideos: number;
  testVideos: number;
  skippedVideos: { path: string; reason: string }[];
  featureDim: number;
  trainRows: number;
  testRows: number;
  perClass: ClassAccuracy[];
  confusion: number[][];
  predictions: FeaturePrediction[];
  linear?: { search: RegSearchResult; l2: number; losses: number[]; searchTrainVideos: number; valVideos: number };
  knn?: { k: number; temperature: number };
  cache: { train: string; test: string; extracted: boolean };
  failures: SampleFailure[];
  seconds: number;
}

function listHash(set: EvalVideoSet): string {
  return createHash('sha256').update(JSON.stringify(set.videos.map((v) => [v.path, v.label, v.info.frames, v.info.duration]))).digest('hex').slice(0, 16);
}

function trainViews(cfg: FeatureEvalConfig, set: EvalVideoSet): ViewsDatasetOptions {
  const clean = cfg.protocol === 'clean';
  return viewsOptions(cfg.data, set, {
    temporal: clean ? 'uniform' : 'random',
    clips: cfg.features.trainClips,
    spatial: clean ? [1] : [-1],
    augment: evalViewAugment(cfg.protocol, cfg.data, cfg.features.colorJitter),
  });
}

function testViews(cfg: FeatureEvalConfig, set: EvalVideoSet, crops: 1 | 3): ViewsDatasetOptions {
  return testViewsOptions({ data: cfg.data, protocol: cfg.protocol, test: { clips: cfg.features.testClips, crops } }, set, cfg.features.colorJitter);
}

interface Extractor {
  run(name: string, set: EvalVideoSet, views: ViewsDatasetOptions): Promise<FeatureSet & { path: string; cached: boolean; failures: SampleFailure[] }>;
}

function makeExtractor(cfg: FeatureEvalConfig, weights: EvalWeights, resolved: ResolvedModel, o: RunOptions): Extractor {
  const cacheDir = cfg.cache ?? join(cfg.out, 'features');
  const log = o.log ?? ((s: string) => console.log(s));
  const keyOf = (set: EvalVideoSet, views: ViewsDatasetOptions): unknown => {
    const { videos: _v, frameCacheBytes: _f, decodeCache: _d, ...viewSpec } = views;
    return {
      v: 1,
      weights: weights.sha256 ?? weights.source,
      model: { ...resolved, numLayers: cfg.model.numLayers, transformerTimeDim: cfg.model.transformerTimeDim },
      pool: cfg.features.pool,
      views: viewSpec,
      seed: cfg.features.seed,
      list: listHash(set),
    };
  };
  return {
    async run(name, set, views) {
      // Clean centre crops are the middle view of the clean 3-crop views: reuse those when cached.
      if (!o.fresh && cfg.protocol === 'clean' && views.spatial.length === 1 && views.spatial[0] === 1 && views.temporal === 'uniform') {
        const wide = await readCachedFeatures(cacheDir, name, keyOf(set, { ...views, spatial: [0, 1, 2] }));
        if (wide) {
          const centre = selectRows(wide, (r) => wide.views[r] === 1);
          wide.features.dispose();
          log(`features ${name}: centre crops taken from ${wide.path}`);
          return { ...centre, views: centre.views.map(() => 0), path: wide.path, cached: true, failures: [] };
        }
      }
      const model = toDevice(buildVideoModel(resolved, cfg.model, set.classes.length), cfg.features.device);
      try {
        loadVideoWeights(model, weights);
        model.eval();
        return await extractFeatures({
          cacheDir,
          name,
          key: keyOf(set, views),
          spec: { module: VIEWS_MODULE, exportName: 'createViewsDataset', options: views },
          input: 'views',
          forward: (x: Tensor) => clipFeatures(model, x, cfg.features.pool),
          batchSize: cfg.features.batchSize,
          workers: cfg.features.workers,
          prefetch: cfg.features.prefetch,
          seed: cfg.features.seed,
          shardSamples: cfg.features.shardSamples,
          device: cfg.features.device,
          log,
          progress: o.progress,
          fresh: o.fresh,
        });
      } finally {
        model.dispose();
      }
    },
  };
}

function videoPredictions(scores: { video: number; label: number; scores: number[] }[], test: EvalVideoSet): FeaturePrediction[] {
  return scores.map((v) => ({
    video: v.video,
    name: test.names[v.video] ?? String(v.video),
    path: test.videos[v.video]?.path ?? '',
    label: v.label,
    predicted: argmax(v.scores),
    rank: labelRank(v.scores, v.label),
    top5: topClasses(v.scores, Math.min(5, v.scores.length)).map((c) => ({ class: c, score: v.scores[c]! })),
  }));
}

function linearFold(cfg: FeatureEvalConfig, train: EvalVideoSet, trainSet: FeatureSet, testSet: FeatureSet, numClasses: number): { scores: { video: number; label: number; scores: number[] }[]; linear: NonNullable<FeatureFoldResult['linear']> } {
  const l = cfg.linear;
  const items = train.videos.map((v) => ({ label: v.label, group: ucfGroup(v.path) }));
  const split = holdoutSplit(items, { fraction: l.valFraction, seed: cfg.features.seed });
  const valSet = new Set(split.val);
  const opts = { numClasses, epochs: l.epochs, lr: l.lr, batchSize: l.batchSize, seed: cfg.features.seed, standardize: l.standardize };
  const a = selectRows(trainSet, (r) => !valSet.has(trainSet.videos[r]!));
  const b = selectRows(trainSet, (r) => valSet.has(trainSet.videos[r]!));
  let search: RegSearchResult;
  try {
    search = split.val.length
      ? searchL2(a, b, l.l2Grid, opts)
      : { best: l.l2Grid[Math.floor(l.l2Grid.length / 2)]!, points: [] };
  } finally {
    disposeSet(a);
    disposeSet(b);
  }
  const model = fitLogisticRegression(trainSet.features, trainSet.labels, { ...opts, l2: search.best });
  try {
    const avg = new VideoLogitAverager(numClasses);
    torch.tidy(() => avg.addBatch(testSet.videos, testSet.labels, model.logits(testSet.features).toTypedArray() as Float32Array));
    return {
      scores: avg.result(),
      linear: { search, l2: search.best, losses: model.losses, searchTrainVideos: split.train.length, valVideos: split.val.length },
    };
  } finally {
    model.dispose();
  }
}

async function runFold(cfg: FeatureEvalConfig, fold: number, extractor: Extractor, o: RunOptions): Promise<FeatureFoldResult> {
  const log = o.log ?? ((s: string) => console.log(s));
  const t0 = performance.now();
  const manifest = manifestPath(cfg.data, cfg.cache ?? join(cfg.out, 'features'));
  const train = await loadVideoSet(cfg.data, fold, 'train', manifest);
  const test = await loadVideoSet(cfg.data, fold, 'test', manifest);
  const classes = train.classes;
  const numClasses = classes.length;
  log(`fold ${fold}: ${train.videos.length} training videos, ${test.videos.length} test videos, ${numClasses} classes`);
  const tr = await extractor.run(`${cfg.data.dataset}-fold${fold}-train`, train, trainViews(cfg, train));
  const te = await extractor.run(`${cfg.data.dataset}-fold${fold}-test`, test, testViews(cfg, test, cfg.features.testCrops));
  try {
    const base = {
      fold,
      classes,
      trainVideos: train.videos.length,
      testVideos: test.videos.length,
      skippedVideos: [...train.skipped, ...test.skipped],
      featureDim: tr.features.shape[1]!,
      trainRows: tr.features.shape[0]!,
      testRows: te.features.shape[0]!,
      cache: { train: tr.path, test: te.path, extracted: !tr.cached || !te.cached },
      failures: [...tr.failures, ...te.failures],
    };
    let scores: { video: number; label: number; scores: number[] }[];
    let metrics: Record<string, number>;
    let extra: Partial<FeatureFoldResult> = {};
    let predictions: FeaturePrediction[];
    if (cfg.command === 'retrieval') {
      const g = averageByVideo(tr.features, tr.videos, { normalizeClips: true });
      const q = averageByVideo(te.features, te.videos, { normalizeClips: true });
      try {
        const gLabels = g.videos.map((v) => train.videos[v]!.label);
        const qLabels = q.videos.map((v) => test.videos[v]!.label);
        const r = retrievalRecall(g.features, gLabels, q.features, qLabels, cfg.retrieval.ks);
        metrics = Object.fromEntries(cfg.retrieval.ks.map((k) => [`R@${k}`, r.recall[k]!]));
        // For per-class numbers and the confusion matrix: the class of the nearest training video.
        scores = q.videos.map((v, i) => {
          const s = new Array<number>(numClasses).fill(0);
          r.neighbours[i]!.forEach((n, rank) => (s[gLabels[n]!]! += rank === 0 ? 1e6 : 1 / (rank + 1)));
          return { video: v, label: qLabels[i]!, scores: s };
        });
        predictions = videoPredictions(scores, test).map((p, i) => ({
          ...p,
          neighbours: r.neighbours[i]!.slice(0, 5).map((n, j) => ({
            video: g.videos[n]!,
            name: train.names[g.videos[n]!] ?? String(n),
            path: train.videos[g.videos[n]!]?.path ?? '',
            label: gLabels[n]!,
            distance: r.distances[i]![j]!,
          })),
        }));
      } finally {
        g.features.dispose();
        q.features.dispose();
      }
    } else if (cfg.command === 'knn') {
      const bank = averageByVideo(tr.features, tr.videos, { normalizeClips: true, normalizeVideos: true });
      const q = averageByVideo(te.features, te.videos, { normalizeClips: true, normalizeVideos: true });
      try {
        const r = knnClassify(bank.features, bank.videos.map((v) => train.videos[v]!.label), q.features, { k: cfg.knn.k, temperature: cfg.knn.temperature, numClasses });
        scores = q.videos.map((v, i) => ({ video: v, label: test.videos[v]!.label, scores: r.scores[i]! }));
        const acc = topkAccuracy(scores.map((s) => s.scores), scores.map((s) => s.label), [1, 5]);
        metrics = { top1: acc[1]!, top5: acc[5]! };
        extra = { knn: { k: Math.min(cfg.knn.k, bank.videos.length), temperature: cfg.knn.temperature } };
        predictions = videoPredictions(scores, test);
      } finally {
        bank.features.dispose();
        q.features.dispose();
      }
    } else {
      const r = linearFold(cfg, train, tr, te, numClasses);
      scores = r.scores;
      const acc = topkAccuracy(scores.map((s) => s.scores), scores.map((s) => s.label), [1, 5]);
      metrics = { top1: acc[1]!, top5: acc[5]! };
      extra = { linear: r.linear };
      predictions = videoPredictions(scores, test);
      log(`fold ${fold}: L2 penalty ${r.linear.l2} chosen on ${r.linear.valVideos} validation videos (${r.linear.search.points.map((p) => `${p.l2}: ${p.valTop1.toFixed(1)}%`).join(', ')})`);
    }
    const confusion = confusionMatrix(predictions.map((p) => p.predicted), predictions.map((p) => p.label), numClasses);
    return { ...base, ...extra, metrics, perClass: perClassAccuracy(confusion), confusion, predictions, seconds: (performance.now() - t0) / 1000 };
  } finally {
    disposeSet(tr);
    disposeSet(te);
  }
}

export async function runFeatureEval(cfg: FeatureEvalConfig, o: RunOptions = {}): Promise<RunOutput<FeatureFoldResult>> {
  const log = o.log ?? ((s: string) => console.log(s));
  const t0 = performance.now();
  mkdirSync(cfg.out, { recursive: true });
  torch.manualSeed(cfg.features.seed);
  const weights = await loadEvalWeights(cfg.weights);
  const resolved = resolveModel(cfg.model, weights, cfg.data.numFrames);
  log(`${cfg.command} (${cfg.protocol} protocol): ${cfg.data.dataset} folds ${cfg.data.folds.join(',')}, model ${resolved.kind} (R(2+1)D-${resolved.videoDepth}, width ${resolved.width}), features '${cfg.features.pool}', weights ${weights.format}${weights.sha256 ? ` sha256 ${weights.sha256.slice(0, 12)}` : ''}`);
  const extractor = makeExtractor(cfg, weights, resolved, o);
  const folds: FeatureFoldResult[] = [];
  try {
    for (const fold of cfg.data.folds) {
      const r = await runFold(cfg, fold, extractor, o);
      log(`fold ${fold}: ${Object.entries(r.metrics).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
      folds.push(r);
    }
  } finally {
    weights.dispose();
  }
  const keys = Object.keys(folds[0]?.metrics ?? {});
  const results: EvalResults<FeatureFoldResult> = {
    version: 1,
    command: cfg.command,
    protocol: cfg.protocol,
    protocolDescription: protocolDescription(cfg.command, cfg.protocol),
    dataset: cfg.data.dataset,
    folds,
    mean: Object.fromEntries(keys.map((k) => [k, meanOver(folds, (f) => f.metrics[k]!)])),
    checkpoint: checkpointInfo(weights),
    config: cfg,
    provenance: provenance(o.threads ?? torch.getNumThreads()),
    timings: { totalSeconds: (performance.now() - t0) / 1000, foldSeconds: folds.map((f) => f.seconds) },
  };
  const resultsPath = await writeResults(cfg.out, results);
  const reportPath = await writeReport(cfg.out, await renderFeatureReport(results));
  log(`mean over ${folds.length} fold(s): ${Object.entries(results.mean).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')} [${cfg.protocol} protocol]`);
  log(`wrote ${resultsPath} and ${reportPath}`);
  return { results, resultsPath, reportPath };
}
