import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  BufferReader,
  PickleError,
  allowedGlobals,
  isOrderedDict,
  pyAttributes,
  unpickle,
} from '../../src/io/pickle.js';
import { isTensorRecord, storageFromBytes, type TensorRecord } from '../../src/io/tensor-record.js';
import { pickleTorchObject } from '../../src/io/torch-writer.js';
import { canonical, expected, fixture, isCleanError } from './helpers.js';

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

function refuses(data: Uint8Array, global: string): void {
  assert.throws(
    () => unpickle(data, { persistentLoad: () => assert.fail('persistentLoad must not run') }),
    (err: unknown) => err instanceof PickleError && isCleanError(err) && err.message.includes(`refused global '${global}'`),
  );
}

describe('unpickle: plain pickles of every protocol', () => {
  for (const [name, want] of Object.entries(expected.pickles)) {
    test(name, () => {
      assert.deepStrictEqual(canonical(unpickle(readFileSync(fixture(name)))), want);
    });
  }
});

describe('unpickle: opcodes and value mapping', () => {
  test('protocol 0 text opcodes', () => {
    // INT/LONG/FLOAT/STRING/UNICODE/booleans/PUT/GET/DICT/LIST/TUPLE
    const v = unpickle(
      bytes("(dp0\nS'a'\np1\nI01\nsS'b'\np2\n(lp3\nI-5\naL123456789012345678901L\naF-0.25\naVx\\u00e9\\U0001f600\nag1\nasS'c'\n(I00\nNtp4\ns."),
    ) as Map<string, unknown>;
    assert.equal(v.get('a'), true);
    assert.deepEqual(v.get('b'), [-5, 123456789012345678901n, -0.25, 'xé😀', 'a']);
    assert.deepEqual(v.get('c'), [false, null]);
  });

  test('STRING escapes', () => {
    assert.equal(unpickle(bytes("S'a\\'b\\n\\x41\\\\'\n.")), "a'b\nA\\");
  });

  test('binary ints, LONG1/LONG4, BINFLOAT is big-endian', () => {
    assert.equal(unpickle(bytes('\x80\x02J\xff\xff\xff\xff.')), -1);
    assert.equal(unpickle(bytes('\x80\x02M\xff\xff.')), 65535);
    assert.equal(unpickle(bytes('\x80\x02\x8a\x00.')), 0);
    assert.equal(unpickle(bytes('\x80\x02\x8a\x01\xff.')), -1);
    assert.equal(unpickle(bytes('\x80\x02\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01.')), 2n ** 64n);
    assert.equal(unpickle(bytes('\x80\x02\x8b\x02\x00\x00\x00\x00\x80.')), -32768);
    assert.equal(unpickle(bytes('\x80\x02G?\xf8\x00\x00\x00\x00\x00\x00.')), 1.5);
  });

  test('protocol 4/5: FRAME, MEMOIZE, SHORT_BINUNICODE, sets, BYTEARRAY8', () => {
    const v = unpickle(
      bytes(
        '\x80\x05\x95\x00\x00\x00\x00\x00\x00\x00\x00' +
          '(\x8c\x01a\x94\x8f\x94(K\x01K\x02\x90(K\x03\x91' +
          '\x96\x02\x00\x00\x00\x00\x00\x00\x00\x01\x02h\x00t.',
      ),
    ) as unknown[];
    assert.equal(v[0], 'a');
    assert.deepEqual(v[1], new Set([1, 2]));
    assert.deepEqual(v[2], new Set([3]));
    assert.deepEqual(v[3], Uint8Array.from([1, 2]));
    assert.equal(v[4], 'a');
  });

  test('shared references stay shared, self references work', () => {
    const v = unpickle(bytes('\x80\x02]q\x00h\x00a.')) as unknown[];
    assert.equal(v[0], v);
    const w = unpickle(bytes('\x80\x02]q\x00(]q\x01h\x01e.')) as unknown[];
    assert.equal(w[0], w[1]);
  });

  test('dict keys keep their Python types and order', () => {
    const m = unpickle(bytes('\x80\x02}(K\x02X\x01\x00\x00\x00bK\x01X\x01\x00\x00\x00aK\x01K\x02\x86N\x88K\x00u.')) as Map<unknown, unknown>;
    assert.deepEqual([...m.values()], ['b', 'a', null, 0]);
    const keys = [...m.keys()];
    assert.equal(keys[0], 2);
    assert.deepEqual(keys[2], [1, 2]);
    assert.equal(keys[3], true);
  });

  test('OrderedDict with BUILD attributes; plain dict is not ordered', () => {
    const od = unpickle(
      bytes('\x80\x02ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00zK\x01u}X\x09\x00\x00\x00_metadata}sb.'),
    );
    assert.ok(isOrderedDict(od));
    assert.deepEqual([...(od as Map<string, unknown>).keys()], ['z']);
    assert.ok(pyAttributes(od as object)?.get('_metadata') instanceof Map);
    assert.equal(isOrderedDict(unpickle(bytes('\x80\x02}.'))), false);
  });

  test('argparse.Namespace becomes a plain object; __proto__ stays data', () => {
    const ns = unpickle(
      bytes('\x80\x02cargparse\nNamespace\n)\x81}(X\x02\x00\x00\x00lrG?\xb9\x99\x99\x99\x99\x99\x9aX\x09\x00\x00\x00__proto__K\x07ub.'),
    ) as Record<string, unknown>;
    assert.equal(ns.lr, 0.1);
    assert.equal(Object.getPrototypeOf(ns), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(ns, '__proto__')?.value, 7);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('torch.device, dtype, Size, _codecs bytes, numpy scalar', () => {
    assert.equal(unpickle(bytes('\x80\x02ctorch\ndevice\nX\x04\x00\x00\x00cudaK\x01\x86R.')), 'cuda:1');
    assert.equal(unpickle(bytes('\x80\x02ctorch\nbfloat16\n.')), 'bfloat16');
    assert.deepEqual(unpickle(bytes('\x80\x02ctorch\nSize\nK\x02K\x03\x86\x85R.')), [2, 3]);
    assert.deepEqual(
      unpickle(bytes('\x80\x02c_codecs\nencode\nX\x03\x00\x00\x00\xc3\xbfaX\x06\x00\x00\x00latin1\x86R.')),
      Uint8Array.from([0xff, 0x61]),
    );
    assert.equal(
      unpickle(
        bytes(
          '\x80\x02cnumpy.core.multiarray\nscalar\ncnumpy\ndtype\nX\x02\x00\x00\x00i8\x89\x88\x87R' +
            '(K\x03X\x01\x00\x00\x00<NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb' +
            'C\x08\x07\x00\x00\x00\x00\x00\x00\x00\x86R.',
        ),
      ),
      7,
    );
  });

  test('tensors: _rebuild_tensor_v2 and _rebuild_parameter over a persistent storage', () => {
    const storage = storageFromBytes('s', 'float32', new Uint8Array(24));
    const pkl = pickleTorchObject({
      t: { dtype: 'float32', shape: [2, 2], strides: [1, 2], storageOffset: 1, storage, requiresGrad: true },
    } satisfies Record<string, TensorRecord>).pickle;
    const seen: unknown[] = [];
    const v = unpickle(pkl, {
      persistentLoad: (pid) => {
        seen.push(pid);
        return storage;
      },
    }) as Map<string, TensorRecord>;
    assert.equal(seen.length, 1);
    const [, type, key, loc, numel] = seen[0] as unknown[];
    assert.equal((type as { dtype: string }).dtype, 'float32');
    assert.deepEqual([key, loc, numel], ['0', 'cpu', 6]);
    const t = v.get('t')!;
    assert.ok(isTensorRecord(t));
    assert.deepEqual([t.shape, t.strides, t.storageOffset, t.requiresGrad], [[2, 2], [1, 2], 1, true]);
    assert.equal(t.storage, storage);
  });

  test('views that leave their storage are rejected', () => {
    const storage = storageFromBytes('s', 'float32', new Uint8Array(8));
    const big = { dtype: 'float32', shape: [3], strides: [1], storageOffset: 0, storage } as const;
    // Build the pickle against a larger fake storage, then load with the small one.
    const pkl = pickleTorchObject({ ...big, storage: storageFromBytes('x', 'float32', new Uint8Array(12)) }).pickle;
    assert.throws(() => unpickle(pkl, { persistentLoad: () => storage }), /reaches element 2 of a storage of 2/);
  });

  test('allow-list is small and contains no callables of concern', () => {
    const names = allowedGlobals();
    for (const bad of ['builtins.eval', 'builtins.exec', 'os.system', 'posix.system', 'builtins.getattr', 'subprocess.Popen']) {
      assert.ok(!names.includes(bad), bad);
    }
    assert.ok(names.includes('torch._utils._rebuild_tensor_v2'));
  });
});

describe('unpickle: refusals', () => {
  const MARKER = expected.marker;
  before(() => rmSync(MARKER, { force: true }));
  after(() => assert.equal(existsSync(MARKER), false));

  test('malicious fixture pickles', () => {
    for (const [name, global] of Object.entries(expected.malicious)) {
      if (name.endsWith('.pkl')) refuses(readFileSync(fixture(name)), global);
    }
  });

  test('GLOBAL, STACK_GLOBAL, INST, py2 module names, EXT codes', () => {
    refuses(bytes('cbuiltins\ngetattr\n.'), 'builtins.getattr');
    refuses(bytes('c__builtin__\nexec\n.'), 'builtins.exec');
    refuses(bytes('\x80\x04\x8c\x02os\x8c\x06system\x93.'), 'os.system');
    refuses(bytes("(S'ls'\nios\nsystem\n."), 'os.system');
    refuses(bytes('ctorch\nload\n.'), 'torch.load');
    refuses(bytes('ctorch._utils\n_rebuild_device_tensor_from_numpy\n.'), 'torch._utils._rebuild_device_tensor_from_numpy');
    assert.throws(() => unpickle(bytes('\x80\x02\x82\x01.')), /refused extension-registry/);
  });

  test('allowed names cannot be abused', () => {
    // REDUCE on a non-callable, BUILD on an arbitrary object, NEWOBJ of a function.
    assert.throws(() => unpickle(bytes('\x80\x02X\x01\x00\x00\x00a)R.')), /non-callable/);
    assert.throws(() => unpickle(bytes('\x80\x02ctorch\nbfloat16\n)R.')), /non-callable/);
    assert.throws(() => unpickle(bytes('\x80\x02]}b.')), /BUILD is not supported/);
    assert.throws(() => unpickle(bytes('\x80\x02ctorch._utils\n_rebuild_tensor_v2\n)\x81.')), /cannot be instantiated/);
    assert.throws(() => unpickle(bytes('\x80\x02ctorch._utils\n_rebuild_tensor_v2\n)R.')), /expects 6-7 arguments/);
    assert.throws(() => unpickle(bytes('\x80\x02(X\x07\x00\x00\x00storagetQ.')), /persistent ids are not supported/);
  });

  test('malformed inputs', () => {
    const cases: Array<[string, RegExp]> = [
      ['', /truncated/],
      ['\x80\x02', /truncated/],
      ['\x80\x09N.', /unsupported pickle protocol 9/],
      ['\x80\x02.', /stack underflow/],
      ['\x80\x02e.', /missing MARK/],
      ['\x80\x02h\x05.', /memo key 5 missing/],
      ['\x80\x02X\xff\xff\xff\xff', /truncated/],
      ['\x80\x02\x8d\xff\xff\xff\xff\xff\xff\xff\xff', /truncated/],
      ['\x80\x02\xff', /unknown opcode 0xff/],
      ['\x80\x02K\x00K\x01K\x02s.', /SETITEM on a number/],
      ["S'abc\n.", /quoted/],
      ['Iabc\n.', /invalid INT literal/],
    ];
    for (const [src, re] of cases) {
      assert.throws(
        () => unpickle(bytes(src)),
        (err: unknown) => err instanceof PickleError && isCleanError(err) && re.test(err.message),
        JSON.stringify(src),
      );
    }
  });

  test('reads exactly one pickle from a stream', () => {
    const r = new BufferReader(bytes('\x80\x02K\x01.\x80\x02K\x02.'));
    assert.equal(unpickle(r), 1);
    assert.equal(r.position, 5);
    assert.equal(unpickle(r), 2);
  });
});

describe('unpickle: fuzzing', () => {
  const sources: Uint8Array[] = ['plain_p0.pkl', 'plain_p2.pkl', 'plain_p4.pkl', 'plain_p5.pkl', 'evil_eval.pkl', 'evil_stack_global.pkl'].map(
    (n) => new Uint8Array(readFileSync(fixture(n))),
  );
  const storage = storageFromBytes('s', 'float32', new Uint8Array(64));
  const torchPickle = pickleTorchObject({
    a: { dtype: 'float32', shape: [4, 2], strides: [2, 1], storageOffset: 4, storage },
    b: [1, 'x', new Map([[1, 2]]), 2n ** 70n, 0.5],
  }).pickle;
  sources.push(torchPickle);
  const options = { persistentLoad: () => storage };

  function check(data: Uint8Array): void {
    try {
      unpickle(data, options);
    } catch (err) {
      if (!(err instanceof PickleError) || !isCleanError(err)) throw err;
    }
  }

  test('truncated and corrupted pickles throw clean PickleErrors', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: sources.length - 1 }),
        fc.oneof(
          fc.record({ cut: fc.double({ min: 0, max: 1, noNaN: true }) }),
          fc.record({ edits: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }) }),
        ),
        (i, m) => {
          const src = sources[i]!;
          let data: Uint8Array;
          if ('cut' in m) data = src.subarray(0, Math.floor(m.cut * src.length));
          else {
            data = src.slice();
            for (const [pos, b] of m.edits) data[Math.min(src.length - 1, Math.floor(pos * src.length))] = b;
          }
          check(data);
        },
      ),
      { numRuns: 1000 },
    );
  });

  test('random bytes throw clean PickleErrors', { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (data) => check(data)),
      { numRuns: 1000 },
    );
  });
});
