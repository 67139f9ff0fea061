// torch.distributed for gdt: c10d rendezvous and process groups (Gloo on CPU, NCCL in CUDA builds),
// collectives, the GDT/STiCA collective, data parallelism, SyncBatchNorm and the `gdt launch`
// supervisor. See docs in each file; the native layer is native/distributed.cc.
export {
  ProcessGroup,
  Store,
  Work,
  DistributedError,
  availableBackends,
  DEFAULT_TIMEOUT_MS,
  type Backend,
  type ReduceOp,
  type GroupOptions,
} from './process-group.js';
export { initProcessGroup, destroyProcessGroup, isInitialized, getDefaultGroup, getDistEnv, getRank, getWorldSize, newGroup, type InitOptions } from './init.js';
export { resolveDistEnv, parseTasksPerNode, expandNodelist, firstHost, slurmPort, slurmLaunchDefaults, isLoopback, DEFAULT_MASTER_PORT, type DistEnv, type Env } from './env.js';
export { c10dCollective } from './collective.js';
export { DistributedDataParallel, type DataParallelOptions, type GradientSyncReport } from './ddp.js';
export { SyncBatchNorm, convertSyncBatchNorm } from './sync-batchnorm.js';
export { launch, freePort, describeExit, type LaunchOptions, type LaunchResult, type RankExit } from './launch.js';
export { setupDistributedTraining, type DistributedTraining, type DistributedTrainingOptions } from './training.js';
