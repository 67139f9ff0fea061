// torch.distributed.init_process_group for gdt: env:// rendezvous through a TCPStore on
// MASTER_ADDR:MASTER_PORT (rank 0 serves it), then the default process group.
import { resolveDistEnv, isLoopback, type DistEnv, type Env } from './env.js';
import { ProcessGroup, Store, DistributedError, DEFAULT_TIMEOUT_MS, type Backend } from './process-group.js';

export interface InitOptions {
  /** 'gloo' (CPU) or 'nccl' (CUDA builds); default GDT_DIST_BACKEND or 'gloo'. */
  backend?: Backend;
  /** Timeout of every collective; default GDT_DIST_TIMEOUT (seconds) or 30 minutes (the reference uses 4800 s). */
  timeoutMs?: number;
  /**
   * How long the ranks may take to all reach the rendezvous (store connection and group
   * creation); default timeoutMs. Ranks of one job start seconds apart, so keep it generous even
   * when collectives get a short timeout.
   */
  rendezvousTimeoutMs?: number;
  /** Overrides of what the environment says (rank, worldSize, masterAddr, masterPort). */
  rank?: number;
  worldSize?: number;
  masterAddr?: string;
  masterPort?: number;
  /** The environment to read (default process.env). */
  env?: Env;
}

let defaultGroup: ProcessGroup | undefined;
let defaultEnv: DistEnv | undefined;
let groupCounter = 0;
let baseStore: Store | undefined;

/** GDT_DIST_BACKEND: 'gloo' (default) or 'nccl' (what the SLURM templates set on GPU nodes). */
function backendFromEnv(env: Env): Backend {
  const b = env.GDT_DIST_BACKEND?.trim().toLowerCase();
  if (!b) return 'gloo';
  if (b !== 'gloo' && b !== 'nccl') throw new RangeError(`GDT_DIST_BACKEND='${env.GDT_DIST_BACKEND}' must be gloo or nccl`);
  return b;
}

/** A duration in seconds from the environment, in ms (GDT_DIST_TIMEOUT=4800 as the reference). */
function secondsFromEnv(env: Env, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v.trim() === '') return undefined;
  const s = Number(v);
  if (!(s > 0)) throw new RangeError(`${name}='${v}' must be a positive number of seconds`);
  return s * 1000;
}

/** The Gloo transport address: GLOO_SOCKET_IFNAME, the loopback when the master is local, else this host. */
function glooDevice(env: Env, masterAddr: string): { iface?: string; hostname?: string } {
  const iface = env.GLOO_SOCKET_IFNAME?.split(',')[0]?.trim();
  if (iface) return { iface };
  if (isLoopback(masterAddr)) return { hostname: '127.0.0.1' };
  return {};
}

/**
 * Joins the job's default process group (every rank calls it). Reads torchrun's or SLURM's
 * variables (see resolveDistEnv); rank 0 starts the TCPStore on MASTER_PORT. Fails with a
 * DistributedError naming the address, rank and timeout when the others do not join in time.
 */
