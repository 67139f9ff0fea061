// Overhead of gdt's TypeScript layer over libtorch: the same work run (1) through gdt (N-API
// addon, boxed operator calls, Tensor wrappers, scopes) and (2) directly in C++ against the same
// libtorch (bench/overhead.cc, built here), alternating the two in rounds. See bench/README.md.
//
//   npm run bench:overhead -- [--threads N] [--rounds 3] [--steps 20] [--warmup 3]
//                             [--calls 40000] [--batches 5] [--malloc steady|stock] [--no-breakdown]
//
// The last line printed is `overhead_ratio=<TS/C++ of the training step>` (median of the ratios of
// adjacent C++/TS step pairs).
import { execFileSync, spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { torch } from '../src/index.js';
import { native, type TensorHandle } from '../src/torch/native.js';

type Tensor = torch.Tensor;

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');

// ---------------------------------------------------------------------------------------------
// options

const { values: argv } = parseArgs({
  options: {
    threads: { type: 'string' },
    rounds: { type: 'string' },
    steps: { type: 'string' },
    warmup: { type: 'string' },
    calls: { type: 'string' },
    batches: { type: 'string' },
    malloc: { type: 'string', default: 'steady' },
    'no-breakdown': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (argv.help) {
  console.log(
    'usage: tsx bench/overhead.ts [--threads N] [--rounds 3] [--steps 20] [--warmup 3] ' +
      '[--calls 40000] [--batches 5] [--malloc steady|stock] [--no-breakdown]',
  );
  process.exit(0);
}

function positiveInt(name: string, v: string | undefined, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`--${name}: expected a positive integer, got ${v}`);
  return n;
}

// --malloc steady (default): both processes run with the same fixed glibc malloc thresholds, so
// that big tensors are not returned to the kernel and faulted in again on glibc's heap-trimming
// whims, which otherwise add 0-10 ms of page faults to a step of either side depending on its
// heap's history, not on its code. Set through GLIBC_TUNABLES, read at process start: this
// process starts itself again with it (the C++ child inherits it). --malloc stock: as is.
const STEADY_TUNABLES = 'glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296';
if (argv.malloc !== 'steady' && argv.malloc !== 'stock') throw new RangeError(`--malloc: expected steady or stock, got ${argv.malloc}`);
if (argv.malloc === 'steady' && process.platform === 'linux' && process.env.GDT_BENCH_TUNABLES !== STEADY_TUNABLES) {
  const env = {
    ...process.env,
    GLIBC_TUNABLES: [process.env.GLIBC_TUNABLES, STEADY_TUNABLES].filter(Boolean).join(':'),
    GDT_BENCH_TUNABLES: STEADY_TUNABLES,
  };
  const r = spawnSync(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env });
  process.exit(r.status ?? 1);
}

const threads = positiveInt('threads', argv.threads, availableParallelism());
const rounds = positiveInt('rounds', argv.rounds, 3);
const stepsPerRound = positiveInt('steps', argv.steps, 20);
const warmup = positiveInt('warmup', argv.warmup, 3);
const callsPerBatch = positiveInt('calls', argv.calls, 40000);
const batchesPerRound = positiveInt('batches', argv.batches, 5);
/** Timed steps per block of the tiny-input training step (about 0.5 ms each). */
const SMALL_STEPS = 100;

// ---------------------------------------------------------------------------------------------
// the C++ reference: built here with the addon's flags, again only when its source is newer

interface LibtorchFlags {
  includeDirs: string[];
  defines: string[];
  ldflags: string[];
  libs: string[];
  version: string;
  source: string;
}

function buildCpp(): string {
  const src = join(here, 'overhead.cc');
  const outDir = join(here, 'build');
  const bin = join(outDir, 'overhead');
  const stamp = join(outDir, 'overhead.cmd');
  const flags = JSON.parse(
    execFileSync(process.execPath, [join(root, 'native', 'find-libtorch.mjs'), '--json'], { encoding: 'utf8' }),
  ) as LibtorchFlags;
  const args = [
    '-O2',
    '-std=c++17',
    ...flags.includeDirs.map((d) => `-I${d}`),
    ...flags.defines.map((d) => `-D${d}`),
    '-Wno-deprecated-declarations',
    src,
    '-o',
    bin,
    ...flags.ldflags,
    ...flags.libs,
  ];
  const cmd = ['g++', ...args].join(' ');
  // Rebuilt when the source is newer than the binary, or when the flags (another libtorch) changed.
  const upToDate =
    existsSync(bin) &&
    statSync(bin).mtimeMs >= statSync(src).mtimeMs &&
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8') === cmd;
  if (upToDate) return bin;
  mkdirSync(outDir, { recursive: true });
  console.log(`building bench/build/overhead against libtorch ${flags.version} (${flags.source}) ...`);
  const t0 = performance.now();
  try {
    execFileSync('g++', args, { stdio: 'inherit' });
  } catch {
    throw new Error(`building the C++ reference failed:\n  ${cmd}`);
  }
  writeFileSync(stamp, cmd);
  console.log(`  built in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  return bin;
}

/** The C++ process: one command a line on stdin, one answer a line on stdout. */
class CppWorker {
  private readonly proc: ChildProcessByStdio<Writable, Readable, null>;
  private readonly lines: AsyncIterator<string>;

  constructor(bin: string, nThreads: number) {
    this.proc = spawn(bin, [String(nThreads)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.lines = createInterface({ input: this.proc.stdout })[Symbol.asyncIterator]();
  }

  async next(): Promise<string> {
    const r = await this.lines.next();
    if (r.done) throw new Error('the C++ bench process exited early');
    if (r.value.startsWith('error')) throw new Error(`C++ bench: ${r.value}`);
    return r.value;
  }

  async ask(cmd: string): Promise<number[]> {
    this.proc.stdin.write(cmd + '\n');
    const line = await this.next();
    return line.split(' ').slice(1).map(Number);
  }

  async rusage(): Promise<Usage> {
    const [minorFaults, userMs, systemMs] = await this.ask('rusage');
    return { minorFaults: minorFaults!, userMs: userMs!, systemMs: systemMs! };
  }

  quit(): void {
    this.proc.stdin.end('quit\n');
  }
}

interface Usage {
  minorFaults: number;
  userMs: number;
  systemMs: number;
}

function tsUsage(): Usage {
  const r = process.resourceUsage();
  return { minorFaults: r.minorPageFault, userMs: r.userCPUTime / 1e3, systemMs: r.systemCPUTime / 1e3 };
}

function addUsage(acc: Usage, before: Usage, after: Usage): void {
  acc.minorFaults += after.minorFaults - before.minorFaults;
  acc.userMs += after.userMs - before.userMs;
  acc.systemMs += after.systemMs - before.systemMs;
}

// ---------------------------------------------------------------------------------------------
// the TypeScript side

/** (a) add of two 1-element tensors through the public API, result freed at once; ns/call per batch. */
function tsTiny(calls: number, batches: number): number[] {
  const a = torch.keep(torch.ones([1]));
  const b = torch.keep(torch.ones([1]));
  const out: number[] = [];
  for (let k = 0; k < batches; k++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < calls; i++) {
      const c = a.add(b);
      c.dispose();
    }
    out.push(Number(process.hrtime.bigint() - t0) / calls);
  }
  a.dispose();
  b.dispose();
  return out;
}

interface Layer {
  convW: Tensor;
  bnW: Tensor;
  bnB: Tensor;
  runMean: Tensor;
  runVar: Tensor;
}

/** (b) the network of overhead.cc, with gdt's functional API. */
class TsNet {
  readonly layers: Layer[] = [];
  readonly params: Tensor[] = [];
  readonly x: Tensor;
  readonly lr = 1e-3;

  constructor(inputShape: readonly number[]) {
    const channels = [3, 16, 16, 16, 16];
    torch.tidy(() => {
      for (let i = 0; i < 4; i++) {
        const cin = channels[i]!;
        const cout = channels[i + 1]!;
        const std = Math.sqrt(2 / (cin * 27));
        const layer: Layer = {
          convW: torch.keep(torch.randn([cout, cin, 3, 3, 3]).mul(std).requiresGrad_(true)),
          bnW: torch.keep(torch.ones([cout], { requiresGrad: true })),
          bnB: torch.keep(torch.zeros([cout], { requiresGrad: true })),
          runMean: torch.keep(torch.zeros([cout])),
          runVar: torch.keep(torch.ones([cout])),
        };
        this.layers.push(layer);
        this.params.push(layer.convW, layer.bnW, layer.bnB);
      }
    });
    this.x = torch.keep(torch.randn(inputShape));
  }

  forward(): Tensor {
    let h = this.x;
    for (const l of this.layers) {
      h = torch.F.conv3d(h, l.convW, undefined, { stride: 1, padding: 1 });
      h = torch.F.batchNorm(h, l.runMean, l.runVar, {
        weight: l.bnW,
        bias: l.bnB,
        training: true,
        momentum: 0.1,
        eps: 1e-5,
      });
      h = torch.F.relu(h);
    }
    // Global mean over (T, H, W). h.mean([2, 3, 4]) would be the natural spelling, but the addon
    // rejects several dims for `int[1]` schema arguments (see README); flatten + mean(2) is the
    // same global mean, and overhead.cc runs exactly these ops.
    return h.flatten(2).mean(2).sum();
  }

  update(): void {
    torch.noGrad(() => {
      for (const p of this.params) {
        const g = p.grad!;
        p.sub_(g, this.lr);
        g.dispose();
        p.grad = undefined;
      }
    });
  }

  /**
   * One step. The forward pass has its own scope, so the handles of its intermediate tensors are
   * freed before backward (the autograd graph keeps what backward needs), as C++ frees them when
   * `h` is reassigned; backward then frees the saved tensors as it goes.
   */
  step(): void {
    torch.tidy(() => {
      const loss = torch.tidy(() => this.forward());
      loss.backward();
      this.update();
    });
  }

  /** The same step in one scope: every activation's handle lives until the step ends. */
  stepOneScope(): void {
    torch.tidy(() => {
      const loss = this.forward();
      loss.backward();
      this.update();
    });
  }
}

function tsTrain(step: () => void, warm: number, steps: number): number[] {
  for (let i = 0; i < warm; i++) step();
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = process.hrtime.bigint();
    step();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((x, y) => x - y);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** ns per call of `fn`, median of 5 batches of n calls after a warm-up batch. */
function nsPerCall(fn: () => void, n = 20000): number {
  for (let i = 0; i < n / 4; i++) fn();
  const out: number[] = [];
  for (let k = 0; k < 5; k++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) fn();
    out.push(Number(process.hrtime.bigint() - t0) / n);
  }
  return median(out);
}

/** Where the TypeScript side's time goes, outside libtorch's kernels. */
async function breakdown(cpp: CppWorker, net: TsNet): Promise<void> {
  const line = (label: string, v: string): void => console.log(`  ${label.padEnd(58)}${v.padStart(12)}`);
  console.log('\nbreakdown of the tiny op (ns/call, medians):');
  const cppUnboxed = median(await cpp.ask(`tiny 20000 5`));
  const cppBoxed = median(await cpp.ask(`tinyboxed 20000 5`));
  const a = torch.keep(torch.ones([1]));
  const b = torch.keep(torch.ones([1]));
  const ah = a.handle;
  const bh = b.handle;
  line('C++ at::add (unboxed, as in the table)', cppUnboxed.toFixed(0));
  line('C++ boxed: IValue stack + callBoxed (the addon\'s path)', cppBoxed.toFixed(0));
  line('TS native.callOp(add) + native.dispose (no Tensor object)', nsPerCall(() => native.dispose(torch.aten.add_Tensor(ah, bh, 1))).toFixed(0));
  line('TS a.add(b) + dispose() (the table\'s TS column)', nsPerCall(() => a.add(b).dispose()).toFixed(0));
  line('TS tidy(() => a.add(b)) (scope frees it)', nsPerCall(() => torch.tidy(() => void a.add(b))).toFixed(0));
  line('TS a.add_(b) (in place: no result handle)', nsPerCall(() => void a.add_(b)).toFixed(0));
  const withGrad = torch.keep(torch.ones([1], { requiresGrad: true }));
  torch.tidy(() => withGrad.sum().backward());
  line('TS p.grad + dispose() (wraps an existing tensor: handle only)', nsPerCall(() => withGrad.grad!.dispose()).toFixed(0));
  withGrad.dispose();
  line('TS native.dispose of an already freed handle (bare N-API call)', (() => {
    const h: TensorHandle = torch.aten.add_Tensor(ah, bh, 1);
    native.dispose(h);
    return nsPerCall(() => native.dispose(h)).toFixed(0);
  })());
  line('TS tidy(() => {}) (empty scope)', nsPerCall(() => torch.tidy(() => undefined)).toFixed(0));
  line('TS noGrad(() => {}) (2 N-API calls)', nsPerCall(() => torch.noGrad(() => undefined)).toFixed(0));
  a.dispose();
  b.dispose();

  // The scope layout of a training step: forward in its own scope (the bench) or one scope for the
  // whole step, alternated step by step; page faults show the allocator getting fresh memory.
  const pairs = 16;
  console.log(`\nTS train step, scope layout (${pairs} steps each, alternated ABBA):`);
  const res = { nested: [] as number[], one: [] as number[] };
  const use = { nested: zeroUsage(), one: zeroUsage() };
  for (let i = 0; i < pairs; i++) {
    for (const kind of i % 2 ? (['one', 'nested'] as const) : (['nested', 'one'] as const)) {
      const u0 = tsUsage();
      res[kind].push(...tsTrain(kind === 'one' ? () => net.stepOneScope() : () => net.step(), 0, 1));
      addUsage(use[kind], u0, tsUsage());
    }
  }
  line('forward in its own tidy (the bench): ms/step', median(res.nested).toFixed(2));
  line('  minor page faults/step, system ms/step', `${(use.nested.minorFaults / pairs).toFixed(0)}, ${(use.nested.systemMs / pairs).toFixed(1)}`);
  line('whole step in one tidy: ms/step', median(res.one).toFixed(2));
  line('  minor page faults/step, system ms/step', `${(use.one.minorFaults / pairs).toFixed(0)}, ${(use.one.systemMs / pairs).toFixed(1)}`);
}

function zeroUsage(): Usage {
  return { minorFaults: 0, userMs: 0, systemMs: 0 };
}

async function main(): Promise<void> {
  const bin = buildCpp();
  torch.setNumThreads(threads);
  const cpp = new CppWorker(bin, threads);
  const ready = await cpp.next();
  console.log(
    `threads=${threads} (TS: ${torch.getNumThreads()}, C++: ${ready.split('=')[1]}); ${rounds} rounds, per side and round: ` +
      `${stepsPerRound} train steps, ${batchesPerRound} x ${callsPerBatch} tiny-op calls, ${batchesPerRound} x ${SMALL_STEPS} ` +
      `tiny-input steps; C++ and TS alternate step by step (batch by batch) in ABBA order`,
  );

  torch.manualSeed(0);
  const net = new TsNet([4, 3, 8, 56, 56]);
  const small = new TsNet([2, 3, 2, 4, 4]);
  const tiny = { cpp: [] as number[], ts: [] as number[] };
  const train = { cpp: [] as number[], ts: [] as number[] };
  const smallTrain = { cpp: [] as number[], ts: [] as number[] };
  const usage = { cpp: zeroUsage(), ts: zeroUsage() };
  // ABBA: C++ first in even pairs, TS first in odd ones, so that a drift of the machine's speed
  // (other tenants, clocks) over a round weighs on both sides alike.
  const orderOf = (i: number): ('cpp' | 'ts')[] => (i % 2 === 0 ? ['cpp', 'ts'] : ['ts', 'cpp']);
  const roundLine = (r: number, what: string, xs: { cpp: number[]; ts: number[] }, n: number, scale: number, d: number): void =>
    console.log(
      `  round ${r + 1}/${rounds}: ${what} C++ ${(median(xs.cpp.slice(-n)) * scale).toFixed(d)}` +
        ` TS ${(median(xs.ts.slice(-n)) * scale).toFixed(d)}`,
    );

  // The three measurements run one after the other (each after its own warm-up), so that the
  // garbage of the tiny-op loop (200 000 handles a round) is not collected during training steps.
  // Warm-up: allocator, oneDNN primitives, the JavaScript JIT.
  await cpp.ask(`train ${warmup} 1`);
  tsTrain(() => net.step(), warmup, 1);
  const live0 = torch.memory.liveTensors();
  const bytes0 = torch.memory.nativeBytes();
  console.log('(b) training step:');
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < stepsPerRound; i++) {
      const pair = { cpp: 0, ts: 0 };
      for (const side of orderOf(i)) {
        if (side === 'cpp') {
          const u0 = await cpp.rusage();
          pair.cpp = (await cpp.ask('train 0 1'))[0]!;
          addUsage(usage.cpp, u0, await cpp.rusage());
        } else {
          const u0 = tsUsage();
          pair.ts = tsTrain(() => net.step(), 0, 1)[0]!;
          addUsage(usage.ts, u0, tsUsage());
        }
      }
      train.cpp.push(pair.cpp);
      train.ts.push(pair.ts);
    }
    roundLine(r, 'ms', train, stepsPerRound, 1, 1);
  }

  await cpp.ask(`train ${SMALL_STEPS} 1 small`);
  tsTrain(() => small.step(), SMALL_STEPS, 1);
  console.log(`training step on a tiny input (medians of blocks of ${SMALL_STEPS} steps):`);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < batchesPerRound; i++) {
      for (const side of orderOf(i)) {
        if (side === 'cpp') smallTrain.cpp.push(median(await cpp.ask(`train 0 ${SMALL_STEPS} small`)));
        else smallTrain.ts.push(median(tsTrain(() => small.step(), 0, SMALL_STEPS)));
      }
    }
    roundLine(r, 'us', smallTrain, batchesPerRound, 1e3, 0);
  }

  await cpp.ask(`tiny ${callsPerBatch} 1`);
  tsTiny(callsPerBatch, 1);
  console.log(`(a) tiny op (batches of ${callsPerBatch} calls):`);
  for (let r = 0; r < rounds; r++) {
    for (let i = 0; i < batchesPerRound; i++) {
      for (const side of orderOf(i)) {
        if (side === 'cpp') tiny.cpp.push(...(await cpp.ask(`tiny ${callsPerBatch} 1`)));
        else tiny.ts.push(...tsTiny(callsPerBatch, 1));
      }
    }
    roundLine(r, 'ns/call', tiny, batchesPerRound, 1, 0);
  }
  const live1 = torch.memory.liveTensors();
  const bytes1 = torch.memory.nativeBytes();

  if (!argv['no-breakdown']) await breakdown(cpp, net);
  cpp.quit();

  // Ratios are medians of the TS/C++ ratios of adjacent (ABBA) pairs of steps or batches: a pair
  // runs under the same machine conditions, so a burst of other work on this shared machine
  // scales both of its halves and cancels out, where a ratio of the two medians would follow the
  // bursts (the ratio of medians is printed too).
  const paired = (xs: { cpp: number[]; ts: number[] }): number[] => xs.ts.map((t, k) => t / xs.cpp[k]!);
  const rows: { label: string; cpp: number; ts: number; ratio: number; digits: number }[] = [
    { label: 'tiny op (add, 1 elem) ns/call', cpp: median(tiny.cpp), ts: median(tiny.ts), ratio: median(paired(tiny)), digits: 0 },
    {
      label: 'train step, tiny input us',
      cpp: median(smallTrain.cpp) * 1e3,
      ts: median(smallTrain.ts) * 1e3,
      ratio: median(paired(smallTrain)),
      digits: 0,
    },
    { label: 'train step ms', cpp: median(train.cpp), ts: median(train.ts), ratio: median(paired(train)), digits: 2 },
  ];
  const fmt = (v: number, digits: number): string => v.toFixed(digits).padStart(10);
  console.log('');
  console.log(`${'median'.padEnd(32)}${'C++'.padStart(10)}${'TS'.padStart(10)}${'TS/C++'.padStart(10)}`);
  for (const row of rows) console.log(`${row.label.padEnd(32)}${fmt(row.cpp, row.digits)}${fmt(row.ts, row.digits)}${fmt(row.ratio, 3)}`);
  console.log('(C++, TS: medians per side; TS/C++: median of the ratios of adjacent C++/TS pairs)');
  const trainRow = rows[2]!;
  const q = (xs: number[], d: number): string =>
    `${quantile(xs, 0.25).toFixed(d)}..${quantile(xs, 0.75).toFixed(d)}`;
  console.log(
    `train step: quartiles ms C++ ${q(train.cpp, 1)}, TS ${q(train.ts, 1)}; pair ratios ${q(paired(train), 3)}; ` +
      `ratio of the medians ${(trainRow.ts / trainRow.cpp).toFixed(3)}`,
  );
  // Busy machine: the slower quarter of steps more than 25% above the faster quarter.
  const spreadRatio = (xs: number[]): number => quantile(xs, 0.75) / quantile(xs, 0.25);
  if (spreadRatio(train.cpp) > 1.25 || spreadRatio(train.ts) > 1.25) {
    console.log(
      'warning: train step times varied widely (75th/25th percentile > 1.25): the machine was busy with ' +
        'other work during the run; the paired ratio is robust to that, the per-side medians are not',
    );
  }
  const perStep = rounds * stepsPerRound;
  const u = (x: Usage): string =>
    `${(x.userMs / perStep).toFixed(1)} user + ${(x.systemMs / perStep).toFixed(1)} system ms, ${(x.minorFaults / perStep).toFixed(0)} minor faults`;
  console.log(`per train step: C++ ${u(usage.cpp)}; TS ${u(usage.ts)}`);
  console.log(
    `TS memory across the timed rounds: ${live0} -> ${live1} live tensor handles, ` +
      `${(bytes0 / 2 ** 20).toFixed(2)} -> ${(bytes1 / 2 ** 20).toFixed(2)} MiB held (flat = no leak)`,
  );
  // The tiny-input step is all per-op cost; its TS-C++ difference is what the TS layer adds to any
  // step of this network. Against the quiet (lower-quartile) C++ step time:
  const perStepOverheadUs = rows[1]!.ts - rows[1]!.cpp;
  const quietCppMs = quantile(train.cpp, 0.25);
  console.log(
    `TS per-step overhead from the tiny-input step: ${perStepOverheadUs.toFixed(0)} us = ` +
      `${((perStepOverheadUs / 1e3 / quietCppMs) * 100).toFixed(2)}% of a quiet C++ train step ` +
      `(${quietCppMs.toFixed(1)} ms, lower quartile)`,
  );
  console.log(`malloc: ${argv.malloc}${argv.malloc === 'steady' ? ` (GLIBC_TUNABLES=${STEADY_TUNABLES})` : ''}`);
  console.log(`overhead_ratio=${trainRow.ratio.toFixed(3)}`);
}

await main();
