// Data parallelism (torch.nn.parallel.DistributedDataParallel, reduced to what gdt's training
// needs): every rank starts from rank 0's parameters and buffers; after each backward,
// `syncGradients()` averages the gradients over the ranks, all-reduced in buckets of at most
// `bucketCapMb` megabytes (one flat tensor per bucket, all buckets in flight at once).
//
// Differences from PyTorch's DDP, by design: the all-reduce runs after backward (not overlapped
// with it through autograd hooks), so the training loop calls `syncGradients()` between
// `loss.backward()` and `optimizer.step()`; and the wrapper is not a Module (the model keeps its
// own state_dict keys, without DDP's `module.` prefix).
//
// Unused parameters (findUnusedParameters, as STiCA's DDP): a parameter that got no gradient on
// some rank contributes zeros there, so its gradient is the average over all ranks, as in PyTorch;
// a parameter unused on every rank keeps no gradient (the optimiser skips it). Which parameters
// have gradients is agreed first with one small all-reduce, so every rank takes the same path.
// Without findUnusedParameters a parameter missing its gradient on any rank is an error on every
// rank (PyTorch's DDP fails too).
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import type { Module } from '../nn/module.js';
import { DistributedError, type ProcessGroup, type Work } from './process-group.js';
import { getDefaultGroup } from './init.js';

export interface DataParallelOptions {
  /** Default: the default process group. */
  group?: ProcessGroup;
  /** Largest gradient bucket in MB (PyTorch's default 25). */
  bucketCapMb?: number;
  /** Broadcast rank 0's buffers before every training forward (PyTorch's default true; GDT's reference: false). */
  broadcastBuffers?: boolean;
  /** Allow parameters without a gradient on some or all ranks (see above). */
  findUnusedParameters?: boolean;
  /** Skip the initial broadcast of rank 0's parameters and buffers. */
  skipInitialSync?: boolean;
}

export interface GradientSyncReport {
  /** Parameters whose gradients were averaged. */
  reduced: number;
  buckets: number;
  /** Names of parameters without a gradient on any rank (gradient left undefined). */
  unused: string[];
  /** Names of parameters without a gradient on some ranks only (zeros there). */
  partiallyUsed: string[];
}

type AnyModule = Module<never[], unknown>;

/** Splits tensors into buckets of one dtype and device, each at most capBytes (a larger tensor is alone). */
function buckets(ts: readonly Tensor[], capBytes: number): Tensor[][] {
  const out: Tensor[][] = [];
  const open = new Map<string, { items: Tensor[]; bytes: number }>();
  for (const t of ts) {
    const key = `${t.dtype}/${t.device}`;
    const bytes = t.numel * torch.elementSize(t.dtype);
    let b = open.get(key);
    if (b && b.items.length && b.bytes + bytes > capBytes) {
      out.push(b.items);
      b = undefined;
    }
    if (!b) {
      b = { items: [], bytes: 0 };
      open.set(key, b);
    }
    b.items.push(t);
    b.bytes += bytes;
  }
  for (const b of open.values()) if (b.items.length) out.push(b.items);
  return out;
}

/** Runs one collective per bucket over flattened copies, then writes the results back. */
function bucketed(ts: readonly Tensor[], capBytes: number, start: (flat: Tensor) => Work<Tensor[]>, after?: (flat: Tensor) => void): number {
  const bs = buckets(ts, capBytes);
  torch.tidy(() => {
    const inFlight = bs.map((b) => {
      const flat = torch.noGrad(() => torch.cat(b.map((t) => t.detach().reshape([-1])), 0));
      return { b, flat, work: start(flat) };
    });
    for (const { b, flat, work } of inFlight) {
      work.wait();
      torch.noGrad(() => {
        after?.(flat);
        let offset = 0;
        for (const t of b) {
          const n = t.numel;
          t.copy_(flat.narrow(0, offset, n).view(t.shape));
          offset += n;
        }
      });
    }
  });
  return bs.length;
}

