// Reports made from hand-written results (every kind, both protocols) render in headless Chromium
// without console errors, page errors or network requests, and a screenshot is taken (Chromium from
// scripts/setup.sh; test/helpers/browser.ts). report-browser.test.ts does the same on real runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderFinetuneReport } from '../../src/eval/report/finetune-report.js';
import { renderFeatureReport } from '../../src/eval/report/features-report.js';
import { renderAudioReport } from '../../src/eval/report/audio-report.js';
import { buildEvalConfig } from '../../src/eval/config.js';
import { provenance } from '../../src/eval/provenance.js';
import { protocolDescription } from '../../src/eval/protocol.js';
import type { EvalResults } from '../../src/eval/results.js';
import type { FinetuneFoldResult } from '../../src/eval/run-finetune.js';
import type { FeatureFoldResult } from '../../src/eval/run-features.js';
import type { AudioFoldResult } from '../../src/eval/run-audio.js';
import { evalFixture } from './fixture.js';
import { openChromium } from '../helpers/browser.js';

function base<F>(command: EvalResults<F>['command'], protocol: EvalResults<F>['protocol'], config: unknown, folds: F[], mean: Record<string, number>): EvalResults<F> {
  return {
    version: 1,
    command,
    protocol,
    protocolDescription: protocolDescription(command, protocol),
    dataset: command === 'audio' ? 'esc50' : 'ucf101',
    folds,
    mean,
    checkpoint: { source: 'x.safetensors', path: '/tmp/x.safetensors', sha256: 'ab'.repeat(32), format: 'gdt-checkpoint', pretrain: { position: { epoch: 1, step: 0, globalStep: 2 } } },
    config,
    provenance: provenance(2),
    timings: { totalSeconds: 12.5, foldSeconds: [12] },
  };
}

