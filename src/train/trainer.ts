// The training loop shared by the pretraining methods: SGD with the reference's schedules,
// atomic checkpoints every epoch and every N steps, exact resume (model, optimiser, scheduler,
// RNG, loader position), clean stops on signals, a non-finite-loss guard, and logging to a
// progress bar, JSON lines and TensorBoard.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import type { Module } from '../nn/index.js';
import { SGD, gdtPretrainSchedule, type LRScheduler, type OptimizerStateDict } from '../optim/index.js';
import { loadCheckpoint, saveCheckpoint, section } from '../io/checkpoint.js';
import { writeFileAtomic } from '../io/atomic.js';
import { DataLoader, type Batch } from '../data/loader.js';
import type { DatasetSpec } from '../data/sample.js';
import { SummaryWriter } from './tensorboard.js';
import { flattenState, unflattenState, publishCheckpoint, latestCheckpoint } from './state.js';
import type { PretrainConfig } from './config.js';
import { setupDistributedTraining } from '../distributed/training.js';
import type { Collective } from '../ssl/collective.js';
import { progress, type Progress } from '../cli/progress.js';

export interface StepOutput {
  loss: Tensor;
  /** Extra values to log (per-term losses, ...). */
  metrics: Record<string, number>;
}

export interface StepContext {
  /** Steps completed before this one (0-based index of this step over the whole run). */
  globalStep: number;
  epoch: number;
  /** Gathers features from every rank (the identity in one process). */
  collective: Collective;
}

export interface TrainMethod {
  readonly model: Module<never[], unknown>;
  readonly dataset: DatasetSpec;
  /** Clips of video in one sample, for clips/s. */
  readonly clipsPerSample: number;
  /** Some parameters may get no gradient in a step (STiCA): DDP's find_unused_parameters. */
  readonly findUnusedParameters?: boolean;
  /**
   * The LR schedule and whether it is stepped per epoch or per iteration; default: GDT's gradual
   * warm-up then multi-step/cosine, per epoch (SPEC 8.1).
   */
  schedule?(sgd: SGD, itersPerEpoch: number): { scheduler: LRScheduler; per: 'epoch' | 'iteration' };
  step(batch: Batch, ctx: StepContext): StepOutput;
}

export interface TrainResult {
  status: 'finished' | 'interrupted';
  globalStep: number;
  epoch: number;
  checkpoint: string | undefined;
  losses: number[];
}

interface Position {
  epoch: number;
  /** Next step to run within the epoch. */
  step: number;
  globalStep: number;
}

export class NonFiniteLossError extends Error {}

export interface TrainOptions {
  /** A checkpoint to resume from; by default the latest in the output folder, if any. */
  resume?: string | false;
  /** Show a progress bar / lines (default true). */
  progress?: boolean;
  log?: (line: string) => void;
}

