// `gdt launch`: torchrun's variables, a real gdt command in every rank, a rank killed mid-run
// (the launcher stops the others and exits non-zero naming it), signal forwarding, start failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli } from '../cli/helpers.js';
import { WORKER, REPO, skipReason } from './helpers.js';

const node = process.execPath;

test('gdt launch runs a gdt command in every rank with torchrun variables', async () => {
  const r = await cli('launch', '--nproc-per-node', '2', '--', 'info', '--json');
  assert.equal(r.code, 0, r.err);
  for (const rank of [0, 1]) assert.match(r.out, new RegExp(`\\[rank ${rank}\\]   "libtorch": "`));
  assert.match(r.err, /gdt launch: 2 rank\(s\) on node 0 of 1 \(world size 2, master 127\.0\.0\.1:\d+\)/);

  // Rank 2 fails only once ranks 0 and 1 have printed (each leaves a marker file after its line):
  // the launcher stops the other ranks when one fails, so a rank still starting would print nothing.
  const markers = mkdtempSync(join(tmpdir(), 'gdt-launch-'));
  const script = `const e = process.env, fs = require("fs"), dir = ${JSON.stringify(markers)};
    console.log([e.RANK, e.LOCAL_RANK, e.WORLD_SIZE, e.LOCAL_WORLD_SIZE, e.MASTER_ADDR, e.GROUP_RANK].join(" "));
    if (e.RANK !== "2") fs.writeFileSync(dir + "/" + e.RANK, "");
    else { const t0 = Date.now(); const wait = () => ["0", "1"].every((r) => fs.existsSync(dir + "/" + r)) || Date.now() - t0 > 30000 ? process.exit(3) : setTimeout(wait, 10); wait(); }`;
  const f = await cli('launch', '--nproc-per-node', '3', '--nnodes', '2', '--node-rank', '0', '--master-addr', 'head', '--master-port', '29555', '--exec', '--', node, '-e', script);
  rmSync(markers, { recursive: true, force: true });
  assert.equal(f.code, 3, 'the failing rank\'s exit code');
  assert.match(f.out, /\[rank 0\] 0 0 6 3 head 0/);
  assert.match(f.out, /\[rank 1\] 1 1 6 3 head 0/);
  assert.match(f.err, /gdt: launch failed: rank 2 \(local rank 2, pid \d+\) exited with code 3; the other ranks were stopped/);

  const missing = await cli('launch', '--nproc-per-node', '1', '--exec', '--', '/nonexistent/gdt-binary');
  assert.equal(missing.code, 127);
  assert.match(missing.err, /rank 0 \(local rank 0\) could not be started: spawn \/nonexistent\/gdt-binary ENOENT/);
  const bad = await cli('launch', '--nproc-per-node', '2', '--nnodes', '2', '--', 'info');
  assert.equal(bad.code, 1);
  assert.match(bad.err, /--master-addr is needed with --nnodes > 1/);
});

test('gdt launch: ranks rendezvous, and a rank killed mid-run stops the job, named, within the timeout', { skip: skipReason }, async () => {
  const ok = await cli('launch', '--nproc-per-node', '2', '--exec', '--', node, '--import', 'tsx', WORKER, 'hello');
  assert.equal(ok.code, 0, ok.err);
  assert.match(ok.out, /\[rank 0\] RESULT \{"rank":0,"world":2,"local":"0","sum":3,"threads":"1"\}/);
  assert.match(ok.out, /\[rank 1\] RESULT \{"rank":1,"world":2,"local":"1","sum":3,"threads":"1"\}/);

  const t0 = performance.now();
  // Rank 1 SIGKILLs itself after 3 all-reduces; rank 0 keeps all-reducing (60 s group timeout).
  const r = await cli('launch', '--nproc-per-node', '2', '--grace', '5', '--exec', '--', node, '--import', 'tsx', WORKER, 'die', '1', '60000');
  const ms = performance.now() - t0;
  assert.equal(r.code, 128 + 9, `exit code ${r.code}\n${r.out}\n${r.err}`);
  assert.match(r.err, /gdt launch: rank 1 \(local rank 1, pid \d+\) was killed by SIGKILL; stopping rank 0/);
  assert.match(r.err, /gdt: launch failed: rank 1 \(local rank 1, pid \d+\) was killed by SIGKILL; the other ranks were stopped/);
  assert.ok(ms < 30_000, `took ${ms} ms`);
});

test('gdt launch forwards SIGUSR1 (pre-emption) to every rank', async () => {
  const rankScript =
    'process.on("SIGUSR1", () => { console.log("rank " + process.env.RANK + " got SIGUSR1"); process.exit(0); });' +
    'console.log("ready"); setInterval(() => {}, 1000);';
  const child = spawn(node, ['--import', 'tsx', 'src/cli/run.ts', 'launch', '--nproc-per-node', '2', '--exec', '--', node, '-e', rankScript], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let signalled = false;
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    if (!signalled && (out.match(/ready/g) ?? []).length === 2) {
      signalled = true;
      child.kill('SIGUSR1');
    }
  });
  const code = await done;
  clearTimeout(killer);
  assert.equal(code, 0, `${out}\n${err}`);
  assert.match(out, /\[rank 0\] rank 0 got SIGUSR1/);
  assert.match(out, /\[rank 1\] rank 1 got SIGUSR1/);
  assert.match(err, /SIGUSR1 received, forwarding it to the ranks/);
});

test('scripts/slurm/requeue.sh: SIGUSR1 reaches the step, then the job is requeued', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdt-requeue-'));
  try {
    writeFileSync(join(dir, 'scontrol'), '#!/bin/sh\necho "scontrol $*"\n', { mode: 0o755 });
    const step = 'process.on("SIGUSR1", () => { console.log("step got SIGUSR1"); setTimeout(() => process.exit(0), 100); }); console.log("step running"); setInterval(() => {}, 1000);';
    const script = `set -euo pipefail; source scripts/slurm/requeue.sh; run_with_requeue ${JSON.stringify(node)} -e '${step}'; echo "batch script done"`;
    const child = spawn('bash', ['-c', script], { cwd: REPO, env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, SLURM_JOB_ID: '4242' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('step running') && !out.includes('SIGUSR1')) child.kill('SIGUSR1');
    });
    const code = await done;
    clearTimeout(killer);
    assert.equal(code, 0, out);
    assert.match(out, /SIGUSR1 \(time limit near\): checkpointing, then requeueing job 4242/);
    assert.match(out, /step got SIGUSR1/);
    assert.match(out, /scontrol requeue 4242/);
    assert.match(out, /batch script done/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
