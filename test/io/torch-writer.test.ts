import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import yauzl from 'yauzl';
import { CheckpointError } from '../../src/io/errors.js';
import { isOrderedDict, pyAttributes, setPyAttributes, markOrderedDict } from '../../src/io/pickle.js';
import { readTorchFile } from '../../src/io/torch-file.js';
import { PyFloat, writeTorchFile } from '../../src/io/torch-writer.js';
import { contiguousBytes, tensorRecordFromBytes, type DType, type TensorRecord } from '../../src/io/tensor-record.js';
import { PYTHON, REPO, canonical, expected, fixture, pythonTorchUnavailable, tempDir } from './helpers.js';

const bytesOf = (a: ArrayBufferView): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

function t(dtype: DType, shape: number[], data: ArrayBufferView, requiresGrad?: boolean): TensorRecord {
  return tensorRecordFromBytes(dtype, shape, bytesOf(data), requiresGrad === undefined ? {} : { requiresGrad });
}

/** Something torch 1.13's weights_only unpickler accepts (no floats, bytes or sets). */
function weightsOnlyObject(): Map<string, unknown> {
  const base = t('float32', [4, 6], new Float32Array(24).map((_, i) => i - 3.5));
  const stateDict = new Map<string, unknown>([
    ['conv.weight', t('float32', [2, 3], new Float32Array([1, -2, 3.25, 4, 5, 6]))],
    ['conv.bias', t('float32', [2], new Float32Array([0.5, -0.5]), true)],
    ['bn.num_batches_tracked', t('int64', [], new BigInt64Array([12n]))],
  ]);
  setPyAttributes(
    stateDict,
    new Map([['_metadata', markOrderedDict(new Map([['', new Map([['version', 1]])], ['bn', new Map([['version', 2]])]]))]]),
  );
  return new Map<string, unknown>([
    ['model', stateDict],
    [
      'dtypes',
      {
        f64: t('float64', [2], new Float64Array([Math.PI, -0])),
        f16: t('float16', [2], new Uint16Array([0x3c00, 0xfc00])),
        bf16: t('bfloat16', [2], new Uint16Array([0x3f80, 0x7fc0])),
        i64: t('int64', [3], new BigInt64Array([-(2n ** 63n), 0n, 2n ** 63n - 1n])),
        i32: t('int32', [1], new Int32Array([-7])),
        i16: t('int16', [1], new Int16Array([300])),
        i8: t('int8', [2], new Int8Array([-128, 127])),
        u8: t('uint8', [2], new Uint8Array([0, 255])),
        bool: t('bool', [3], new Uint8Array([1, 0, 1])),
        c64: t('complex64', [1], new Float32Array([1, -1])),
        c128: t('complex128', [1], new Float64Array([0.5, 2])),
        empty: t('float32', [0, 3], new Float32Array(0)),
        scalar: t('int32', [], new Int32Array([42])),
      },
    ],
    [
      'views',
      [
        base,
        { ...base, shape: [6, 4], strides: [1, 6] },
        { ...base, shape: [2, 3], strides: [6, 1], storageOffset: 8 },
        { ...base, shape: [4, 3], strides: [6, 2], storageOffset: 1 },
        { ...base, shape: [3, 6], strides: [0, 1], storageOffset: 6 },
        { ...base, shape: [], strides: [], storageOffset: 23 },
      ],
    ],
    ['epoch', 5],
    ['step', 2 ** 40],
    ['neg', -70000],
    ['huge', 2n ** 70n],
    ['name', 'gdt ✓'],
    ['flags', [true, false, null]],
    ['nested', { a: [1, [2, { b: 'c' }]], 'odd key': {} }],
  ]);
}

