// Deterministic native memory: tidy/tidyAsync/keep/scope/using/disposeAll keep
// torch.memory.liveTensors() exact; nativeBytes counts distinct storages.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { torch, flat, assertNoLeak } from './helpers.js';

const live = () => torch.memory.liveTensors();

// Handles dropped without dispose() are released by GC finalizers, which run between tasks; the
// async tests below collect such garbage first so that it cannot change the count across an await.
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await tick();
  }
}

describe('tidy', () => {
  test('10,000 ops inside scopes return liveTensors() to its baseline exactly', () => {
    const x = torch.randn([8, 8]);
    const w = torch.randn([8, 8]);
    const base = live();
    let checksum = 0;
    for (let i = 0; i < 100; i++) {
      checksum += torch.tidy(() => {
        let h = x;
        for (let j = 0; j < 25; j++) {
          h = h.matmul(w).tanh().mul(0.5).add(x); // 4 ops
        }
        return h.sum().item() as number;
      });
    }
    assert.ok(Number.isFinite(checksum));
    assert.equal(live(), base);
    x.dispose();
    w.dispose();
    assert.equal(live(), base - 2);
  });

  test('the returned tensor (and arrays, objects, Maps of tensors) survive; everything else is freed', () => {
    const base = live();
    const r = torch.tidy(() => {
      const a = torch.ones([2]);
      const b = a.add(1);
      a.mul(3);
      return { b, list: [b.mul(2), { deep: b.neg() }], map: new Map([['k', b.add(10)]]) };
    });
    assert.equal(live(), base + 4);
    assert.deepEqual(flat(r.b), [2, 2]);
    assert.deepEqual(flat(r.list[0] as torch.Tensor), [4, 4]);
    assert.deepEqual(flat((r.list[1] as { deep: torch.Tensor }).deep), [-2, -2]);
    assert.deepEqual(flat(r.map.get('k')!), [12, 12]);
    torch.disposeAll(r);
    assert.equal(live(), base);
  });

  test('nested tidy hands its result to the parent scope, which frees it unless returned', () => {
    const base = live();
    let innerResult: torch.Tensor | undefined;
    const outer = torch.tidy(() => {
      innerResult = torch.tidy(() => torch.ones([3]).mul(2));
      assert.equal(innerResult.isDisposed, false);
      const kept = torch.tidy(() => torch.ones([1]).add(41));
      return kept;
    });
    assert.equal(innerResult!.isDisposed, true, 'freed when the parent scope ended');
    assert.equal(outer.isDisposed, false);
    assert.equal(outer.item(), 42);
    outer.dispose();
    assert.equal(live(), base);
  });

  test('tensors created outside the scope are untouched', () => {
    const outside = torch.ones([2]);
    const base = live();
    const same = torch.tidy(() => {
      outside.add(1);
      return outside;
    });
    assert.equal(same, outside);
    assert.equal(outside.isDisposed, false);
    assert.equal(live(), base);
    outside.dispose();
  });

  test('a throw inside tidy frees the scope and rethrows', () => {
    const base = live();
    assert.throws(() =>
      torch.tidy(() => {
        torch.ones([4]);
        torch.zeros([4]).mm(torch.zeros([4]));
      }),
    );
    assert.equal(live(), base);
  });

  test('tidy refuses an async function (and frees what it made)', async () => {
    await settle();
    const base = live();
    let p: Promise<unknown> | undefined;
    assert.throws(
      () =>
        torch.tidy((() => {
          torch.ones([1]);
          p = Promise.resolve(1);
          return p;
        }) as () => unknown),
      /tidy\(fn\): fn returned a Promise; use tidyAsync/,
    );
    await p;
    assert.equal(live(), base);
  });

  test('gradients read inside a scope are freed with it', () => {
    const x = torch.ones([3], { requiresGrad: true });
    const base = live();
    torch.tidy(() => {
      x.mul(2).sum().backward();
      assert.deepEqual(flat(x.grad!), [2, 2, 2]);
    });
    assert.equal(live(), base);
    const g = x.grad!;
    assert.deepEqual(flat(g), [2, 2, 2], 'the stored gradient itself lives on');
    torch.disposeAll([g, x]);
  });
});

