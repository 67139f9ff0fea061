// Builds the native addon (run by `npm ci` / `npm install`). Checks for libtorch first so that a
// missing one fails with instructions instead of a compiler error.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
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
const require = createRequire(import.meta.url);
const gyp = require.resolve('node-gyp/bin/node-gyp.js');
// Use the running Node's own headers when they are installed (Debian's libnode-dev, Node's
// tarballs), since node-gyp's default is to download them and machines may be offline.
// An existing configured build is updated in place (the old addon stays loadable meanwhile);
// --force or a fresh clone configures from scratch.
// The libtorch used is recorded: a different one (LIBTORCH set, torch upgraded) reconfigures.
const stamp = 'build/gdt-libtorch.json';
const signature = JSON.stringify({ root: found.root, version: found.version, cuda: found.cuda, node: process.version });
const sameLibtorch = existsSync(stamp) && readFileSync(stamp, 'utf8') === signature;
const incremental = !force && sameLibtorch && existsSync('build/Makefile') && existsSync('build/config.gypi');
const args = [gyp, incremental ? 'build' : 'rebuild', `--jobs=${Math.max(1, cpus().length)}`];
const prefix = dirname(dirname(process.execPath));
if (!incremental && existsSync(join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);
const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
if (r.status === 0) writeFileSync(stamp, signature);
process.exit(r.status ?? 1);
