// `gdt launch`'s supervisor (torchrun's role): starts this node's ranks with torchrun's variables,
// forwards signals to them, and when one rank fails stops the others and reports which rank failed
// and why. Used by src/cli/commands/launch.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { constants as osConstants } from 'node:os';

export interface LaunchOptions {
  nprocPerNode: number;
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
  /**
   * What each rank runs: a gdt command line (`['pretrain', 'gdt', ...]`), or with `exec` an
   * executable and its arguments.
   */
  command: readonly string[];
  exec?: boolean;
  /** Base environment (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Prefix every output line with `[rank N]` (default true); false passes the streams through. */
  prefixOutput?: boolean;
  /** How long stopping ranks get after SIGTERM before SIGKILL, in ms (default 30 s). */
  graceMs?: number;
  /** Where the launcher's own messages go (default console.error). */
  log?: (line: string) => void;
  /** Where prefixed rank output goes (default console.log / console.error). */
  out?: (line: string) => void;
  err?: (line: string) => void;
}

export interface RankExit {
  rank: number;
  localRank: number;
  pid: number | undefined;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Why the process could not be started (spawn error), if so. */
  error?: string;
}

export interface LaunchResult {
  /** 0 when every rank exited 0; otherwise the first failing rank's code (128 + signal number when killed). */
  exitCode: number;
  /** The first rank that failed (the reason the others were stopped). */
  failed: RankExit | undefined;
  exits: RankExit[];
  /** Human-readable reason when failed. */
  reason: string | undefined;
}

/** A free TCP port on this host (for a single-node job without MASTER_PORT). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** How to start the gdt CLI in a child: the TypeScript entry under tsx, or the compiled one. */
export function gdtEntry(): { node: string; args: string[] } {
  const here = import.meta.url;
  if (here.endsWith('.ts')) return { node: process.execPath, args: ['--import', 'tsx', fileURLToPath(new URL('../cli/run.ts', here))] };
  return { node: process.execPath, args: [fileURLToPath(new URL('../cli/run.js', here))] };
}

export function describeExit(e: RankExit): string {
  const who = `rank ${e.rank} (local rank ${e.localRank}${e.pid !== undefined ? `, pid ${e.pid}` : ''})`;
  if (e.error) return `${who} could not be started: ${e.error}`;
  if (e.signal) return `${who} was killed by ${e.signal}`;
  return `${who} exited with code ${e.code}`;
}