export async function train(cfg: PretrainConfig, method: TrainMethod, o: TrainOptions = {}): Promise<TrainResult> {
  const out = cfg.out;
  // One process, or one rank of a job started by `gdt launch`/torchrun/SLURM: rank 0's weights
  // everywhere, SyncBatchNorm, gradient averaging; only rank 0 writes files.
  const dist = await setupDistributedTraining(method.model, { syncBatchNorm: cfg.train.syncBatchNorm, findUnusedParameters: method.findUnusedParameters ?? false, broadcastBuffers: false });
  const main = dist.isMain;
  if (main) mkdirSync(out, { recursive: true });
  const print = o.log ?? ((s: string) => console.log(s));
  const log = (s: string): void => {
    if (main) print(s);
  };
  const model = method.model;
  const sgd = new SGD(model.parameters(), {
    lr: cfg.optim.lr,
    momentum: cfg.optim.momentum,
    weightDecay: cfg.optim.weightDecay,
    nesterov: cfg.optim.nesterov,
  });
  const loader = await DataLoader.create(method.dataset, {
    batchSize: cfg.train.batchSize,
    workers: cfg.train.workers,
    prefetch: cfg.train.prefetch,
    shuffle: true,
    seed: cfg.train.seed,
    dropLast: true,
    rank: dist.rank,
    worldSize: dist.worldSize,
  });
  const perEpoch = loader.batchesPerEpoch();
  if (perEpoch === 0) {
    await loader.close();
    throw new Error(`the dataset has fewer samples (${loader.length}) than one batch (${cfg.train.batchSize}); lower train.batchSize`);
  }
  const { scheduler, per } = method.schedule?.(sgd, perEpoch) ?? {
    scheduler: gdtPretrainSchedule({
      optimizer: sgd,
      worldSize: dist.worldSize,
      epochs: cfg.train.epochs,
      warmupEpochs: cfg.optim.warmupEpochs,
      milestones: cfg.optim.milestones,
      gamma: cfg.optim.gamma,
      type: cfg.optim.scheduler,
    }),
    per: 'epoch' as const,
  };

  let pos: Position = { epoch: 0, step: 0, globalStep: 0 };
  const resumeFrom = o.resume === false ? undefined : (o.resume ?? latestCheckpoint(out));
  if (resumeFrom) {
    try {
      pos = await restore(resumeFrom, model, sgd, scheduler);
    } catch (e) {
      await loader.close();
      throw e;
    }
    log(`resumed from ${resumeFrom} at epoch ${pos.epoch}, step ${pos.step} (global step ${pos.globalStep})`);
  }
  if (main) await writeFileAtomic(join(out, 'config.json'), JSON.stringify(cfg, null, 2) + '\n');

  const totalSteps = Math.min(cfg.train.maxSteps ?? Infinity, cfg.train.epochs * perEpoch);
  const tb = main ? new SummaryWriter(join(out, 'tensorboard')) : undefined;
  if (pos.globalStep === 0) tb?.addText('args', '```\n' + JSON.stringify(cfg, null, 2) + '\n```');
  const metricsPath = join(out, 'metrics.jsonl');

  let stopSignal: string | undefined;
  const onSignal = (sig: NodeJS.Signals): void => {
    stopSignal = sig;
    log(`${sig} received: finishing the current step, then checkpointing`);
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGUSR1'];
  for (const s of signals) process.on(s, onSignal);

  let bar: Progress | undefined;
  const losses: number[] = [];
  let lastCheckpoint = resumeFrom;
  let status: TrainResult['status'] = 'finished';
  const save = async (p: Position, numbered: boolean): Promise<void> => {
    if (!main) return;
    const tmp = join(out, `.checkpoint-${process.pid}.safetensors`);
    await saveTrainingCheckpoint(tmp, cfg, p, model, sgd, scheduler);
    publishCheckpoint(out, tmp, { step: p.globalStep, epoch: p.epoch, keepLast: cfg.train.keepLast, numbered });
    lastCheckpoint = join(out, 'checkpoint.safetensors');
  };

  try {
    if (main && o.progress !== false && pos.globalStep < totalSteps) bar = progress('pretrain', totalSteps, { unit: 'steps' });
    let tLast = performance.now();
    outer: for (let epoch = pos.epoch; epoch < cfg.train.epochs && pos.globalStep < totalSteps; epoch++) {
      let epochLoss = 0;
      let epochSteps = 0;
      for await (const batch of loader.epoch(epoch, { startStep: pos.step })) {
        const lr = sgd.paramGroups[0]!.lr;
        const { value, metrics } = torch.tidy(() => {
          // The forward in its own scope: intermediates autograd does not need are freed before
          // backward (as C++ frees them), which keeps peak memory and page faults down.
          const r = torch.tidy(() => method.step(batch, { globalStep: pos.globalStep, epoch, collective: dist.collective }));
          const v = r.loss.item() as number;
          // Every rank takes the same path: one rank's NaN stops them all.
          if (dist.anyRank(!Number.isFinite(v))) return { value: Number.isFinite(v) ? NaN : v, metrics: r.metrics };
          sgd.zeroGrad();
          r.loss.backward();
          dist.afterBackward();
          sgd.step();
          if (per === 'iteration') scheduler.step();
          return { value: v, metrics: r.metrics };
        });
        torch.disposeAll(batch.tensors);
        if (!Number.isFinite(value)) {
          throw new NonFiniteLossError(
            `the loss is ${value} at epoch ${epoch}, step ${batch.step} (global step ${pos.globalStep}); stopping. ` +
              `${lastCheckpoint ? `The last good checkpoint is ${lastCheckpoint}. ` : ''}Lower optim.lr or check the data.`,
          );
        }
        const shown = dist.worldSize > 1 ? dist.mean(value) : value;
        losses.push(shown);
        epochLoss += value;
        epochSteps++;
        pos = { epoch, step: batch.step + 1, globalStep: pos.globalStep + 1 };
        const now = performance.now();
        const st = loader.stats;
        const record = {
          step: pos.globalStep,
          epoch,
          loss: shown,
          lr,
          clipsPerSec: (batch.indices.length * method.clipsPerSample * 1000) / (now - tLast),
          dataWait: st.waitFraction,
          badSamples: st.failures.length,
          ...metrics,
        };
        tLast = now;
        if (main) appendFileSync(metricsPath, JSON.stringify(record) + '\n');
        bar?.update(pos.globalStep, { loss: shown.toFixed(4), lr: lr.toPrecision(3), 'clips/s': record.clipsPerSec.toFixed(1), wait: `${(100 * st.waitFraction).toFixed(0)}%` });
        if (tb && pos.globalStep % cfg.train.logEverySteps === 0) {
          tb.addScalar('train/loss/iter', shown, pos.globalStep);
          tb.addScalar('train/lr/iter', lr, pos.globalStep);
          tb.addScalar('train/clips_per_s/iter', record.clipsPerSec, pos.globalStep);
          tb.addScalar('train/data_wait/iter', st.waitFraction, pos.globalStep);
          tb.addScalar('train/memory/iter', process.memoryUsage().rss / 2 ** 20, pos.globalStep);
        }
        const atEnd = pos.step >= perEpoch;
        // A signal reaches ranks at different moments: they agree to stop after the same step.
        const stopping = dist.worldSize > 1 ? dist.anyRank(stopSignal !== undefined) : stopSignal !== undefined;
        if (stopping || pos.globalStep >= totalSteps) {
          await save(atEnd ? { epoch: epoch + 1, step: 0, globalStep: pos.globalStep } : pos, false);
          if (stopping) status = 'interrupted';
          break outer;
        }
        if (!atEnd && cfg.train.checkpointEverySteps > 0 && pos.globalStep % cfg.train.checkpointEverySteps === 0) await save(pos, false);
      }
      if (per === 'epoch') scheduler.step();
      tb?.addScalar('train/epoch', epochSteps ? epochLoss / epochSteps : 0, epoch);
      const next = { epoch: epoch + 1, step: 0, globalStep: pos.globalStep };
      await save(next, (epoch + 1) % cfg.train.numberedEveryEpochs === 0 || epoch + 1 === cfg.train.epochs);
      pos = next;
    }
  } finally {
    bar?.stop();
    for (const s of signals) process.off(s, onSignal);
    tb?.close();
    await loader.close();
    dist.close();
    const bad = loader.stats.failures;
    if (bad.length && main) {
      writeFileSync(join(out, 'bad-samples.json'), JSON.stringify(bad, null, 2));
      log(`${bad.length} samples could not be read and were replaced (see ${join(out, 'bad-samples.json')})`);
    }
  }
  return { status, globalStep: pos.globalStep, epoch: pos.epoch, checkpoint: lastCheckpoint, losses };
}

async function saveTrainingCheckpoint(path: string, cfg: PretrainConfig, pos: Position, model: Module<never[], unknown>, sgd: SGD, scheduler: LRScheduler): Promise<void> {
  await torch.tidyAsync(async () => {
    const tensors = new Map<string, Tensor>();
    for (const [k, t] of model.stateDict()) tensors.set(`model/${k}`, t);
    const optimizer = flattenState(sgd.stateDict(), 'optimizer', tensors);
    tensors.set('rng/cpu', torch.getRngState());
    await saveCheckpoint(path, {
      tensors,
      document: { kind: 'pretrain', method: cfg.method, position: pos, optimizer, scheduler: scheduler.stateDict(), config: cfg, savedAt: new Date().toISOString() },
    });
  });
}

async function restore(path: string, model: Module<never[], unknown>, sgd: SGD, scheduler: LRScheduler): Promise<Position> {
  const ckpt = await loadCheckpoint<{ position: Position; optimizer: unknown; scheduler: Parameters<LRScheduler['loadStateDict']>[0] }>(path);
  try {
    model.loadStateDict(section(ckpt.tensors, 'model'));
    sgd.loadStateDict(unflattenState(ckpt.document.optimizer, ckpt.tensors) as OptimizerStateDict);
    scheduler.loadStateDict(ckpt.document.scheduler);
    const rng = ckpt.tensors.get('rng/cpu');
    if (rng) torch.setRngState(rng);
    return ckpt.document.position;
  } finally {
    for (const t of ckpt.tensors.values()) t.dispose();
  }
}
