// The data loader: worker threads decode and augment whole batches in parallel, with bounded
// prefetching (back-pressure), in sampler order, turned into tensors on the consumer's thread.
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { BatchSampler, type SamplerOptions } from './sampler.js';
import { buildDataset, fetchBatch } from './fetch.js';
import type { Dataset, DatasetSpec, RawBatch, SampleFailure } from './sample.js';

export interface LoaderOptions extends Omit<SamplerOptions, 'length'> {
  /** Worker threads; 0 loads in the consumer's thread. Default: cores - 1 (at least 1). */
  workers?: number;
  /** Batches in flight per worker. */
  prefetch?: number;
  /** Copy batches to page-locked memory (only useful with CUDA; ignored without it). */
  pinMemory?: boolean;
}

export interface Batch {
  tensors: Record<string, Tensor>;
  values: Record<string, (number | string | boolean)[]>;
  indices: number[];
  /** Position of this batch in the epoch (for resuming). */
  step: number;
}

export interface LoaderStats {
  batches: number;
  samples: number;
  /** Samples per second of wall time since the epoch started. */
  samplesPerSecond: number;
  /** Fraction of the consumer's time spent waiting for data. */
  waitFraction: number;
  failures: SampleFailure[];
}

interface Pending {
  resolve: (b: RawBatch) => void;
  reject: (e: Error) => void;
}

/**
 * Starts a worker on a module. From the TypeScript sources (tests, tsx) the worker registers tsx's
 * loader itself first: Node 20 does not apply the parent's `--import` hooks to a worker's entry.
 */
