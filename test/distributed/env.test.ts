// Where a process sits in a job, from torchrun's and SLURM's variables (the reference gets SLURM's
// world size wrong for 10+ tasks per node and never derives the master: SPEC 13.1.3).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveDistEnv, parseTasksPerNode, expandNodelist, firstHost, slurmPort, slurmLaunchDefaults } from '../../src/distributed/index.js';

test('parseTasksPerNode: counts, repeats and mixtures', () => {
  assert.deepEqual(parseTasksPerNode('8(x2)'), [8, 8]);
  assert.deepEqual(parseTasksPerNode('2(x3),1'), [2, 2, 2, 1]);
  assert.deepEqual(parseTasksPerNode('4,4,3'), [4, 4, 3]);
  assert.deepEqual(parseTasksPerNode('16'), [16]);
  assert.deepEqual(parseTasksPerNode('12(x2),10'), [12, 12, 10]);
  assert.throws(() => parseTasksPerNode('8(2)'), /cannot parse SLURM tasks-per-node '8\(2\)'/);
  assert.throws(() => parseTasksPerNode(''), /cannot parse/);
});

test('expandNodelist and firstHost: brackets, ranges, padding, several groups', () => {
  assert.deepEqual(expandNodelist('node[01-04,07]'), ['node01', 'node02', 'node03', 'node04', 'node07']);
  assert.deepEqual(expandNodelist('gpu-[1-3]'), ['gpu-1', 'gpu-2', 'gpu-3']);
  assert.deepEqual(expandNodelist('a[1-2],b,c[09-10]'), ['a1', 'a2', 'b', 'c09', 'c10']);
  assert.deepEqual(expandNodelist('r[1-2]n[1-2]-ib'), ['r1n1-ib', 'r1n2-ib', 'r2n1-ib', 'r2n2-ib']);
  assert.deepEqual(expandNodelist('single'), ['single']);
  assert.equal(firstHost('node[01-04,07]'), 'node01');
  assert.equal(firstHost('gpu-[1-3]'), 'gpu-1');
  assert.equal(firstHost('node[07,01-04]'), 'node07');
  assert.equal(firstHost('login1,node[1-2]'), 'login1');
  assert.equal(firstHost('rack[3-4]-node[10-12]'), 'rack3-node10');
  assert.throws(() => expandNodelist('node[1-2'), /unbalanced '\['/);
  assert.throws(() => expandNodelist('node[3-1]'), /descending range/);
  assert.throws(() => firstHost(''), /empty SLURM node list/);
});

test('torchrun variables (also what gdt launch sets)', () => {
  const e = resolveDistEnv({ RANK: '5', WORLD_SIZE: '16', LOCAL_RANK: '5', LOCAL_WORLD_SIZE: '8', GROUP_RANK: '0', MASTER_ADDR: 'n1', MASTER_PORT: '19500' });
  assert.deepEqual(e, { rank: 5, worldSize: 16, localRank: 5, localWorldSize: 8, nodeRank: 0, masterAddr: 'n1', masterPort: 19500, source: 'torchrun' });
  // Without LOCAL_WORLD_SIZE / node rank: derived.
  const f = resolveDistEnv({ RANK: '9', WORLD_SIZE: '16', LOCAL_WORLD_SIZE: '8', MASTER_ADDR: 'n1' });
  assert.equal(f.nodeRank, 1);
  assert.equal(f.masterPort, 29500);
  // torchrun's variables win over SLURM's (gdt launch under srun).
  const g = resolveDistEnv({ RANK: '3', WORLD_SIZE: '4', MASTER_ADDR: 'h', SLURM_PROCID: '0', SLURM_NTASKS: '1' });
  assert.equal(g.source, 'torchrun');
  assert.equal(g.rank, 3);
  assert.throws(() => resolveDistEnv({ RANK: '4', WORLD_SIZE: '4', MASTER_ADDR: 'h' }), /RANK=4 is outside WORLD_SIZE=4/);
  assert.throws(() => resolveDistEnv({ RANK: '0' }), /RANK and WORLD_SIZE must be set together/);
  assert.throws(() => resolveDistEnv({ RANK: 'x', WORLD_SIZE: '2' }), /RANK='x' is not an integer/);
  assert.throws(() => resolveDistEnv({ RANK: '0', WORLD_SIZE: '2' }), /MASTER_ADDR is not set/);
  assert.throws(() => resolveDistEnv({ RANK: '0', WORLD_SIZE: '2', MASTER_ADDR: 'h', MASTER_PORT: '70000' }), /not a TCP port/);
});

