// Where a result comes from: the gdt version, the git commit of the checkout gdt runs from (when
// it is one), the machine, and the time.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism, cpus, hostname } from 'node:os';
import { packageVersion } from '../cli/version.js';

export interface Provenance {
  gdtVersion: string;
  /** Commit of the gdt checkout, undefined outside a git checkout or without git. */
  gitCommit?: string;
  /** Uncommitted changes in that checkout. */
  gitDirty?: boolean;
  node: string;
  host: string;
  cpu: string;
  threads: number;
  createdAt: string;
}

/** The folder holding gdt's package.json (from src/ or dist/src/). */
export function packageRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(d, 'package.json'))) return d;
    d = dirname(d);
  }
  return process.cwd();
}

function git(args: string[], cwd: string): string | undefined {
  try {
    return execFileSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
  } catch {
    return undefined;
  }
}

export function provenance(threads: number): Provenance {
  const root = packageRoot();
  const commit = existsSync(join(root, '.git')) ? git(['rev-parse', 'HEAD'], root) : undefined;
  const status = commit ? git(['status', '--porcelain', '--untracked-files=no'], root) : undefined;
  return {
    gdtVersion: packageVersion(),
    gitCommit: commit && /^[0-9a-f]{40}$/.test(commit) ? commit : undefined,
    gitDirty: status === undefined ? undefined : status.length > 0,
    node: process.version,
    host: hostname(),
    cpu: `${cpus()[0]?.model ?? 'unknown'} (${availableParallelism()} cores)`,
    threads,
    createdAt: new Date().toISOString(),
  };
}
