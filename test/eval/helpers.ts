// Checks shared by the end-to-end evaluation tests: results.json and report.html.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256File } from '../../src/zoo/checksum.js';
import type { EvalResults } from '../../src/eval/results.js';

export async function checkOutputs<F>(out: string, o: { command: string; protocol: string; checkpoint?: string }): Promise<{ results: EvalResults<F>; html: string }> {
  const resultsPath = join(out, 'results.json');
  const reportPath = join(out, 'report.html');
  assert.ok(existsSync(resultsPath), 'results.json written');
  assert.ok(existsSync(reportPath), 'report.html written');
  const results = JSON.parse(readFileSync(resultsPath, 'utf8')) as EvalResults<F>;
  assert.equal(results.command, o.command);
  assert.equal(results.protocol, o.protocol);
  assert.ok(results.protocolDescription.length > 40);
  assert.ok(results.folds.length >= 1);
  assert.ok(Object.values(results.mean).every((v) => Number.isFinite(v)));
  assert.equal(typeof results.config, 'object');
  assert.ok(results.provenance.gdtVersion);
  if (results.provenance.gitCommit !== undefined) assert.match(results.provenance.gitCommit, /^[0-9a-f]{40}$/);
  if (o.checkpoint) {
    assert.equal(results.checkpoint.sha256, await sha256File(o.checkpoint));
    assert.equal(results.checkpoint.format, 'gdt-checkpoint');
  }
  const html = readFileSync(reportPath, 'utf8');
  assert.match(html, /^<!DOCTYPE html>/);
  assert.ok(html.includes(`protocol: ${o.protocol}`), 'the protocol is labelled');
  assert.ok(html.includes('<svg'), 'inline SVG charts');
  // Self-contained: no scripts and nothing fetched from elsewhere.
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//i);
  return { results, html };
}
