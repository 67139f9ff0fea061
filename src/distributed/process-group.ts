// A c10d process group (Gloo on CPU, NCCL in CUDA builds) and its collectives, as
// torch.distributed: in-place all-reduce (sum, avg, product, min, max, bitwise), all-gather (equal
// or unequal sizes), broadcast, reduce-scatter, barrier. Every collective has a blocking form and
// an async form returning a Work. Errors carry libtorch's message plus which collective, rank and
// group failed.
//
// Blocking: `wait()` blocks the JavaScript thread until the collective finishes, fails or its
// timeout passes (the group's timeout by default, so a hung peer becomes an Error, never an endless
// hang); `waitAsync()` waits on libuv's thread pool and keeps the event loop free.
import * as torch from '../torch/index.js';
import type { Tensor } from '../torch/index.js';
import { native, type DistGroupHandle, type DistStoreHandle, type DistWorkHandle } from '../torch/native.js';

export type Backend = 'gloo' | 'nccl';
export type ReduceOp = 'sum' | 'avg' | 'product' | 'min' | 'max' | 'band' | 'bor' | 'bxor';

/** c10d::ReduceOp codes; AVG is done as SUM then a division (Gloo has no AVG). */
const OP_CODE: Record<Exclude<ReduceOp, 'avg'>, number> = { sum: 0, product: 2, min: 3, max: 4, band: 5, bor: 6, bxor: 7 };

function opCode(op: ReduceOp): number {
  if (op === 'avg') return OP_CODE.sum;
  const c = OP_CODE[op];
  if (c === undefined) throw new TypeError(`unknown reduce op '${String(op)}' (sum, avg, product, min, max, band, bor, bxor)`);
  return c;
}

export class DistributedError extends Error {
  override name = 'DistributedError';
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A key-value store shared by the ranks (c10d TCPStore, or a prefixed view of one). */
export class Store {
  /** @internal */
  constructor(readonly handle: DistStoreHandle) {}

  /**
   * Connects to (rank 0: starts) the TCPStore at host:port. The server waits until `worldSize`
   * stores joined; clients retry until `timeoutMs`.
   */
  static async tcp(o: { host: string; port: number; worldSize: number; isServer: boolean; timeoutMs: number; waitWorkers?: boolean }): Promise<Store> {
    return new Store(await native.distTcpStore(o.host, o.port, o.worldSize, o.isServer, o.timeoutMs, o.waitWorkers ?? true));
  }
  prefixed(prefix: string): Store {
    return new Store(native.distPrefixStore(this.handle, prefix));
  }
  set(key: string, value: string | Uint8Array): void {
    native.distStoreSet(this.handle, key, value);
  }
  /** Waits for the key (up to the store's timeout). */
  get(key: string): Uint8Array {
    return native.distStoreGet(this.handle, key);
  }
  getString(key: string): string {
    return Buffer.from(this.get(key)).toString('utf8');
  }
  add(key: string, amount: number): number {
    return native.distStoreAdd(this.handle, key, amount);
  }
  release(): void {
    native.distRelease(this.handle);
  }
}

/**
 * A collective in flight (one or more c10d works). `wait` / `waitAsync` return its result (the
 * reduced or gathered tensors).
 */
export class Work<T> {
  private done = false;
  private value: T | undefined;
  /** @internal */
  constructor(
    private readonly handles: readonly DistWorkHandle[],
    private readonly what: string,
    private readonly group: ProcessGroup,
    private readonly finish: () => T,
  ) {}

  isCompleted(): boolean {
    return this.done || this.handles.every((h) => native.distIsCompleted(h));
  }

  /** Blocks until done; throws on failure or after `timeoutMs` (default: the group's timeout). */
  wait(timeoutMs = this.group.timeoutMs): T {
    if (this.done) return this.value!;
    const t0 = Date.now();
    try {
      for (const h of this.handles) native.distWait(h, timeoutMs > 0 ? Math.max(1, timeoutMs - (Date.now() - t0)) : 0);
    } catch (e) {
      throw this.failure(e, timeoutMs);
    }
    return this.complete();
  }

  /** Waits on the thread pool (the event loop stays free). */
  async waitAsync(timeoutMs = this.group.timeoutMs): Promise<T> {
    if (this.done) return this.value!;
    try {
      await Promise.all(this.handles.map((h) => native.distWaitAsync(h, timeoutMs)));
    } catch (e) {
      throw this.failure(e, timeoutMs);
    }
    return this.complete();
  }

