// Runs test/distributed/worker.ts scenarios as real ranks (child processes over Gloo on 127.0.0.1)
// and collects each rank's JSON result.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../src/distributed/launch.js';
import { availableBackends } from '../../src/distributed/index.js';

export const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
export const REPO = fileURLToPath(new URL('../../', import.meta.url));

/** Why the multi-process tests cannot run here, or false. */
export const skipReason: string | false = availableBackends().gloo
  ? false
  : 'this gdt build has no Gloo (install libgloo-dev and rebuild: npm run build:native)';

export interface RankRun<R> {
  rank: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  result: R | undefined;
  error: string | undefined;
  output: string;
  ms: number;
}

/**
 * Starts `ranks` (default all of 0..world-1) running `scenario` with torchrun's variables; resolves
 * when all have exited (each is killed after `killAfterMs`).
 */
export async function runRanks<R>(
  scenario: string,
  world: number,
  o: { ranks?: number[]; env?: Record<string, string>; killAfterMs?: number; args?: string[] } = {},
): Promise<RankRun<R>[]> {
  const port = await freePort();
  const ranks = o.ranks ?? Array.from({ length: world }, (_, i) => i);
  return Promise.all(
    ranks.map(
      (rank) =>
        new Promise<RankRun<R>>((resolve) => {
          const t0 = performance.now();
          const child = spawn(process.execPath, ['--import', 'tsx', WORKER, scenario, ...(o.args ?? [])], {
            cwd: REPO,
            env: {
              ...process.env,
              RANK: String(rank),
              WORLD_SIZE: String(world),
              LOCAL_RANK: String(rank),
              MASTER_ADDR: '127.0.0.1',
              MASTER_PORT: String(port),
              OMP_NUM_THREADS: '1',
              ...o.env,
            },
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let output = '';
          child.stdout.on('data', (d: Buffer) => (output += d.toString()));
          child.stderr.on('data', (d: Buffer) => (output += d.toString()));
          const timer = setTimeout(() => child.kill('SIGKILL'), o.killAfterMs ?? 60_000);
          child.on('close', (code, signal) => {
            clearTimeout(timer);
            const line = output.split('\n').find((l) => l.startsWith('RESULT '));
            const err = output.split('\n').find((l) => l.startsWith('ERROR '));
            resolve({
              rank,
              code,
              signal,
              result: line ? (JSON.parse(line.slice(7)) as R) : undefined,
              error: err?.slice(6),
              output,
              ms: performance.now() - t0,
            });
          });
        }),
    ),
  );
}

/** The results of a run where every rank must succeed (throws with the ranks' output otherwise). */
export function results<R>(runs: RankRun<R>[]): R[] {
  for (const r of runs) {
    if (r.code !== 0 || r.result === undefined) {
      throw new Error(`rank ${r.rank} failed (code ${r.code}, signal ${r.signal}):\n${r.output}`);
    }
  }
  return runs.map((r) => r.result!);
}

export function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
