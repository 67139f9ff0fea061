import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import yazl from 'yazl';
import { CheckpointError } from '../../src/io/errors.js';
import { readTorchFile } from '../../src/io/torch-file.js';
import { isOrderedDict, pyAttributes } from '../../src/io/pickle.js';
import { contiguousBytes, type TensorRecord } from '../../src/io/tensor-record.js';
import { canonical, collectTensors, expected, fixture, isCleanError, tempDir } from './helpers.js';

async function rejectsWith(path: string, pattern: RegExp): Promise<void> {
  await assert.rejects(readTorchFile(path), (err: unknown) => {
    assert.ok(err instanceof CheckpointError, `expected CheckpointError, got ${String(err)}`);
    assert.ok(isCleanError(err));
    assert.ok(err.message.startsWith(`${path}: `), err.message);
    assert.match(err.message, pattern);
    return true;
  });
}

function zipBuffer(entries: Array<[string, Uint8Array | string]>, compress = false): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, data] of entries) {
    zip.addBuffer(Buffer.from(typeof data === 'string' ? Buffer.from(data) : data), name, { compress });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

describe('readTorchFile: fixtures written by torch.save', () => {
  for (const [name, want] of Object.entries(expected.files)) {
    test(name, async () => {
      const value = await readTorchFile(fixture(name));
      assert.deepStrictEqual(canonical(value), want);
    });
  }

  test('views share one StorageRecord and keep offsets/strides', async () => {
    for (const name of ['views_zip.pth', 'views_legacy.pth']) {
      const v = (await readTorchFile(fixture(name))) as Map<string, TensorRecord>;
      const base = v.get('base')!;
      for (const k of ['transpose', 'slice', 'step', 'row', 'element', 'expand']) {
        assert.equal(v.get(k)!.storage, base.storage, `${name}: ${k}`);
      }
      assert.notEqual(v.get('other')!.storage, base.storage);
      assert.deepEqual(v.get('transpose')!.strides, [1, 6]);
      assert.equal(v.get('slice')!.storageOffset, 8);
      assert.deepEqual(v.get('expand')!.strides, [0, 1]);
    }
  });

  test('state dicts are OrderedDicts with _metadata attributes', async () => {
    const sd = await readTorchFile(fixture('state_dict_zip.pth'));
    assert.ok(isOrderedDict(sd));
    const meta = pyAttributes(sd)?.get('_metadata');
    assert.ok(isOrderedDict(meta));
    assert.deepEqual([...(meta as Map<string, unknown>).keys()], ['', '0', '1']);
  });

  test('GDT-style checkpoint: args Namespace is a plain object, epoch a number', async () => {
    const ck = (await readTorchFile(fixture('gdt_checkpoint_zip.pth'))) as Map<string, unknown>;
    assert.equal(ck.get('epoch'), 5);
    const args = ck.get('args') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(args), Object.prototype);
    assert.equal(args.model, 'av_gdt');
    assert.deepEqual(args.milestones, [2, 4]);
    const model = ck.get('model');
    assert.ok(isOrderedDict(model));
    const optimizer = ck.get('optimizer') as Map<string, unknown>;
    const state = optimizer.get('state') as Map<unknown, unknown>;
    assert.deepEqual([...state.keys()], [0, 1, 2, 3]); // int keys stay ints
  });

  test('module.-prefixed checkpoint', async () => {
    for (const name of ['module_checkpoint_zip.pth', 'module_checkpoint_legacy.pth']) {
      const ck = (await readTorchFile(fixture(name))) as Map<string, unknown>;
      const sd = ck.get('state_dict') as Map<string, unknown>;
      assert.ok([...sd.keys()].every((k) => k.startsWith('module.')));
    }
  });
});

describe('readTorchFile: refuses malicious files without executing them', () => {
  before(() => rmSync(expected.marker, { force: true }));
  after(() => assert.equal(existsSync(expected.marker), false, 'marker file was created'));

  for (const [name, global] of Object.entries(expected.malicious)) {
    test(name, async () => {
      const escaped = global.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      await rejectsWith(fixture(name), new RegExp(`refused global '${escaped}'`));
      assert.equal(existsSync(expected.marker), false);
    });
  }
});