  private complete(): T {
    if (!this.done) {
      this.value = this.finish();
      this.done = true;
      for (const h of this.handles) native.distRelease(h);
    }
    return this.value!;
  }

  private failure(e: unknown, timeoutMs: number): DistributedError {
    const g = this.group;
    const msg = message(e);
    const timedOut = /timed out|timeout/i.test(msg);
    return new DistributedError(
      `${this.what} on rank ${g.rank} of ${g.worldSize} (${g.backend}) failed: ${msg}` +
        (timedOut ? ` (timeout ${timeoutMs > 0 ? timeoutMs : g.timeoutMs} ms; a peer rank may have stopped or be stuck)` : ''),
    );
  }
}

/**
 * c10d's tensor lists mean "one tensor per device" (all reduced together), so several tensors are
 * coalesced: per dtype and device one flat contiguous buffer (the tensor itself when alone and
 * contiguous), written back after the collective.
 */
interface Coalesced {
  buffers: Tensor[];
  writeBack(map?: (buffer: Tensor) => void): void;
}
function coalesce(ts: readonly Tensor[]): Coalesced {
  const groups = new Map<string, Tensor[]>();
  for (const t of ts) {
    const k = `${t.dtype}/${t.device}`;
    const g = groups.get(k);
    if (g) g.push(t);
    else groups.set(k, [t]);
  }
  const plan = [...groups.values()].map((members) => {
    if (members.length === 1 && members[0]!.isContiguous()) return { members, buffer: members[0]!, own: false };
    const buffer = torch.keep(torch.noGrad(() => (members.length === 1 ? members[0]!.detach().contiguous() : torch.cat(members.map((m) => m.detach().reshape([-1])), 0))));
    return { members, buffer, own: true };
  });
  return {
    buffers: plan.map((p) => p.buffer),
    writeBack(map) {
      torch.noGrad(() =>
        torch.tidy(() => {
          for (const p of plan) {
            map?.(p.buffer);
            if (!p.own) continue;
            if (p.members.length === 1) p.members[0]!.copy_(p.buffer);
            else {
              let offset = 0;
              for (const m of p.members) {
                m.copy_(p.buffer.narrow(0, offset, m.numel).view(m.shape));
                offset += m.numel;
              }
            }
            p.buffer.dispose();
          }
        }),
      );
    },
  };
}

export interface GroupOptions {
  backend?: Backend;
  store: Store;
  rank: number;
  worldSize: number;
  /** Timeout of every collective and of the group's rendezvous; default 30 minutes. */
  timeoutMs?: number;
  /** Gloo transport: an interface name (GLOO_SOCKET_IFNAME) or an address/hostname to bind. */
  device?: { iface?: string; hostname?: string };
}

export const DEFAULT_TIMEOUT_MS = 30 * 60 * 1000;

export class ProcessGroup {
  readonly rank: number;
  readonly worldSize: number;
  readonly backend: Backend;
  readonly timeoutMs: number;
  private h: DistGroupHandle | undefined;
  private reduceScatterNative: boolean | undefined;

  /** @internal Use ProcessGroup.create or initProcessGroup. */
  constructor(handle: DistGroupHandle, backend: Backend, timeoutMs: number, readonly store: Store) {
    this.h = handle;
    const i = native.distGroupInfo(handle);
    this.rank = i.rank;
    this.worldSize = i.size;
    this.backend = backend;
    this.timeoutMs = timeoutMs;
  }

  /** Creates a group over a store; every rank calls it, and it returns once all have joined. */
  static async create(o: GroupOptions): Promise<ProcessGroup> {
    const backend = o.backend ?? 'gloo';
    const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!Number.isInteger(o.worldSize) || o.worldSize < 1) throw new RangeError(`worldSize must be a positive integer, got ${o.worldSize}`);
    if (!Number.isInteger(o.rank) || o.rank < 0 || o.rank >= o.worldSize) throw new RangeError(`rank ${o.rank} is outside [0, ${o.worldSize})`);
    const h = await native.distNewGroup(backend, o.store.handle, o.rank, o.worldSize, timeoutMs, o.device ?? {});
    return new ProcessGroup(h, backend, timeoutMs, o.store);
  }

  /** @internal */
  get handle(): DistGroupHandle {
    if (!this.h) throw new DistributedError('this process group was destroyed');
    return this.h;
  }

  private work<T>(what: string, start: () => DistWorkHandle | DistWorkHandle[], finish: () => T): Work<T> {
    let h: DistWorkHandle | DistWorkHandle[];
    try {
      h = start();
    } catch (e) {
      throw new DistributedError(`${what} on rank ${this.rank} of ${this.worldSize} (${this.backend}) failed: ${message(e)}`);
    }
    return new Work(Array.isArray(h) ? h : [h], what, this, finish);
  }

