// Locates a libtorch for the addon build. Order: LIBTORCH=<dir>, an installed Python torch that
// ships its headers (pip wheels do; Debian's python3-torch does not), Debian's system paths.
// Usage: node native/find-libtorch.mjs [--json | --cflags | --include-dirs | --ldflags | --libs | --defines]
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const INSTALL_HINT = [
  'gdt needs libtorch (PyTorch C++). Install one of:',
  '  - Debian/Ubuntu (CPU):   sudo apt-get install libtorch-dev',
  '  - any libtorch (CUDA too): unpack it and set LIBTORCH=/path/to/libtorch (the folder with include/ and lib/)',
  '  - pip install torch        (gdt then uses the headers and libraries inside the Python package)',
  'then run `npm ci` (or `npm run build:native`) again.',
].join('\n');

function libDirHas(dir, name) {
  return existsSync(join(dir, name));
}

function fromDir(root, source) {
  const include = join(root, 'include');
  const lib = join(root, 'lib');
  if (!existsSync(join(include, 'ATen', 'ATen.h')) || !libDirHas(lib, 'libtorch_cpu.so')) return null;
  const includeDirs = [include, join(include, 'torch', 'csrc', 'api', 'include')];
  return { source, root, includeDirs, libDir: lib, cxx11Abi: abiFromCMake(root) };
}

// Pre-2.7 pip wheels used the old C++ ABI; TorchConfig.cmake records which one a build uses.
function abiFromCMake(root) {
  for (const f of ['share/cmake/Torch/TorchConfig.cmake', 'share/cmake/Caffe2/Caffe2Config.cmake']) {
    const p = join(root, f);
    if (!existsSync(p)) continue;
    const m = /_GLIBCXX_USE_CXX11_ABI=([01])/.exec(readFileSync(p, 'utf8'));
    if (m) return m[1] === '1';
  }
  return null;
}

function fromPython() {
  const pythons = [process.env.PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  const code =
    'import os, torch; print(os.path.dirname(torch.__file__)); ' +
    'print(int(getattr(torch._C, "_GLIBCXX_USE_CXX11_ABI", 1)))';
  for (const py of pythons) {
    try {
      const out = execFileSync(py, ['-c', code], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 60000 })
        .toString()
        .trim()
        .split('\n');
      const found = fromDir(out[0], `python torch (${py})`);
      if (found) {
        found.cxx11Abi = out[1] === '1';
        return found;
      }
    } catch {
      // no python or no torch there: try the next one
    }
  }
  return null;
}

function fromSystem() {
  const include = '/usr/include';
  const candidates = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib'];
  if (!existsSync(join(include, 'ATen', 'ATen.h'))) return null;
  const libDir = candidates.find((d) => libDirHas(d, 'libtorch_cpu.so'));
  if (!libDir) return null;
  return {
    source: 'system (libtorch-dev)',
    root: '/usr',
    includeDirs: [join(include, 'torch', 'csrc', 'api', 'include')],
    libDir,
    cxx11Abi: true,
  };
}

export function findLibtorch() {
  let found = null;
  if (process.env.LIBTORCH) {
    found = fromDir(process.env.LIBTORCH, 'LIBTORCH');
    if (!found) {
      throw new Error(
        `LIBTORCH=${process.env.LIBTORCH} does not contain include/ATen/ATen.h and lib/libtorch_cpu.so.\n` +
          INSTALL_HINT,
      );
    }
  }
  found ??= fromPython() ?? fromSystem();
  if (!found) throw new Error('no libtorch found.\n' + INSTALL_HINT);
  const libs = readdirSync(found.libDir);
  found.cuda = libs.includes('libtorch_cuda.so');
  found.version = readVersion(found);
  if (found.cuda) {
    // c10/cuda headers include the CUDA runtime's; pip wheels ship them in nvidia/cuda_runtime.
    const cudaInclude = findCudaInclude(found);
    if (!cudaInclude) {
      throw new Error(
        `libtorch at ${found.root} has CUDA but cuda_runtime_api.h was not found; set CUDA_HOME to the CUDA ` +
          'toolkit (or pip install nvidia-cuda-runtime-cu12 beside torch).',
      );
    }
    found.includeDirs.push(cudaInclude);
  }
  return found;
}

function findCudaInclude(found) {
  const candidates = [
    process.env.CUDA_HOME && join(process.env.CUDA_HOME, 'include'),
    process.env.CUDA_PATH && join(process.env.CUDA_PATH, 'include'),
    '/usr/local/cuda/include',
    '/usr/include',
    // pip layout: <site-packages>/torch and <site-packages>/nvidia/cuda_runtime/include
    join(found.root, '..', 'nvidia', 'cuda_runtime', 'include'),
    join(found.root, '..', 'nvidia', 'cu13', 'include'),
  ].filter(Boolean);
  return candidates.find((d) => existsSync(join(d, 'cuda_runtime_api.h')));
}

function readVersion(found) {
  for (const dir of found.includeDirs.concat(found.includeDirs.map((d) => join(d, 'torch', 'csrc', 'api', 'include')))) {
    const p = join(dir, 'torch', 'version.h');
    if (existsSync(p)) {
      const t = readFileSync(p, 'utf8');
      const num = (k) => (new RegExp(`#define TORCH_VERSION_${k} (\\d+)`).exec(t) ?? [])[1];
      return `${num('MAJOR')}.${num('MINOR')}.${num('PATCH')}`;
    }
  }
  return 'unknown';
}

export function buildFlags(found) {
  const libs = ['-lc10', '-ltorch_cpu', '-ltorch'];
  const defines = [`_GLIBCXX_USE_CXX11_ABI=${found.cxx11Abi === false ? 0 : 1}`];
  if (found.cuda) {
    // --no-as-needed: nothing references libtorch_cuda directly, and without it the linker drops
    // it, so CUDA silently reports unavailable at run time.
    libs.unshift('-Wl,--no-as-needed', '-ltorch_cuda', '-lc10_cuda');
    libs.push('-Wl,--as-needed');
    defines.push('GDT_WITH_CUDA=1');
  }
  return {
    includeDirs: found.includeDirs,
    defines,
    ldflags: [`-L${found.libDir}`, `-Wl,-rpath,${found.libDir}`],
    libs,
  };
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  try {
    const found = findLibtorch();
    const flags = buildFlags(found);
    const arg = process.argv[2] ?? '--json';
    const out = {
      '--json': () => JSON.stringify({ ...found, ...flags }, null, 2),
      '--include-dirs': () => flags.includeDirs.join(' '),
      '--defines': () => flags.defines.join(' '),
      '--ldflags': () => flags.ldflags.join(' '),
      '--libs': () => flags.libs.join(' '),
    }[arg];
    if (!out) throw new Error(`unknown option ${arg}`);
    process.stdout.write(out() + '\n');
  } catch (e) {
    process.stderr.write(`gdt: ${e.message}\n`);
    process.exit(1);
  }
}
