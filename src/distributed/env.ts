// Where a process sits in a distributed job, from the launcher's environment: torchrun's variables
// (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR, MASTER_PORT; also what `gdt launch`
// sets) or SLURM's (SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID, SLURM_NODEID, SLURM_JOB_NODELIST,
// SLURM_TASKS_PER_NODE). The reference reads SLURM's world size as SLURM_NNODES times the *first
// character* of SLURM_TASKS_PER_NODE and never derives the master address (SPEC 8.1, 13.1.3);
// here SLURM_NTASKS (or the full SLURM_TASKS_PER_NODE expansion) gives the world size and the first
// host of the node list the master address.

export type Env = Readonly<Record<string, string | undefined>>;

export interface DistEnv {
  rank: number;
  worldSize: number;
  localRank: number;
  localWorldSize: number;
  /** Index of this node among the job's nodes. */
  nodeRank: number;
  masterAddr: string;
  masterPort: number;
  /** Which variables it came from. */
  source: 'torchrun' | 'slurm' | 'single';
}

export const DEFAULT_MASTER_PORT = 29500;

/** A variable's integer value (undefined when unset or empty); throws naming it when malformed. */
function intVar(env: Env, name: string, min = 0): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const v = Number(raw.trim());
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${name}='${raw}' is not an integer >= ${min}`);
  return v;
}

function portVar(env: Env, name: string): number | undefined {
  const p = intVar(env, name, 1);
  if (p !== undefined && p > 65535) throw new RangeError(`${name}='${env[name]}' is not a TCP port (1-65535)`);
  return p;
}

/**
 * SLURM_TASKS_PER_NODE / SLURM_JOB_CPUS_PER_NODE syntax, one count per node: `8(x2)` -> [8, 8],
 * `2(x3),1` -> [2, 2, 2, 1], `4,4,3` -> [4, 4, 3].
 */
export function parseTasksPerNode(s: string): number[] {
  const out: number[] = [];
  for (const part of s.split(',')) {
    const m = /^\s*(\d+)\s*(?:\(\s*x\s*(\d+)\s*\))?\s*$/.exec(part);
    if (!m) throw new RangeError(`cannot parse SLURM tasks-per-node '${s}' (expected forms like '8', '8(x2)', '2(x3),1')`);
    const n = Number(m[1]);
    const times = m[2] === undefined ? 1 : Number(m[2]);
    for (let i = 0; i < times; i++) out.push(n);
  }
  return out;
}

/** Splits on commas outside brackets: `a[1-2,5],b` -> [`a[1-2,5]`, `b`]. */
function splitTopLevel(s: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '[') depth++;
    else if (ch === ']') depth--;
    if (depth < 0) throw new RangeError(`unbalanced ']' in SLURM node list '${s}'`);
    if (ch === ',' && depth === 0) {
      parts.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (depth !== 0) throw new RangeError(`unbalanced '[' in SLURM node list '${s}'`);
  parts.push(cur);
  return parts.map((p) => p.trim()).filter((p) => p.length > 0);
}

/** `01-04,07` -> ['01', '02', '03', '04', '07'] (zero padding kept, as SLURM does). */
function expandRange(body: string, whole: string): string[] {
  const out: string[] = [];
  for (const item of body.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(item);
    if (!m) throw new RangeError(`cannot parse range '${item}' in SLURM node list '${whole}'`);
    const lo = m[1]!;
    const hi = m[2];
    if (hi === undefined) {
      out.push(lo);
      continue;
    }
    const a = Number(lo);
    const b = Number(hi);
    if (b < a) throw new RangeError(`descending range '${item}' in SLURM node list '${whole}'`);
    if (b - a > 100_000) throw new RangeError(`range '${item}' in SLURM node list '${whole}' is too large`);
    const width = lo.length;
    for (let v = a; v <= b; v++) out.push(String(v).padStart(width, '0'));
  }
  return out;
}

/**
 * Expands a SLURM host list: `node[01-04,07]` -> node01..node04, node07; `gpu-[1-3]` -> gpu-1..3;
 * `a[1-2],b` -> a1, a2, b; several bracket groups multiply (`r[1-2]n[1-2]` -> r1n1, r1n2, r2n1, r2n2).
 */
export function expandNodelist(list: string): string[] {
  const hosts: string[] = [];
  for (const part of splitTopLevel(list)) {
    let acc = [''];
    const re = /\[([^\]]*)\]/g;
    let last = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(part))) {
      const prefix = part.slice(last, m.index);
      const values = expandRange(m[1]!, list);
      acc = acc.flatMap((a) => values.map((v) => a + prefix + v));
      last = m.index + m[0].length;
    }
    const suffix = part.slice(last);
    hosts.push(...acc.map((a) => a + suffix));
  }
  return hosts;
}

/** The first host of a SLURM host list (rank 0 runs there when tasks are placed in order). */
export function firstHost(list: string): string {
  const parts = splitTopLevel(list);
  if (!parts.length) throw new RangeError(`empty SLURM node list '${list}'`);
  // Expand only the first part, and only its first value per bracket group.
  const first = parts[0]!.replace(/\[([^\]]*)\]/g, (_, body: string) => expandRange(body.split(',')[0]!, list)[0]!);
  return first;
}

/** A port for the job from SLURM_JOB_ID (so concurrent jobs sharing a node differ): 15000-34999. */
export function slurmPort(jobId: number): number {
  return 15000 + (jobId % 20000);
}

function slurmNodelist(env: Env): string | undefined {
  return env.SLURM_STEP_NODELIST || env.SLURM_JOB_NODELIST || env.SLURM_NODELIST || undefined;
}

/**
 * This process's place in the job. torchrun-style variables (RANK and WORLD_SIZE both set) take
 * precedence over SLURM's (SLURM_PROCID set), so `gdt launch` under `srun` works; with neither, a
 * single process (rank 0 of 1 on 127.0.0.1).
 */
export function resolveDistEnv(env: Env = process.env): DistEnv {
  const rank = intVar(env, 'RANK');
  const worldSize = intVar(env, 'WORLD_SIZE', 1);
  if (rank !== undefined || worldSize !== undefined) {
    if (rank === undefined || worldSize === undefined) throw new RangeError('RANK and WORLD_SIZE must be set together');
    if (rank >= worldSize) throw new RangeError(`RANK=${rank} is outside WORLD_SIZE=${worldSize}`);
    const localRank = intVar(env, 'LOCAL_RANK') ?? rank;
    const localWorldSize = intVar(env, 'LOCAL_WORLD_SIZE', 1) ?? worldSize;
    const nodeRank = intVar(env, 'GROUP_RANK') ?? intVar(env, 'NODE_RANK') ?? Math.floor(rank / localWorldSize);
    const masterAddr = env.MASTER_ADDR || (worldSize === 1 ? '127.0.0.1' : undefined);
    if (!masterAddr) throw new RangeError(`MASTER_ADDR is not set (needed with WORLD_SIZE=${worldSize})`);
    const masterPort = portVar(env, 'MASTER_PORT') ?? DEFAULT_MASTER_PORT;
    return { rank, worldSize, localRank, localWorldSize, nodeRank, masterAddr, masterPort, source: 'torchrun' };
  }
  const procId = intVar(env, 'SLURM_PROCID');
  if (procId !== undefined) {
    const perNode = env.SLURM_STEP_TASKS_PER_NODE || env.SLURM_TASKS_PER_NODE;
    const counts = perNode ? parseTasksPerNode(perNode) : undefined;
    const ntasks = intVar(env, 'SLURM_STEP_NUM_TASKS', 1) ?? intVar(env, 'SLURM_NTASKS', 1) ?? intVar(env, 'SLURM_NPROCS', 1) ?? counts?.reduce((a, b) => a + b, 0);
    if (ntasks === undefined) throw new RangeError('SLURM_PROCID is set but neither SLURM_NTASKS nor SLURM_TASKS_PER_NODE is');
    if (procId >= ntasks) throw new RangeError(`SLURM_PROCID=${procId} is outside SLURM_NTASKS=${ntasks}`);
    const nodeRank = intVar(env, 'SLURM_NODEID') ?? 0;
    const localRank = intVar(env, 'SLURM_LOCALID') ?? 0;
    const localWorldSize = counts?.[nodeRank] ?? Math.max(1, Math.floor(ntasks / (intVar(env, 'SLURM_NNODES', 1) ?? 1)));
    const list = slurmNodelist(env);
    const masterAddr = env.MASTER_ADDR || (list ? firstHost(list) : ntasks === 1 ? '127.0.0.1' : undefined);
    if (!masterAddr) throw new RangeError('under SLURM without SLURM_JOB_NODELIST: set MASTER_ADDR');
    const jobId = intVar(env, 'SLURM_JOB_ID') ?? intVar(env, 'SLURM_JOBID');
    const masterPort = portVar(env, 'MASTER_PORT') ?? (jobId !== undefined ? slurmPort(jobId) : DEFAULT_MASTER_PORT);
    return { rank: procId, worldSize: ntasks, localRank, localWorldSize, nodeRank, masterAddr, masterPort, source: 'slurm' };
  }
  return {
    rank: 0,
    worldSize: 1,
    localRank: 0,
    localWorldSize: 1,
    nodeRank: 0,
    masterAddr: env.MASTER_ADDR || '127.0.0.1',
    masterPort: portVar(env, 'MASTER_PORT') ?? DEFAULT_MASTER_PORT,
    source: 'single',
  };
}

/**
 * `gdt launch`'s defaults when it runs as one SLURM task per node (`srun --ntasks-per-node=1 gdt
 * launch ...`): the node count, this node's index and the master from SLURM. Undefined fields
 * mean "not under such a step".
 */
export function slurmLaunchDefaults(env: Env = process.env): { nnodes?: number; nodeRank?: number; masterAddr?: string; masterPort?: number } {
  const procId = intVar(env, 'SLURM_PROCID');
  const nnodes = intVar(env, 'SLURM_NNODES', 1) ?? intVar(env, 'SLURM_JOB_NUM_NODES', 1);
  const ntasks = intVar(env, 'SLURM_STEP_NUM_TASKS', 1) ?? intVar(env, 'SLURM_NTASKS', 1);
  if (procId === undefined || nnodes === undefined || ntasks !== nnodes) return {};
  const list = slurmNodelist(env);
  const jobId = intVar(env, 'SLURM_JOB_ID') ?? intVar(env, 'SLURM_JOBID');
  return {
    nnodes,
    nodeRank: intVar(env, 'SLURM_NODEID') ?? procId,
    masterAddr: env.MASTER_ADDR || (list ? firstHost(list) : undefined),
    masterPort: portVar(env, 'MASTER_PORT') ?? (jobId !== undefined ? slurmPort(jobId) : undefined),
  };
}

export function isLoopback(addr: string): boolean {
  return addr === 'localhost' || addr === '::1' || /^127\./.test(addr);
}