  // ---- all-reduce ----

  /**
   * Reduces `tensors` in place across ranks (tensors of one dtype travel as one flat buffer).
   * Every rank passes the same shapes in the same order.
   */
  allReduceAsync(tensors: Tensor | readonly Tensor[], op: ReduceOp = 'sum'): Work<Tensor[]> {
    const ts = Array.isArray(tensors) ? [...tensors] : [tensors as Tensor];
    const code = opCode(op);
    const c = coalesce(ts);
    return this.work(
      `allReduce(${op})`,
      () => c.buffers.map((b) => native.distAllReduce(this.handle, [b.handle], code)),
      () => {
        c.writeBack(op === 'avg' ? (b) => b.div_(this.worldSize) : undefined);
        return ts;
      },
    );
  }
  /** Blocking in-place all-reduce; returns `t`. */
  allReduce<T extends Tensor | readonly Tensor[]>(t: T, op: ReduceOp = 'sum', timeoutMs?: number): T {
    this.allReduceAsync(t, op).wait(timeoutMs);
    return t;
  }

  // ---- broadcast ----

  /** Overwrites `tensors` with rank `src`'s, in place. */
  broadcastAsync(tensors: Tensor | readonly Tensor[], src = 0): Work<Tensor[]> {
    const ts = Array.isArray(tensors) ? [...tensors] : [tensors as Tensor];
    if (!Number.isInteger(src) || src < 0 || src >= this.worldSize) throw new RangeError(`broadcast: src ${src} is outside [0, ${this.worldSize})`);
    const c = coalesce(ts);
    return this.work(
      `broadcast(src ${src})`,
      () => c.buffers.map((b) => native.distBroadcast(this.handle, [b.handle], src)),
      () => {
        c.writeBack();
        return ts;
      },
    );
  }
  /** Blocking in-place broadcast from `src`; returns `t`. */
  broadcast<T extends Tensor | readonly Tensor[]>(t: T, src = 0, timeoutMs?: number): T {
    this.broadcastAsync(t, src).wait(timeoutMs);
    return t;
  }

  // ---- all-gather ----

  /**
   * Every rank's `t` (same shape and dtype on every rank), in rank order. The outputs are new
   * tensors owned by the caller's scope at the time of the call; they carry no gradient.
   */
  allGatherAsync(t: Tensor): Work<Tensor[]> {
    const input = torch.noGrad(() => t.detach().contiguous());
    const outputs = Array.from({ length: this.worldSize }, () => torch.empty(t.shape, { dtype: t.dtype, device: t.device }));
    return this.work(
      'allGather',
      () => native.distAllGather(this.handle, outputs.map((o) => o.handle), input.handle),
      () => outputs,
    );
  }
  allGather(t: Tensor, timeoutMs?: number): Tensor[] {
    return this.allGatherAsync(t).wait(timeoutMs);
  }
  /** All-gather concatenated along `dim` (torch.cat(all_gather(t), dim)). */
  allGatherCat(t: Tensor, dim = 0, timeoutMs?: number): Tensor {
    return torch.tidy(() => torch.cat(this.allGather(t, timeoutMs), dim));
  }

  /**
   * All-gather of tensors whose dim-0 sizes differ between ranks (other dims equal): gathers the
   * sizes first, pads every block to the largest, gathers, and cuts the padding off.
   */
  allGatherVariable(t: Tensor, timeoutMs?: number): Tensor[] {
    return torch.tidy(() => {
      const sizes = this.allGather(torch.tensor([t.ndim ? t.shape[0]! : 1], { dtype: 'int64' }), timeoutMs).map((s) => Number(s.item()));
      const max = Math.max(...sizes);
      const n = t.ndim ? t.shape[0]! : 1;
      const x = t.ndim ? t.detach() : t.detach().reshape([1]);
      const padded = n === max ? x : torch.cat([x, torch.zeros([max - n, ...x.shape.slice(1)], { dtype: t.dtype, device: t.device })], 0);
      const blocks = this.allGather(padded, timeoutMs);
      return blocks.map((b, r) => (sizes[r] === max ? b : b.narrow(0, 0, sizes[r]!).contiguous()));
    });
  }

  // ---- reduce-scatter ----