function exitCodeOf(e: RankExit): number {
  if (e.signal) return 128 + ((osConstants.signals as Record<string, number>)[e.signal] ?? 0);
  return e.code ?? 1;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1', 'SIGUSR2'];

/** Starts the ranks of this node and supervises them until all have exited. */
export async function launch(o: LaunchOptions): Promise<LaunchResult> {
  const nproc = o.nprocPerNode;
  const nnodes = o.nnodes ?? 1;
  const nodeRank = o.nodeRank ?? 0;
  if (!Number.isInteger(nproc) || nproc < 1) throw new RangeError(`--nproc-per-node must be a positive integer, got ${nproc}`);
  if (!Number.isInteger(nnodes) || nnodes < 1) throw new RangeError(`--nnodes must be a positive integer, got ${nnodes}`);
  if (!Number.isInteger(nodeRank) || nodeRank < 0 || nodeRank >= nnodes) throw new RangeError(`--node-rank ${nodeRank} is outside [0, ${nnodes})`);
  if (!o.command.length) throw new RangeError('nothing to launch: give the command after --');
  const base = o.env ?? process.env;
  const masterAddr = o.masterAddr ?? (nnodes === 1 ? '127.0.0.1' : undefined);
  if (!masterAddr) throw new RangeError('--master-addr is needed with --nnodes > 1 (the host of node rank 0)');
  const masterPort = o.masterPort ?? (nnodes === 1 ? await freePort() : 29500);
  const worldSize = nnodes * nproc;
  const log = o.log ?? ((s: string) => console.error(s));
  const out = o.out ?? ((s: string) => console.log(s));
  const err = o.err ?? ((s: string) => console.error(s));
  const prefix = o.prefixOutput ?? true;
  const graceMs = o.graceMs ?? 30_000;
  const threads = base.OMP_NUM_THREADS ?? String(Math.max(1, Math.floor(availableParallelism() / nproc)));
  const [file, args] = o.exec ? [o.command[0]!, o.command.slice(1)] : ((e) => [e.node, [...e.args, ...o.command]] as const)(gdtEntry());

  const exits: RankExit[] = [];
  let failed: RankExit | undefined;
  let stopping = false;
  let killTimer: NodeJS.Timeout | undefined;
  const children: { child: ChildProcess; rank: number; localRank: number; exited: boolean }[] = [];

  const stopAll = (why: string): void => {
    if (stopping) return;
    stopping = true;
    const running = children.filter((c) => !c.exited);
    if (!running.length) return;
    log(`gdt launch: ${why}; stopping rank${running.length > 1 ? 's' : ''} ${running.map((c) => c.rank).join(', ')} (SIGTERM, SIGKILL after ${graceMs / 1000} s)`);
    for (const c of running) c.child.kill('SIGTERM');
    killTimer = setTimeout(() => {
      for (const c of children) if (!c.exited) c.child.kill('SIGKILL');
    }, graceMs);
    killTimer.unref();
  };

  const onSignal = (sig: NodeJS.Signals): void => {
    log(`gdt launch: ${sig} received, forwarding it to the ranks`);
    for (const c of children) if (!c.exited) c.child.kill(sig);
    if (sig !== 'SIGUSR1' && sig !== 'SIGUSR2' && !killTimer) {
      // The ranks get graceMs to finish (checkpoint) after an interrupt, then are killed.
      killTimer = setTimeout(() => {
        for (const c of children) if (!c.exited) c.child.kill('SIGKILL');
      }, graceMs);
      killTimer.unref();
    }
  };
  for (const s of FORWARDED) process.on(s, onSignal);

  const pipeLines = (stream: NodeJS.ReadableStream | null, tag: string, sink: (s: string) => void): void => {
    if (!stream) return;
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n')) >= 0) {
        sink(`${tag}${buf.slice(0, i).replace(/\r$/, '')}`);
        buf = buf.slice(i + 1);
      }
    });
    stream.on('end', () => {
      if (buf) sink(`${tag}${buf}`);
      buf = '';
    });
  };

  try {
    const finished = Array.from({ length: nproc }, (_, localRank) => {
      const rank = nodeRank * nproc + localRank;
      const env: NodeJS.ProcessEnv = {
        ...base,
        RANK: String(rank),
        LOCAL_RANK: String(localRank),
        WORLD_SIZE: String(worldSize),
        LOCAL_WORLD_SIZE: String(nproc),
        GROUP_RANK: String(nodeRank),
        NODE_RANK: String(nodeRank),
        MASTER_ADDR: masterAddr,
        MASTER_PORT: String(masterPort),
        OMP_NUM_THREADS: threads,
        GDT_LAUNCHED: '1',
      };
      const child = spawn(file, args, { env, stdio: prefix ? ['ignore', 'pipe', 'pipe'] : ['ignore', 'inherit', 'inherit'] });
      const entry = { child, rank, localRank, exited: false };
      children.push(entry);
      if (prefix) {
        pipeLines(child.stdout, `[rank ${rank}] `, out);
        pipeLines(child.stderr, `[rank ${rank}] `, err);
      }
      return new Promise<void>((resolve) => {
        let spawnError: Error | undefined;
        child.once('error', (e) => (spawnError = e));
        child.once('close', (code, signal) => {
          entry.exited = true;
          const e: RankExit = spawnError
            ? { rank, localRank, pid: child.pid, code: 127, signal: null, error: spawnError.message }
            : { rank, localRank, pid: child.pid, code, signal };
          exits.push(e);
          const bad = e.signal !== null || e.code !== 0;
          if (bad && !failed && !stopping) {
            failed = e;
            stopAll(describeExit(e));
          }
          resolve();
        });
      });
    });
    log(`gdt launch: ${nproc} rank(s) on node ${nodeRank} of ${nnodes} (world size ${worldSize}, master ${masterAddr}:${masterPort})`);
    await Promise.all(finished);
  } finally {
    for (const s of FORWARDED) process.off(s, onSignal);
    if (killTimer) clearTimeout(killTimer);
  }
  exits.sort((a, b) => a.rank - b.rank);
  if (!failed) {
    // Stopped by a forwarded signal: report the first non-zero exit, if any.
    const bad = exits.find((e) => e.signal !== null || e.code !== 0);
    if (bad) return { exitCode: exitCodeOf(bad), failed: bad, exits, reason: describeExit(bad) };
    return { exitCode: 0, failed: undefined, exits, reason: undefined };
  }
  return { exitCode: exitCodeOf(failed), failed, exits, reason: describeExit(failed) };
}