describe('keep / disposeAll', () => {
  test('keep() lets a tensor escape every scope until disposed by hand', () => {
    const base = live();
    let kept: torch.Tensor | undefined;
    const objs = torch.tidy(() =>
      torch.tidy(() => {
        kept = torch.keep(torch.ones([2]).mul(5));
        const both = torch.keep({ a: torch.zeros([1]), b: [torch.ones([1])] });
        torch.ones([9]);
        return both;
      }),
    );
    // the outer scope ended without returning them: kept ones survive anyway
    assert.equal(kept!.isDisposed, false);
    assert.deepEqual(flat(kept!), [5, 5]);
    assert.equal(objs.a.isDisposed, false);
    assert.equal(live(), base + 3);
    kept!.dispose();
    torch.disposeAll(objs);
    assert.equal(live(), base);
  });
});

describe('tidyAsync', () => {
  test('the scope follows the function across awaits', async () => {
    await settle();
    const base = live();
    const r = await torch.tidyAsync(async () => {
      const a = torch.ones([2]);
      await tick();
      const b = a.add(1);
      await new Promise((res) => setTimeout(res, 5));
      const c = b.mul(b);
      await tick();
      return c;
    });
    assert.deepEqual(flat(r), [4, 4]);
    assert.equal(live(), base + 1);
    r.dispose();
    assert.equal(live(), base);
  });

  test('two interleaved tidyAsync calls free only their own tensors', async () => {
    await settle();
    const base = live();
    const run = async (v: number, delay: number) =>
      torch.tidyAsync(async () => {
        const t = torch.full([2], v);
        await new Promise((res) => setTimeout(res, delay));
        const u = t.mul(10);
        await new Promise((res) => setTimeout(res, delay));
        return u.add(v);
      });
    const [a, b] = await Promise.all([run(1, 10), run(2, 3)]);
    assert.deepEqual(flat(a), [11, 11]);
    assert.deepEqual(flat(b), [22, 22]);
    assert.equal(live(), base + 2);
    a.dispose();
    b.dispose();
    assert.equal(live(), base);
  });

  test('a rejection frees the scope', async () => {
    await settle();
    const base = live();
    await assert.rejects(
      torch.tidyAsync(async () => {
        torch.ones([3]);
        await tick();
        torch.ones([3]);
        throw new Error('nope');
      }),
      /nope/,
    );
    assert.equal(live(), base);
  });

  test('a sync tidy around tidyAsync does not capture the async tensors', async () => {
    await settle();
    const base = live();
    let p: Promise<torch.Tensor> | undefined;
    torch.tidy(() => {
      p = torch.tidyAsync(async () => {
        const early = torch.ones([1]).add(1); // made synchronously, inside the sync tidy's extent
        await tick();
        return early.mul(3);
      });
    });
    const r = await p!;
    assert.equal(r.item(), 6);
    r.dispose();
    assert.equal(live(), base);
  });

  test('nested tidy inside tidyAsync hands results to the async scope', async () => {
    await settle();
    const base = live();
    const r = await torch.tidyAsync(async () => {
      const a = torch.tidy(() => torch.ones([2]).mul(7));
      await tick();
      return a.add(torch.tidy(() => torch.ones([2])));
    });
    assert.deepEqual(flat(r), [8, 8]);
    r.dispose();
    assert.equal(live(), base);
  });
});

describe('using declarations and torch.scope()', () => {
  test('`using` disposes a tensor at the end of its block', () => {
    const base = live();
    let escaped: torch.Tensor;
    {
      using t = torch.ones([4]);
      escaped = t;
      assert.equal(live(), base + 1);
      assert.equal(t.sum().item(), 4); // the sum result is not using-bound
    }
    assert.equal(escaped.isDisposed, true);
    assert.equal(live(), base + 1, 'only the un-bound sum result remains');
  });

  test('`using s = torch.scope()` frees everything created in the block', () => {
    const base = live();
    let inner: torch.Tensor;
    let kept: torch.Tensor;
    {
      using _s = torch.scope();
      inner = torch.ones([2]).mul(3).add(1);
      kept = torch.keep(inner.mul(2));
      assert.ok(live() > base);
    }
    assert.equal(inner.isDisposed, true);
    assert.equal(kept.isDisposed, false);
    assert.deepEqual(flat(kept), [8, 8]);
    kept.dispose();
    assert.equal(live(), base);
  });

  test('nested scopes close innermost first; tidy inside a scope returns into it', () => {
    const base = live();
    {
      using _outer = torch.scope();
      const a = torch.ones([1]);
      {
        using _inner = torch.scope();
        torch.ones([1]);
        const fromTidy = torch.tidy(() => torch.ones([1]).add(1));
        assert.equal(fromTidy.isDisposed, false);
      }
      assert.equal(a.isDisposed, false);
      assert.equal(live(), base + 1);
    }
    assert.equal(live(), base);
  });

  test('a thrown error still disposes the using-bound scope', () => {
    const base = live();
    assert.throws(() => {
      using _s = torch.scope();
      torch.ones([2]);
      throw new Error('x');
    });
    assert.equal(live(), base);
  });
});