  /**
   * Reduces `inputs` (one tensor per rank, equal shapes) across ranks and returns this rank's
   * reduced block (torch.distributed.reduce_scatter). Gloo before libtorch 2.x has no
   * reduce_scatter: there it is an all-reduce of the stacked blocks followed by taking this
   * rank's block (same result, W times the traffic).
   */
  reduceScatter(inputs: readonly Tensor[], op: ReduceOp = 'sum', timeoutMs?: number): Tensor {
    if (inputs.length !== this.worldSize) throw new RangeError(`reduceScatter: expected ${this.worldSize} inputs (one per rank), got ${inputs.length}`);
    const shape = inputs[0]!.shape.join();
    if (inputs.some((x) => x.shape.join() !== shape)) throw new RangeError('reduceScatter: every input must have the same shape');
    if (this.reduceScatterNative !== false) {
      const out = torch.empty(inputs[0]!.shape, { dtype: inputs[0]!.dtype, device: inputs[0]!.device });
      const ins = torch.noGrad(() => inputs.map((x) => torch.keep(x.detach().contiguous())));
      try {
        this.work(`reduceScatter(${op})`, () => native.distReduceScatter(this.handle, out.handle, ins.map((x) => x.handle), opCode(op)), () => out).wait(timeoutMs);
        this.reduceScatterNative = true;
        if (op === 'avg') torch.noGrad(() => out.div_(this.worldSize));
        return out;
      } catch (e) {
        // Unsupported is reported when the op is issued, identically on every rank.
        if (!(e instanceof DistributedError) || !/does not support reduce_scatter/.test(e.message)) throw e;
        this.reduceScatterNative = false;
        out.dispose();
      } finally {
        ins.forEach((x) => x.dispose());
      }
    }
    return torch.tidy(() => {
      const all = torch.stack(inputs.map((x) => x.detach()), 0).contiguous();
      this.allReduce(all, op, timeoutMs);
      return all.select(0, this.rank).contiguous();
    });
  }

  // ---- barrier ----

  barrierAsync(): Work<void> {
    return this.work('barrier', () => native.distBarrier(this.handle), () => undefined);
  }
  barrier(timeoutMs?: number): void {
    this.barrierAsync().wait(timeoutMs);
  }

  // ---- differentiable collectives (for SyncBatchNorm) ----

  /**
   * All-reduce (sum) that autograd differentiates: the value is the sum over ranks, and in
   * backward the gradient reaching the result is itself summed over ranks before flowing into `t`
   * (torch.distributed.nn.functional.all_reduce). Every rank must run backward through it.
   */
  allReduceWithGrad(t: Tensor, timeoutMs?: number): Tensor {
    return torch.tidy(() => {
      const reduced = this.allReduce(torch.noGrad(() => t.detach().clone()), 'sum', timeoutMs);
      return this.attachGradSum(reduced, t, timeoutMs);
    });
  }

  /**
   * All-gather that autograd differentiates: `[worldSize, ...t.shape]`, row r = rank r's `t`. In
   * backward the gradient of the whole result is summed over ranks and this rank's row flows into
   * `t` (every rank's loss depends on every row).
   */
  allGatherWithGrad(t: Tensor, timeoutMs?: number): Tensor {
    return torch.tidy(() => {
      const rows = this.allGather(t, timeoutMs);
      const gathered = torch.stack(rows, 0);
      if (!t.requiresGrad || !torch.isGradEnabled()) return gathered;
      // Exactly the gathered values, with t's gradient path through this rank's row.
      const zero = t.sub(t.detach());
      const parts = rows.map((r, i) => (i === this.rank ? r.add(zero) : r));
      const out = torch.stack(parts, 0);
      native.distAllReduceGradHook(out.handle, this.handle, OP_CODE.sum, timeoutMs ?? this.timeoutMs);
      return out;
    });
  }

  /** `value` (no grad) made differentiable w.r.t. `t` with identity Jacobian and a summed gradient. */
  private attachGradSum(value: Tensor, t: Tensor, timeoutMs?: number): Tensor {
    if (!t.requiresGrad || !torch.isGradEnabled()) return value;
    // value + (t - t.detach()) equals value exactly and has d/dt = identity.
    const out = value.add(t.sub(t.detach()));
    native.distAllReduceGradHook(out.handle, this.handle, OP_CODE.sum, timeoutMs ?? this.timeoutMs);
    return out;
  }

  /** Frees the group (its threads are joined). Collectives on it afterwards throw. */
  destroy(): void {
    if (this.h) {
      native.distRelease(this.h);
      this.h = undefined;
    }
  }
}

/** Backends this build of the addon has. */
export function availableBackends(): { gloo: boolean; nccl: boolean } {
  return native.distInfo();
}