/** Needs weights_only=False on torch 1.13: floats, bytes, sets, tuple keys. */
function fullObject(): Record<string, unknown> {
  return {
    lr: 0.1,
    one: new PyFloat(1),
    specials: [NaN, Infinity, -Infinity, -0, 1e-310],
    bytes: Uint8Array.from([0, 255, 10]),
    empty_bytes: new Uint8Array(0),
    set: new Set([1, 3]), // Python iterates small int sets in sorted order
    tuple_keys: new Map<unknown, unknown>([[[1, 'a'], 'x'], [7, 'y']]),
    w: t('float32', [1], new Float32Array([2])),
  };
}

/** Equivalent modulo what Python cannot tell apart after our writer (dict flavours). */
function loosen(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(loosen);
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    if ('odict' in o) return { dict: loosen(o.odict) };
    if ('namespace' in o) return { dict: Object.entries(o.namespace as object).map(([k, x]) => [k, loosen(x)]) };
    if ('tensor' in o) return v;
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, loosen(x)]));
  }
  return v;
}

describe('writeTorchFile', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());

  test('round trip through our reader', async () => {
    const obj = weightsOnlyObject();
    const p = join(dir, 'rt.pth');
    await writeTorchFile(p, obj);
    const back = (await readTorchFile(p)) as Map<string, unknown>;
    assert.deepStrictEqual(loosen(canonical(back)), loosen(canonical(obj)));
    // State dicts become OrderedDicts and keep _metadata.
    const model = back.get('model');
    assert.ok(isOrderedDict(model));
    assert.ok(isOrderedDict(pyAttributes(model as object)?.get('_metadata')));
    // Views still share one storage, written once.
    const views = back.get('views') as TensorRecord[];
    assert.ok(views.every((v) => v.storage === views[0]!.storage));
    assert.equal(views[0]!.storage.numel, 24);
    assert.equal(views[1]!.storage.key, views[0]!.storage.key);
  });

  test('round trip of floats, bytes, sets, tuple keys and cycles', async () => {
    const obj = fullObject();
    const cyclic: unknown[] = [1];
    cyclic.push(cyclic);
    obj.cyclic = cyclic;
    const p = join(dir, 'full.pth');
    await writeTorchFile(p, obj, { archiveName: 'my_model' });
    const back = (await readTorchFile(p)) as Map<string, unknown>;
    assert.equal(back.get('lr'), 0.1);
    assert.ok(Object.is((back.get('specials') as number[])[3], -0));
    assert.deepEqual(back.get('bytes'), Uint8Array.from([0, 255, 10]));
    assert.deepEqual(back.get('set'), new Set([3, 1]));
    assert.deepEqual([...(back.get('tuple_keys') as Map<unknown, unknown>).keys()], [[1, 'a'], 7]);
    const c = back.get('cyclic') as unknown[];
    assert.equal(c[1], c);
  });

  test('round trip of every torch.save fixture', async () => {
    for (const name of Object.keys(expected.files)) {
      const first = await readTorchFile(fixture(name));
      const p = join(dir, `again-${name}`);
      await writeTorchFile(p, first);
      const second = await readTorchFile(p);
      assert.deepStrictEqual(loosen(canonical(second)), loosen(canonical(first)), name);
    }
  });

  test('zip layout: data.pkl first, stored, 64-byte aligned, version and byteorder', async () => {
    const p = join(dir, 'layout.pth');
    await writeTorchFile(p, weightsOnlyObject());
    const zip = await yauzl.openPromise(p, { lazyEntries: true });
    const names: string[] = [];
    try {
      for await (const e of zip.eachEntry()) {
        names.push(e.fileName);
        assert.equal(e.compressionMethod, 0);
        const { fileDataStart } = await zip.readLocalFileHeaderPromise(e, { minimal: true });
        assert.equal(fileDataStart % 64, 0, e.fileName);
        if (e.fileName.endsWith('/version') || e.fileName.endsWith('/byteorder')) {
          const s = await zip.openReadStreamPromise(e);
          let text = '';
          for await (const c of s) text += (c as Buffer).toString();
          assert.equal(text, e.fileName.endsWith('version') ? '3\n' : 'little');
        }
      }
    } finally {
      zip.close();
    }
    assert.equal(names[0], 'archive/data.pkl');
    assert.ok(names.includes('archive/data/0') && names.includes('archive/version') && names.includes('archive/byteorder'));
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
  });

  test('zip64 records are readable', async () => {
    const p = join(dir, 'zip64.pth');
    const obj = weightsOnlyObject();
    await writeTorchFile(p, obj, { forceZip64: true });
    assert.deepStrictEqual(loosen(canonical(await readTorchFile(p))), loosen(canonical(obj)));
  });

  test('clean errors for unpicklable input; the old file survives', async () => {
    const p = join(dir, 'keep.pth');
    writeFileSync(p, 'old');
    const cases: Array<[unknown, RegExp]> = [
      [{ a: { b: () => 1 } }, /cannot pickle a function at a\.b/],
      [{ when: new Date(0) }, /cannot pickle Date at when/],
      [{ s: Symbol('x') }, /cannot pickle a symbol/],
      [{ t: { ...t('float32', [2], new Float32Array(2)), shape: [3] } }, /invalid tensor .* at t/],
      [new Map([[{}, 1]]), /unhashable dict key/],
    ];
    for (const [obj, re] of cases) {
      await assert.rejects(writeTorchFile(p, obj), (err: unknown) => err instanceof CheckpointError && re.test(err.message) && err.message.startsWith(p));
    }
    await assert.rejects(writeTorchFile(p, {}, { archiveName: '../x' }), /invalid archive name/);
    assert.equal(readFileSync(p, 'utf8'), 'old');
  });
});

