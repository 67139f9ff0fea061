// A 1,000-step forward/backward/SGD loop on a tiny MLP keeps native handles at baseline and
// the process RSS flat (growth after warm-up < 20 MB).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from './helpers.js';

const MB = 1024 * 1024;

test('1,000 training steps: loss falls, no handle leak, RSS flat', () => {
  const g = new torch.Generator({ seed: 123 });
  const x = torch.randn([64, 8], { generator: g });
  const y = torch.tidy(() => x.sin().sum(1, true).mul(0.5));
  const params = [
    torch.randn([16, 8], { generator: g }).mul_(0.3).requiresGrad_(),
    torch.zeros([16], { requiresGrad: true }),
    torch.randn([1, 16], { generator: g }).mul_(0.3).requiresGrad_(),
    torch.zeros([1], { requiresGrad: true }),
  ];
  const [w1, b1, w2, b2] = params as [torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor];
  const lr = 0.05;
  const step = (): number =>
    torch.tidy(() => {
      const h = torch.F.gelu(torch.F.linear(x, w1, b1));
      const out = torch.F.linear(h, w2, b2);
      const loss = torch.F.mseLoss(out, y);
      loss.backward();
      torch.noGrad(() => {
        for (const p of params) {
          p.sub_(p.grad!, lr);
          p.grad = undefined;
        }
      });
      return loss.item() as number;
    });

  const baseLive = torch.memory.liveTensors();
  const losses: number[] = [];
  let rssWarm = 0;
  for (let i = 1; i <= 1000; i++) {
    losses.push(step());
    if (i === 100) {
      rssWarm = process.memoryUsage().rss;
      assert.equal(torch.memory.liveTensors(), baseLive, 'no handle growth during warm-up');
    }
  }
  const rssEnd = process.memoryUsage().rss;
  const growth = (rssEnd - rssWarm) / MB;
  console.log(
    `rss after warm-up (step 100): ${(rssWarm / MB).toFixed(1)} MB; after step 1000: ${(rssEnd / MB).toFixed(1)} MB; growth ${growth.toFixed(2)} MB; ` +
      `loss ${losses[0]!.toFixed(4)} -> ${losses[999]!.toFixed(4)}`,
  );
  assert.equal(torch.memory.liveTensors(), baseLive, 'handles back to baseline');
  assert.ok(growth < 20, `RSS grew by ${growth.toFixed(2)} MB after warm-up`);
  assert.ok(losses.every(Number.isFinite));
  assert.ok(losses[999]! < 0.5 * losses[0]!, `loss did not fall enough: ${losses[0]} -> ${losses[999]}`);
  // parameters kept their identity and stayed leaves
  for (const p of params) {
    assert.equal(p.isLeaf, true);
    assert.equal(p.requiresGrad, true);
    assert.equal(p.grad, undefined);
  }
  torch.disposeAll([x, y, ...params]);
});