describe('readTorchFile: clean errors', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());

  test('missing file, directory, empty file, garbage', async () => {
    await rejectsWith(join(dir, 'nope.pth'), /no such file/);
    mkdirSync(join(dir, 'adir'));
    await rejectsWith(join(dir, 'adir'), /directory|regular file/);
    writeFileSync(join(dir, 'empty.pth'), '');
    await rejectsWith(join(dir, 'empty.pth'), /empty file/);
    writeFileSync(join(dir, 'text.pth'), 'hello world, definitely not a checkpoint\n');
    await rejectsWith(join(dir, 'text.pth'), /not a torch file/);
  });

  test('raw pickle without the legacy header', async () => {
    await rejectsWith(fixture('plain_p2.pkl'), /not a torch file/);
  });

  test('zip archives that are not torch checkpoints', async () => {
    const p = join(dir, 'other.zip');
    writeFileSync(p, await zipBuffer([['readme.txt', 'hi']]));
    await rejectsWith(p, /not a torch checkpoint/);
    writeFileSync(p, await zipBuffer([['archive/version', '3\n']]));
    await rejectsWith(p, /no "archive\/data\.pkl"/);
    writeFileSync(p, await zipBuffer([['archive/data.pkl', '\x80\x02.'], ['archive/constants.pkl', '']]));
    await rejectsWith(p, /TorchScript/);
  });

  test('storage entry missing from the zip', async () => {
    // The data.pkl of a real checkpoint, without its storages.
    const pkl = await extractDataPkl(fixture('views_zip.pth'));
    const p = join(dir, 'nostorage.pth');
    writeFileSync(p, await zipBuffer([['archive/data.pkl', pkl], ['archive/version', '3\n']]));
    await rejectsWith(p, /storage "0" is missing/);
  });

  test('deflated entries are supported (re-zipped checkpoint)', async () => {
    const pkl = await extractDataPkl(fixture('views_zip.pth'));
    const base = new Float32Array(24).map((_, i) => i);
    const other = new Float32Array([7, 8]);
    const ints = new Int32Array(10).map((_, i) => i);
    const scalar = new Float64Array([3.5]);
    const p = join(dir, 'deflated.pth');
    writeFileSync(
      p,
      await zipBuffer(
        [
          ['archive/data.pkl', pkl],
          ['archive/data/0', new Uint8Array(base.buffer)],
          ['archive/data/1', new Uint8Array(ints.buffer)],
          ['archive/data/2', new Uint8Array(other.buffer)],
          ['archive/data/3', new Uint8Array(scalar.buffer)],
          ['archive/version', '3\n'],
        ],
        true,
      ),
    );
    const v = await readTorchFile(p);
    assert.deepStrictEqual(canonical(v), expected.files['views_zip.pth']);
  });

  test("byteorder 'big' storages are swapped to little-endian", async () => {
    const pkl = await extractDataPkl(fixture('views_zip.pth'));
    const be = (arr: Float32Array | Int32Array | Float64Array): Uint8Array => {
      const out = new Uint8Array(arr.byteLength);
      const dv = new DataView(out.buffer);
      arr.forEach((x, i) => {
        if (arr instanceof Float32Array) dv.setFloat32(i * 4, x);
        else if (arr instanceof Int32Array) dv.setInt32(i * 4, x);
        else dv.setFloat64(i * 8, x);
      });
      return out;
    };
    const p = join(dir, 'bigendian.pth');
    writeFileSync(
      p,
      await zipBuffer([
        ['archive/data.pkl', pkl],
        ['archive/byteorder', 'big'],
        ['archive/data/0', be(new Float32Array(24).map((_, i) => i))],
        ['archive/data/1', be(new Int32Array(10).map((_, i) => i))],
        ['archive/data/2', be(new Float32Array([7, 8]))],
        ['archive/data/3', be(new Float64Array([3.5]))],
        ['archive/version', '3\n'],
      ]),
    );
    assert.deepStrictEqual(canonical(await readTorchFile(p)), expected.files['views_zip.pth']);
  });

  test('corrupt storage bytes are caught by the CRC when read', async () => {
    const p = join(dir, 'crc.pth');
    const buf = readFileSync(fixture('views_zip.pth'));
    // data/0 holds 0..23 as float32; flip a byte of the value 5.0 (0x40a00000).
    const at = buf.indexOf(Buffer.from([0x00, 0x00, 0xa0, 0x40]));
    assert.ok(at > 0);
    buf[at + 3] = 0x41;
    writeFileSync(p, buf);
    const v = (await readTorchFile(p)) as Map<string, TensorRecord>;
    assert.throws(() => contiguousBytes(v.get('base')!), /CRC mismatch/);
  });

  test('truncated files fail at open time', async () => {
    // The tar ends in zero padding, so cut it inside its members instead.
    for (const [name, cut] of [['views_zip.pth', -40], ['views_legacy.pth', -40], ['tar_format.pth', 1800]] as const) {
      const p = join(dir, `trunc-${name}`);
      const buf = readFileSync(fixture(name));
      writeFileSync(p, buf.subarray(0, cut < 0 ? buf.length + cut : cut));
      await assert.rejects(readTorchFile(p), (err: unknown) => isCleanError(err) && err instanceof CheckpointError);
    }
  });

  test('storage bytes are read lazily and a replaced file is detected', async () => {
    const p = join(dir, 'lazy.pth');
    copyFileSync(fixture('views_legacy.pth'), p);
    const v = (await readTorchFile(p)) as Map<string, TensorRecord>;
    const size = readFileSync(p).length;
    truncateSync(p, size - 1);
    assert.throws(() => contiguousBytes(v.get('base')!), /file changed since it was opened/);
    copyFileSync(fixture('views_legacy.pth'), p);
    utimesSync(p, new Date(0), new Date(0));
    assert.throws(() => contiguousBytes(v.get('base')!), /file changed/);
  });
});