describe('library functions built from several ops free their temporaries', () => {
  const x = torch.randn([2, 3, 4, 4]);
  const xh = x.half();
  const i = torch.tensor([[1, -2], [3, 4]]);
  const id = i.double();
  const m = torch.tensor([[true, false], [false, true]]);
  const mask = torch.ones([4, 4], { dtype: 'bool' });
  const z44 = torch.zeros([4, 4]);
  const z616 = torch.zeros([6, 16]);
  const z322 = torch.zeros([3, 2, 2]);
  const cases: [string, () => unknown][] = [
    ['tensor() with a dtype conversion', () => torch.tensor([[1, 2], [3, 4]], { dtype: 'float16' })],
    ['tensor() from a typed array with a dtype', () => torch.tensor(new Int32Array([1, 2]), { dtype: 'float64' })],
    ['toTypedArray of float16', () => void xh.toTypedArray()],
    ['div with roundingMode and a scalar', () => i.div(3, 'floor')],
    ['div with roundingMode and a tensor', () => i.div(i, 'trunc')],
    ['Tensor.where with a scalar', () => i.where(m, 0)],
    ['torch.where with scalars', () => torch.where(m, 1.5, id)],
    ['F.normalize', () => torch.F.normalize(x, 2, 1)],
    ['F.scaledDotProductAttention with a bool mask', () => torch.F.scaledDotProductAttention(x, x, x, { attnMask: mask })],
    ['F.adaptiveMaxPool2d', () => torch.F.adaptiveMaxPool2d(x, 2)],
    ['F.interpolate', () => torch.F.interpolate(x, { size: 6, mode: 'bilinear' })],
    ['index with slices, None, ... and arrays', () => x.index(0, '...', [1, 2], torch.slice(1, 3))],
    ['index with a string', () => x.index('..., None, 1:3, -1')],
    ['indexPut_ with arrays', () => x.clone().indexPut_([[0, 1], '...', 0], 1)],
    ['indexPut_ with a string and a tensor value', () => x.clone().indexPut_(':, 0', z44)],
    ['Generator.getState', () => new torch.Generator({ seed: 1 }).getState()],
    ['unflatten / viewAs / expandAs', () => [x.unflatten(1, [3, 1]), x.viewAs(z616), i.expandAs(z322)]],
  ];
  for (const [name, fn] of cases) {
    test(name, () => {
      assertNoLeak(() => {
        const r = fn();
        torch.disposeAll(r);
      }, name);
    });
  }
});

describe('nativeBytes', () => {
  test('counts distinct storages: views add nothing, dispose returns the bytes', () => {
    const b0 = torch.memory.nativeBytes();
    const t = torch.zeros([1000]);
    assert.equal(torch.memory.nativeBytes() - b0, 4000);
    const v = t.view(10, 100);
    const s = t.index('1:5');
    assert.equal(torch.memory.nativeBytes() - b0, 4000, 'views share the storage');
    const d = torch.zeros([10], { dtype: 'float64' });
    assert.equal(torch.memory.nativeBytes() - b0, 4080);
    t.dispose();
    assert.equal(torch.memory.nativeBytes() - b0, 4080, 'the views keep the storage alive');
    v.dispose();
    s.dispose();
    d.dispose();
    assert.equal(torch.memory.nativeBytes(), b0);
  });
});

describe('the garbage collector is a backstop', () => {
  test('a forgotten handle is released after GC', async () => {
    await settle(); // collect what earlier tests dropped without disposing
    const base = live();
    (() => {
      for (let i = 0; i < 50; i++) torch.ones([10]);
    })();
    assert.equal(live(), base + 50);
    for (let i = 0; i < 10 && live() > base; i++) {
      gc();
      await tick();
    }
    assert.equal(live(), base);
  });

  test('dispose() frees without GC (no double free when GC runs later)', async () => {
    assertNoLeak(() => torch.ones([3]).dispose());
    gc();
    await tick();
    assert.equal(torch.ones([1]).item(), 1);
  });
});
