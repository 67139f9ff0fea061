// `gdt eval audio`: linear classification of frozen audio features on ESC-50-style folds (leave
// one fold out). The pretrained audio encoder (`audio_network.base`) runs once in eval mode over
// uniformly spaced windows of every file (features cached, resumable); a logistic regression with
// the L2 penalty chosen on held-out training folds classifies windows; logits are averaged per file.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { readEsc50 } from '../data/splits.js';
import type { SampleFailure } from '../data/sample.js';
import type { AudioEvalConfig } from './config.js';
import { protocolDescription } from './protocol.js';
import { loadEvalWeights } from './weights.js';
import { audioFeatures, buildAudioEncoder, resolveAudioModel, toDevice } from './backbone.js';
import type { AudioFile, AudioWindowsOptions } from './audio-dataset.js';
import { extractFeatures, selectRows, disposeSet } from './feature-cache.js';
import { holdoutSplit } from './holdout.js';
import { searchL2, type RegSearchResult } from './reg-search.js';
import { fitLogisticRegression } from './logistic.js';
import { VideoLogitAverager } from './aggregate.js';
import { argmax, confusionMatrix, labelRank, perClassAccuracy, topClasses, topkAccuracy, type ClassAccuracy } from './metrics.js';
import { checkpointInfo, meanOver, writeReport, writeResults, type EvalResults } from './results.js';
import { provenance } from './provenance.js';
import type { RunOptions, RunOutput } from './run-finetune.js';
import type { FeaturePrediction } from './run-features.js';
import { renderAudioReport } from './report/audio-report.js';

export const AUDIO_MODULE = new URL(import.meta.url.endsWith('.ts') ? './audio-dataset.ts' : './audio-dataset.js', import.meta.url).href;

export interface AudioFoldResult {
  fold: number;
  metrics: { top1: number; top5: number };
  classes: string[];
  trainFiles: number;
  testFiles: number;
  featureDim: number;
  perClass: ClassAccuracy[];
  confusion: number[][];
  predictions: FeaturePrediction[];
  linear: { search: RegSearchResult; l2: number; losses: number[]; searchTrainFiles: number; valFiles: number };
  cache: { train: string; test: string; extracted: boolean };
  failures: SampleFailure[];
  seconds: number;
}

interface Esc50Fold {
  classes: string[];
  train: (AudioFile & { name: string; fold: number })[];
  test: (AudioFile & { name: string; fold: number })[];
}

/** Training (other folds) and test (this fold) files; labels are the targets renumbered densely (ESC-10 uses 10 of 50). */
async function loadFold(cfg: AudioEvalConfig, fold: number): Promise<Esc50Fold> {
  const o = { esc10Only: cfg.data.esc10 };
  const [train, test] = await Promise.all([readEsc50(cfg.data.root, fold, 'train', o), readEsc50(cfg.data.root, fold, 'test', o)]);
  const all = [...train, ...test];
  const targets = [...new Set(all.map((e) => e.target))].sort((a, b) => a - b);
  const index = new Map(targets.map((t, i) => [t, i]));
  const names = new Map(all.map((e) => [e.target, e.category || String(e.target)]));
  const files = (es: typeof all): Esc50Fold['train'] => es.map((e) => ({ path: e.path, label: index.get(e.target)!, name: e.filename, fold: e.fold }));
  if (!test.length) throw new Error(`${cfg.data.root}: no file in fold ${fold}`);
  return { classes: targets.map((t) => names.get(t)!), train: files(train), test: files(test) };
}

