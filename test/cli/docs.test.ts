import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { cliReference } from '../../scripts/gen-cli-docs.js';

test('docs/cli.md equals the commands\' current --help texts (npm run docs:cli)', () => {
  assert.equal(readFileSync(new URL('../../docs/cli.md', import.meta.url), 'utf8'), cliReference());
});
