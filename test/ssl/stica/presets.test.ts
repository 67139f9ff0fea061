// STiCA presets (SPEC 7.4, 8.2, 11.2) and a tiny end-to-end step: crops for both views, the model
// forward, the loss and its backward, in both modes.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { torch } from '../../../src/index.js';
import { Stica } from '../../../src/models/stica.js';
import { seededStreams } from '../../../src/transforms/index.js';
import {
  STICA_PRESETS,
  sticaPreset,
  presetFromScriptArgs,
  presetFeatureMap,
  sticaModelOptions,
  sampleCropParams,
  sticaLoss,
  type SticaMode,
} from '../../../src/ssl/stica/index.js';

describe('presets', () => {
  test('the SPEC configurations', () => {
    const c = (name: string): unknown => {
      const p = sticaPreset(name);
      return [p.numFrames, p.numSec, p.crops.spaceLarge, p.crops.spaceSmall, p.crops.timeLarge, p.crops.timeSmall, p.numLayers, p.batchSize];
    };
    assert.deepEqual(c('argparse'), [30, 1, 2, 0, 0, 0, 2, 16]);
    assert.deepEqual(c('script'), [30, 1, 1, 0, 0, 0, 2, 8]);
    assert.deepEqual(c('script-2s'), [60, 2, 1, 0, 0, 0, 2, 8]);
    assert.deepEqual(c('readme'), [30, 1, 2, 4, 2, 1, 0, 8]);
    assert.deepEqual(c('readme-2s'), [60, 2, 2, 4, 2, 1, 0, 8]);
    assert.equal(sticaPreset('tiny').width, 0.125);
    assert.throws(() => sticaPreset('huge'), /unknown STiCA preset 'huge'/);
  });

  test('pretrain_stica.sh arguments: small temporal (5th) before large temporal (6th)', () => {
    const readme = presetFromScriptArgs([30, 1, 2, 4, 1, 2, 0]);
    assert.deepEqual(readme.crops, STICA_PRESETS.readme.crops);
    assert.equal(readme.numLayers, 0);
    const dflt = presetFromScriptArgs([]);
    assert.deepEqual([dflt.numFrames, dflt.numSec, dflt.numLayers], [30, 1, 2]);
    assert.deepEqual(dflt.crops, STICA_PRESETS.script.crops);
    assert.deepEqual(presetFromScriptArgs(['60', '2']).numSec, 2);
    assert.throws(() => presetFromScriptArgs([30, 5]), /num_sec 1, 2, 3 or 4/);
    assert.throws(() => presetFromScriptArgs([30, 1, 'x']), /argument 3/);
  });

  test('model options: paper matches the transformer time dimension to the clip, reference keeps 4', () => {
    for (const name of ['script', 'script-2s', 'readme-2s'] as const) {
      const p = STICA_PRESETS[name];
      const paper = sticaModelOptions(p, 'paper');
      const ref = sticaModelOptions(p, 'reference');
      assert.equal(paper.transformerTimeDim, p.numSec === 1 ? 4 : 8);
      assert.equal(ref.transformerTimeDim, 4);
      assert.deepEqual([paper.numSec, paper.numLayers, paper.width], [p.numSec, p.numLayers, p.width]);
    }
    assert.deepEqual(presetFeatureMap(STICA_PRESETS['script-2s']), { time: 8, height: 7, width: 7 });
    assert.deepEqual(presetFeatureMap(STICA_PRESETS.tiny), { time: 2, height: 4, width: 4 });
  });
});

describe('tiny end-to-end step', () => {
  for (const mode of ['paper', 'reference'] as SticaMode[]) {
    test(`${mode} mode: crops -> two forwards -> loss -> gradients in the backbone`, () => {
      const p = STICA_PRESETS.tiny;
      torch.manualSeed(0);
      const model = new Stica(sticaModelOptions(p, mode));
      try {
        model.train();
        torch.tidy(() => {
          const streams = seededStreams(31);
          const b = p.batchSize;
          const audio = torch.randn([b, 1, 40, 99]);
          const map = presetFeatureMap(p);
          const views = [0, 1].map(() => {
            const clip = torch.randn([b, 3, p.numFrames, p.cropSize, p.cropSize]);
            const params = sampleCropParams(streams.numpy, { mode, counts: p.crops, map, duration: model.duration });
            return model.forward(clip, audio, params);
          }) as [ReturnType<Stica['forward']>, ReturnType<Stica['forward']>];
          // The map really is the size the crops were drawn for.
          const fm = torch.noGrad(() => model.videoNetwork.forward(torch.randn([1, 3, p.numFrames, p.cropSize, p.cropSize])));
          assert.deepEqual(fm.shape.slice(2), [map.time, map.height, map.width]);
          const r = sticaLoss({ mode, views, counts: p.crops });
          assert.ok(Number.isFinite(r.loss.item() as number), `loss ${r.loss.item()}`);
          assert.deepEqual(Object.values(r.counts), mode === 'paper' ? [2, 4, 2, 2] : [1, 4, 1, 2]);
          r.loss.backward();
          let checked = 0;
          for (const [name, t] of model.namedParameters()) {
            if (!/^(video_network\.base\.stem|mlp_v|mlp_a|video_pooling)/.test(name) || !t.requiresGrad) continue;
            const g = t.grad;
            assert.ok(g, `${name} has a gradient`);
            assert.ok(g.isfinite().all().item(), `${name} gradient finite`);
            checked++;
          }
          assert.ok(checked >= 10, `checked ${checked} parameters`);
        });
      } finally {
        model.dispose();
      }
    });
  }
});
