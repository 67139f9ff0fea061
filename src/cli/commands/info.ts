// `gdt info`: versions and capabilities, to check an installation.
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { torch } from '../../index.js';
import { packageVersion } from '../version.js';

export interface Info {
  gdt: string;
  node: string;
  libtorch: string;
  cudaCompiled: boolean;
  cudaAvailable: boolean;
  cudaDevices: number;
  threads: number;
  cores: number;
  mkldnn: boolean;
}

export function collectInfo(): Info {
  const b = torch.buildInfo();
  return {
    gdt: packageVersion(),
    node: process.version,
    libtorch: b.torchVersion,
    cudaCompiled: b.cudaCompiled,
    cudaAvailable: torch.cuda.isAvailable(),
    cudaDevices: torch.cuda.deviceCount(),
    threads: torch.getNumThreads(),
    cores: availableParallelism(),
    mkldnn: b.mkldnn,
  };
}

export function register(program: Command): void {
  program
    .command('info')
    .description('print the gdt, Node.js and libtorch versions, CUDA availability and thread count')
    .option('--json', 'print JSON')
    .option('--config', "also print libtorch's build configuration")
    .action((opts: { json?: boolean; config?: boolean }) => {
      const info = collectInfo();
      if (opts.json) {
        console.log(JSON.stringify(info, null, 2));
        return;
      }
      console.log(`gdt        ${info.gdt}`);
      console.log(`node       ${info.node}`);
      console.log(`libtorch   ${info.libtorch}${info.mkldnn ? ' (oneDNN)' : ''}`);
      console.log(
        `cuda       ${info.cudaAvailable ? `available, ${info.cudaDevices} device(s)` : info.cudaCompiled ? 'compiled, no device' : 'not available (CPU build)'}`,
      );
      console.log(`threads    ${info.threads} (of ${info.cores} cores)`);
      if (opts.config) console.log('\n' + torch.buildInfo().config);
    });
}
