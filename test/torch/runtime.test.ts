// Process-wide switches: threads, deterministic algorithms, autocast, CUDA on a CPU build.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch, flat, assertClose, assertThrowsMsg, randArray, t32 } from './helpers.js';

describe('threads', () => {
  test('setNumThreads / getNumThreads round-trip, results unchanged', () => {
    const prev = torch.getNumThreads();
    assert.ok(Number.isInteger(prev) && prev >= 1);
    const a = t32(randArray(64 * 64, 1), [64, 64]);
    const ref = flat(a.matmul(a));
    try {
      for (const n of [1, 2, 3]) {
        torch.setNumThreads(n);
        assert.equal(torch.getNumThreads(), n);
        assertClose(a.matmul(a), ref, { rtol: 1e-5, atol: 1e-5 });
      }
    } finally {
      torch.setNumThreads(prev);
    }
    assert.equal(torch.getNumThreads(), prev);
  });

  test('invalid thread counts are RangeErrors', () => {
    assertThrowsMsg(() => torch.setNumThreads(0), RangeError, 'setNumThreads: expected a positive integer, got 0');
    assertThrowsMsg(() => torch.setNumThreads(1.5), RangeError, 'expected a positive integer, got 1.5');
  });

  test('getNumInteropThreads answers a positive integer; setNumInteropThreads works once only', () => {
    const n = torch.getNumInteropThreads();
    assert.ok(Number.isInteger(n) && n >= 1);
    try {
      torch.setNumInteropThreads(n); // allowed once, before any inter-op work
    } catch {
      // some earlier work may already have started the pool
    }
    assertThrowsMsg(
      () => torch.setNumInteropThreads(n),
      Error,
      'cannot set number of interop threads after parallel work has started or set_num_interop_threads called',
    );
    assert.equal(torch.getNumInteropThreads(), n);
  });
});

describe('deterministic algorithms', () => {
  test('useDeterministicAlgorithms round-trips and restores', () => {
    const prev = torch.areDeterministicAlgorithmsEnabled();
    assert.equal(prev, false, 'off by default');
    try {
      torch.useDeterministicAlgorithms(true);
      assert.equal(torch.areDeterministicAlgorithmsEnabled(), true);
      // ordinary ops still work and give the same values
      const x = t32([1, 2, 3, 4], [2, 2]);
      assert.deepEqual(flat(x.matmul(x)), [7, 10, 15, 22]);
      assert.deepEqual(flat(torch.zeros([3]).scatterAdd(0, torch.tensor([0, 0, 2]), torch.ones([3]))), [2, 0, 1]);
      torch.useDeterministicAlgorithms(true, { warnOnly: true });
      assert.equal(torch.areDeterministicAlgorithmsEnabled(), true);
      torch.useDeterministicAlgorithms(false);
      assert.equal(torch.areDeterministicAlgorithmsEnabled(), false);
    } finally {
      torch.useDeterministicAlgorithms(prev);
    }
  });
});

describe('autocast', () => {
  test("autocast('cpu') runs matmul in bfloat16 and restores the state after", () => {
    assert.equal(torch.isAutocastEnabled('cpu'), false);
    const a = t32(randArray(16, 2), [4, 4]);
    const b = t32(randArray(16, 3), [4, 4]);
    const [dt, inside, vals] = torch.autocast('cpu', {}, () => {
      const m = a.matmul(b);
      return [m.dtype, torch.isAutocastEnabled('cpu'), flat(m)] as const;
    });
    assert.equal(dt, 'bfloat16');
    assert.equal(inside, true);
    assert.equal(torch.isAutocastEnabled('cpu'), false);
    // bfloat16 has 8 bits of mantissa: agreement to ~1e-2 relative with float32
    assertClose(vals, flat(a.matmul(b)), { rtol: 2e-2, atol: 2e-2 });
    // outside, float32 again
    assert.equal(a.matmul(b).dtype, 'float32');
  });

  test('ops not on the lower-precision list keep float32; linear and conv are cast', () => {
    const x = t32(randArray(8, 4), [2, 4]);
    const w = t32(randArray(12, 5), [3, 4]);
    torch.autocast('cpu', {}, () => {
      assert.equal(x.add(1).dtype, 'float32');
      assert.equal(x.exp().dtype, 'float32');
      assert.equal(torch.F.linear(x, w).dtype, 'bfloat16');
      assert.equal(torch.F.conv2d(x.view(1, 1, 2, 4), w.index('0:1').view(1, 1, 1, 4)).dtype, 'bfloat16');
    });
  });

  test('enabled: false runs in float32; nesting restores the outer state; a throw restores too', () => {
    const a = t32([1, 2, 3, 4], [2, 2]);
    torch.autocast('cpu', {}, () => {
      torch.autocast('cpu', { enabled: false }, () => {
        assert.equal(torch.isAutocastEnabled('cpu'), false);
        assert.equal(a.matmul(a).dtype, 'float32');
      });
      assert.equal(torch.isAutocastEnabled('cpu'), true);
      assert.equal(a.matmul(a).dtype, 'bfloat16');
    });
    assert.throws(() => torch.autocast('cpu', {}, () => {
      throw new Error('in autocast');
    }), /in autocast/);
    assert.equal(torch.isAutocastEnabled('cpu'), false);
  });

  test(
    'autocast refuses async functions like noGrad does',
    async () => {
      let p: unknown;
      assert.throws(() => {
        p = torch.autocast('cpu', {}, async () => {
          await null;
          return torch.isAutocastEnabled('cpu');
        });
      }, TypeError);
      await p;
      assert.equal(torch.isAutocastEnabled('cpu'), false);
    },
  );

  test("autocast('cpu') accepts only bfloat16", () => {
    assertThrowsMsg(() => torch.autocast('cpu', { dtype: 'float16' }, () => 0), TypeError, "autocast('cpu') supports dtype 'bfloat16' only");
    assert.equal(torch.isAutocastEnabled('cpu'), false);
  });
});

const cudaBuild = torch.buildInfo().cudaCompiled;
describe('CUDA on a CPU build', { skip: cudaBuild && 'this addon was built against a CUDA libtorch' }, () => {
  test('isAvailable() is false, deviceCount() 0, buildInfo agrees', () => {
    assert.equal(torch.cuda.isAvailable(), false);
    assert.equal(torch.cuda.deviceCount(), 0);
    const info = torch.buildInfo();
    assert.equal(info.cudaAvailable, false);
    assert.match(info.torchVersion, /^\d+\.\d+\.\d+/);
    assert.equal(info.cudaCompiled, false);
    assert.equal(typeof info.parallel, 'string');
  });

  test('synchronize and memoryStats throw a clear error; emptyCache is a no-op', () => {
    assertThrowsMsg(() => torch.cuda.synchronize(), Error, 'cuda.synchronize: this gdt build has no CUDA (build against a CUDA libtorch)');
    assertThrowsMsg(() => torch.cuda.synchronize(0), Error, 'this gdt build has no CUDA');
    assertThrowsMsg(() => torch.cuda.memoryStats(), Error, 'cuda.memoryStats: this gdt build has no CUDA');
    torch.cuda.emptyCache();
    torch.cuda.setCudnnBenchmark(false);
  });

  test('cuda.manualSeedAll seeds the CPU generator as torch.manual_seed does', () => {
    torch.cuda.manualSeedAll(4);
    const a = flat(torch.rand([4]));
    torch.manualSeed(4);
    assert.deepEqual(flat(torch.rand([4])), a);
  });
});
