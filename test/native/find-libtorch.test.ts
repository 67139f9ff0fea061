// The libtorch locator: LIBTORCH layouts, ABI detection, CUDA header lookup, clear failures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

const script = new URL('../../native/find-libtorch.mjs', import.meta.url).pathname;

function fakeLibtorch(opts: { abi?: 0 | 1; cuda?: boolean; cudaHeaders?: boolean } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'gdt-libtorch-'));
  mkdirSync(join(root, 'include', 'ATen'), { recursive: true });
  mkdirSync(join(root, 'include', 'torch', 'csrc', 'api', 'include', 'torch'), { recursive: true });
  mkdirSync(join(root, 'lib'), { recursive: true });
  mkdirSync(join(root, 'share', 'cmake', 'Torch'), { recursive: true });
  writeFileSync(join(root, 'include', 'ATen', 'ATen.h'), '');
  writeFileSync(
    join(root, 'include', 'torch', 'csrc', 'api', 'include', 'torch', 'version.h'),
    '#define TORCH_VERSION_MAJOR 2\n#define TORCH_VERSION_MINOR 11\n#define TORCH_VERSION_PATCH 0\n',
  );
  writeFileSync(join(root, 'lib', 'libtorch_cpu.so'), '');
  if (opts.abi !== undefined) {
    writeFileSync(join(root, 'share', 'cmake', 'Torch', 'TorchConfig.cmake'), `set(TORCH_CXX_FLAGS "-D_GLIBCXX_USE_CXX11_ABI=${opts.abi}")\n`);
  }
  if (opts.cuda) writeFileSync(join(root, 'lib', 'libtorch_cuda.so'), '');
  if (opts.cudaHeaders) {
    mkdirSync(join(root, 'cuda', 'include'), { recursive: true });
    writeFileSync(join(root, 'cuda', 'include', 'cuda_runtime_api.h'), '');
  }
  return root;
}

function run(env: Record<string, string>): { out: string; code: number } {
  try {
    return { out: execFileSync(process.execPath, [script, '--json'], { env: { ...process.env, ...env }, stdio: 'pipe' }).toString(), code: 0 };
  } catch (e) {
    const err = e as { stderr: Buffer; status: number };
    return { out: err.stderr.toString(), code: err.status };
  }
}

test('LIBTORCH=<dir> is used first, with its version and C++ ABI', () => {
  const root = fakeLibtorch({ abi: 0 });
  const r = run({ LIBTORCH: root });
  assert.equal(r.code, 0, r.out);
  const j = JSON.parse(r.out) as { source: string; version: string; cxx11Abi: boolean; defines: string[]; cuda: boolean; ldflags: string[] };
  assert.equal(j.source, 'LIBTORCH');
  assert.equal(j.version, '2.11.0');
  assert.equal(j.cxx11Abi, false);
  assert.ok(j.defines.includes('_GLIBCXX_USE_CXX11_ABI=0'));
  assert.equal(j.cuda, false);
  assert.ok(j.ldflags.includes(`-Wl,-rpath,${join(root, 'lib')}`));
});

test('a CUDA libtorch links its CUDA libraries with --no-as-needed and needs the CUDA headers', () => {
  const root = fakeLibtorch({ abi: 1, cuda: true, cudaHeaders: true });
  const r = run({ LIBTORCH: root, CUDA_HOME: join(root, 'cuda') });
  assert.equal(r.code, 0, r.out);
  const j = JSON.parse(r.out) as { libs: string[]; defines: string[]; includeDirs: string[] };
  assert.deepEqual(j.libs.slice(0, 3), ['-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda']);
  assert.ok(j.defines.includes('GDT_WITH_CUDA=1'));
  assert.ok(j.includeDirs.includes(join(root, 'cuda', 'include')));

  const bare = fakeLibtorch({ cuda: true });
  const r2 = run({ LIBTORCH: bare, CUDA_HOME: '/nonexistent' });
  // Either the machine has a CUDA toolkit in a standard place, which must then be used, or the
  // build stops with a message saying how to provide one.
  if (r2.code === 0) {
    const dirs = (JSON.parse(r2.out) as { includeDirs: string[] }).includeDirs;
    assert.ok(dirs.some((d) => existsSync(join(d, 'cuda_runtime_api.h'))), dirs.join(':'));
  } else {
    assert.match(r2.out, /cuda_runtime_api\.h was not found; set CUDA_HOME/);
  }
});

test('a wrong LIBTORCH fails with instructions', () => {
  const r = run({ LIBTORCH: '/nonexistent/libtorch' });
  assert.notEqual(r.code, 0);
  assert.match(r.out, /LIBTORCH=\/nonexistent\/libtorch does not contain include\/ATen\/ATen\.h/);
  assert.match(r.out, /apt-get install libtorch-dev/);
});
