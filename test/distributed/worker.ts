// One rank of a multi-process test (started by helpers.ts's runRanks or by `gdt launch`): runs a
// scenario over the default process group and prints `RESULT <json>` (or `ERROR <message>`).
import { torch, nn, optim } from '../../src/index.js';
import type { Tensor } from '../../src/torch/index.js';
import {
  initProcessGroup,
  destroyProcessGroup,
  getDefaultGroup,
  c10dCollective,
  DistributedDataParallel,
  convertSyncBatchNorm,
  setupDistributedTraining,
  type ProcessGroup,
} from '../../src/distributed/index.js';
import { sticaLoss, type SticaViewEmbeddings } from '../../src/ssl/stica/index.js';
import { gdtJs, randMat as specRandMat, type Mat } from '../ssl/spec-reference.js';
import { sticaJs, prng, randMat as sticaRandMat, type JsView, type ListName } from '../ssl/stica/spec-stica.js';
import { gdtLoss, localCollective, simulatedCollective, getHypothesis, featuresUsed, hypothesisTerms } from '../../src/ssl/index.js';

const flat = (t: Tensor): number[] => Array.from(t.detach().contiguous().reshape([-1]).toTypedArray() as ArrayLike<number>, Number);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Scenario = (args: string[]) => Promise<unknown>;