const PY_LOAD = `
import json, sys
sys.path.insert(0, 'scripts/fixtures')
import torch
from make_io_fixtures import Encoder
out = {}
for path, weights_only in json.loads(sys.argv[1]):
    obj = torch.load(path, weights_only=weights_only)
    out[path] = Encoder().enc(obj)
print(json.dumps(out, allow_nan=False))
`;

describe('writeTorchFile: loads in Python torch', { skip: pythonTorchUnavailable() }, () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());

  test('torch.load(weights_only=True) and full torch.load see what our reader sees', async () => {
    const jobs: Array<[string, boolean]> = [];
    const wo = join(dir, 'weights_only.pth');
    await writeTorchFile(wo, weightsOnlyObject());
    jobs.push([wo, true]);
    const wo64 = join(dir, 'weights_only_zip64.pth');
    await writeTorchFile(wo64, weightsOnlyObject(), { forceZip64: true });
    jobs.push([wo64, true]);
    const full = join(dir, 'full.pth');
    await writeTorchFile(full, fullObject(), { archiveName: 'renamed' });
    jobs.push([full, false]);
    for (const name of ['gdt_checkpoint_zip.pth', 'views_legacy.pth', 'nested_zip.pth', 'state_dict_zip.pth']) {
      const p = join(dir, `rewritten-${name}`);
      await writeTorchFile(p, await readTorchFile(fixture(name)));
      jobs.push([p, false]);
    }
    const r = spawnSync(PYTHON, ['-c', PY_LOAD, JSON.stringify(jobs)], { cwd: REPO, encoding: 'utf8', timeout: 300_000 });
    assert.equal(r.status, 0, r.stderr);
    const loaded = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const [path] of jobs) {
      const ours = canonical(await readTorchFile(path));
      assert.deepStrictEqual(loaded[path], ours, path);
    }
  });
});

test('materialised bytes survive a write/read cycle exactly', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const src = t('float32', [3, 2], new Float32Array([1, 2, 3, 4, 5, 6]));
    const tr = { ...src, shape: [2, 3], strides: [1, 2] };
    const p = join(dir, 'x.pth');
    await writeTorchFile(p, { tr });
    const back = ((await readTorchFile(p)) as Map<string, TensorRecord>).get('tr')!;
    assert.deepEqual([...new Float32Array(contiguousBytes(back).slice().buffer)], [1, 3, 5, 2, 4, 6]);
  } finally {
    cleanup();
  }
});
