// The addon in worker_threads: each worker loads its own instance, computes, and posts values back.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Worker, threadId } from 'node:worker_threads';
import { torch, flat, assertClose } from './helpers.js';

interface Reply {
  threadId: number;
  prod: number[];
  grad: number[];
  randn: number[];
  buffer: ArrayBuffer;
  liveBefore: number;
  liveAfter: number;
  version: string;
}

/**
 * Starts worker-fixture.ts in a worker with tsx. On Node 20, hooks registered by
 * `execArgv: ['--import', 'tsx']` do not apply to the worker's entry module (nodejs/node#47747:
 * it fails with ERR_UNKNOWN_FILE_EXTENSION), so a one-line bootstrap registers tsx's ESM hooks
 * in the worker and then imports the fixture; on newer Node the plain form works as well.
 */
const FIXTURE = new URL('./worker-fixture.ts', import.meta.url).href;
const TSX_API = import.meta.resolve('tsx/esm/api');
const BOOTSTRAP = `import(${JSON.stringify(TSX_API)}).then(({ register }) => { register(); return import(${JSON.stringify(FIXTURE)}); });`;

function runWorker(scale: number, n: number, seed: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const w = new Worker(BOOTSTRAP, { eval: true, workerData: { scale, n, seed } });
    let reply: Reply | undefined;
    w.once('message', (m: Reply) => (reply = m));
    w.once('error', reject);
    w.once('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited with code ${code}`));
      else if (!reply) reject(new Error('worker exited without replying'));
      else resolve(reply);
    });
  });
}

/** (scale * arange(n*n).view(n, n)) @ (I + 1) in plain JS. */
function expectedProd(scale: number, n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      let acc = 0;
      for (let k = 0; k < n; k++) acc += scale * (i * n + k) * ((k === j ? 1 : 0) + 1);
      out.push(acc);
    }
  return out;
}

describe('worker_threads', () => {
  test('a worker loads the addon, computes and posts the values back', async () => {
    const r = await runWorker(2, 3, 5);
    const mainLive = torch.memory.liveTensors();
    assert.notEqual(r.threadId, threadId);
    assert.equal(r.version, torch.buildInfo().torchVersion);
    assertClose(r.prod, expectedProd(2, 3), { rtol: 0, atol: 0 });
    assert.deepEqual(r.grad, [3, 12, 27]);
    assert.equal(r.liveAfter, r.liveBefore, 'the worker\'s tidy freed its tensors');
    // the worker's seeded stream equals the main thread's with the same seed
    torch.manualSeed(5);
    assert.deepEqual(r.randn, flat(torch.randn([4], { dtype: 'float64' })));
    // a transferred buffer becomes a tensor again, zero copy
    const t = torch.fromBuffer(r.buffer, 'float64', [3, 3]);
    assertClose(t, expectedProd(2, 3), { rtol: 0, atol: 0 });
    t.dispose();
    assert.equal(torch.memory.liveTensors(), mainLive + 1, 'only the randn above remains: the worker has its own handles and counters');
  });

  test('two workers at once compute independently', async () => {
    const [a, b] = await Promise.all([runWorker(1, 4, 1), runWorker(-0.5, 5, 2)]);
    assert.notEqual(a.threadId, b.threadId);
    assertClose(a.prod, expectedProd(1, 4), { rtol: 0, atol: 0 });
    assertClose(b.prod, expectedProd(-0.5, 5), { rtol: 0, atol: 0 });
    assert.deepEqual(a.grad, [3, 12, 27]);
    assert.deepEqual(b.grad, [3, 12, 27]);
    assert.notDeepEqual(a.randn, b.randn, 'different seeds differ');
    // the main thread still works after the workers exited
    assert.equal(torch.ones([2]).sum().item(), 2);
  });
});