/** Reports of every kind, from made-up results over the fixture's videos (real thumbnails). */
async function writeReports(dir: string): Promise<string[]> {
  const fx = await evalFixture();
  const v = (cls: string, g: number): string => join(fx.data, 'videos', cls, `v_${cls}_g${String(g).padStart(2, '0')}_c01.mp4`);
  const classes = ['Bounce', 'Grow'];
  const preds = [
    { video: 0, name: 'Bounce/v_Bounce_g01_c01.mp4', path: v('Bounce', 1), label: 0, predicted: 0, rank: 0, top5: [{ class: 0, score: 2.5 }, { class: 1, score: -1 }], views: 30 },
    { video: 1, name: 'Grow/v_Grow_g01_c01.mp4', path: v('Grow', 1), label: 1, predicted: 0, rank: 1, top5: [{ class: 0, score: 0.5 }, { class: 1, score: 0.2 }], views: 30 },
  ];
  const common = { classes, perClass: [], confusion: [[1, 0], [1, 0]], failures: [], seconds: 12 };
  const ftCfg = buildEvalConfig('finetune', { preset: 'tiny', overrides: [{ out: dir, weights: 'x', data: { dataset: 'ucf101', root: fx.data } }] });
  const ft: FinetuneFoldResult = {
    ...common,
    fold: 1, top1: 50, top5: 100, selectedEpoch: 4, selection: 'last epoch',
    evaluations: [{ epoch: 4, top1: 50, top5: 100, clipTop1: 48, testLoss: 0.7, videos: 2, views: 60 }],
    training: [0, 1, 2, 3, 4].map((e) => ({ epoch: e, lr: { classifier: 0.001 * (e + 1), backbone: 0.0005 }, loss: 1 / (e + 1), clipTop1: 50 + 5 * e, steps: 10, seconds: 2 })),
    iterations: Array.from({ length: 50 }, (_, i) => ({ step: i + 1, loss: 1 / Math.sqrt(i + 1), acc1: 50 })),
    trainVideos: 46, testVideos: 2, skippedVideos: [], predictions: preds, weightsLoaded: { loaded: 222, skipped: 90, missing: 2 }, configHash: 'x',
  };
  const featCfg = (command: 'linear' | 'retrieval'): unknown => buildEvalConfig(command, { preset: 'tiny', overrides: [{ out: dir, weights: 'x', data: { dataset: 'ucf101', root: fx.data } }] });
  const featBase = { ...common, fold: 1, trainVideos: 46, testVideos: 2, skippedVideos: [], featureDim: 128, trainRows: 92, testRows: 60, cache: { train: 'a', test: 'b', extracted: true } };
  const lin: FeatureFoldResult = {
    ...featBase, metrics: { top1: 50, top5: 100 }, predictions: preds,
    linear: { search: { best: 1e-3, points: [1e-5, 1e-4, 1e-3, 1e-2, 1e-1].map((l2, i) => ({ l2, valTop1: 40 + 5 * i, valLoss: 0.7, trainLoss: 0.5 })) }, l2: 1e-3, losses: [0.7, 0.6, 0.5], searchTrainVideos: 41, valVideos: 5 },
  };
  const ret: FeatureFoldResult = {
    ...featBase, metrics: { 'R@1': 50, 'R@5': 100, 'R@10': 100, 'R@20': 100 },
    predictions: preds.map((p) => ({ ...p, neighbours: [1, 2, 3, 4, 5].map((g) => ({ video: g, name: `Bounce/v_Bounce_g0${g}_c01.mp4`, path: v('Bounce', g), label: 0, distance: 0.1 * g })) })),
  };
  const audioCfg = buildEvalConfig('audio', { preset: 'tiny', overrides: [{ out: dir, weights: 'x', data: { root: '/esc' } }] });
  const au: AudioFoldResult = {
    fold: 1, metrics: { top1: 75, top5: 100 }, classes: ['dog', 'rain'], trainFiles: 16, testFiles: 4, featureDim: 128, perClass: [], confusion: [[2, 0], [1, 1]],
    predictions: [{ video: 0, name: '1-0-0.wav', path: '', label: 1, predicted: 0, rank: 1, top5: [] }],
    linear: lin.linear!, cache: featBase.cache, failures: [], seconds: 3,
  };
  const pages: [string, string][] = [
    ['finetune.html', await renderFinetuneReport(base('finetune', 'clean', ftCfg, [ft], { top1: 50, top5: 100 }))],
    ['linear.html', await renderFeatureReport(base('linear', 'reference', featCfg('linear'), [lin], { top1: 50, top5: 100 }))],
    ['retrieval.html', await renderFeatureReport(base('retrieval', 'clean', featCfg('retrieval'), [ret], ret.metrics))],
    ['audio.html', renderAudioReport(base('audio', 'clean', audioCfg, [au], { top1: 75, top5: 100 }))],
  ];
  return pages.map(([name, html]) => {
    const p = join(dir, name);
    writeFileSync(p, html);
    return p;
  });
}

test('report.html renders in headless Chromium: no console errors, no network, screenshots', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdt-eval-report-'));
  const reports = await writeReports(dir);
  const browser = await openChromium();
  try {
    for (const path of reports) {
      const shot = path.replace(/\.html$/, '.png');
      const page = await browser.render(path, shot);
      assert.deepEqual([...page.consoleErrors, ...page.pageErrors, ...page.failedRequests], [], `${path}: console errors`);
      assert.deepEqual(page.networkRequests, [], `${path}: network requests`);
      assert.ok(page.svgs >= 2, `${path}: ${page.svgs} charts`);
      assert.deepEqual(page.brokenImages, [], `${path}: broken images`);
      if (!path.endsWith('audio.html')) assert.ok(page.images.length >= 2, `${path}: thumbnails`);
      const png = readFileSync(shot);
      assert.ok(png.length > 2000 && png.readUInt32BE(0) === 0x89504e47, `${shot} is a PNG screenshot`);
    }
  } finally {
    await browser.close();
  }
});

test('reports of every kind are self-contained pages: inline SVG, data-URI thumbnails, no scripts, nothing remote', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'gdt-eval-report-'));
  for (const path of await writeReports(dir)) {
    const html = readFileSync(path, 'utf8');
    assert.match(html, /^<!DOCTYPE html>/);
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /(src|href)="(?!data:)[^"]*"/i, `${path}: only data: URIs are referenced`);
    assert.ok((html.match(/<svg /g) ?? []).length >= 2, `${path}: charts`);
    assert.match(html, /protocol: (clean|reference)/);
    if (!path.endsWith('audio.html')) assert.match(html, /<img src="data:image\/png;base64,[A-Za-z0-9+/=]{100,}"/);
  }
});