export class DistributedDataParallel<M extends AnyModule = AnyModule> {
  readonly group: ProcessGroup;
  readonly broadcastBuffers: boolean;
  readonly findUnusedParameters: boolean;
  private readonly capBytes: number;

  constructor(
    readonly module: M,
    o: DataParallelOptions = {},
  ) {
    this.group = o.group ?? getDefaultGroup();
    this.broadcastBuffers = o.broadcastBuffers ?? true;
    this.findUnusedParameters = o.findUnusedParameters ?? false;
    const mb = o.bucketCapMb ?? 25;
    if (!(mb > 0)) throw new RangeError(`bucketCapMb must be positive, got ${mb}`);
    this.capBytes = mb * 1024 * 1024;
    if (!o.skipInitialSync) this.syncModuleState();
  }

  get rank(): number {
    return this.group.rank;
  }
  get worldSize(): number {
    return this.group.worldSize;
  }

  /** The module's forward, after broadcasting rank 0's buffers when broadcastBuffers (in training). */
  forward(...input: Parameters<M['forward']>): ReturnType<M['forward']> {
    if (this.broadcastBuffers && this.module.training) this.syncBuffers();
    return (this.module.forward as (...a: unknown[]) => ReturnType<M['forward']>)(...input);
  }

  /** Copies rank 0's parameters and buffers to every rank. */
  syncModuleState(): void {
    if (this.worldSize === 1) return;
    const ts = [...this.module.parameters(), ...this.module.buffers_()];
    bucketed(ts, this.capBytes, (flat) => this.group.broadcastAsync(flat, 0));
  }

  /** Copies rank 0's buffers (BatchNorm running statistics, ...) to every rank. */
  syncBuffers(): void {
    if (this.worldSize === 1) return;
    const bs = this.module.buffers_();
    if (bs.length) bucketed(bs, this.capBytes, (flat) => this.group.broadcastAsync(flat, 0));
  }

  /** Averages the parameters' gradients over the ranks (call after backward, before the optimiser step). */
  syncGradients(): GradientSyncReport {
    const named = [...this.module.namedParameters()].filter(([, p]) => p.requiresGrad);
    const W = this.worldSize;
    return torch.tidy(() => {
      const grads = named.map(([, p]) => p.grad);
      const report: GradientSyncReport = { reduced: 0, buckets: 0, unused: [], partiallyUsed: [] };
      let counts: number[];
      if (W === 1) counts = grads.map((g) => (g ? 1 : 0));
      else {
        const mask = torch.tensor(grads.map((g) => (g ? 1 : 0)), { dtype: 'int32' });
        this.group.allReduce(mask, 'sum');
        counts = Array.from(mask.toTypedArray() as Int32Array);
      }
      counts.forEach((c, i) => {
        if (c === 0) report.unused.push(named[i]![0]);
        else if (c < W) report.partiallyUsed.push(named[i]![0]);
      });
      if (!this.findUnusedParameters && (report.unused.length || report.partiallyUsed.length)) {
        const names = [...report.unused, ...report.partiallyUsed];
        throw new DistributedError(
          `DistributedDataParallel: ${names.length} parameter(s) received no gradient on some rank: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''}. ` +
            'Make every parameter take part in the loss, or pass findUnusedParameters: true.',
        );
      }
      if (W === 1) {
        report.reduced = grads.filter((g) => g).length;
        return report;
      }
      const toReduce: Tensor[] = [];
      // Reverse registration order, as PyTorch's buckets (gradients of the last layers come first).
      for (let i = named.length - 1; i >= 0; i--) {
        if (counts[i] === 0) continue;
        let g = grads[i];
        if (!g) {
          const p = named[i]![1];
          p.grad = torch.zerosLike(p);
          g = p.grad!;
        }
        toReduce.push(g);
      }
      report.reduced = toReduce.length;
      report.buckets = bucketed(toReduce, this.capBytes, (flat) => this.group.allReduceAsync(flat, 'sum'), (flat) => flat.div_(W));
      return report;
    });
  }
}