export async function initProcessGroup(o: InitOptions = {}): Promise<ProcessGroup> {
  if (defaultGroup) throw new DistributedError('the default process group is already initialised (destroyProcessGroup() first)');
  const env = o.env ?? process.env;
  const base = resolveDistEnv(env);
  const d: DistEnv = {
    ...base,
    rank: o.rank ?? base.rank,
    worldSize: o.worldSize ?? base.worldSize,
    masterAddr: o.masterAddr ?? base.masterAddr,
    masterPort: o.masterPort ?? base.masterPort,
  };
  const backend = o.backend ?? backendFromEnv(env);
  const timeoutMs = o.timeoutMs ?? secondsFromEnv(env, 'GDT_DIST_TIMEOUT') ?? DEFAULT_TIMEOUT_MS;
  const rendezvousMs = o.rendezvousTimeoutMs ?? timeoutMs;
  if (d.rank < 0 || d.rank >= d.worldSize) throw new RangeError(`rank ${d.rank} is outside world size ${d.worldSize}`);
  const where = `${d.masterAddr}:${d.masterPort}`;
  let store: Store;
  try {
    store = await Store.tcp({ host: d.masterAddr, port: d.masterPort, worldSize: d.worldSize, isServer: d.rank === 0, timeoutMs: rendezvousMs, waitWorkers: false });
  } catch (e) {
    throw new DistributedError(
      `initProcessGroup: rank ${d.rank} of ${d.worldSize} could not rendezvous at ${where} within ${rendezvousMs} ms: ` +
        `${e instanceof Error ? e.message : String(e)}. Check that all ${d.worldSize} ranks were started with the same MASTER_ADDR/MASTER_PORT and that the port is free on the master and reachable.`,
    );
  }
  // A counter on the store tells, if the group cannot form, how many ranks got this far.
  const joinedKey = 'gdt/joined';
  try {
    store.add(joinedKey, 1);
  } catch {
    // diagnostics only
  }
  let group: ProcessGroup;
  try {
    group = await ProcessGroup.create({
      backend,
      store: store.prefixed('default_pg/'),
      rank: d.rank,
      worldSize: d.worldSize,
      timeoutMs,
      device: backend === 'gloo' ? glooDevice(env, d.masterAddr) : {},
    });
  } catch (e) {
    let joined = '';
    try {
      const n = store.add(joinedKey, 0);
      if (n < d.worldSize) joined = `only ${n} of ${d.worldSize} ranks reached the rendezvous at ${where} within ${rendezvousMs} ms (the others were not started, failed early, or cannot reach ${where}); `;
    } catch {
      // the store itself is gone (rank 0 stopped)
    }
    store.release();
    throw new DistributedError(
      `initProcessGroup: rank ${d.rank} of ${d.worldSize} could not create the ${backend} group: ${joined}${e instanceof Error ? e.message : String(e)}`,
    );
  }
  defaultGroup = group;
  defaultEnv = d;
  baseStore = store;
  groupCounter = 0;
  return group;
}

export function isInitialized(): boolean {
  return defaultGroup !== undefined;
}

/** The default group; throws when initProcessGroup was not called. */
export function getDefaultGroup(): ProcessGroup {
  if (!defaultGroup) throw new DistributedError('the default process group is not initialised: call initProcessGroup() first');
  return defaultGroup;
}

/** Where this process sits (as resolved by initProcessGroup), or undefined before it. */
export function getDistEnv(): DistEnv | undefined {
  return defaultEnv;
}

export function getRank(): number {
  return defaultGroup?.rank ?? 0;
}
export function getWorldSize(): number {
  return defaultGroup?.worldSize ?? 1;
}

/**
 * A group over a subset of the default group's ranks (torch.distributed.new_group): every rank of
 * the default group calls it with the same `ranks`; ranks outside get undefined.
 */
export async function newGroup(ranks: readonly number[], o: { timeoutMs?: number; backend?: Backend } = {}): Promise<ProcessGroup | undefined> {
  const g = getDefaultGroup();
  const sorted = [...new Set(ranks)].sort((a, b) => a - b);
  if (sorted.some((r) => !Number.isInteger(r) || r < 0 || r >= g.worldSize)) throw new RangeError(`newGroup: ranks must be in [0, ${g.worldSize})`);
  const id = ++groupCounter;
  const index = sorted.indexOf(g.rank);
  if (index < 0) return undefined;
  const env = process.env;
  return ProcessGroup.create({
    backend: o.backend ?? g.backend,
    store: baseStore!.prefixed(`group_${id}/`),
    rank: index,
    worldSize: sorted.length,
    timeoutMs: o.timeoutMs ?? g.timeoutMs,
    device: (o.backend ?? g.backend) === 'gloo' ? glooDevice(env, defaultEnv?.masterAddr ?? '127.0.0.1') : {},
  });
}

/** Destroys the default group (torch.distributed.destroy_process_group). */
export function destroyProcessGroup(): void {
  const g = defaultGroup;
  defaultGroup = undefined;
  defaultEnv = undefined;
  if (g) {
    g.destroy();
    g.store.release();
  }
  baseStore?.release();
  baseStore = undefined;
}
