// `gdt launch`: torchrun for gdt. Starts --nproc-per-node ranks of a gdt command on this node with
// RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT set, forwards
// SIGINT/SIGTERM/SIGHUP/SIGUSR1/SIGUSR2 to them, and if a rank fails stops the others and exits
// non-zero naming the rank. Under `srun --ntasks-per-node=1` the node count, node rank and master
// come from SLURM (see scripts/slurm/).
import { Command, CommanderError } from 'commander';
import { launch } from '../../distributed/launch.js';
import { slurmLaunchDefaults } from '../../distributed/env.js';

interface LaunchFlags {
  nprocPerNode: string;
  nnodes?: string;
  nodeRank?: string;
  masterAddr?: string;
  masterPort?: string;
  exec?: boolean;
  prefix: boolean;
  grace: string;
}

function int(name: string, v: string | undefined, min: number): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || v.trim() === '') throw new CommanderError(2, 'gdt.launch', `${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

export function register(program: Command): void {
  program
    .command('launch')
    .description('run a gdt command as several distributed ranks (torchrun for gdt): gdt launch --nproc-per-node 2 -- pretrain gdt ...')
    .requiredOption('--nproc-per-node <n>', 'ranks on this node')
    .option('--nnodes <m>', 'nodes in the job (default 1, or SLURM_NNODES under srun with one task per node)')
    .option('--node-rank <r>', "this node's index (default 0, or SLURM_NODEID)")
    .option('--master-addr <host>', 'host of node rank 0 (default 127.0.0.1 on one node, or the first host of SLURM_JOB_NODELIST)')
    .option('--master-port <port>', 'rendezvous port (default: MASTER_PORT, a free port on one node, 29500 across nodes)')
    .option('--exec', 'the command after -- is an executable with its arguments, not a gdt command')
    .option('--no-prefix', 'pass the ranks\' output through instead of prefixing lines with [rank N]')
    .option('--grace <seconds>', 'how long stopping ranks get before SIGKILL', '30')
    .argument('<command...>', 'the gdt command (after --), e.g. -- pretrain gdt --preset tiny --out runs/x')
    .action(async (command: string[], f: LaunchFlags) => {
      const slurm = slurmLaunchDefaults();
      const envPort = process.env.MASTER_PORT;
      const r = await launch({
        nprocPerNode: int('--nproc-per-node', f.nprocPerNode, 1)!,
        nnodes: int('--nnodes', f.nnodes, 1) ?? slurm.nnodes,
        nodeRank: int('--node-rank', f.nodeRank, 0) ?? slurm.nodeRank,
        masterAddr: f.masterAddr ?? slurm.masterAddr ?? process.env.MASTER_ADDR,
        masterPort: int('--master-port', f.masterPort, 1) ?? slurm.masterPort ?? int('MASTER_PORT', envPort, 1),
        command,
        exec: f.exec,
        prefixOutput: f.prefix,
        graceMs: (int('--grace', f.grace, 0) ?? 30) * 1000,
      });
      if (r.exitCode !== 0) {
        throw new CommanderError(r.exitCode, 'gdt.launch.failed', `launch failed: ${r.reason}; the other ranks were stopped`);
      }
    });
}