test('SLURM variables: 2 nodes x 8 tasks ("8(x2)"), 12 tasks per node, the master from the node list', () => {
  const base = { SLURM_JOB_ID: '4242', SLURM_NNODES: '2', SLURM_JOB_NODELIST: 'node[01-04,07]' };
  const e = resolveDistEnv({ ...base, SLURM_PROCID: '11', SLURM_NTASKS: '16', SLURM_LOCALID: '3', SLURM_NODEID: '1', SLURM_TASKS_PER_NODE: '8(x2)' });
  assert.deepEqual(e, { rank: 11, worldSize: 16, localRank: 3, localWorldSize: 8, nodeRank: 1, masterAddr: 'node01', masterPort: slurmPort(4242), source: 'slurm' });
  // The reference: SLURM_NNODES * first character of '12(x2)' = 2 * 1 = 2; here 24.
  const f = resolveDistEnv({ ...base, SLURM_PROCID: '20', SLURM_TASKS_PER_NODE: '12(x2)', SLURM_NODEID: '1', SLURM_LOCALID: '8' });
  assert.equal(f.worldSize, 24);
  assert.equal(f.localWorldSize, 12);
  // MASTER_ADDR / MASTER_PORT exported by a script win; SLURM_STEP_NODELIST beats the job's list.
  const g = resolveDistEnv({ ...base, SLURM_PROCID: '0', SLURM_NTASKS: '16', MASTER_ADDR: 'head', MASTER_PORT: '19500' });
  assert.equal(g.masterAddr, 'head');
  assert.equal(g.masterPort, 19500);
  assert.equal(resolveDistEnv({ ...base, SLURM_PROCID: '0', SLURM_NTASKS: '2', SLURM_STEP_NODELIST: 'gpu-[3-4]' }).masterAddr, 'gpu-3');
  assert.throws(() => resolveDistEnv({ SLURM_PROCID: '0' }), /neither SLURM_NTASKS nor SLURM_TASKS_PER_NODE/);
  assert.throws(() => resolveDistEnv({ ...base, SLURM_PROCID: '16', SLURM_NTASKS: '16' }), /SLURM_PROCID=16 is outside/);
  assert.ok(slurmPort(4242) >= 15000 && slurmPort(4242) < 35000);
});

test('no launcher: one process', () => {
  const e = resolveDistEnv({});
  assert.deepEqual(e, { rank: 0, worldSize: 1, localRank: 0, localWorldSize: 1, nodeRank: 0, masterAddr: '127.0.0.1', masterPort: 29500, source: 'single' });
});

test('gdt launch defaults under srun with one task per node', () => {
  const env = { SLURM_JOB_ID: '7', SLURM_PROCID: '1', SLURM_NODEID: '1', SLURM_NNODES: '2', SLURM_NTASKS: '2', SLURM_JOB_NODELIST: 'gpu-[1-2]' };
  assert.deepEqual(slurmLaunchDefaults(env), { nnodes: 2, nodeRank: 1, masterAddr: 'gpu-1', masterPort: slurmPort(7) });
  // Several tasks per node: the tasks themselves are the ranks; gdt launch takes no defaults.
  assert.deepEqual(slurmLaunchDefaults({ ...env, SLURM_NTASKS: '16' }), {});
  assert.deepEqual(slurmLaunchDefaults({}), {});
});