export async function runAudioEval(cfg: AudioEvalConfig, o: RunOptions = {}): Promise<RunOutput<AudioFoldResult>> {
  const log = o.log ?? ((s: string) => console.log(s));
  const t0 = performance.now();
  mkdirSync(cfg.out, { recursive: true });
  torch.manualSeed(cfg.features.seed);
  const weights = await loadEvalWeights(cfg.weights);
  const m = resolveAudioModel(cfg.model, weights);
  const pd = weights.pretrain?.data;
  const seconds = cfg.features.seconds ?? pd?.audioSeconds ?? 1;
  const specType = cfg.features.specType ?? (pd?.specType === 2 ? 2 : 1);
  const zNormalize = cfg.features.zNormalize ?? pd?.zNormalize ?? specType === 1;
  const cacheDir = cfg.cache ?? join(cfg.out, 'features');
  log(`audio (ESC-50 style, ${cfg.data.root}): folds ${cfg.data.folds.join(',')}, ResNet-${m.depth} width ${m.width}, ${cfg.features.windows} windows of ${seconds} s, spectrogram type ${specType}${zNormalize ? ', z-normalised' : ''}`);
  const { encoder, loaded } = buildAudioEncoder(m, weights);
  if (weights.format !== 'none') log(`loaded ${loaded} audio encoder tensors`);
  toDevice(encoder, cfg.features.device).eval();
  const folds: AudioFoldResult[] = [];
  try {
    for (const fold of cfg.data.folds) {
      const tf = performance.now();
      const { classes, train, test } = await loadFold(cfg, fold);
      const numClasses = classes.length;
      log(`fold ${fold}: ${train.length} training files, ${test.length} test files, ${numClasses} classes`);
      const extract = (name: string, files: AudioFile[]): ReturnType<typeof extractFeatures> => {
        const options: AudioWindowsOptions = { files: files.map((f) => ({ path: f.path, label: f.label })), sampleRate: cfg.data.sampleRate, seconds, windows: cfg.features.windows, specType, zNormalize };
        return extractFeatures({
          cacheDir,
          name,
          key: { v: 1, weights: weights.sha256 ?? weights.source, model: m, options, list: createHash('sha256').update(JSON.stringify(options.files)).digest('hex').slice(0, 16) },
          spec: { module: AUDIO_MODULE, exportName: 'createAudioWindowsDataset', options },
          input: 'views',
          forward: (x: Tensor) => audioFeatures(encoder, x),
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
      };
      const tr = await extract(`esc-fold${fold}-train`, train);
      const te = await extract(`esc-fold${fold}-test`, test);
      try {
        // Validation: whole ESC-50 folds of the training part, chosen per class.
        const split = holdoutSplit(train.map((f) => ({ label: f.label, group: `fold${f.fold}` })), { fraction: cfg.linear.valFraction, seed: cfg.features.seed });
        const val = new Set(split.val);
        const l = cfg.linear;
        const opts = { numClasses, epochs: l.epochs, lr: l.lr, batchSize: l.batchSize, seed: cfg.features.seed, standardize: l.standardize };
        const a = selectRows(tr, (r) => !val.has(tr.videos[r]!));
        const b = selectRows(tr, (r) => val.has(tr.videos[r]!));
        let search: RegSearchResult;
        try {
          search = split.val.length ? searchL2(a, b, l.l2Grid, opts) : { best: l.l2Grid[Math.floor(l.l2Grid.length / 2)]!, points: [] };
        } finally {
          disposeSet(a);
          disposeSet(b);
        }
        const model = fitLogisticRegression(tr.features, tr.labels, { ...opts, l2: search.best });
        const avg = new VideoLogitAverager(numClasses);
        try {
          torch.tidy(() => avg.addBatch(te.videos, te.labels, model.logits(te.features).toTypedArray() as Float32Array));
        } finally {
          model.dispose();
        }
        const scores = avg.result();
        const acc = topkAccuracy(scores.map((s) => s.scores), scores.map((s) => s.label), [1, 5]);
        const predictions: FeaturePrediction[] = scores.map((s) => ({
          video: s.video,
          name: test[s.video]?.name ?? String(s.video),
          path: test[s.video]?.path ?? '',
          label: s.label,
          predicted: argmax(s.scores),
          rank: labelRank(s.scores, s.label),
          top5: topClasses(s.scores, Math.min(5, numClasses)).map((c) => ({ class: c, score: s.scores[c]! })),
        }));
        const confusion = confusionMatrix(predictions.map((p) => p.predicted), predictions.map((p) => p.label), numClasses);
        const r: AudioFoldResult = {
          fold,
          metrics: { top1: acc[1]!, top5: acc[5]! },
          classes,
          trainFiles: train.length,
          testFiles: test.length,
          featureDim: tr.features.shape[1]!,
          perClass: perClassAccuracy(confusion),
          confusion,
          predictions,
          linear: { search, l2: search.best, losses: model.losses, searchTrainFiles: split.train.length, valFiles: split.val.length },
          cache: { train: tr.path, test: te.path, extracted: !tr.cached || !te.cached },
          failures: [...tr.failures, ...te.failures],
          seconds: (performance.now() - tf) / 1000,
        };
        log(`fold ${fold}: top-1 ${r.metrics.top1.toFixed(2)}, top-5 ${r.metrics.top5.toFixed(2)} (L2 ${search.best})`);
        folds.push(r);
      } finally {
        disposeSet(tr);
        disposeSet(te);
      }
    }
  } finally {
    encoder.dispose();
    weights.dispose();
  }
  const results: EvalResults<AudioFoldResult> = {
    version: 1,
    command: 'audio',
    protocol: 'clean',
    protocolDescription: protocolDescription('audio', 'clean'),
    dataset: cfg.data.esc10 ? 'esc10' : 'esc50',
    folds,
    mean: { top1: meanOver(folds, (f) => f.metrics.top1), top5: meanOver(folds, (f) => f.metrics.top5) },
    checkpoint: checkpointInfo(weights),
    config: cfg,
    provenance: provenance(o.threads ?? torch.getNumThreads()),
    timings: { totalSeconds: (performance.now() - t0) / 1000, foldSeconds: folds.map((f) => f.seconds) },
  };
  const resultsPath = await writeResults(cfg.out, results);
  const reportPath = await writeReport(cfg.out, renderAudioReport(results));
  log(`mean over ${folds.length} fold(s): top-1 ${results.mean.top1!.toFixed(2)}, top-5 ${results.mean.top5!.toFixed(2)}`);
  log(`wrote ${resultsPath} and ${reportPath}`);
  return { results, resultsPath, reportPath };
}
