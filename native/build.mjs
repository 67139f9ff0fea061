// Builds the native addon (run by `npm ci` / `npm install`). Checks for libtorch first so that a
// missing one fails with instructions instead of a compiler error.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { findLibtorch } from './find-libtorch.mjs';

const force = process.argv.includes('--force');
let found;
try {
  found = findLibtorch();
} catch (e) {
  console.error(`gdt: ${e.message}`);
  process.exit(1);
}
console.log(`gdt: building the native addon against libtorch ${found.version} from ${found.source}` +
  `${found.cuda ? ' (CUDA)' : ''}`);
if (!force && existsSync('build/Release/gdt_native.node') && process.env.GDT_SKIP_REBUILD === '1') {
  process.exit(0);
}
const require = createRequire(import.meta.url);
const gyp = require.resolve('node-gyp/bin/node-gyp.js');
// Use the running Node's own headers when they are installed (Debian's libnode-dev, Node's
// tarballs), since node-gyp's default is to download them and machines may be offline.
const args = [gyp, 'rebuild', `--jobs=${Math.max(1, cpus().length)}`];
const prefix = dirname(dirname(process.execPath));
if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(r.status ?? 1);