async function extractDataPkl(path: string): Promise<Uint8Array> {
  const { default: yauzl } = await import('yauzl');
  const zip = await yauzl.openPromise(path, { lazyEntries: true });
  try {
    for await (const e of zip.eachEntry()) {
      if (e.fileName.endsWith('/data.pkl')) {
        const stream = await zip.openReadStreamPromise(e);
        const chunks: Buffer[] = [];
        for await (const c of stream) chunks.push(c as Buffer);
        return Buffer.concat(chunks);
      }
    }
  } finally {
    zip.close();
  }
  throw new Error('no data.pkl');
}

describe('readTorchFile: fuzzing corrupt and truncated inputs', () => {
  let dir: string;
  let cleanup: () => void;
  before(() => ({ dir, cleanup } = tempDir()));
  after(() => cleanup());

  const sources = ['views_zip.pth', 'nested_zip.pth', 'views_legacy.pth', 'gdt_checkpoint_legacy.pth', 'tar_format.pth'];
  for (const name of sources) {
    test(`${name}: truncation and byte corruption give clean errors`, { timeout: 60_000 }, async () => {
      const original = new Uint8Array(readFileSync(fixture(name)));
      const p = join(dir, `fuzz-${name}`);
      const mutation = fc.oneof(
        fc.record({ kind: fc.constant('truncate' as const), at: fc.nat({ max: original.length - 1 }) }),
        fc.record({
          kind: fc.constant('corrupt' as const),
          edits: fc.array(fc.tuple(fc.nat({ max: original.length - 1 }), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 8,
          }),
        }),
      );
      await fc.assert(
        fc.asyncProperty(mutation, async (m) => {
          let bytes: Uint8Array;
          if (m.kind === 'truncate') bytes = original.subarray(0, m.at);
          else {
            bytes = original.slice();
            for (const [i, b] of m.edits) bytes[i] = b;
          }
          writeFileSync(p, bytes);
          try {
            const v = await readTorchFile(p);
            // Reading succeeded (e.g. only tensor data changed): materialising
            // every tensor must then either work or fail cleanly too.
            for (const t of collectTensors(v)) {
              try {
                contiguousBytes(t);
              } catch (err) {
                if (!(err instanceof CheckpointError) || !isCleanError(err)) throw err;
              }
            }
          } catch (err) {
            if (!(err instanceof CheckpointError) || !isCleanError(err) || !err.message.startsWith(`${p}: `)) {
              throw new Error(`unclean error for ${JSON.stringify(m)}: ${String(err)}`);
            }
          }
        }),
        { numRuns: 200, interruptAfterTimeLimit: 20_000 },
      );
    });
  }
});
