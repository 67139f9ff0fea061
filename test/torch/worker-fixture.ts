// Runs inside a worker_thread (started by worker.test.ts with `--import tsx`): loads gdt's addon in
// this thread, computes with it and posts the values back.
import { parentPort, workerData, threadId } from 'node:worker_threads';
import { torch } from '../../src/index.js';

interface Job {
  scale: number;
  n: number;
  seed: number;
}

const job = workerData as Job;
const before = torch.memory.liveTensors();
const result = torch.tidy(() => {
  // (scale * A) @ B for A = arange(n*n).view(n, n), B = identity + 1
  const a = torch.arange(job.n * job.n, undefined, 1, { dtype: 'float64' }).view(job.n, job.n).mul(job.scale);
  const b = torch.eye(job.n, job.n, { dtype: 'float64' }).add(1);
  const prod = a.matmul(b);
  // autograd in the worker: d/dx sum(x^3) = 3x^2
  const x = torch.tensor([1, 2, 3], { dtype: 'float64', requiresGrad: true });
  x.pow(3).sum().backward();
  const grad = x.grad!;
  // seeded randomness in the worker
  torch.manualSeed(job.seed);
  const r = torch.randn([4], { dtype: 'float64' });
  return {
    prod: Array.from(prod.toTypedArray() as Float64Array),
    grad: Array.from(grad.toTypedArray() as Float64Array),
    randn: Array.from(r.toTypedArray() as Float64Array),
    // a buffer handed over by transfer
    buffer: (prod.toTypedArray() as Float64Array).buffer as ArrayBuffer,
  };
});
const after = torch.memory.liveTensors();
parentPort!.postMessage(
  { threadId, prod: result.prod, grad: result.grad, randn: result.randn, buffer: result.buffer, liveBefore: before, liveAfter: after, version: torch.buildInfo().torchVersion },
  [result.buffer],
);
