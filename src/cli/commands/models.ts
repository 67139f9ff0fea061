// `gdt models`: the model zoo (published checkpoints, cached or not) and the architectures
// src/models can build; `gdt models download <name...>` fetches checkpoints into the cache.
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { architectures } from '../../models/index.js';
import { ZOO, requireZooEntry, zooBaseUrl, zooCacheDir, zooUrl, type Env, type ZooEntry } from '../../zoo/registry.js';
import { sidecarPath } from '../../zoo/checksum.js';
import { formatBytes } from '../../zoo/progress.js';
import { resolveWeightsInfo } from '../../zoo/resolve.js';
import { intOption } from '../options.js';

export interface ZooListing extends ZooEntry {
  url: string;
  path: string;
  /** Size of the complete cached file, or null when it is not cached. */
  cached: { size: number; sha256Recorded: boolean } | null;
  /** Bytes of an unfinished download (`<file>.part`), or null. */
  partial: number | null;
}

export interface ArchitectureListing {
  name: string;
  description: string;
  /** Parameters of the reference configuration (SPEC 3.10). */
  parameters: number;
  inputShapes: number[][];
}

export interface ModelsListing {
  cacheDir: string;
  baseUrl: string;
  zoo: ZooListing[];
  architectures: ArchitectureListing[];
}

const sizeIfFile = (p: string): number | null => {
  try {
    const s = statSync(p);
    return s.isFile() ? s.size : null;
  } catch {
    return null;
  }
};

/** What `gdt models` shows. Cheap: looks at the cache without hashing anything. */
export function listModels(env: Env = process.env, cacheDir = zooCacheDir(env)): ModelsListing {
  const zoo = ZOO.map((e): ZooListing => {
    const path = join(cacheDir, e.file);
    const size = sizeIfFile(path);
    return {
      ...e,
      url: zooUrl(e, env),
      path,
      cached: size === null ? null : { size, sha256Recorded: existsSync(sidecarPath(path)) },
      partial: sizeIfFile(`${path}.part`),
    };
  });
  const archs = Object.values(architectures).map((a) => ({
    name: a.name,
    description: a.description,
    parameters: a.referenceParameters,
    inputShapes: a.inputShapes.map((s) => [...s]),
  }));
  return { cacheDir, baseUrl: zooBaseUrl(env), zoo, architectures: archs };
}

function formatListing(l: ModelsListing): string {
  const lines = [`Model zoo (cache ${l.cacheDir})`, ''];
  for (const e of l.zoo) {
    const cached = e.cached
      ? `yes, ${formatBytes(e.cached.size)}: ${e.path}`
      : e.partial !== null
        ? `partial, ${formatBytes(e.partial)} (gdt models download ${e.name} resumes it)`
        : `no (gdt models download ${e.name})`;
    lines.push(
      `${e.name}  ${e.title}`,
      `  network    ${e.network}`,
      `  load into  ${e.architecture} (pretraining model), ${e.finetuneArchitecture} (eval_video.py --model ${e.referenceModel})`,
      `  results    HMDB51 ${e.results.hmdb51Top1.toFixed(1)} / UCF101 ${e.results.ucf101Top1.toFixed(1)} top-1 (${e.results.frames} frames, crop ${e.results.crop})`,
      `  for        ${e.purpose}`,
      ...(e.notes ? [`  note       ${e.notes}`] : []),
      `  cached     ${cached}`,
      `  url        ${e.url}`,
      '',
    );
  }
  const w = Math.max(...l.architectures.map((a) => a.name.length));
  lines.push('Architectures (gdt models --json for input shapes)', '');
  lines.push(`${'name'.padEnd(w)}  ${'parameters'.padStart(11)}  description`);
  for (const a of l.architectures) lines.push(`${a.name.padEnd(w)}  ${a.parameters.toLocaleString('en-US').padStart(11)}  ${a.description}`);
  return lines.join('\n');
}

interface DownloadFlags {
  all?: boolean;
  force?: boolean;
  cacheDir?: string;
  timeout: string;
  retries: string;
}

export function register(program: Command): void {
  const models = program
    .command('models')
    .description('list the model zoo (published GDT checkpoints) and the architectures gdt can build')
    .option('--json', 'print JSON')
    .option('--cache-dir <dir>', 'zoo cache folder (default: GDT_CACHE_DIR or ~/.cache/gdt/zoo)')
    .action((o: { json?: boolean; cacheDir?: string }) => {
      const l = listModels(process.env, o.cacheDir);
      console.log(o.json ? JSON.stringify(l, null, 2) : formatListing(l));
    });

  models
    .command('download')
    .description(`download zoo checkpoints into the cache (resumable, SHA-256 checked); names: ${ZOO.map((e) => e.name).join(', ')}`)
    .argument('[names...]', 'zoo names')
    .option('--all', 'every zoo entry')
    .option('--force', 'download again even when a good copy is cached')
    .option('--timeout <s>', 'seconds without data before a connection is given up', '30')
    .option('--retries <n>', 'further attempts after a dropped connection, each resuming', '3')
    .action(async (names: string[], _o: DownloadFlags, cmd: Command) => {
      // --cache-dir belongs to `models` (commander gives it to the parent wherever it is typed).
      const o = cmd.optsWithGlobals<DownloadFlags>();
      const entries = o.all ? [...ZOO] : names.map(requireZooEntry);
      if (!entries.length) throw new Error(`name the checkpoints to download (${ZOO.map((e) => e.name).join(', ')}) or pass --all`);
      const timeoutMs = intOption('--timeout', o.timeout, 1) * 1000;
      const retries = intOption('--retries', o.retries, 0);
      for (const e of entries) {
        const r = await resolveWeightsInfo(e.name, { cacheDir: o.cacheDir, force: o.force, timeoutMs, retries });
        console.log(`${e.name}: ${r.downloaded ? 'downloaded' : 'already cached'} ${r.path} (sha256 ${r.sha256})`);
      }
    });
}