const scenarios: Record<string, Scenario> = {
  /** Every collective, values computed so the parent can check them for any world size. */
  async collectives() {
    const g = await initProcessGroup({ timeoutMs: 20_000, rendezvousTimeoutMs: 30_000 });
    const { rank, worldSize: W } = g;
    const out: Record<string, unknown> = { rank, worldSize: W };
    torch.tidy(() => {
      const base = (): Tensor => torch.tensor([rank + 1, 10 * (rank + 1), -(rank + 1)], { dtype: 'float32' });
      out.sum = flat(g.allReduce(base(), 'sum'));
      out.avg = flat(g.allReduce(base(), 'avg'));
      out.max = flat(g.allReduce(base(), 'max'));
      out.min = flat(g.allReduce(base(), 'min'));
      out.product = flat(g.allReduce(base(), 'product'));
      out.int64 = flat(g.allReduce(torch.tensor([rank, 2 ** 40 + rank], { dtype: 'int64' }), 'sum'));
      // Non-contiguous input: reduced through a contiguous copy, written back.
      const m = torch.arange(0, 6, 1, { dtype: 'float64' }).reshape([2, 3]).add(rank).t();
      g.allReduce(m, 'sum');
      out.transposed = m.toArray();
      // Several tensors in one collective.
      const a = torch.full([2], rank, { dtype: 'float32' });
      const b = torch.full([3], 2 * rank, { dtype: 'float64' });
      g.allReduce([a, b], 'sum');
      out.multi = [flat(a), flat(b)];
      out.gather = g.allGather(torch.full([2, 2], rank, { dtype: 'float32' })).map(flat);
      out.gatherVariable = g.allGatherVariable(torch.full([rank + 1, 2], rank, { dtype: 'float32' })).map((t) => t.shape.concat(flat(t)));
      const bc = torch.full([3], rank, { dtype: 'float32' });
      g.broadcast(bc, W - 1);
      out.broadcast = flat(bc);
      out.reduceScatter = flat(g.reduceScatter(Array.from({ length: W }, (_, i) => torch.full([2], 10 * rank + i, { dtype: 'float32' })), 'sum'));
      g.barrier();
      out.collective = flat(c10dCollective(g).allGather(torch.tensor([[rank, rank]], { dtype: 'float32' })));
      // Differentiable all-reduce: d(sum over ranks of (rank+1) * sum(y)) / dx = sum over ranks of (rank+1).
      const x = torch.tensor([1, 2], { dtype: 'float64', requiresGrad: true });
      const y = g.allReduceWithGrad(x);
      out.withGradValue = flat(y);
      y.sum().mul(rank + 1).backward();
      out.withGradGrad = flat(x.grad!);
      // Differentiable all-gather: loss_r = sum_k (k + 1 + rank) * row_k; d/dx_r = sum_r' (r + 1 + r').
      const z = torch.tensor([rank, 1], { dtype: 'float64', requiresGrad: true });
      const gz = g.allGatherWithGrad(z);
      const coeff = torch.arange(0, W, 1, { dtype: 'float64' }).add(1 + rank).view([W, 1]);
      gz.mul(coeff).sum().backward();
      out.gatherGradValue = flat(gz);
      out.gatherGradGrad = flat(z.grad!);
    });
    // Async forms.
    const t = torch.full([4], rank + 1, { dtype: 'float32' });
    const w = g.allReduceAsync(t, 'sum');
    await w.waitAsync();
    out.async = flat(t);
    out.asyncCompleted = w.isCompleted();
    await g.barrierAsync().waitAsync();
    // Store.
    const s = g.store;
    s.set(`hello/${rank}`, `from ${rank}`);
    out.store = s.getString(`hello/${(rank + 1) % W}`);
    out.counter = s.add('counter', 1) > 0;
    // DDP with unused parameters: `used` only on rank 0, `never` on no rank.
    torch.manualSeed(100 + rank); // different init per rank: DDP must broadcast rank 0's
    const model = new (class extends nn.Module<[Tensor], Tensor> {
      readonly shared = this.registerModule('shared', new nn.Linear(2, 2));
      readonly used = this.registerModule('used', new nn.Linear(2, 2));
      readonly never = this.registerModule('never', new nn.Linear(2, 2));
      forward(x: Tensor): Tensor {
        const h = this.shared.forward(x);
        return rank === 0 ? this.used.forward(h) : h;
      }
    })();
    const ddp = new DistributedDataParallel(model, { findUnusedParameters: true, bucketCapMb: 0.00001 });
    torch.tidy(() => {
      const inp = torch.tensor([[rank + 1, 1]], { dtype: 'float32' });
      ddp.forward(inp).sum().backward();
      const report = ddp.syncGradients();
      out.ddpReport = report;
      out.ddpWeights = flat(model.shared.weight);
      out.ddpGrads = Object.fromEntries([...model.namedParameters()].map(([n, p]) => [n, p.grad ? flat(p.grad) : null]));
      model.zeroGrad();
      const strict = new DistributedDataParallel(model, { skipInitialSync: true });
      ddp.forward(inp).sum().backward();
      try {
        strict.syncGradients();
        out.strictError = null;
      } catch (e) {
        out.strictError = (e as Error).message;
      }
    });
    // The training helper over the existing group: SyncBatchNorm, DDP, stop agreement, means.
    const net = new nn.Sequential(new nn.Linear(2, 3), new nn.BatchNorm1d(3));
    const dt = await setupDistributedTraining(net as unknown as nn.Module<never[], unknown>);
    out.setup = {
      rank: dt.rank,
      worldSize: dt.worldSize,
      isMain: dt.isMain,
      bn: net.at(1).constructor.name,
      anyLast: dt.anyRank(rank === W - 1),
      anyNone: dt.anyRank(false),
      mean: dt.mean(rank),
      collectiveWorld: dt.collective.worldSize,
    };
    torch.tidy(() => {
      net.forward(torch.tensor([[rank, 1], [2, rank]], { dtype: 'float32' })).sum().backward();
      out.setup = { ...(out.setup as object), report: dt.afterBackward() };
    });
    dt.barrier();
    dt.close();
    // Latency and bandwidth on this machine (for the report; not asserted).
    const small = torch.zeros([16]);
    g.allReduce(small);
    let t0 = performance.now();
    for (let i = 0; i < 50; i++) g.allReduce(small);
    out.smallAllReduceUs = ((performance.now() - t0) * 1000) / 50;
    const big = torch.zeros([1 << 22]);
    t0 = performance.now();
    for (let i = 0; i < 3; i++) g.allReduce(big);
    out.bigAllReduceMBps = (3 * big.numel * 4) / 1e6 / ((performance.now() - t0) / 1000);
    destroyProcessGroup();
    return out;
  },

  /** 2 ranks x batch B with SyncBatchNorm + DDP vs 1 process x batch 2B with BatchNorm. */
  async syncbn(args) {
    const dtype = (args[0] ?? 'float64') as 'float64' | 'float32';
    // Forward passes per step before one backward (GDT runs each encoder on several views).
    const passes = Number(args[1] ?? 1);
    const g = await initProcessGroup({ timeoutMs: 20_000, rendezvousTimeoutMs: 30_000 });
    const { rank, worldSize: W } = g;
    const B = 3;
    const make = (): nn.Module<[Tensor], Tensor> => {
      torch.manualSeed(7);
      const m = new nn.Sequential(
        new nn.Conv2d(3, 4, 3, { padding: 1 }),
        new nn.BatchNorm2d(4),
        new nn.ReLU(),
        new nn.Conv2d(4, 5, 3, { stride: 2 }),
        new nn.BatchNorm2d(5, { momentum: null }),
      );
      return m.to(dtype);
    };
    torch.manualSeed(1234);
    const steps = 2;
    const data = Array.from({ length: steps }, () => torch.keep(torch.randn([W * B, 3, 6, 6], { dtype }).mul(2).add(0.5)));
    const targets = Array.from({ length: steps }, () => torch.keep(torch.randn([W * B, 5, 2, 2], { dtype })));
    const lossOf = (y: Tensor, t: Tensor): Tensor => y.sub(t).pow(2).mean();
    const run = (distributed: boolean, sync = true): Record<string, unknown> => {
      const model = make();
      if (distributed && sync) convertSyncBatchNorm(model);
      const ddp = distributed ? new DistributedDataParallel(model, { broadcastBuffers: false }) : undefined;
      const opt = new optim.SGD(model.parameters(), { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 });
      const res: Record<string, unknown> = { losses: [] as number[] };
      for (let s = 0; s < steps; s++) {
        torch.tidy(() => {
          const x = distributed ? data[s]!.narrow(0, rank * B, B) : data[s]!;
          const t = distributed ? targets[s]!.narrow(0, rank * B, B) : targets[s]!;
          let loss = lossOf(model.forward(x), t);
          for (let p = 1; p < passes; p++) loss = loss.add(lossOf(model.forward(x.flip([3]).mul(p + 1)), t.flip([3])).mul(p));
          opt.zeroGrad();
          loss.backward();
          ddp?.syncGradients();
          (res.losses as number[]).push(loss.item() as number);
          if (s === 0) res.grads = Object.fromEntries([...model.namedParameters()].map(([n, p]) => [n, flat(p.grad!)]));
          opt.step();
        });
      }
      res.state = Object.fromEntries([...model.stateDict()].map(([k, v]) => [k, flat(v.to('float64'))]));
      // Eval-mode outputs use the synchronised running statistics.
      model.eval();
      res.evalOut = torch.tidy(() => flat(model.forward(data[0]!.narrow(0, 0, 2))));
      return res;
    };
    // Control: the same data-parallel run with per-rank BatchNorm statistics.
    const out: Record<string, unknown> = { rank, dist: run(true), unsynced: run(true, false) };
    if (rank === 0) out.single = run(false);
    destroyProcessGroup();
    return out;
  },

  /** GDT loss with gathered negatives vs one process holding both ranks' rows. */
  async gdtloss() {
    const g = await initProcessGroup({ timeoutMs: 20_000, rendezvousTimeoutMs: 30_000 });
    const { rank, worldSize: W } = g;
    const N = 3;
    const C = 5;
    const names = ['V', 'A', 'VR', 'AR', 'V2', 'A2', 'V2R', 'A2R'];
    torch.manualSeed(99);
    const full = Object.fromEntries(names.map((n) => [n, torch.keep(torch.randn([W * N, C], { dtype: 'float64' }))]));
    const out: Record<string, unknown> = { rank, hypotheses: {} };
    const collective = c10dCollective(g);
    for (const h of [1, 2, 3, 4, 5, 6, 7, 8, 9]) {
      const needed = featuresUsed(hypothesisTerms(getHypothesis(h), 'paper'));
      torch.tidy(() => {
        const local = Object.fromEntries(needed.map((f) => [f, full[f]!.narrow(0, rank * N, N).clone().requiresGrad_(true)]));
        const r = gdtLoss({ hypothesis: h, mode: 'paper', features: local, collective });
        r.loss.backward();
        const rec: Record<string, unknown> = { loss: r.loss.item(), grads: Object.fromEntries(needed.map((f) => [f, flat(local[f]!.grad!)])) };
        // The same rank's loss with the other ranks' rows fabricated locally (no communication).
        const blocks = Object.fromEntries(needed.map((f) => [f, Array.from({ length: W }, (_, k) => k).filter((k) => k !== rank).map((k) => full[f]!.narrow(0, k * N, N))]));
        const sim = gdtLoss({ hypothesis: h, mode: 'paper', features: local, collective: simulatedCollective(rank, blocks) });
        rec.simulated = sim.loss.item();
        if (rank === 0) {
          const whole = Object.fromEntries(needed.map((f) => [f, full[f]!.clone().requiresGrad_(true)]));
          const s = gdtLoss({ hypothesis: h, mode: 'paper', features: whole, collective: localCollective });
          s.loss.backward();
          rec.single = { loss: s.loss.item(), grads: Object.fromEntries(needed.map((f) => [f, flat(whole[f]!.grad!)])) };
        }
        (out.hypotheses as Record<number, unknown>)[h] = rec;
      });
    }
    destroyProcessGroup();
    return out;
  },

  /**
   * GDT (hypotheses 1-9) and STiCA (README crops) losses over real Gloo collectives, in paper and
   * reference mode, against the float64 transcriptions of SPEC 6.4 / 7.3-7.4 evaluated on this
   * rank's rows with the other rank's rows as the gathered blocks: the largest differences.
   */
  async specloss() {
    const g = await initProcessGroup({ timeoutMs: 20_000, rendezvousTimeoutMs: 30_000 });
    const { rank, worldSize: W } = g;
    const collective = c10dCollective(g);
    const N = 3;
    const C = 5;
    const names = ['V', 'A', 'VR', 'AR', 'V2', 'A2', 'V2R', 'A2R'];
    // Every rank builds every rank's rows (the same seeds) and keeps its own as tensors.
    const rows = Object.fromEntries(names.map((n, i) => [n, Array.from({ length: W }, (_, k) => specRandMat(100 * i + k + 1, N, C))]));
    const worst = { gdt: { loss: 0, grad: 0, cases: 0 }, stica: { loss: 0, grad: 0, cases: 0 } };
    const diff = (a: number[][], b: Mat): number => Math.max(...a.flatMap((r, i) => r.map((v, d) => Math.abs(v - b[i]![d]!))));
    for (const mode of ['paper', 'reference'] as const) {
      for (const h of [1, 2, 3, 4, 5, 6, 7, 8, 9]) {
        const needed = featuresUsed(hypothesisTerms(getHypothesis(h), mode));
        torch.tidy(() => {
          const local = Object.fromEntries(needed.map((f) => [f, torch.tensor(rows[f]![rank]!, { dtype: 'float64', requiresGrad: true })]));
          const r = gdtLoss({ hypothesis: h, mode, features: local, collective });
          r.loss.backward();
          const world = {
            local: Object.fromEntries(needed.map((f) => [f, rows[f]![rank]!])),
            others: Object.fromEntries(needed.map((f) => [f, rows[f]!.filter((_, k) => k !== rank)])),
          };
          const want = gdtJs(h, mode, world);
          worst.gdt.loss = Math.max(worst.gdt.loss, Math.abs((r.loss.item() as number) - want.total));
          for (const f of needed) worst.gdt.grad = Math.max(worst.gdt.grad, diff(local[f]!.grad!.toArray() as number[][], want.grads[f]!));
          worst.gdt.cases++;
        });
      }
      // STiCA with the README's crops: per rank two views of video, audio and crop embeddings.
      const counts = { spaceLarge: 2, spaceSmall: 4, timeLarge: 2, timeSmall: 1 };
      const lists: ListName[] = ['spaceLarge', 'spaceSmall', 'timeLarge', 'timeSmall'];
      const len: Record<ListName, number> = { spaceLarge: 2, spaceSmall: 2 * 2 * 4, timeLarge: 2, timeSmall: 2 * 2 * 1 };
      const rand = prng(mode === 'paper' ? 11 : 12);
      const perRank = Array.from({ length: W }, () => {
        const ids: [string, Mat][] = [];
        const views = [0, 1].map((v) => {
          const view: JsView = { video: sticaRandMat(rand, N, C), audio: sticaRandMat(rand, N, C), crops: { spaceLarge: [], spaceSmall: [], timeLarge: [], timeSmall: [] } };
          ids.push([`view${v}.video`, view.video], [`view${v}.audio`, view.audio]);
          for (const l of lists)
            for (let i = 0; i < len[l]; i++) {
              const m = sticaRandMat(rand, N, C);
              view.crops[l].push(m);
              ids.push([`view${v}.${l}.${i}`, m]);
            }
          return view;
        });
        return { views, ids };
      });
      torch.tidy(() => {
        const mine = perRank[rank]!;
        const byId = new Map(mine.ids.map(([id, m]) => [id, torch.tensor(m, { dtype: 'float64', requiresGrad: true })]));
        const views = [0, 1].map((v) => ({
          video: byId.get(`view${v}.video`)!,
          audio: byId.get(`view${v}.audio`)!,
          crops: Object.fromEntries(lists.map((l) => [l, Array.from({ length: len[l] }, (_, i) => byId.get(`view${v}.${l}.${i}`)!)])),
        })) as unknown as [SticaViewEmbeddings, SticaViewEmbeddings];
        const got = sticaLoss({ mode, views, counts, collective });
        got.loss.backward();
        const others: Record<string, Mat[]> = {};
        for (const [k, { ids }] of perRank.entries()) if (k !== rank) for (const [id, m] of ids) (others[id] ??= []).push(m);
        const want = sticaJs({ views: mine.views as [JsView, JsView], others }, { mode, counts });
        worst.stica.loss = Math.max(worst.stica.loss, Math.abs((got.loss.item() as number) - want.loss));
        for (const [id, t] of byId) if (want.grads[id]) worst.stica.grad = Math.max(worst.stica.grad, diff(t.grad!.toArray() as number[][], want.grads[id]!));
        worst.stica.cases++;
      });
    }
    destroyProcessGroup();
    return { rank, worst };
  },

  /** Rendezvous that cannot complete (a rank never joins): the error and how long it took. */
  async join(args) {
    const timeoutMs = Number(args[0] ?? 2000);
    const t0 = performance.now();
    try {
      await initProcessGroup({ timeoutMs });
      return { joined: true, ms: performance.now() - t0 };
    } catch (e) {
      return { joined: false, error: (e as Error).message, name: (e as Error).name, ms: performance.now() - t0 };
    }
  },

  /**
   * Rank 1 never calls the collective: rank 0's all-reduce must fail (1) at its own wait timeout,
   * (2) with no wait timeout, at the group's (Gloo's) timeout.
   */
  async hang(args) {
    const groupTimeout = Number(args[0] ?? 1500);
    const g = await initProcessGroup({ timeoutMs: groupTimeout, rendezvousTimeoutMs: 30_000 });
    if (g.rank !== 0) {
      await sleep(Number(args[1] ?? 4500));
      return { rank: g.rank };
    }
    const attempt = (waitMs: number): { error: string | null; ms: number } => {
      const t0 = performance.now();
      try {
        g.allReduce(torch.ones([4]), 'sum', waitMs);
        return { error: null, ms: performance.now() - t0 };
      } catch (e) {
        return { error: `${(e as Error).name}: ${(e as Error).message}`, ms: performance.now() - t0 };
      }
    };
    return { rank: 0, waitTimeout: attempt(Number(args[2] ?? 800)), groupTimeout: attempt(0) };
  },

  /** For `gdt launch`: rank `victim` kills itself after a few steps; the others keep all-reducing. */
  async die(args) {
    const victim = Number(args[0] ?? 1);
    const g: ProcessGroup = await initProcessGroup({ timeoutMs: Number(args[1] ?? 60_000), rendezvousTimeoutMs: 30_000 });
    console.log(`rank ${g.rank} joined`);
    for (let step = 0; ; step++) {
      if (g.rank === victim && step === 3) process.kill(process.pid, 'SIGKILL');
      g.allReduce(torch.ones([1000]), 'sum');
      await sleep(20);
    }
  },

  /** Rendezvous, one all-reduce, prints its view of the environment (for `gdt launch`). */
  async hello() {
    const g = await initProcessGroup({ timeoutMs: 20_000, rendezvousTimeoutMs: 30_000 });
    const t = g.allReduce(torch.tensor([g.rank + 1]), 'sum');
    const r = { rank: g.rank, world: g.worldSize, local: process.env.LOCAL_RANK, sum: t.item(), threads: process.env.OMP_NUM_THREADS };
    getDefaultGroup();
    destroyProcessGroup();
    return r;
  },

};

const [name, ...args] = process.argv.slice(2);
const scenario = scenarios[name ?? ''];
if (!scenario) {
  console.log(`ERROR unknown scenario '${name}'`);
  process.exit(2);
}
try {
  const r = await scenario(args);
  console.log(`RESULT ${JSON.stringify(r)}`);
  if (process.env.GDT_TEST_TIMING) console.log(`TIMING ${Math.round(performance.now())}`);
  process.exit(0);
} catch (e) {
  console.log(`ERROR ${(e as Error).message.replace(/\n/g, ' ')}`);
  if (process.env.GDT_DEBUG) console.error((e as Error).stack);
  process.exit(1);
}