export function startWorker(url: URL, workerData: unknown): Worker {
  if (!url.pathname.endsWith('.ts')) return new Worker(url, { workerData });
  const boot = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); })`;
  return new Worker(boot, { eval: true, workerData });
}

class WorkerPool {
  private workers: { w: Worker; busy: number }[] = [];
  private pending = new Map<number, Pending>();
  private inflight = new Set<Promise<RawBatch>>();
  private nextId = 0;
  private readyPromise: Promise<void>;
  private fatal: Error | undefined;

  constructor(spec: DatasetSpec, seed: number, count: number) {
    const readies: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const w = startWorker(new URL(import.meta.url.endsWith('.ts') ? './loader-worker.ts' : './loader-worker.js', import.meta.url), { spec, seed });
      const slot = { w, busy: 0 };
      this.workers.push(slot);
      readies.push(
        new Promise<void>((resolve, reject) => {
          w.on('message', (m: { type: string; id: number; batch: RawBatch; message: string }) => {
            if (m.type === 'ready') return resolve();
            if (m.type === 'fatal') return reject(new Error(`data loader worker ${i}: ${m.message}`));
            const p = this.pending.get(m.id);
            if (!p) return;
            this.pending.delete(m.id);
            slot.busy--;
            if (m.type === 'batch') p.resolve(m.batch);
            else p.reject(new Error(m.message));
          });
          w.on('error', (e) => {
            this.fatal = new Error(`data loader worker ${i} crashed: ${e.message}`);
            reject(this.fatal);
            for (const p of this.pending.values()) p.reject(this.fatal);
            this.pending.clear();
          });
        }),
      );
    }
    this.readyPromise = Promise.all(readies).then(() => undefined);
  }

  ready(): Promise<void> {
    return this.readyPromise;
  }

  request(indices: number[], epoch: number): Promise<RawBatch> {
    if (this.fatal) return Promise.reject(this.fatal);
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    slot.busy++;
    const id = this.nextId++;
    const p = new Promise<RawBatch>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      slot.w.postMessage({ id, indices, epoch });
    });
    this.inflight.add(p);
    const forget = (): void => void this.inflight.delete(p);
    p.then(forget, forget);
    return p;
  }

  /**
   * Lets batches still being made finish (a worker killed inside native code can take the
   * process down), then closes the workers; terminate() only if one does not exit in time.
   */
  async close(): Promise<void> {
    await Promise.allSettled([...this.inflight]);
    await Promise.all(
      this.workers.map(
        (s) =>
          new Promise<void>((resolve) => {
            s.w.once('exit', () => resolve());
            s.w.postMessage({ type: 'close' });
            setTimeout(() => void s.w.terminate(), 60_000).unref();
          }),
      ),
    );
    this.workers = [];
  }
}

export class DataLoader {
  readonly sampler: BatchSampler;
  readonly workers: number;
  private pool: WorkerPool | undefined;
  private local: Dataset | undefined;
  private stats_: LoaderStats = { batches: 0, samples: 0, samplesPerSecond: 0, waitFraction: 0, failures: [] };

  private constructor(
    private readonly spec: DatasetSpec,
    readonly length: number,
    private readonly o: LoaderOptions,
  ) {
    this.sampler = new BatchSampler({ ...o, length });
    this.workers = o.workers ?? Math.max(1, availableParallelism() - 1);
  }

  /** Builds the dataset once in this thread (for its length) and starts the workers. */
  static async create(spec: DatasetSpec, o: LoaderOptions): Promise<DataLoader> {
    const ds = await buildDataset(spec);
    const loader = new DataLoader(spec, ds.length, o);
    if (loader.workers === 0) loader.local = ds;
    else {
      await ds.close?.();
      loader.pool = new WorkerPool(spec, o.seed ?? 0, loader.workers);
      await loader.pool.ready();
    }
    return loader;
  }

  get stats(): LoaderStats {
    return { ...this.stats_, failures: [...this.stats_.failures] };
  }

  batchesPerEpoch(): number {
    return this.sampler.batchesPerEpoch();
  }

  private fetch(indices: number[], epoch: number): Promise<RawBatch> {
    if (this.pool) return this.pool.request(indices, epoch);
    return fetchBatch(this.local!, indices, this.o.seed ?? 0, epoch);
  }

  /**
   * The batches of an epoch in sampler order, from batch `startStep` on (to resume a run). Each
   * batch's tensors belong to the consumer (free them with torch.disposeAll or a scope).
   */
  async *epoch(epoch: number, options: { startStep?: number } = {}): AsyncGenerator<Batch> {
    const batches = this.sampler.batches(epoch);
    const start = options.startStep ?? 0;
    const inflight = Math.max(1, (this.workers || 1) * (this.o.prefetch ?? 2));
    const queue: Promise<RawBatch>[] = [];
    let next = start;
    const t0 = performance.now();
    let waited = 0;
    this.stats_ = { batches: 0, samples: 0, samplesPerSecond: 0, waitFraction: 0, failures: [] };
    const fill = (): void => {
      while (queue.length < inflight && next < batches.length) queue.push(this.fetch(batches[next++]!, epoch));
    };
    // Unconsumed requests must not surface as unhandled rejections if the consumer stops early.
    const drain = (): void => {
      for (const q of queue) q.catch(() => undefined);
    };
    try {
      for (let step = start; step < batches.length; step++) {
        fill();
        const tw = performance.now();
        const raw = await queue.shift()!;
        waited += performance.now() - tw;
        fill();
        this.stats_.batches++;
        this.stats_.samples += raw.indices.length;
        this.stats_.failures.push(...raw.failures);
        const elapsed = performance.now() - t0;
        this.stats_.samplesPerSecond = (this.stats_.samples / elapsed) * 1000;
        this.stats_.waitFraction = waited / elapsed;
        yield { tensors: this.toTensors(raw), values: raw.values, indices: raw.indices, step };
      }
    } finally {
      drain();
    }
  }

  private toTensors(raw: RawBatch): Record<string, Tensor> {
    const out: Record<string, Tensor> = {};
    const pin = this.o.pinMemory && torch.cuda.isAvailable();
    for (const [k, a] of Object.entries(raw.arrays)) {
      // The buffer came from a worker (transferred) or was made for this batch: no one else holds it.
      const t = torch.fromBuffer(a.data, a.dtype, a.shape);
      if (pin) {
        out[k] = t.pinMemory();
        t.dispose();
      } else out[k] = t;
    }
    return out;
  }

  async close(): Promise<void> {
    await this.pool?.close();
    await this.local?.close?.();
  }
}
